// CPU-backend benchmarks of the hostcall path (Google Benchmark). These time
// the protocol and the server's code on the CPU; the figures that matter for
// users come from bench/gpu_bench.cu on a GPU.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <gpustd/gpustd.h>

namespace {

gpustd::runtime_options options() {
  gpustd::runtime_options o;
  o.server_threads = 1;
  o.stdout_fd = ::open("/dev/null", O_WRONLY);
  return o;
}

// One thread (a warp of one lane) making blocking null calls.
void BM_NullCall(benchmark::State& state) {
  gpustd::runtime rt(options());
  for (auto _ : state) benchmark::DoNotOptimize(gpustd::null_call());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NullCall)->UseRealTime();

// The same thread, fire-and-forget.
void BM_NullSend(benchmark::State& state) {
  gpustd::runtime rt(options());
  for (auto _ : state) benchmark::DoNotOptimize(gpustd::null_send());
  rt.synchronize();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NullSend)->UseRealTime();

// write() of a line to /dev/null: payload copy, validation, writev.
void BM_WriteLine(benchmark::State& state) {
  gpustd::runtime rt(options());
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  std::string line(n - 1, 'x');
  line += '\n';
  for (auto _ : state) benchmark::DoNotOptimize(gpustd::write(1, line.data(), line.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_WriteLine)->Arg(64)->Arg(4096)->Arg(1 << 20)->UseRealTime();

__global__ void warp_calls(unsigned calls) {
  for (unsigned i = 0; i < calls; ++i) gpustd::null_call();
}

// A full emulated warp: 32 lanes coalesced into one request per call.
void BM_WarpNullCall(benchmark::State& state) {
  gpustd::runtime rt(options());
  const unsigned calls = 200;
  for (auto _ : state) gpustd::launch(warp_calls, 1, 32, calls);
  state.SetItemsProcessed(state.iterations() * calls);
  state.counters["lanes_per_request"] =
      double(state.iterations()) * calls * 32 / double(rt.stats().requests ? rt.stats().requests : 1);
}
BENCHMARK(BM_WarpNullCall)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
