# scluster: the one entry point.  make | make test | make bench | make deps | make clean
# Switches: SANITIZE=address,undefined  DEBUG=1  WITH_JEMALLOC=1 (default)  BUILD=build
BUILD ?= build
WITH_JEMALLOC ?= 1
SANITIZE ?=
DEBUG ?= 0
JOBS ?= $(shell nproc 2>/dev/null || echo 2)

# Debian packages the build, the tests and the benchmarks need.  `make deps` installs the missing ones.
DEB_PACKAGES := build-essential cmake pkg-config libevent-dev libssl-dev libjemalloc-dev \
	libcmocka-dev libbenchmark-dev libhiredis-dev libcjson-dev liburing-dev redis-server redis-tools python3 \
	haproxy wrk curl openssl procps util-linux iproute2 tcl

CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=$(if $(filter 1,$(DEBUG)),Debug,Release) \
	-DSC_SANITIZE="$(SANITIZE)" -DSC_WITH_JEMALLOC=$(WITH_JEMALLOC)

.PHONY: all deps build test bench clean format

all: build

# The build needs these headers/tools; if one is absent, install everything that is missing.
NEEDED := /usr/include/event2/event.h /usr/include/jemalloc/jemalloc.h /usr/include/cmocka.h \
	/usr/include/benchmark/benchmark.h /usr/include/hiredis/hiredis.h /usr/include/openssl/ssl.h /usr/include/cjson/cJSON.h /usr/include/liburing.h \
	/usr/bin/cmake /usr/bin/pkg-config /usr/bin/redis-server /usr/bin/redis-cli /usr/bin/python3

# Node.js and npm are wanted as commands (a NodeSource nodejs carries its own npm, and Debian's
# npm package would conflict with it), so they are checked by command, not by package.
deps:
	@missing=""; for p in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	command -v node >/dev/null || missing="$$missing nodejs"; \
	command -v npm >/dev/null || missing="$$missing npm"; \
	if [ -n "$$missing" ]; then \
	  echo "make deps: installing$$missing"; \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends $$missing; \
	else echo "make deps: all Debian packages present"; fi

build:
	@for f in $(NEEDED); do [ -e $$f ] || { $(MAKE) --no-print-directory deps; break; }; done
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS)

# Tools the tests and benchmarks use beyond the build.
TEST_NEEDED := /usr/bin/openssl /usr/bin/curl /usr/bin/redis-benchmark /usr/sbin/haproxy /usr/bin/wrk \
	/usr/bin/ss /usr/bin/tclsh

test: build
	@for f in $(TEST_NEEDED); do [ -e $$f ] || { $(MAKE) --no-print-directory deps; break; }; done
	@command -v node >/dev/null && command -v npm >/dev/null || $(MAKE) --no-print-directory deps
	@SC_BUILD=$(BUILD) bash tests/run.sh

bench: build
	@for f in $(TEST_NEEDED); do [ -e $$f ] || { $(MAKE) --no-print-directory deps; break; }; done
	@SC_BUILD=$(BUILD) bash bench/run.sh

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD)
