// Programs whose main runs on the GPU.
//
//   #include <gpustd/gpustd.h>
//
//   GPUSTD_MAIN(int argc, char** argv) {        // or GPUSTD_MAIN()
//     gpustd::println("hello from thread {} of {}", gpustd::program::rank(), gpustd::program::size());
//     return 0;
//   }
//
// Build it with the gpustd_program() CMake function (or link gpustd::main
// beside gpustd::gpustd): the library supplies the host's main, which starts
// a runtime, copies argv and the environment to the device, launches the
// program and exits with its code. Run it like any command:
//
//   ./prog [--gpustd-blocks=N|all] [--gpustd-threads=N] args...
//
// The model is SPMD, as LLVM's GPU loader: every thread of the launch runs
// main. The launch is one-dimensional (blocks x threads), 1 x 1 unless the
// program states its own default with GPUSTD_PROGRAM_SHAPE(blocks, threads)
// (blocks may be gpustd::program::all_blocks: as many as can be resident)
// or the command line overrides it. All blocks are resident at once (the
// launcher refuses a shape that cannot be), so threads may wait for each
// other: gpustd::program::barrier() is a barrier across the whole program.
//
// Exit code: 0 when every thread returns 0; otherwise the code of the
// lowest-ranked thread that returned non-zero (& 255, as a process's).
// gpustd::exit, abort and GPUSTD_ASSERT (program/exit.h) end the program from
// any thread. See docs/programs.md for the launcher's options and exit codes.
#pragma once
#include <cstdint>

#include "gpustd/config.h"
#include "gpustd/platform/atomic.h"
#include "gpustd/platform/lane.h"
#include "gpustd/program/entry.h"
#include "gpustd/protocol/channel_symbol.h"
#include "gpustd/protocol/process.h"
#include "gpustd/runtime/launch.h"

namespace gpustd::program {

inline constexpr unsigned all_blocks = 0;

// This thread's number in the program, 0 .. size()-1, and the thread count.
GPUSTD_INLINE unsigned rank() { return blockIdx.x * blockDim.x + threadIdx.x; }
GPUSTD_INLINE unsigned size() { return gridDim.x * blockDim.x; }

// Waits until every thread of the program has called it (each thread must,
// as with __syncthreads); memory written before it is visible after it to
// every thread. In a program's main only (kernels launched otherwise have no
// guarantee that all their blocks are resident).
GPUSTD_NOINLINE void barrier() {
  __syncthreads();
  if (threadIdx.x == 0) {
    protocol::grid_barrier_state& b = protocol::channel().process->barrier;
    platform::fence_device();  // the block's writes (seen through __syncthreads) before the arrival
    const std::uint32_t generation = platform::load_acquire_device(b.generation);
    if (platform::fetch_add_acq_rel_device(b.arrived, 1u) == gridDim.x - 1) {
      platform::store_relaxed_device(b.arrived, 0u);  // ordered before the release below
      platform::store_release_device(b.generation, generation + 1);
    } else {
      while (platform::load_acquire_device(b.generation) == generation) platform::short_sleep(64);
    }
    platform::fence_device();
  }
  __syncthreads();
}

}  // namespace gpustd::program

namespace gpustd::program_detail {

// A thread's return from main, combined as the top of this file says.
GPUSTD_INLINE void thread_returned(int code) {
  if ((code & 255) == 0) return;
  protocol::process_state* p = protocol::channel().process;
  if (p)
    platform::fetch_min_relaxed_device(p->exit_word,
                                       (std::uint64_t(program::rank()) << 8) | static_cast<unsigned>(code & 255));
}

GPUSTD_INLINE void run_main(int (*main)(int, char**)) {
  const protocol::process_state* p = protocol::channel().process;
  thread_returned(p ? main(p->argc, p->argv) : main(0, nullptr));
}
GPUSTD_INLINE void run_main(int (*main)()) { thread_returned(main()); }

template <void (*Kernel)()>
const char* launch_kernel(unsigned blocks, unsigned threads, void* stream) {
#if GPUSTD_BACKEND_CUDA
  Kernel<<<blocks, threads, 0, static_cast<cudaStream_t>(stream)>>>();
  const cudaError_t e = cudaGetLastError();
  return e == cudaSuccess ? "" : cudaGetErrorString(e);
#else
  (void)stream;
  launch_options o;
  o.cpu.concurrent_blocks = blocks;  // all resident at once, as on the GPU
  launch(o, Kernel, dim3(blocks), dim3(threads));
  return "";
#endif
}
template <void (*Kernel)()>
int blocks_per_sm(unsigned threads) {
#if GPUSTD_BACKEND_CUDA
  int n = 0;
  if (cudaOccupancyMaxActiveBlocksPerMultiprocessor(&n, Kernel, static_cast<int>(threads), 0) != cudaSuccess) {
    cudaGetLastError();
    return 0;
  }
  return n;
#else
  (void)threads;
  return 0;
#endif
}

}  // namespace gpustd::program_detail

// Defines the program's main (see the top of this file). The parameter list
// is () or (int argc, char** argv).
#define GPUSTD_MAIN(...)                                                                                     \
  GPUSTD_DEVICE int gpustd_program_main(__VA_ARGS__);                                                       \
  __global__ void gpustd_program_kernel() { ::gpustd::program_detail::run_main(&gpustd_program_main); }     \
  static ::gpustd::program_detail::program_registrar gpustd_program_registration{                           \
      {&::gpustd::program_detail::launch_kernel<gpustd_program_kernel>,                                     \
       &::gpustd::program_detail::blocks_per_sm<gpustd_program_kernel>}};                                   \
  GPUSTD_DEVICE int gpustd_program_main(__VA_ARGS__)

// The program's default launch shape (the command line can override it).
#define GPUSTD_PROGRAM_SHAPE(blocks, threads) \
  static ::gpustd::program_detail::shape_registrar gpustd_program_shape_registration{(blocks), (threads)}
