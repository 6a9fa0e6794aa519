// The process block: state of the program as a whole that device code reads
// without a round trip. The runtime allocates it in device memory when it
// starts (one per runtime) and publishes its address in the channel view.
// Header-only and freestanding; both sides include this file.
#pragma once
#include <cstdint>

namespace gpustd::protocol {

// system_clock on the device: the host's CLOCK_REALTIME as an offset from the
// device timer, measured by one round trip and refreshed when it is older
// than clock_refresh_ns (time/chrono.h).
struct clock_cache {
  std::int64_t offset_ns;    // host realtime - device timer, at the last measurement; 0: never measured
  std::uint64_t synced_at;   // device timer of that measurement
  std::uint32_t refreshing;  // 1 while one thread measures (the others keep the old offset)
  std::uint32_t reserved;
};
inline constexpr std::uint64_t clock_refresh_ns = 50'000'000;  // 50 ms

// Each block's own copy of the offset, in its shared memory (a static on
// the CPU backend), taken again from clock_cache when older than
// block_clock_refresh_ns. Shared memory starts with whatever the last block
// left: `check` (offset ^ copied_at ^ block_clock_check) tells a copy from
// leftover bytes or from two writers' halves.
struct block_clock {
  std::int64_t offset_ns;
  std::uint64_t copied_at;  // device timer
  std::uint64_t check;
};
inline constexpr std::uint64_t block_clock_check = 0x9e3779b97f4a7c15ull;
inline constexpr std::uint64_t block_clock_refresh_ns = 1'000'000;  // 1 ms
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
