// gpustd::launch — launch a kernel on either backend.
//
//   gpustd::launch(kernel, grid, block, args...);
//   gpustd::launch(options, kernel, grid, block, args...);
//
// CUDA: a normal launch (kernel<<<grid, block, shared_bytes, stream>>>),
// asynchronous as usual; errors in the launch itself throw runtime_error.
// CPU backend: runs the grid on emulated lanes and returns when it is done.
#pragma once
#include <string>
#include <utility>

#include "gpustd/config.h"
#include "gpustd/runtime/runtime.h"
#if GPUSTD_BACKEND_CUDA
#include <cuda_runtime.h>
#else
#include "gpustd/platform/cpu/cuda_compat.h"
#include "gpustd/platform/cpu/emulator.h"
#endif

namespace gpustd {

struct launch_options {
#if GPUSTD_BACKEND_CUDA
  std::size_t shared_bytes = 0;
  cudaStream_t stream = nullptr;
#else
  cpu::launch_config cpu;
#endif
};

template <class... Params, class... Args>
void launch(const launch_options& opts, void (*kernel)(Params...), dim3 grid, dim3 block, Args&&... args) {
#if GPUSTD_BACKEND_CUDA
  kernel<<<grid, block, opts.shared_bytes, opts.stream>>>(std::forward<Args>(args)...);
  if (cudaError_t e = cudaGetLastError(); e != cudaSuccess)
    throw runtime_error(std::string("gpustd::launch: ") + cudaGetErrorString(e));
#else
  cpu::grid_shape g{grid.x, grid.y, grid.z, block.x, block.y, block.z};
  cpu::run_grid(g, [&] { kernel(args...); }, opts.cpu);
#endif
}

template <class... Params, class... Args>
void launch(void (*kernel)(Params...), dim3 grid, dim3 block, Args&&... args) {
  launch(launch_options{}, kernel, grid, block, std::forward<Args>(args)...);
}

}  // namespace gpustd
