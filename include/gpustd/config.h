// gpustd/config.h — which backend this translation unit is compiled for.
//
// CUDA backend: the unit is compiled by nvcc (__CUDACC__); device code runs on
// the GPU. CPU backend: the unit is plain C++; "device" code runs on CPU
// threads that emulate lanes and warps (see gpustd/platform/cpu/).
#pragma once

#if defined(__CUDACC__)
#define GPUSTD_BACKEND_CUDA 1
#define GPUSTD_BACKEND_CPU 0
#else
#define GPUSTD_BACKEND_CUDA 0
#define GPUSTD_BACKEND_CPU 1
#endif

// Compiling the device pass of a CUDA unit.
#if defined(__CUDA_ARCH__)
#define GPUSTD_DEVICE_PASS 1
#else
#define GPUSTD_DEVICE_PASS 0
#endif

#if GPUSTD_BACKEND_CUDA
#define GPUSTD_DEVICE __device__
#define GPUSTD_HOST_DEVICE __host__ __device__
#define GPUSTD_INLINE __device__ __forceinline__
#define GPUSTD_NOINLINE __device__ __noinline__ inline
#else
#define GPUSTD_DEVICE
#define GPUSTD_HOST_DEVICE
#define GPUSTD_INLINE inline
#define GPUSTD_NOINLINE inline
#endif

namespace gpustd {
// Threads per warp on both backends.
inline constexpr unsigned warp_size = 32;
}  // namespace gpustd
