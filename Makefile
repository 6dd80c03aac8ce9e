# scluster: the one entry point.  make | make test | make bench | make deps | make clean
#           make install PREFIX=/usr/local DESTDIR=  (cmake/install.cmake says what goes where)
# Switches: SANITIZE=address,undefined  DEBUG=1  WITH_JEMALLOC=1 (default)  BUILD=build
#           TARGETS="sc-broker sc-balancer" (build only these CMake targets)
# make fuzz: the libFuzzer harnesses of tests/fuzz into build-fuzz/ (clang-14)
BUILD ?= build
WITH_JEMALLOC ?= 1
SANITIZE ?=
DEBUG ?= 0
JOBS ?= $(shell nproc 2>/dev/null || echo 2)
TARGETS ?=

# Debian packages the build, the tests and the benchmarks need.  `make deps` installs the missing ones.
DEB_PACKAGES := build-essential cmake pkg-config libevent-dev libssl-dev libjemalloc-dev \
	libcmocka-dev libbenchmark-dev libhiredis-dev liburing-dev libre2-dev redis-server redis-tools python3 \
	libwebsockets-dev libwebsockets-evlib-ev libev-dev \
	haproxy wrk curl openssl procps util-linux iproute2 clang-14 libclang-rt-14-dev tcl chromium systemd

CMAKE_FLAGS := -DCMAKE_BUILD_TYPE=$(if $(filter 1,$(DEBUG)),Debug,Release) \
	-DSC_SANITIZE="$(SANITIZE)" -DSC_WITH_JEMALLOC=$(WITH_JEMALLOC)

.PHONY: all deps build test bench clean format fuzz install

all: build

# The build needs these headers/tools; if one is absent, install everything that is missing.
NEEDED := /usr/include/event2/event.h /usr/include/jemalloc/jemalloc.h /usr/include/cmocka.h \
	/usr/include/benchmark/benchmark.h /usr/include/hiredis/hiredis.h /usr/include/openssl/ssl.h /usr/include/liburing.h /usr/include/re2/re2.h \
	/usr/include/libwebsockets.h /usr/share/doc/libwebsockets-evlib-ev/copyright /usr/include/ev.h \
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
	@command -v npm >/dev/null || $(MAKE) --no-print-directory deps   # npm ci installs the client bundle
	@cmake -S . -B $(BUILD) $(CMAKE_FLAGS) >/dev/null
	@cmake --build $(BUILD) -j $(JOBS) $(if $(TARGETS),--target $(TARGETS))

# Tools the tests and benchmarks use beyond the build (chromium: the demo's end-to-end test;
# systemd-analyze: the units' check, which needs no running systemd).
TEST_NEEDED := /usr/bin/openssl /usr/bin/curl /usr/bin/redis-benchmark /usr/sbin/haproxy /usr/bin/wrk \
	/usr/bin/ss /usr/bin/tclsh /usr/bin/chromium /usr/bin/systemd-analyze

test: build
	@for f in $(TEST_NEEDED); do [ -e $$f ] || { $(MAKE) --no-print-directory deps; break; }; done
	@command -v node >/dev/null && command -v npm >/dev/null || $(MAKE) --no-print-directory deps
	@SC_BUILD=$(BUILD) bash tests/run.sh

bench: build
	@for f in $(TEST_NEEDED); do [ -e $$f ] || { $(MAKE) --no-print-directory deps; break; }; done
	@SC_BUILD=$(BUILD) bash bench/run.sh

# libFuzzer harnesses: each links only the parser it fuzzes, with ASan and UBSan (a UB report
# stops the run like a crash).  tests/integration/fuzz_harnesses.sh runs each for a while.
FUZZ_BUILD ?= build-fuzz
FUZZ_CXX ?= clang++-14
FUZZ_FLAGS := -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_NEEDED := /usr/bin/clang++-14 /usr/include/re2/re2.h \
	/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
FUZZERS := $(addprefix $(FUZZ_BUILD)/,fuzz_resp_parser fuzz_http_head fuzz_json_parser fuzz_json_path \
	fuzz_sc_protocol fuzz_worker_http fuzz_proxy_header fuzz_lz)

fuzz:
	@for f in $(FUZZ_NEEDED); do [ -e $$f ] || { $(MAKE) --no-print-directory deps; break; }; done
	@$(MAKE) --no-print-directory $(FUZZERS)

# Each harness: its parser's sources (and headers, for rebuilds), its include dirs, its libraries.
$(FUZZ_BUILD)/fuzz_resp_parser: common/resp.cpp common/resp.h common/hex.h
$(FUZZ_BUILD)/fuzz_http_head: balancer/http_head.cpp balancer/http_head.h common/hex.h
$(FUZZ_BUILD)/fuzz_http_head: FUZZ_INC := -Ibalancer -Icommon
$(FUZZ_BUILD)/fuzz_json_parser: common/json.cpp common/json.h common/hex.h
$(FUZZ_BUILD)/fuzz_json_path: broker/json_path.cpp common/json.cpp broker/json_path.h common/json.h
$(FUZZ_BUILD)/fuzz_json_path: FUZZ_INC := -Ibroker -Icommon
$(FUZZ_BUILD)/fuzz_json_path: FUZZ_LIBS := -lre2
$(FUZZ_BUILD)/fuzz_sc_protocol: worker/src/sc_protocol.cpp common/json.cpp worker/src/sc_protocol.h \
	common/json.h
$(FUZZ_BUILD)/fuzz_sc_protocol: FUZZ_INC := -Iworker/src -Icommon
$(FUZZ_BUILD)/fuzz_proxy_header: worker/src/proxy_header.cpp worker/src/proxy_header.h
$(FUZZ_BUILD)/fuzz_proxy_header: FUZZ_INC := -Iworker/src
$(FUZZ_BUILD)/fuzz_lz: broker/lz.cpp broker/lz.h
$(FUZZ_BUILD)/fuzz_lz: FUZZ_INC := -Ibroker
$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.cpp
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CXX) $(FUZZ_FLAGS) $(or $(FUZZ_INC),-Icommon) $(filter %.cpp,$^) $(FUZZ_LIBS) -o $@

$(FUZZ_BUILD)/fuzz_worker_http: tests/fuzz/fuzz_worker_http.cpp worker/src/http_path.cpp worker/src/origins.cpp \
		worker/src/session_id.cpp worker/src/http_path.h worker/src/origins.h worker/src/session_id.h
	@mkdir -p $(FUZZ_BUILD)
	$(FUZZ_CXX) $(FUZZ_FLAGS) -Iworker/src $(filter %.cpp,$^) -o $@

# Installs what the build directory holds, laid out by cmake/install.cmake; the prefix is given
# to `cmake --install`, so another PREFIX rebuilds nothing.  Only the installed targets are
# built, and a build directory that exists keeps its own configuration (a DEBUG=1 or SANITIZE
# build is installed as it is, not reconfigured and rebuilt).
PREFIX ?= /usr/local
INSTALL_TARGETS := sc-broker sc-worker sc-balancer sc-conformance scluster sc-client-bundle
install:
	@if [ -f $(BUILD)/CMakeCache.txt ]; then cmake --build $(BUILD) -j $(JOBS) --target $(INSTALL_TARGETS); \
	else $(MAKE) --no-print-directory build TARGETS="$(INSTALL_TARGETS)"; fi
	@DESTDIR="$(DESTDIR)" cmake --install $(BUILD) --prefix "$(PREFIX)"

format:
	@clang-format -i $$(git ls-files '*.cpp' '*.h')

clean:
	rm -rf $(BUILD) $(FUZZ_BUILD)
