// Micro-benchmarks of the RESP codec (common/resp.h): request parsing (single commands,
// pipelines of 32, a large bulk) and reply writing.  Run: build/bench/resp_bench
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "buffer.h"
#include "resp.h"

namespace {

std::string mbulk(const std::vector<std::string>& argv) {
  std::string s = "*" + std::to_string(argv.size()) + "\r\n";
  for (const auto& a : argv) s += "$" + std::to_string(a.size()) + "\r\n" + a + "\r\n";
  return s;
}

// Parses every command in `in`; returns the number parsed.
size_t parse_all(sc::resp::RequestParser& p, std::string_view in,
                 std::vector<std::string_view>* argv) {
  size_t n = 0;
  while (!in.empty()) {
    size_t consumed = 0;
    if (p.parse(in, &consumed, argv) != sc::resp::ParseStatus::Ok) break;
    in.remove_prefix(consumed);
    n++;
  }
  return n;
}

void run_parse(benchmark::State& state, const std::string& in, size_t commands) {
  sc::resp::RequestParser p;
  std::vector<std::string_view> argv;
  for (auto _ : state) {
    size_t n = parse_all(p, in, &argv);
    benchmark::DoNotOptimize(n);
    benchmark::DoNotOptimize(argv.data());
  }
  state.SetItemsProcessed(int64_t(state.iterations()) * int64_t(commands));
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.size()));
}

void BM_ParseSet(benchmark::State& state) {
  run_parse(state, mbulk({"SET", "key:000123", "value-of-sixteen"}), 1);
}
BENCHMARK(BM_ParseSet);

void BM_ParseGet(benchmark::State& state) { run_parse(state, mbulk({"GET", "key:000123"}), 1); }
BENCHMARK(BM_ParseGet);

void BM_ParseInline(benchmark::State& state) { run_parse(state, "GET key:000123\r\n", 1); }
BENCHMARK(BM_ParseInline);

void BM_ParsePipeline32(benchmark::State& state) {
  std::string in;
  for (int i = 0; i < 32; i++)
    in += i % 2 ? mbulk({"GET", "key:" + std::to_string(i)})
                : mbulk({"SET", "key:" + std::to_string(i), "xxxxxxxxxxxxxxxx"});
  run_parse(state, in, 32);
}
BENCHMARK(BM_ParsePipeline32);

void BM_ParseLargeBulk(benchmark::State& state) {
  std::string value(size_t(state.range(0)), 'v');
  run_parse(state, mbulk({"SET", "big", value}), 1);
}
BENCHMARK(BM_ParseLargeBulk)->Arg(1 << 10)->Arg(64 << 10)->Arg(1 << 20);

// A large bulk arriving in 16 KiB reads: the parser must not rescan what it has seen.
void BM_ParseLargeBulkIncremental(benchmark::State& state) {
  std::string in = mbulk({"SET", "big", std::string(1 << 20, 'v')});
  std::vector<std::string_view> argv;
  for (auto _ : state) {
    sc::resp::RequestParser p;
    size_t consumed = 0;
    for (size_t have = 16384;; have += 16384) {
      have = std::min(have, in.size());
      auto st = p.parse(std::string_view(in.data(), have), &consumed, &argv);
      if (st != sc::resp::ParseStatus::NeedMore) break;
    }
    benchmark::DoNotOptimize(consumed);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.size()));
}
BENCHMARK(BM_ParseLargeBulkIncremental);

template <class Fn>
void run_write(benchmark::State& state, Fn fn, sc::resp::Proto proto) {
  sc::Buffer b;
  sc::resp::Writer w(&b, proto);
  for (auto _ : state) {
    fn(w);
    if (b.size() > (1 << 20)) b.clear();
  }
  state.SetItemsProcessed(int64_t(state.iterations()));
}

void BM_WriteBulk(benchmark::State& state) {
  std::string v(size_t(state.range(0)), 'x');
  run_write(
      state, [&](sc::resp::Writer& w) { w.bulk(v); }, sc::resp::Proto::Resp2);
}
BENCHMARK(BM_WriteBulk)->Arg(16)->Arg(1024);

void BM_WriteInteger(benchmark::State& state) {
  long long i = 0;
  run_write(
      state, [&](sc::resp::Writer& w) { w.integer(i++ * 7919); }, sc::resp::Proto::Resp2);
}
BENCHMARK(BM_WriteInteger);

// HGETALL-like reply of a 4-field session hash, in RESP2 and RESP3.
void BM_WriteMap4(benchmark::State& state) {
  auto proto = state.range(0) == 3 ? sc::resp::Proto::Resp3 : sc::resp::Proto::Resp2;
  run_write(
      state,
      [](sc::resp::Writer& w) {
        w.map(4);
        w.bulk("user");
        w.bulk("u:12345");
        w.bulk("created");
        w.bulk_int(1700000000);
        w.bulk("ip");
        w.bulk("10.0.0.1");
        w.bulk("agent");
        w.bulk("Mozilla/5.0");
      },
      proto);
}
BENCHMARK(BM_WriteMap4)->Arg(2)->Arg(3);

void BM_WriteArray32(benchmark::State& state) {
  run_write(
      state,
      [](sc::resp::Writer& w) {
        w.array(32);
        for (int i = 0; i < 32; i++) w.bulk("member-xxxxxxxx");
      },
      sc::resp::Proto::Resp2);
}
BENCHMARK(BM_WriteArray32);

}  // namespace

BENCHMARK_MAIN();
