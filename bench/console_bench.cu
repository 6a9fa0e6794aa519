// GPU benchmark of the console against CUDA's printf, in one run.
//
//   console_bench [total_lines] [csv_path] [server_threads]
//   (total_lines: 100000000 by default; server_threads: the runtime's default)
//
// Every line goes through a pipe to a counting thread, so lines lost are
// counted, not assumed. CUDA printf gets a FIFO sized to hold everything (so
// that it loses nothing by design; its default 1 MB would lose most).
// Shapes: 1 thread, 1 warp and the full GPU (as many resident threads as the
// kernel allows) printing 10 lines each, then the full GPU printing
// total_lines in all. Times run from the launch until the last line has
// been read from the pipe. The latency rows give the median time of one
// blocking call from one thread, with the blocking null call as its floor.
#include <fcntl.h>
#include <unistd.h>

#include <gpustd/gpustd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "cuda_check.h"
#include "line_counter.h"

namespace {

__global__ void cuda_printf_lines(unsigned n) {
  const unsigned tid = blockIdx.x * blockDim.x + threadIdx.x;
  for (unsigned i = 0; i < n; ++i) ::printf("line %u %u\n", tid, i);
}
__global__ void gpustd_printf_lines(unsigned n) {
  const unsigned tid = blockIdx.x * blockDim.x + threadIdx.x;
  for (unsigned i = 0; i < n; ++i) gpustd::printf("line %u %u\n", tid, i);
}
__global__ void gpustd_println_lines(unsigned n) {
  const unsigned tid = blockIdx.x * blockDim.x + threadIdx.x;
  for (unsigned i = 0; i < n; ++i) gpustd::println("line {} {}", tid, i);
}

__device__ inline unsigned long long now_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
__global__ void latency_println(unsigned n, unsigned long long* ns) {
  for (unsigned i = 0; i < n; ++i) {
    const unsigned long long t0 = now_ns();
    gpustd::println("latency {}", i);
    ns[i] = now_ns() - t0;
  }
}
__global__ void latency_null(unsigned n, unsigned long long* ns) {
  for (unsigned i = 0; i < n; ++i) {
    const unsigned long long t0 = now_ns();
    gpustd::null_call();
    ns[i] = now_ns() - t0;
  }
}

struct result {
  double secs;
  unsigned long long lost;
};

template <class Kernel>
unsigned full_gpu_blocks(Kernel k, unsigned threads) {
  int dev = 0, sms = 0, per_sm = 0;
  CHECK(cudaGetDevice(&dev));
  CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev));
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, k, static_cast<int>(threads), 0));
  return static_cast<unsigned>(sms * per_sm);
}

}  // namespace

int main(int argc, char** argv) {
  const unsigned long long total = argc > 1 ? std::stoull(argv[1]) : 100000000ull;
  FILE* csv = argc > 2 ? std::fopen(argv[2], "w") : nullptr;

  // The table goes to the real stdout; fd 1 becomes the pipe for CUDA printf.
  line_counter counter;
  FILE* table = ::fdopen(::dup(1), "w");
  std::setvbuf(table, nullptr, _IOLBF, 0);
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  // Room for every line CUDA printf will hold at once. Measured on an H100:
  // 64 bytes per line of this format held only 30 % of 10 M lines (the
  // FIFO is split between SMs); 400 bytes per line hold them all.
  const size_t fifo = static_cast<size_t>(total + (1u << 22)) * 400;
  CHECK(cudaDeviceSetLimit(cudaLimitPrintfFifoSize, fifo));
  std::fflush(stdout);
  ::dup2(counter.write_fd, 1);

  gpustd::runtime_options o;
  o.stdout_fd = counter.write_fd;
  if (argc > 3) o.server_threads = static_cast<unsigned>(std::stoul(argv[3]));
  {
  gpustd::runtime rt(o);

  const unsigned threads = 256;
  struct shape {
    const char* name;
    unsigned blocks, threads;
    unsigned long long lines_per_thread;
  };
  auto run = [&](const char* what, auto kernel, const shape& s) -> result {
    const unsigned long long expected = static_cast<unsigned long long>(s.blocks) * s.threads * s.lines_per_thread;
    const unsigned long long before = counter.lines.load();
    const auto t0 = std::chrono::steady_clock::now();
    kernel<<<s.blocks, s.threads>>>(static_cast<unsigned>(s.lines_per_thread));
    CHECK(cudaGetLastError());
    if (std::string(what) == "cuda") {
      CHECK(cudaDeviceSynchronize());
      std::fflush(stdout);
    } else {
      rt.synchronize();
    }
    const unsigned long long got = counter.wait_for(before + expected) - before;
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return {secs, expected > got ? expected - got : 0};
  };

  // Warm-up: module load, first use of each path.
  run("cuda", cuda_printf_lines, {"warm", 1, 32, 1});
  run("gpustd", gpustd_printf_lines, {"warm", 1, 32, 1});
  run("gpustd", gpustd_println_lines, {"warm", 1, 32, 1});

  const unsigned full_cuda = full_gpu_blocks(cuda_printf_lines, threads);
  const unsigned full_printf = full_gpu_blocks(gpustd_printf_lines, threads);
  const unsigned full_println = full_gpu_blocks(gpustd_println_lines, threads);
  const unsigned full = std::min({full_cuda, full_printf, full_println});
  const unsigned long long big_per_thread = (total + full * threads - 1) / (full * threads);
  const shape shapes[] = {{"1 thread, 10 lines", 1, 1, 10},
                          {"1 warp, 10 lines each", 1, 32, 10},
                          {"full GPU, 10 lines each", full, threads, 10},
                          {"full GPU, total lines", full, threads, big_per_thread}};

  std::fprintf(table, "console benchmark on %s; full GPU = %u blocks x %u threads; CUDA printf FIFO %.1f GB; %u server threads\n",
               prop.name, full, threads, fifo / 1e9, rt.options().server_threads);
  std::fprintf(table, "%-26s %12s | %12s %8s | %12s %8s | %12s %8s | %9s %9s\n", "shape", "lines", "CUDA printf",
               "lost", "gpustd printf", "lost", "println", "lost", "printf x", "println x");
  if (csv) std::fprintf(csv, "shape,lines,cuda_lines_per_s,cuda_lost,printf_lines_per_s,printf_lost,println_lines_per_s,println_lost\n");
  for (const shape& s : shapes) {
    const double lines = static_cast<double>(s.blocks) * s.threads * s.lines_per_thread;
    const result c = run("cuda", cuda_printf_lines, s);
    const result p = run("gpustd", gpustd_printf_lines, s);
    const result l = run("gpustd", gpustd_println_lines, s);
    std::fprintf(table, "%-26s %12.0f | %10.3fM/s %8llu | %10.3fM/s %8llu | %10.3fM/s %8llu | %8.2fx %8.2fx\n", s.name,
                 lines, lines / c.secs / 1e6, c.lost, lines / p.secs / 1e6, p.lost, lines / l.secs / 1e6, l.lost,
                 c.secs / p.secs, c.secs / l.secs);
    if (csv)
      std::fprintf(csv, "%s,%.0f,%.0f,%llu,%.0f,%llu,%.0f,%llu\n", s.name, lines, lines / c.secs, c.lost, lines / p.secs,
                   p.lost, lines / l.secs, l.lost);
  }

  // Latency of one thread's blocking call.
  const unsigned n = 2000;
  unsigned long long* ns;
  CHECK(cudaMallocManaged(&ns, n * sizeof *ns));
  auto median_us = [&](auto kernel) {
    kernel<<<1, 1>>>(n, ns);
    rt.synchronize();
    std::vector<unsigned long long> v(ns + 100, ns + n);  // the first calls warm up
    std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
    return v[v.size() / 2] / 1000.0;
  };
  const double null_us = median_us(latency_null);
  const double println_us = median_us(latency_println);
  counter.wait_for(counter.lines.load());
  std::fprintf(table, "latency, one thread (median us): null call %.2f, println %.2f, ratio %.2f (target <= 2)\n",
               null_us, println_us, println_us / null_us);
  if (csv) std::fprintf(csv, "latency_us,1,%.3f,0,%.3f,0,%.3f,0\n", null_us, println_us, println_us / null_us);
  if (csv) std::fclose(csv);
  CHECK(cudaFree(ns));
  }  // the runtime ends: everything is written
  std::fflush(stdout);
  ::close(1);
  ::close(counter.write_fd);
  counter.reader.join();
  return 0;
}
