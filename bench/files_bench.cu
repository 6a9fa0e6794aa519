// GPU benchmark of the file service, in one run:
//
//   files_bench [dir] [gib] [csv_path]
//   (dir: where the test files go, default "."; gib: size of the big
//   transfer, default 4)
//
// 1. A device buffer of `gib` GiB written to a file and read back:
//    - host, 1 thread: synchronous cudaMemcpy + write() / read() + cudaMemcpy
//      through one 64 MiB pinned buffer (the floor the issue names);
//    - host, 8 threads: the same with a pinned buffer and a stream per
//      thread, each moving every 8th chunk with pwrite/pread;
//    - gpustd, one device thread: gpustd::write / gpustd::read of the whole
//      buffer (the runtime moves it in chunks on its io threads);
//    - gpustd, 64 device threads: each pwrite / pread of its own range.
//    Every read-back is compared with the original on the device.
// 2. 64-byte records appended (O_APPEND) by every resident thread of the GPU.
// 3. A 1 GiB text file read line by line with fgets on one shared FILE by
//    every resident thread of the GPU; every line is counted once.
// Floors measured in the same run: the host programs of part 1, and the
// full-GPU rate of blocking null calls (one round trip each) for 2 and 3.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gpustd/gpustd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <vector>

#include "cuda_check.h"

namespace {

using clock_type = std::chrono::steady_clock;
double seconds_since(clock_type::time_point t0) {
  return std::chrono::duration<double>(clock_type::now() - t0).count();
}

__global__ void fill(std::uint64_t* p, std::uint64_t words, std::uint64_t seed) {
  for (std::uint64_t i = blockIdx.x * std::uint64_t(blockDim.x) + threadIdx.x; i < words;
       i += std::uint64_t(gridDim.x) * blockDim.x)
    p[i] = (i + seed) * 0x9E3779B97F4A7C15ull;
}
__global__ void count_mismatches(const std::uint64_t* a, const std::uint64_t* b, std::uint64_t words,
                                 unsigned long long* bad) {
  unsigned long long local = 0;
  for (std::uint64_t i = blockIdx.x * std::uint64_t(blockDim.x) + threadIdx.x; i < words;
       i += std::uint64_t(gridDim.x) * blockDim.x)
    local += a[i] != b[i];
  if (local) atomicAdd(bad, local);
}

// ---- part 1: host programs ----

constexpr std::size_t host_chunk = 64u << 20;

// Thread t of `threads` moves chunks t, t + threads, ...: one thread with
// write()/read() in order, several with pwrite()/pread().
double host_transfer(const std::string& path, unsigned char* dev, std::uint64_t n, unsigned threads, bool writing) {
  const int fd = writing ? ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644) : ::open(path.c_str(), O_RDONLY);
  if (fd < 0) { std::perror("open"); std::exit(1); }
  const auto t0 = clock_type::now();
  auto file_io = [&](unsigned char* p, std::size_t len, std::uint64_t off) {
    for (std::size_t done = 0; done < len;) {
      const off_t at = static_cast<off_t>(off + done);
      const ssize_t r = writing ? (threads == 1 ? ::write(fd, p + done, len - done) : ::pwrite(fd, p + done, len - done, at))
                                : (threads == 1 ? ::read(fd, p + done, len - done) : ::pread(fd, p + done, len - done, at));
      if (r <= 0) { std::perror(writing ? "write" : "read"); std::exit(1); }
      done += static_cast<std::size_t>(r);
    }
  };
  auto work = [&](unsigned t) {
    unsigned char* pinned = nullptr;
    cudaStream_t s;
    CHECK(cudaHostAlloc(&pinned, host_chunk, cudaHostAllocDefault));
    CHECK(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking));
    for (std::uint64_t off = std::uint64_t(t) * host_chunk; off < n; off += std::uint64_t(threads) * host_chunk) {
      const std::size_t len = static_cast<std::size_t>(std::min<std::uint64_t>(host_chunk, n - off));
      if (!writing) file_io(pinned, len, off);
      CHECK(cudaMemcpyAsync(writing ? static_cast<void*>(pinned) : dev + off, writing ? dev + off : pinned, len,
                            writing ? cudaMemcpyDeviceToHost : cudaMemcpyHostToDevice, s));
      CHECK(cudaStreamSynchronize(s));
      if (writing) file_io(pinned, len, off);
    }
    cudaStreamDestroy(s);
    cudaFreeHost(pinned);
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < threads; ++t) pool.emplace_back(work, t);
  for (auto& th : pool) th.join();
  ::close(fd);
  return seconds_since(t0);
}

// ---- part 1: gpustd ----

__global__ void device_open(const char* path, int flags, int* fd) { *fd = gpustd::open(path, flags, 0644); }
__global__ void device_close(int fd) { gpustd::close(fd); }

// Thread t of `threads` moves range t (one thread: everything, with write/read).
__global__ void device_transfer(int fd, unsigned char* buf, std::uint64_t n, bool writing, long long* moved) {
  const unsigned t = threadIdx.x, threads = blockDim.x;
  const std::uint64_t each = (n + threads - 1) / threads;
  const std::uint64_t off = t * each < n ? t * each : n, len = each < n - off ? each : n - off;
  long long r;
  if (threads == 1) r = writing ? gpustd::write(fd, buf, n) : gpustd::read(fd, buf, n);
  else r = writing ? gpustd::pwrite(fd, buf + off, len, static_cast<std::int64_t>(off))
                   : gpustd::pread(fd, buf + off, len, static_cast<std::int64_t>(off));
  atomicAdd(reinterpret_cast<unsigned long long*>(moved), static_cast<unsigned long long>(r < 0 ? 0 : r));
}

struct transfer_result {
  double write_s, read_s;
  bool intact;
};

// ---- parts 2 and 3 ----

__global__ void null_calls(unsigned n, unsigned* bad) {
  unsigned b = 0;
  for (unsigned i = 0; i < n; ++i) b += gpustd::null_call() != 0;
  if (b) atomicAdd(bad, b);
}

__global__ void append_records(int fd, unsigned n, unsigned* bad) {
  const unsigned tid = blockIdx.x * blockDim.x + threadIdx.x;
  char rec[64];
  for (int i = 0; i < 63; ++i) rec[i] = static_cast<char>('a' + (tid + i) % 26);
  rec[63] = '\n';
  unsigned b = 0;
  for (unsigned i = 0; i < n; ++i) {
    rec[0] = static_cast<char>('0' + i % 10);
    b += gpustd::write(fd, rec, 64) != 64;
  }
  if (b) atomicAdd(bad, b);
}

// One thread: the time of each blocking call (device timer).
__device__ inline unsigned long long now_ns() {
  unsigned long long t;
  asm volatile("mov.u64 %0, %%globaltimer;" : "=l"(t));
  return t;
}
__global__ void latency(int fd, unsigned n, unsigned long long* ns) {
  char rec[64];
  for (int i = 0; i < 63; ++i) rec[i] = 'l';
  rec[63] = '\n';
  for (unsigned i = 0; i < n; ++i) {
    const unsigned long long t0 = now_ns();
    if (fd < 0) gpustd::null_call();
    else gpustd::write(fd, rec, 64);
    ns[i] = now_ns() - t0;
  }
}
double median_us(unsigned long long* ns, unsigned n) {
  std::sort(ns, ns + n);
  return ns[n / 2] / 1e3;
}

__global__ void open_shared(const char* path, gpustd::FILE** f) { *f = gpustd::fopen(path, "r"); }
__global__ void close_shared(gpustd::FILE** f) { gpustd::fclose(*f); }
__global__ void read_lines(gpustd::FILE** shared, unsigned long long* lines, unsigned long long* bytes) {
  gpustd::FILE* f = *shared;
  char buf[128];
  unsigned long long l = 0, b = 0;
  while (gpustd::fgets(buf, sizeof buf, f)) {
    unsigned k = 0;
    while (buf[k]) ++k;
    ++l;
    b += k;
  }
  atomicAdd(lines, l);
  atomicAdd(bytes, b);
}

template <class K>
unsigned resident_blocks(K kernel, unsigned threads) {
  int per_sm = 0, dev = 0;
  CHECK(cudaGetDevice(&dev));
  cudaDeviceProp p{};
  CHECK(cudaGetDeviceProperties(&p, dev));
  CHECK(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, kernel, static_cast<int>(threads), 0));
  return static_cast<unsigned>(per_sm) * static_cast<unsigned>(p.multiProcessorCount);
}

char* device_string(const std::string& s) {
  char* p = nullptr;
  CHECK(cudaMallocManaged(&p, s.size() + 1));
  std::copy(s.begin(), s.end(), p);
  p[s.size()] = 0;
  return p;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string dir = argc > 1 ? argv[1] : ".";
  const double gib = argc > 2 ? std::atof(argv[2]) : 4.0;
  const char* csv_path = argc > 3 ? argv[3] : nullptr;
  const std::uint64_t n = static_cast<std::uint64_t>(gib * double(1ull << 30)) & ~std::uint64_t(7);
  const std::string big = dir + "/gpustd-bench-big.bin";

  cudaDeviceProp prop{};
  CHECK(cudaGetDeviceProperties(&prop, 0));
  std::printf("files benchmark on %s, %.2f GiB transfers, files in %s\n", prop.name, gib, dir.c_str());

  std::uint64_t *src = nullptr, *dst = nullptr;
  unsigned long long* bad = nullptr;
  CHECK(cudaMalloc(&src, n));
  CHECK(cudaMalloc(&dst, n));
  CHECK(cudaMallocManaged(&bad, sizeof *bad));
  fill<<<1024, 256>>>(src, n / 8, 1);
  CHECK(cudaDeviceSynchronize());
  auto check_copy = [&] {
    *bad = 0;
    count_mismatches<<<1024, 256>>>(src, dst, n / 8, bad);
    CHECK(cudaDeviceSynchronize());
    const bool ok = *bad == 0;
    CHECK(cudaMemset(dst, 0, n));
    CHECK(cudaDeviceSynchronize());
    return ok;
  };
  auto* usrc = reinterpret_cast<unsigned char*>(src);
  auto* udst = reinterpret_cast<unsigned char*>(dst);

  std::vector<std::pair<std::string, transfer_result>> rows;
  for (unsigned threads : {1u, 8u}) {
    ::unlink(big.c_str());
    transfer_result r{};
    r.write_s = host_transfer(big, usrc, n, threads, true);
    r.read_s = host_transfer(big, udst, n, threads, false);
    r.intact = check_copy();
    rows.emplace_back(threads == 1 ? "host, 1 thread (floor)" : "host, 8 threads", r);
  }

  gpustd::runtime rt;
  char* dpath = device_string(big);
  int* fd = nullptr;
  long long* moved = nullptr;
  CHECK(cudaMallocManaged(&fd, sizeof *fd));
  CHECK(cudaMallocManaged(&moved, sizeof *moved));
  for (unsigned threads : {1u, 64u}) {
    ::unlink(big.c_str());
    transfer_result r{};
    device_open<<<1, 1>>>(dpath, O_RDWR | O_CREAT | O_TRUNC, fd);
    rt.synchronize();
    *moved = 0;
    auto t0 = clock_type::now();
    device_transfer<<<1, threads>>>(*fd, usrc, n, true, moved);
    rt.synchronize();
    r.write_s = seconds_since(t0);
    const bool wrote_all = static_cast<std::uint64_t>(*moved) == n;
    if (threads == 1) {  // the single thread reads from the start, as read() does
      device_close<<<1, 1>>>(*fd);
      device_open<<<1, 1>>>(dpath, O_RDONLY, fd);
      rt.synchronize();
    }
    *moved = 0;
    t0 = clock_type::now();
    device_transfer<<<1, threads>>>(*fd, udst, n, false, moved);
    rt.synchronize();
    r.read_s = seconds_since(t0);
    r.intact = wrote_all && static_cast<std::uint64_t>(*moved) == n && check_copy();
    device_close<<<1, 1>>>(*fd);
    rt.synchronize();
    rows.emplace_back(threads == 1 ? "gpustd, 1 device thread" : "gpustd, 64 device threads (pwrite/pread)", r);
  }
  ::unlink(big.c_str());
  CHECK(cudaFree(src));
  CHECK(cudaFree(dst));

  const double floor_w = rows[0].second.write_s, floor_r = rows[0].second.read_s;
  std::printf("\n%-44s %10s %8s %10s %8s %7s\n", "4 GiB device buffer <-> file", "out GB/s", "x floor", "in GB/s",
              "x floor", "intact");
  for (auto& [name, r] : rows)
    std::printf("%-44s %10.2f %8.2f %10.2f %8.2f %7s\n", name.c_str(), n / r.write_s / 1e9, floor_w / r.write_s,
                n / r.read_s / 1e9, floor_r / r.read_s, r.intact ? "yes" : "NO");

  // ---- floor for parts 2 and 3: blocking null calls from the full GPU ----
  unsigned* ubad = nullptr;
  CHECK(cudaMallocManaged(&ubad, sizeof *ubad));
  *ubad = 0;
  const unsigned tpb = 256;
  const unsigned null_blocks = resident_blocks(null_calls, tpb);
  const unsigned null_each = 20;
  auto t0 = clock_type::now();
  null_calls<<<null_blocks, tpb>>>(null_each, ubad);
  rt.synchronize();
  const double null_rate = double(null_blocks) * tpb * null_each / seconds_since(t0);

  // ---- one thread's latency: a 64-byte write against a null call ----
  const unsigned lat_n = 2000;
  unsigned long long* ns = nullptr;
  CHECK(cudaMallocManaged(&ns, lat_n * sizeof *ns));
  const std::string lat_path = dir + "/gpustd-bench-latency.txt";
  char* dlat = device_string(lat_path);
  device_open<<<1, 1>>>(dlat, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, fd);
  rt.synchronize();
  latency<<<1, 1>>>(-1, lat_n, ns);
  rt.synchronize();
  const double null_us = median_us(ns, lat_n);
  latency<<<1, 1>>>(*fd, lat_n, ns);
  rt.synchronize();
  const double write_us = median_us(ns, lat_n);
  device_close<<<1, 1>>>(*fd);
  rt.synchronize();
  ::unlink(lat_path.c_str());

  // ---- part 2: 64-byte records appended by every resident thread ----
  const std::string rec_path = dir + "/gpustd-bench-records.txt";
  ::unlink(rec_path.c_str());
  char* drec = device_string(rec_path);
  device_open<<<1, 1>>>(drec, O_WRONLY | O_CREAT | O_APPEND, fd);
  rt.synchronize();
  const unsigned rec_blocks = resident_blocks(append_records, tpb);
  const unsigned rec_each = 16;
  *ubad = 0;
  t0 = clock_type::now();
  append_records<<<rec_blocks, tpb>>>(*fd, rec_each, ubad);
  rt.synchronize();
  const double rec_s = seconds_since(t0);
  device_close<<<1, 1>>>(*fd);
  rt.synchronize();
  const std::uint64_t records = std::uint64_t(rec_blocks) * tpb * rec_each;
  struct stat st{};
  ::stat(rec_path.c_str(), &st);
  const bool records_ok = *ubad == 0 && std::uint64_t(st.st_size) == records * 64;
  ::unlink(rec_path.c_str());

  // ---- part 3: a 1 GiB text file read line by line by every resident thread ----
  const std::string text_path = dir + "/gpustd-bench-lines.txt";
  std::uint64_t text_lines = 0, text_bytes = 0;
  {
    FILE* out = std::fopen(text_path.c_str(), "w");
    std::string line;
    while (text_bytes < (1ull << 30)) {
      line = "line " + std::to_string(text_lines) + " of the benchmark text, some words\n";
      std::fwrite(line.data(), 1, line.size(), out);
      text_bytes += line.size();
      ++text_lines;
    }
    std::fclose(out);
  }
  char* dtext = device_string(text_path);
  gpustd::FILE** shared = nullptr;
  unsigned long long *lines = nullptr, *bytes = nullptr;
  CHECK(cudaMallocManaged(&shared, sizeof *shared));
  CHECK(cudaMallocManaged(&lines, sizeof *lines));
  CHECK(cudaMallocManaged(&bytes, sizeof *bytes));
  *lines = *bytes = 0;
  open_shared<<<1, 1>>>(dtext, shared);
  rt.synchronize();
  const unsigned line_blocks = resident_blocks(read_lines, tpb);
  t0 = clock_type::now();
  read_lines<<<line_blocks, tpb>>>(shared, lines, bytes);
  rt.synchronize();
  const double lines_s = seconds_since(t0);
  close_shared<<<1, 1>>>(shared);
  rt.synchronize();
  const bool lines_ok = *lines == text_lines && *bytes == text_bytes;
  ::unlink(text_path.c_str());

  std::printf("\n%-52s %12s %10s %8s %7s\n", "many threads, small requests", "per second", "x floor", "seconds",
              "intact");
  std::printf("%-52s %12.3g %10s %8s %7s\n", "floor: blocking null calls, full GPU", null_rate, "1.00", "", "");
  std::printf("%-52s %12.3g %10.2f %8.2f %7s\n", "64-byte records appended, every resident thread", records / rec_s,
              records / rec_s / null_rate, rec_s, records_ok ? "yes" : "NO");
  std::printf("%-52s %12.3g %10.2f %8.2f %7s\n", "1 GiB read by lines (fgets, one FILE), every thread",
              text_lines / lines_s, text_lines / lines_s / null_rate, lines_s, lines_ok ? "yes" : "NO");
  std::printf("%-52s %9.2f us %10.2f\n", "one thread: 64-byte write to a file (median)", write_us, write_us / null_us);
  std::printf("%-52s %9.2f us %10s\n", "one thread: null call (median; the floor)", null_us, "1.00");
  std::printf("  (%llu records by %u threads; %llu lines, %.0f MB/s of text by %u threads)\n",
              static_cast<unsigned long long>(records), rec_blocks * tpb, static_cast<unsigned long long>(text_lines),
              text_bytes / lines_s / 1e6, line_blocks * tpb);

  if (csv_path) {
    FILE* csv = std::fopen(csv_path, "w");
    std::fprintf(csv, "case,out_gbps,in_gbps,out_x_floor,in_x_floor,intact\n");
    for (auto& [name, r] : rows)
      std::fprintf(csv, "\"%s\",%.3f,%.3f,%.3f,%.3f,%d\n", name.c_str(), n / r.write_s / 1e9, n / r.read_s / 1e9,
                   floor_w / r.write_s, floor_r / r.read_s, r.intact);
    std::fprintf(csv, "\"null calls full GPU\",%.4g,,,,1\n", null_rate);
    std::fprintf(csv, "\"records appended per s\",%.4g,,%.3f,,%d\n", records / rec_s, records / rec_s / null_rate,
                 records_ok);
    std::fprintf(csv, "\"one-thread write latency us\",%.3f,,%.3f,,1\n", write_us, write_us / null_us);
    std::fprintf(csv, "\"lines read per s\",%.4g,,%.3f,,%d\n", text_lines / lines_s, text_lines / lines_s / null_rate,
                 lines_ok);
    std::fclose(csv);
  }
  bool ok = records_ok && lines_ok;
  for (auto& row : rows) ok = ok && row.second.intact;
  return ok ? 0 : 1;
}
