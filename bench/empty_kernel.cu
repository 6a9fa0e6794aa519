// The floor for empty_program: a plain CUDA program that launches an empty
// kernel and waits for it.
#include <cstdio>

__global__ void empty() {}

int main() {
  empty<<<1, 1>>>();
  const cudaError_t e = cudaDeviceSynchronize();
  if (e != cudaSuccess) {
    std::fprintf(stderr, "empty_kernel: %s\n", cudaGetErrorString(e));
    return 1;
  }
  return 0;
}
