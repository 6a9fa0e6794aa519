// GPU benchmark: a built-in service against the same service written as a
// typed hostcall (issue 5: "built-in services on the same mechanism where it
// makes them simpler; measure"), in one run.
//
//   services_bench [csv_path]
//
// The service is the console's hottest path: every lane writes a 32-byte
// line to descriptor 1, which the runtime points at the sink: /dev/null
// (the channel's and the host's cost alone), or a pipe that a thread
// drains and counts (a real consumer; every line is counted, so none is
// lost unseen: line_counter.h). Three ways:
//
// - built-in: gpustd::write(1, line, 32), the console operation (one writev
//   per warp on the host);
// - typed:    gpustd::call<write_out>(string_view(line, 32)), a callable
//   registered with register_hostcall that calls ::write once per lane;
// - batch:    the same hostcall with a batch handler (register_batch) that
//   writes the warp's lines with one writev, as the built-in does.
//
// Shapes: one warp and one lane (median time of one call, device timer;
// /dev/null), and every resident warp writing in a loop into each sink
// (M lines/s, until the last line is read; the ways take turns, median of
// 5 runs each).
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <gpustd/gpustd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>
#include <vector>

#include "cuda_check.h"
#include "line_counter.h"

GPUSTD_HOSTCALL(write_out, long(gpustd::string_view line));     // ::write per lane
GPUSTD_HOSTCALL(write_out_batch, long(gpustd::string_view line));  // one writev per warp

namespace {

constexpr unsigned line_bytes = 32;

__device__ inline unsigned long long now_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}

// The lane's line: "lane NN of warp NNNNNN, call NN\n" cut to 32 bytes (its
// content does not matter to the host; its length does).
__device__ inline void make_line(char (&line)[line_bytes], unsigned warp, unsigned i) {
  for (unsigned k = 0; k < line_bytes; ++k) line[k] = static_cast<char>('a' + (warp + i + k) % 26);
  line[line_bytes - 1] = '\n';
}

// kind 0: built-in, 1: typed per lane, 2: typed batch. One call.
__device__ inline long write_line(int kind, const char* line) {
  if (kind == 0) return gpustd::write(1, line, line_bytes);
  if (kind == 1) return gpustd::call<write_out>(gpustd::string_view(line, line_bytes)).value_or(-1);
  return gpustd::call<write_out_batch>(gpustd::string_view(line, line_bytes)).value_or(-1);
}

__global__ void latency(int kind, unsigned lanes, unsigned n, unsigned long long* ns, unsigned* bad) {
  if (threadIdx.x >= lanes) return;
  char line[line_bytes];
  unsigned b = 0;
  for (unsigned i = 0; i < n; ++i) {
    make_line(line, 0, i);
    const unsigned long long t0 = now_ns();
    b += write_line(kind, line) != line_bytes;
    __syncwarp(__activemask());
    if (threadIdx.x == 0) ns[i] = now_ns() - t0;
  }
  if (b) atomicAdd(bad, b);
}

__global__ void __launch_bounds__(256) lines(int kind, unsigned n, unsigned* bad) {
  char line[line_bytes];
  const unsigned warp = (blockIdx.x * blockDim.x + threadIdx.x) / 32;
  unsigned b = 0;
  for (unsigned i = 0; i < n; ++i) {
    make_line(line, warp, i);
    b += write_line(kind, line) != line_bytes;
  }
  if (b) atomicAdd(bad, b);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const char* csv_path = argc > 1 && argv[1][0] ? argv[1] : nullptr;
  const int devnull = ::open("/dev/null", O_WRONLY);
  if (devnull < 0) {
    std::perror("open /dev/null");
    return 1;
  }
  line_counter pipe;
  // Where the console (the runtime's descriptor 1) and the hostcalls write.
  // (A dup of each sink, swapped in between runs while no kernel runs.)
  const int out = ::dup(devnull);
  auto use_sink = [&](int fd) { ::dup2(fd, out); };
  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  gpustd::runtime_options o;
  o.stdout_fd = out;
  gpustd::runtime rt(o);
  rt.register_hostcall<write_out>([out](std::string_view s) { return static_cast<long>(::write(out, s.data(), s.size())); });
  rt.register_batch<write_out_batch>([out](gpustd::hostcall_batch<write_out_batch>& b) {
    iovec iov[32];
    const unsigned n = b.size() < 32 ? b.size() : 32;  // (a request holds at most 32 lanes)
    for (unsigned i = 0; i < n; ++i) {
      const std::string_view s = std::get<0>(b.args(i));
      iov[i] = {const_cast<char*>(s.data()), s.size()};
    }
    const ssize_t w = ::writev(out, iov, static_cast<int>(n));
    const int e = w < 0 ? errno : 0;
    for (unsigned i = 0; i < b.size(); ++i)
      if (w < 0 || i >= n) b.set_error(i, w < 0 ? e : EINVAL);
      else b.set_result(i, static_cast<long>(iov[i].iov_len));
  });

  unsigned* bad = nullptr;
  unsigned long long* ns = nullptr;
  const unsigned lat_n = 4000;
  CHECK(cudaMallocManaged(&bad, sizeof *bad));
  CHECK(cudaMallocManaged(&ns, lat_n * sizeof *ns));
  *bad = 0;

  // Latency, /dev/null: the median of per-call times (after 100 warm-up
  // calls), the median of 5 runs, the ways in turns.
  use_sink(devnull);
  std::vector<double> lat[2][3];
  for (int r = 0; r < 5; ++r)
    for (int w = 0; w < 2; ++w)
      for (int kind = 0; kind < 3; ++kind) {
        latency<<<1, 32>>>(kind, w == 0 ? 32 : 1, lat_n, ns, bad);
        rt.synchronize();
        std::vector<double> v(ns + 100, ns + lat_n);
        lat[w][kind].push_back(median(v) / 1e3);
      }

  // Every resident warp, each sink, the ways in turns: M lines/s until the
  // last byte is in the sink (the pipe's reader has it; /dev/null: the
  // runtime has written it, rt.synchronize()).
  int per_sm = 0;
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, lines, 256, 0));
  const unsigned blocks = static_cast<unsigned>(per_sm * prop.multiProcessorCount), n = 50;
  const unsigned long long lines_per_run = 1ull * blocks * 256 * n;
  std::vector<double> rate[2][3];
  unsigned long long lost = 0;
  for (int sink = 0; sink < 2; ++sink) {
    use_sink(sink == 0 ? devnull : pipe.write_fd);
    for (int r = 0; r < 5; ++r)
      for (int kind = 0; kind < 3; ++kind) {
        const unsigned long long before = pipe.lines.load();
        const auto t0 = std::chrono::steady_clock::now();
        lines<<<blocks, 256>>>(kind, n, bad);
        rt.synchronize();
        if (sink == 1) {
          const unsigned long long got = pipe.wait_for(before + lines_per_run) - before;
          lost += lines_per_run > got ? lines_per_run - got : 0;
        }
        const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
        rate[sink][kind].push_back(double(lines_per_run) / s / 1e6);
      }
  }
  use_sink(devnull);

  const char* names[3] = {"built-in gpustd::write", "typed hostcall, ::write a lane", "typed batch handler, writev"};
  std::printf("built-in console write against the same write as a typed hostcall, on %s\n", prop.name);
  std::printf("(32-byte lines; full GPU = %u blocks x 256 threads, %u lines a thread; %u host threads)\n\n", blocks, n,
              rt.options().server_threads);
  std::printf("%-32s %21s %21s %25s %25s\n", "", "one warp, us (ratio)", "one lane, us (ratio)",
              "full GPU, /dev/null, M/s", "full GPU, pipe, M/s");
  double l[2][3], t[2][3];
  for (int kind = 0; kind < 3; ++kind)
    for (int k = 0; k < 2; ++k) {
      l[k][kind] = median(lat[k][kind]);
      t[k][kind] = median(rate[k][kind]);
    }
  for (int kind = 0; kind < 3; ++kind)
    std::printf("%-32s %13.2f (%5.2f) %13.2f (%5.2f) %17.1f (%5.2f) %17.1f (%5.2f)\n", names[kind], l[0][kind],
                l[0][kind] / l[0][0], l[1][kind], l[1][kind] / l[1][0], t[0][kind], t[0][kind] / t[0][0], t[1][kind],
                t[1][kind] / t[1][0]);
  std::printf("(ratios: against the built-in write)\nlines lost: %llu; wrong answers: %u\n", lost, *bad);
  if (csv_path) {
    FILE* csv = std::fopen(csv_path, "w");
    std::fprintf(csv, "way,one_warp_us,one_lane_us,full_gpu_devnull_mlines_s,full_gpu_pipe_mlines_s\n");
    for (int kind = 0; kind < 3; ++kind)
      std::fprintf(csv, "%s,%.3f,%.3f,%.2f,%.2f\n", names[kind], l[0][kind], l[1][kind], t[0][kind], t[1][kind]);
    std::fclose(csv);
  }
  return *bad || lost ? 1 : 0;  // (the descriptors stay open until the runtime has stopped)
}
