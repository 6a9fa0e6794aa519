// hello — every thread of a small grid says hello through gpustd::write, and
// each warp reports one round trip to the host. Build it with nvcc for the GPU
// or as C++ against gpustd::cpu for the CPU backend (examples/cpu/hello.cpp).
#include <gpustd/gpustd.h>

#include <cstdio>

__device__ int format_line(char* out, unsigned block, unsigned thread) {
  // A tiny formatter: "hello from block B thread T\n" (formatted printing
  // comes with the console API).
  const char* prefix = "hello from block ";
  int n = 0;
  for (const char* p = prefix; *p; ++p) out[n++] = *p;
  auto put_number = [&](unsigned v) {
    char digits[10];
    int d = 0;
    do {
      digits[d++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v);
    while (d) out[n++] = digits[--d];
  };
  put_number(block);
  for (const char* p = " thread "; *p; ++p) out[n++] = *p;
  put_number(thread);
  out[n++] = '\n';
  return n;
}

__device__ unsigned greeted;  // threads whose line was written whole

__global__ void hello() {
  char line[64];  // local memory: copied through the channel
  const int n = format_line(line, blockIdx.x, threadIdx.x);
  if (gpustd::write(gpustd::stdout_fileno, line, n) == n) atomicAdd(&greeted, 1u);
  if (gpustd::null_call() != 0) gpustd::write(gpustd::stderr_fileno, "round trip failed\n", 18);
}

int main() {
  try {
    gpustd::runtime rt;
    const unsigned blocks = 2, threads = 64;
    gpustd::launch(hello, blocks, threads);
    rt.synchronize();
    unsigned ok = 0;
    cudaMemcpyFromSymbol(&ok, greeted, sizeof ok);
    std::printf("%u of %u threads said hello in %llu requests\n", ok, blocks * threads,
                static_cast<unsigned long long>(rt.stats().requests));
    if (ok != blocks * threads) return 1;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "hello: %s\n", e.what());
    return 1;
  }
  return 0;
}
