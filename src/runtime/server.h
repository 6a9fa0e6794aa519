// The polling side of the host runtime: finds published frames, reassembles
// requests, validates them and dispatches them to handlers.
//
// Each server thread owns a contiguous range of slots and serves each slot's
// frames in sequence order. Nothing in a frame is trusted: sequence numbers,
// lengths, masks and cells are checked before use, and a bad request gets an
// error status (and one log line), never a crash.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "blocking_pool.h"
#include "channel_memory.h"
#include "handler_table.h"
#include "gpustd/runtime/runtime.h"
#include "runtime_log.h"
#include "tracer.h"
#include "work_sharing.h"

namespace gpustd::detail {

class server {
 public:
  // `reassembly_budget`: bytes that requests spread over several frames may
  // hold on the host at once, all slots together (at least max_request_bytes).
  // A new long request waits in its frames while the budget is spent, so a
  // hostile kernel cannot make the host allocate slots x max_request_bytes.
  server(const channel_host& channel, handler_table& handlers, blocking_pool& pool, runtime_log& log,
         std::uint64_t reassembly_budget = 1ull << 30);
  ~server();  // stops the threads

  // Traces every request served from now on (null: none). Before start().
  void set_tracer(tracer* t) noexcept { tracer_ = t; }
  // Threads with no work of their own help with jobs posted here (null:
  // none). Before start().
  void set_sharing(work_sharing* w) noexcept { sharing_ = w; }
  // How long a published frame may take to arrive whole (a sealed frame's
  // stores, protocol/seal.h) before it is answered EPROTO. Before start().
  void set_frame_wait(std::chrono::microseconds t) noexcept {
    frame_wait_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(t).count();
  }

  // Starts `threads` polling threads (0: none; the owner then calls poll()).
  void start(unsigned threads, unsigned spin_us, unsigned max_sleep_us);
  void stop();

  // Counters, one set per thread that serves (no shared cache line, no
  // locked instruction on the hot path).
  struct alignas(64) counters {
    std::atomic<std::uint64_t> requests{0}, frames{0}, errors{0}, not_yet_whole{0};
    static void bump(std::atomic<std::uint64_t>& n) { n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed); }
  };

  // Serves every frame published on slots [first, last); true if there was
  // one. `who`: 0 for poll_all(), 1 + t for server thread t (its counters
  // and its recently served slots).
  bool poll(std::uint32_t first, std::uint32_t last, unsigned who);
  bool poll_all() { return poll(0, channel_.slot_count, 0); }
  // True when every published frame has been served and no handler runs.
  bool drained() const;
  // True when every published frame has been served and blocking handlers
  // hold at most `busy_allowed` slots (the caller's own among them).
  bool quiet(unsigned busy_allowed) const;

  runtime_stats stats() const;
  std::uint64_t reassembly_bytes() const noexcept { return reassembly_bytes_.load(std::memory_order_acquire); }

 private:
  struct assembly;
  // A slot's progress word still to be moved (server.cpp, serve_slot): the
  // fire-and-forget frames served directly on one visit move it once, after
  // the last of them, rather than once each.
  struct progress_due {
    std::uint32_t seq = 0;
    bool due = false;
  };
  // Moves the progress word if it is due (before anything else answers or
  // releases a later frame of the slot, so that it only moves forward).
  [[gnu::always_inline]] void settle(std::uint32_t slot, progress_due& d) {
    if (d.due) release_frame(slot, d.seq);
    d.due = false;
  }
  // Frame `f`, the slot's for `seq`. false: it must wait (no reassembly
  // budget yet, or it has not all arrived); nothing was consumed.
  [[gnu::always_inline]] bool consume(std::uint32_t slot, std::uint32_t seq, protocol::frame_ref f, counters& c,
                                      progress_due& due);
  // consume's rarer cases: a frame not yet whole, or one of several.
  [[gnu::noinline]] bool consume_frame(std::uint32_t slot, std::uint32_t seq, protocol::frame_ref f,
                                       protocol::frame_header h, counters& c);
  // The slots one thread served last (server.cpp, serve_recent).
  struct alignas(64) recent_slots {
    static constexpr std::uint32_t size = 8, every = 256;  // (every: a power of two)
    std::uint32_t slot[size] = {~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u, ~0u};
    std::uint32_t next = 0;
    // (A slot may be noted more than once: one warp calling alone fills the
    // list; looking at it twice costs less than checking on every request.)
    void note(std::uint32_t s) noexcept { slot[next++ % size] = s; }
  };
  // The send a thread served last (server.cpp, serve_run), kept from one
  // slot's run to the next within a poll: its first header word without
  // the sequence number (operation and flags), and its operation's direct
  // handler. A send like it is known by that word alone.
  struct send_path {
    std::uint64_t key = 0;
    bool sealed = false;
    std::uint16_t op = 0;
    const handler_entry* entry = nullptr;  // (null: none yet)
  };
  [[gnu::always_inline]] bool serve_slot(std::uint32_t slot, counters& c, send_path& sp);
  // Several frames waiting on a slot: serves those in a row that are whole
  // one-frame requests of a direct handler (server.cpp); returns the newest
  // sequence number served.
  [[gnu::always_inline]] std::uint32_t serve_run(std::uint32_t slot, std::uint32_t done, std::uint32_t bell,
                                                 counters& c, send_path& sp, progress_due& due);
  struct send_run;
  // Sends in a row like the one before, from `seq` on (server.cpp); returns
  // how many it served.
  [[gnu::noinline]] std::uint32_t serve_sends(send_run& r, std::uint32_t seq, std::uint32_t bell);
  bool serve_recent(std::uint32_t first, std::uint32_t last, recent_slots& r, counters& c, send_path& sp);
  bool charge(std::uint64_t bytes);
  void release_assembly(std::uint32_t slot);
  // A send's direct handler answered `answer` (below 0: an error, or per
  // lane in `a`): its failed lanes logged (serve_sends, serve_direct).
  [[gnu::cold, gnu::noinline]] void send_failed(const protocol::frame_header& h, std::int64_t answer,
                                                const direct_answers& a);
  // A fire-and-forget request's failed lanes (`count` statuses), logged once
  // per operation and status.
  [[gnu::cold, gnu::noinline]] void log_failed_sends(std::uint16_t op, std::uint32_t block, unsigned count,
                                                     const std::int64_t* status);
  void dispatch(std::uint32_t slot, std::uint32_t last_seq, const unsigned char* stream, std::uint64_t bytes,
                const protocol::frame_header& h, counters& c, const handler_entry* e);
  // A one-frame request through its operation's direct handler
  // (runtime/direct.h); false when it declined.
  [[gnu::always_inline]] bool serve_direct(std::uint32_t slot, std::uint32_t seq, protocol::frame_ref f, const protocol::frame_header& h,
                    const handler_entry& e, counters& c, progress_due& due);
  void answer_error(std::uint32_t slot, std::uint32_t seq, const protocol::frame_header& h, std::int64_t status);
  [[gnu::always_inline]] void finish(std::uint32_t slot, protocol::frame_ref f, std::uint32_t seq,
                                     std::int32_t uniform_status, bool device_waits);
  [[gnu::always_inline]] void release_frame(std::uint32_t slot, std::uint32_t seq);
  void complete(std::uint32_t slot, std::uint32_t last_seq, const request& r);
  void run_handler(const handler_entry& e, request& r, counters& c);
  std::uint32_t served(std::uint32_t s) const noexcept {
    return std::atomic_ref<std::uint32_t>(served_[s]).load(std::memory_order_acquire);
  }
  bool busy(std::uint32_t s) const noexcept {
    return std::atomic_ref<std::uint8_t>(busy_[s]).load(std::memory_order_acquire) != 0;
  }
  void serve_loop(unsigned index, std::uint32_t first, std::uint32_t last, unsigned spin_us, unsigned max_sleep_us);
  bool pending(std::uint32_t first, std::uint32_t last) const;
  void wake_parked();
  void malformed(const protocol::frame_header& h, std::uint32_t slot, const char* why, counters& c);

  channel_host channel_;
  handler_table& handlers_;
  blocking_pool& pool_;
  runtime_log& log_;
  tracer* tracer_ = nullptr;
  work_sharing* sharing_ = nullptr;
  // Hot, dense, scanned on every poll: the newest sequence number served per
  // slot (written by the owning thread, release) and whether a blocking
  // handler holds the slot (set by the owner, cleared by the pool, release).
  std::unique_ptr<std::uint32_t[]> served_;
  std::unique_ptr<std::uint8_t[]> busy_;
  // Per slot, the body length of the last frame served there: a guess at the
  // next one's, so that polling can prefetch a body before its header has
  // arrived (written by the thread that serves the slot only).
  std::unique_ptr<std::uint16_t[]> body_hint_;
  // Whether the slot is in the middle of a multi-frame request (dense: every
  // request looks, where only long ones touch assembly_), then that request's
  // reassembly, per slot. Both touched only by the thread serving the slot.
  std::unique_ptr<std::uint8_t[]> assembling_;
  std::unique_ptr<assembly[]> assembly_;
  std::uint64_t reassembly_budget_;
  std::int64_t frame_wait_ns_ = 20'000'000;
  std::atomic<std::uint64_t> reassembly_bytes_{0};  // charged now, all slots (acq_rel updates)
  // [0]: poll_all(); [1 + t]: thread t; [1 + max]: the pool (errors only).
  // requests and frames have one writer each; errors are added atomically.
  std::unique_ptr<counters[]> counters_;
  std::unique_ptr<recent_slots[]> recent_;  // indexed as counters_
  std::vector<std::thread> threads_;
  unsigned threads_count_ = 0;
  std::atomic<bool> stopping_{false};
  // Idle threads other than thread 0 park here; thread 0 (the watchman) keeps
  // polling at a low rate and wakes them when their slots have work.
  std::mutex park_mutex_;
  std::condition_variable park_cv_;
  std::uint64_t wake_generation_ = 0;  // guarded by park_mutex_
  static constexpr unsigned max_threads_ = 64;
};

}  // namespace gpustd::detail
