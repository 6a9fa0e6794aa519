// The CPU backend's emulation of the GPU execution model.
//
// Every emulated GPU thread (a "lane") is an OS thread. Lanes are grouped in
// warps of 32 and blocks as on the GPU. Warp collectives (shuffle, ballot,
// match, syncwarp) are rendezvous among the named lanes, and __activemask()
// groups the lanes that reach the same call site together, so that the
// warp-coalescing code paths of gpustd run here as they do on a GPU.
//
// Convergence rule for active_mask(): a lane arriving at a call site waits
// until no lane of its warp is running (each has exited, or waits in a
// collective, a block barrier or active_mask), then leaves together with all
// lanes waiting at the same site. If a lane keeps running for longer than a
// short grace period (a spin loop), the waiting lanes leave without it. Both
// outcomes are legal under independent thread scheduling, where the hardware
// may reconverge any subset of a warp.
#pragma once
#include <cstdint>
#include <functional>
#include <stdexcept>

namespace gpustd::cpu {

struct warp_state;
struct block_state;

// The calling OS thread's identity as an emulated lane; null outside a launch.
struct lane_context {
  warp_state* warp = nullptr;
  block_state* block = nullptr;
  unsigned lane = 0;                 // 0..31
  std::uint32_t block_index = 0;     // linear block index in the grid
  std::uint32_t warp_in_block = 0;
  std::uint32_t global_warp = 0;     // block_index * warps per block + warp_in_block
  // Unique among the warps running at once in the process (grids launched
  // from several host threads too), below resident_warp_capacity; no_warp
  // when more warps run than that.
  std::uint32_t resident_warp = 0;
};
inline constexpr std::uint32_t resident_warp_capacity = 256;
inline constexpr std::uint32_t no_resident_warp = ~0u;
lane_context* current_lane() noexcept;

// See the convergence rule above. `site` identifies the call site.
std::uint32_t active_mask(const void* site);
// Every lane in `mask` (which must include the caller) contributes `value`;
// each receives all contributions, indexed by lane.
void collective(std::uint32_t mask, std::uint64_t value, std::uint64_t (&all)[32]);
// __syncthreads(): a barrier for every thread of the block that has not exited.
void block_barrier();
// Calling thread's lane; 0 outside a launch (a lone thread is a warp of one).
unsigned lane_id() noexcept;

struct grid_shape {
  unsigned gx = 1, gy = 1, gz = 1;  // blocks
  unsigned bx = 1, by = 1, bz = 1;  // threads per block
};

struct launch_config {
  // How many blocks run at once. The default 1 keeps `__shared__` variables
  // (emulated as function-level statics) private to the running block; kernels
  // without `__shared__` may raise it (environment: GPUSTD_CPU_BLOCKS).
  unsigned concurrent_blocks = 0;  // 0: from GPUSTD_CPU_BLOCKS, else 1
  // Stack size of each lane thread.
  std::size_t stack_bytes = 1u << 20;
};

// What a lane throws for a device fault (__trap()); run_grid rethrows it.
struct device_fault : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs `body` once per thread of the grid; returns when every thread has
// finished. An exception thrown by a lane is rethrown here after the grid ends.
void run_grid(const grid_shape& shape, const std::function<void()>& body, const launch_config& cfg = {});

}  // namespace gpustd::cpu
