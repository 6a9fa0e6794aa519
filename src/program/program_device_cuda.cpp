#include <cuda_runtime.h>

#include "program_device.h"

namespace gpustd::detail {

program_device probe_program_device() {
  program_device d;
  int n = 0;
  if (cudaError_t e = cudaGetDeviceCount(&n); e != cudaSuccess || n == 0) {
    d.error = e != cudaSuccess ? cudaGetErrorString(e) : "no CUDA device";
    cudaGetLastError();
    return d;
  }
  int dev = 0;
  cudaDeviceProp p{};
  if (cudaError_t e = cudaGetDevice(&dev); e == cudaSuccess) e = cudaGetDeviceProperties(&p, dev);
  d.present = true;
  d.name = p.name;
  d.sms = static_cast<unsigned>(p.multiProcessorCount);
  d.max_threads = static_cast<unsigned>(p.maxThreadsPerBlock);
  return d;
}

void* make_program_stream() {
  cudaStream_t s = nullptr;
  if (cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking) != cudaSuccess) {
    cudaGetLastError();
    return nullptr;
  }
  return s;
}

}  // namespace gpustd::detail
