// The common CUDA runtime calls on the CPU backend, so that host code around
// kernels compiles unchanged: device memory is ordinary memory, copies are
// memcpy, and synchronisation is immediate (CPU launches return when the
// grid is done).
#pragma once
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <new>

enum cudaError_t { cudaSuccess = 0, cudaErrorMemoryAllocation = 2, cudaErrorInvalidValue = 1 };
enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4
};
using cudaStream_t = struct cpu_stream*;
inline constexpr unsigned cudaMemAttachGlobal = 1;

inline const char* cudaGetErrorString(cudaError_t e) {
  switch (e) {
    case cudaSuccess: return "no error";
    case cudaErrorMemoryAllocation: return "out of memory";
    default: return "invalid argument";
  }
}
inline const char* cudaGetErrorName(cudaError_t e) {
  return e == cudaSuccess ? "cudaSuccess" : e == cudaErrorMemoryAllocation ? "cudaErrorMemoryAllocation"
                                                                           : "cudaErrorInvalidValue";
}
template <class T>
cudaError_t cudaMalloc(T** p, std::size_t n) {
  if (!p) return cudaErrorInvalidValue;
  *p = static_cast<T*>(std::aligned_alloc(256, (n + 255) & ~std::size_t(255)));
  return *p || n == 0 ? cudaSuccess : cudaErrorMemoryAllocation;
}
template <class T>
cudaError_t cudaMallocManaged(T** p, std::size_t n, unsigned = cudaMemAttachGlobal) { return cudaMalloc(p, n); }
template <class T>
cudaError_t cudaMallocHost(T** p, std::size_t n) { return cudaMalloc(p, n); }
inline cudaError_t cudaFree(void* p) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaFreeHost(void* p) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* d, const void* s, std::size_t n, cudaMemcpyKind) {
  if (n) std::memmove(d, s, n);
  return cudaSuccess;
}
inline cudaError_t cudaMemset(void* d, int v, std::size_t n) {
  std::memset(d, v, n);
  return cudaSuccess;
}
template <class T>
cudaError_t cudaMemcpyToSymbol(T& sym, const void* s, std::size_t n, std::size_t off = 0,
                               cudaMemcpyKind = cudaMemcpyHostToDevice) {
  std::memcpy(reinterpret_cast<char*>(&sym) + off, s, n);
  return cudaSuccess;
}
template <class T>
cudaError_t cudaMemcpyFromSymbol(void* d, const T& sym, std::size_t n, std::size_t off = 0,
                                 cudaMemcpyKind = cudaMemcpyDeviceToHost) {
  std::memcpy(d, reinterpret_cast<const char*>(&sym) + off, n);
  return cudaSuccess;
}
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaPeekAtLastError() { return cudaSuccess; }
