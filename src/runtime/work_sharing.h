// Spreading one request's independent parts over the server threads that
// have nothing else to do.
//
// A batch of queued asynchronous calls (queued_calls.h) holds up to 256
// calls, 32 lanes x 8; served one after another by the thread that polled
// it, the last lane's answers came about 10 us after the first lane's on the
// GPU machine's host (40 ns a call). run() posts such a request's lanes, in
// parts of several lanes (queued_calls::share_part_calls), as parts that idle
// server threads claim one at a time (help()), works on them itself, and
// returns when all are done: the request finishes before the thread serves
// the slot's next one, so one device thread's calls still run in the order
// it sent them, and a part (whole lanes) runs on one thread, in order.
//
// A posted job lives in one of a fixed set of posts (no allocation, nothing
// freed while a helper may look at it). A post's state is one 64-bit word,
// generation << 32 | next part: a helper claims part i with a CAS of that
// word, so a helper that read an older job's word cannot claim in a newer one.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>

namespace gpustd::detail {

class work_sharing {
 public:
  // What a job runs: body(context, part).
  using body_fn = void (*)(const void* context, unsigned part);

  explicit work_sharing(unsigned posts = 8);

  // Runs body(context, i) for every i in [0, parts), here and on helpers;
  // returns when all have returned. On a thread that is not a server thread
  // (marked by serving_thread), or with every post taken, runs them all here.
  void run(unsigned parts, body_fn body, const void* context);

  // Called by a server thread with no work of its own: runs parts of posted
  // jobs until none is left to claim. True if it ran any.
  bool help();

  // Whether any job is posted (one relaxed load: cheap enough for every poll).
  bool wanted() const noexcept { return posted_.load(std::memory_order_relaxed) != 0; }

  // Marks the calling thread as a server thread (its run() shares) and counts
  // how many server threads may help.
  static void serving_thread(bool on);
  void set_helpers(unsigned n) noexcept { helpers_.store(n, std::memory_order_relaxed); }

  // Set by the server: wakes helpers that sleep (called when a job is posted
  // and some may; null: none do).
  void set_waker(void (*wake)(void*), void* context) noexcept {
    wake_ = wake;
    wake_context_ = context;
  }
  // The server's count of parked threads (a post wakes them when non-zero).
  std::atomic<unsigned>& parked() noexcept { return parked_; }

 private:
  struct alignas(64) post {
    // generation << 32 | next part; an odd generation is a posted job
    // (acq_rel CAS claims; release store posts and retires).
    std::atomic<std::uint64_t> word{0};
    std::atomic<unsigned> parts{0};        // written before posting (relaxed; published by the post)
    std::atomic<body_fn> body{nullptr};
    std::atomic<const void*> context{nullptr};
    std::atomic<unsigned> done{0};  // parts finished (release; the owner acquires)
    std::atomic<bool> taken{false};  // owned by a run() (acq_rel)
  };
  // Claims and runs parts of p while any is left; returns how many it ran.
  static unsigned work_on(post& p);

  std::unique_ptr<post[]> posts_;
  unsigned count_;
  std::atomic<unsigned> posted_{0};   // jobs posted now (relaxed: a hint for wanted())
  std::atomic<unsigned> helpers_{0};  // server threads that may help
  std::atomic<unsigned> parked_{0};
  void (*wake_)(void*) = nullptr;
  void* wake_context_ = nullptr;
};

}  // namespace gpustd::detail
