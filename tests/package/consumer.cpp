// Built against an installed or exported gpustd: one warp writes a line.
#include <gpustd/gpustd.h>

#include <cstdio>

__global__ void greet(int* ok) {
  if (gpustd::write(1, "consumer: hello\n", 16) == 16) atomicAdd(ok, 1);
}

int main() {
  gpustd::runtime rt;
  int* ok;
  cudaMallocManaged(&ok, sizeof(int));
  *ok = 0;
  gpustd::launch(greet, 1, 32, ok);
  rt.synchronize();
  std::printf("consumer: %d of 32\n", *ok);
  const int r = *ok == 32 ? 0 : 1;
  cudaFree(ok);
  return r;
}
