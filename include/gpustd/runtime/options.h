// Options of the host runtime.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace gpustd {

// What device code may reach on the host (docs/security.md), in the manner
// of WASI's preopened directories. Off by default: an embedded runtime gives
// device code the host process's own rights.
struct sandbox_options {
  bool enabled = false;
  // Directories whose trees device code may read (open for reading, stat,
  // list) and may also write (create, write, remove, rename). Paths outside
  // all of them are refused with EACCES; resolution never leaves the
  // directory that a path names (no "..", absolute symlink, symlink
  // pointing outside or /proc magic link gets through: EACCES too).
  std::vector<std::string> read_dirs;
  std::vector<std::string> write_dirs;
  // Sockets (gpustd has none yet: recorded for when it does).
  bool network = false;
  // Bytes device code may write to files in all (0: no limit); beyond it
  // writes fail with EDQUOT.
  std::uint64_t max_bytes_written = 0;
};

struct runtime_options {
  // Threads that poll the channel. 0: GPUSTD_SERVER_THREADS when the
  // environment sets it (1 to 64), else half the hardware threads, 1 to 8.
  unsigned server_threads = 0;
  // Threads that run blocking handlers (stdin, files, user handlers marked
  // blocking): how many such requests are served at once.
  unsigned pool_threads = 8;
  // Channel slots. 0: one per warp the GPU can hold resident (SMs x max
  // warps per SM), so no two resident warps share a slot; 64 on the CPU backend.
  unsigned slots = 0;
  // Frames per slot (a power of two, >= 2): how many frames of one warp can
  // be in flight. More frames: faster fire-and-forget and streaming, more
  // pinned memory (slots x frames x 2112 bytes: 143 MB on an H100 with 8,
  // half that with 4). With every warp of a GPU sending, the host serves a
  // slot's whole window per visit, so the window sets how many sends a
  // visit serves (docs/design.md: 8 against 4, about 1.1x the sends a
  // second at full GPU).
  unsigned frames_per_slot = 8;
  // Whether the channel's frames and doorbells (slots x frames x 2112 bytes,
  // 143 MB on an H100) are asked for in 2 MiB transparent huge pages, pinned
  // with cudaHostRegister, rather than with cudaHostAlloc's 4 KiB pages:
  // under load every frame the server reads is on another page, and with
  // small pages each one costs the host a TLB miss (docs/design.md). Where
  // the kernel gives no huge pages, or registering fails, the channel is
  // allocated as before. GPUSTD_CHANNEL_HUGE_PAGES=0 turns it off. (No
  // effect on the CPU backend.)
  bool channel_huge_pages = true;
  // Largest request stream the host accepts (cells plus payloads).
  std::uint32_t max_request_bytes = 64u << 20;
  // Host memory that requests longer than one frame may hold while they are
  // reassembled, all warps together (raised to max_request_bytes if lower).
  // A new long request waits in the channel until there is room.
  std::uint64_t reassembly_budget_bytes = 1ull << 30;
  // Host file descriptors that the device's stdout (1) and stderr (2) write to.
  int stdout_fd = 1;
  int stderr_fd = 2;
  // Host file descriptor the device's stdin reads from.
  int stdin_fd = 0;
  // Files. Descriptors the device may hold open at once (EMFILE beyond).
  unsigned max_open_files = 1024;
  // Which files device code may reach (see sandbox_options).
  sandbox_options sandbox;
  // Host threads that move bulk transfers (reads and writes of device global
  // memory of protocol::bulk_min_bytes or more), chunk by chunk in parallel,
  // and the chunk size. Each thread holds one chunk of pinned staging,
  // allocated when the runtime starts (io_threads x bulk_chunk_bytes).
  unsigned io_threads = 8;
  std::size_t bulk_chunk_bytes = 4u << 20;
  // Futures of asynchronous typed hostcalls (gpustd::async_call) that may be
  // pending at once, all threads together (64 bytes of pinned memory each;
  // rounded up to a multiple of 256). Threads take them in groups of 8; a
  // call that finds no free group is made at once, blocking. A thread's
  // first gpustd::async_batch in flight is answered in lines of its own
  // (batch_lanes, below); a second one in flight at the same time holds a
  // group, and one that finds none makes its calls one by one, blocking.
  std::uint32_t future_slots = 65536;
  // Whether each thread the GPU can hold resident has answer lines of its
  // own, where its first gpustd::async_batch in flight is answered (a second
  // one in flight at once takes a group of future_slots): no group to take
  // and give back, and a warp's answers read in whole lines
  // (docs/hostcalls.md, "Batches of asynchronous calls"). 128 bytes of
  // pinned memory a thread (35 MB on an H100), and 4 bytes of device memory.
  bool batch_lanes = true;
  // Whether the host moves large span arguments and file transfers to and
  // from device memory by DMA. Off (and off with CUDA_LAUNCH_BLOCKING=1,
  // where a copy would wait for the kernel that waits for it), they travel
  // through the channel instead, and out_span elements through the return
  // area below.
  bool bulk_transfers = true;
  // Pinned host memory through which typed hostcalls' out_span elements
  // come back when the host cannot write device memory (no DMA, above):
  // each such call holds a region the size of its out_spans while it runs.
  // 0: none (such calls fail with ENOSYS).
  std::uint64_t return_area_bytes = 1u << 20;
  // Device memory for argv and the environment together (a program's
  // launcher refuses larger ones with a message).
  std::uint64_t max_argument_bytes = 4u << 20;
  // Where the runtime reports problems (each kind once).
  int log_fd = 2;
  // A line per request served (as strace prints), and a table of counts and
  // latency percentiles per operation when the runtime ends, to trace_fd
  // (-1: log_fd). The environment turns them on too: GPUSTD_TRACE=1 (or
  // =FILE, appended to), GPUSTD_STATS=1 (docs/tracing.md). Off: free.
  bool trace = false;
  bool stats = false;
  int trace_fd = -1;
  // After the last request, how long a server thread keeps polling before it
  // starts to sleep (microseconds); its sleeps then double up to max_sleep_us.
  unsigned spin_us = 2000;
  unsigned max_sleep_us = 1000;
  // How long the host waits for the stores of a request published without a
  // fence (a sealed frame: docs/design.md) to arrive before it answers the
  // request EPROTO as malformed (microseconds). They take about a
  // microsecond; only a kernel that writes a frame wrong ever waits this long.
  unsigned frame_wait_us = 20000;
};

}  // namespace gpustd
