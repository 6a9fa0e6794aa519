// hello — every thread of a small grid says hello with gpustd::println, and
// makes one round trip to the host. Build it with nvcc for the GPU
// or as C++ against gpustd::cpu for the CPU backend (examples/cpu/hello.cpp).
#include <gpustd/gpustd.h>

#include <cstdio>

__device__ unsigned greeted;  // threads whose line was written whole

__global__ void hello() {
  // Formatted on the host by {fmt}; the line arrives whole, never mixed with another.
  if (gpustd::println("hello from block {} thread {:>3}", blockIdx.x, threadIdx.x) > 0) atomicAdd(&greeted, 1u);
  if (gpustd::null_call() != 0) gpustd::eprintln("round trip failed");
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
