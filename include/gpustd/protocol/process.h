// The process block: state of the program as a whole that device code reads
// without a round trip. The runtime allocates it in device memory when it
// starts (one per runtime) and publishes its address in the channel view.
// Header-only and freestanding; both sides include this file.
#pragma once
#include <cstdint>

#include "gpustd/config.h"

namespace gpustd::protocol {

// system_clock on the device: the host's CLOCK_REALTIME as an offset from the
// device timer, measured by one round trip and refreshed when it is older
// than clock_refresh_ns (time/chrono.h).
struct clock_cache {
  std::int64_t offset_ns;    // host realtime - device timer, at the last measurement; 0: never measured
  std::uint64_t synced_at;   // device timer of that measurement
  std::uint32_t refreshing;  // 1 while one thread measures (the others keep the old offset)
  // Nanoseconds per tick of the cycle counter at the peak clock, 16.16
  // fixed point, rounded down; set by the host (0: no per-block copies).
  std::uint32_t cycle_ns_q16;
};
inline constexpr std::uint64_t clock_refresh_ns = 50'000'000;  // 50 ms

// Each block's own reading of the host's clock, in its shared memory (a
// static per emulated lane on the CPU backend): the realtime at a moment and
// the block's cycle counter (clock64: its SM's, so every thread of the block
// reads the same counter) at that moment. Within block_clock_window_cycles
// of it, system_clock is that time plus the cycles since, counted at the
// peak clock: the %globaltimer read (about 90 ns on an H100) is left out of
// the fast path. A tick takes at least the peak's nanoseconds, so the
// extrapolation never runs ahead of the timer; it lags by at most the
// window's time at the lowest clock less its time at the peak (about 40 us
// at 345 MHz on an H100; nothing at the peak), and the next reading catches
// up. Shared memory starts with whatever the last block left: `check` tells
// a reading from leftover bytes or from two writers' halves.
struct block_clock {
  std::int64_t base_ns;        // host realtime at the reading
  std::uint64_t base_cycles;   // cycle counter at the reading (read after the timer)
  std::uint64_t rate_check;    // cycle_ns_q16 << 32 | 32-bit check of the three
};
inline constexpr std::uint64_t block_clock_check = 0x9e3779b97f4a7c15ull;
inline constexpr std::uint64_t block_clock_window_cycles = 16384;  // 8.3 us at 1.98 GHz
GPUSTD_HOST_DEVICE constexpr std::uint32_t block_clock_fold(std::int64_t base_ns, std::uint64_t cycles,
                                                            std::uint32_t rate) {
  const std::uint64_t x = static_cast<std::uint64_t>(base_ns) ^ (cycles * 0x9e3779b97f4a7c15ull) ^ block_clock_check ^ rate;
  return static_cast<std::uint32_t>(x ^ (x >> 32));
}
// A barrier across every thread of a program (program/main.h).
struct grid_barrier_state {
  std::uint32_t arrived;     // blocks arrived in this generation
  std::uint32_t generation;  // bumped (release) by the last block to arrive
};

struct process_state {
  // Arguments and environment, in device memory, each list ending in null.
  // argv is set by a program's launcher (program/main.h); envp is the host
  // process's environment when the runtime started.
  std::int32_t argc;
  std::int32_t reserved0;
  char** argv;
  char** envp;
  // How the threads' return values from main combine into the exit code: the
  // least of (rank << 8 | code & 255) over threads that returned non-zero,
  // so the lowest-ranked thread's code wins. ~0: every thread returned 0.
  std::uint64_t exit_word;
  grid_barrier_state barrier;
  clock_cache clock;
};
inline constexpr std::uint64_t exit_word_none = ~0ull;

}  // namespace gpustd::protocol
