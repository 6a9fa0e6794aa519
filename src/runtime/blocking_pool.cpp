#include "blocking_pool.h"

#include <chrono>
#include <thread>

#include "thread_signals.h"

namespace gpustd::detail {

blocking_pool::blocking_pool(unsigned threads) {
  if (threads == 0) threads = 1;
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { work(); });
}

blocking_pool::~blocking_pool() { shutdown(); }

void blocking_pool::shutdown() {
  {
    std::lock_guard lk(m_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

// A poller stops polling (spinners_ decremented, seq_cst) before it takes
// the lock to look at the queue and sleep; submit() pushes under the lock,
// then reads spinners_ (seq_cst). Either the poller's look comes after the
// push and sees the job, or its decrement comes before submit's read and
// submit wakes a sleeper: a job never waits with every thread asleep.
void blocking_pool::submit(std::function<void()> job) {
  {
    std::lock_guard lk(m_);
    jobs_.push_back(std::move(job));
    queued_.fetch_add(1, std::memory_order_seq_cst);
  }
  if (spinners_.load(std::memory_order_seq_cst) == 0) cv_.notify_one();
}

bool blocking_pool::spin_for_job() {
  unsigned none = 0;
  if (!spinners_.compare_exchange_strong(none, 1, std::memory_order_seq_cst)) return false;  // one poller at a time
  const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(spin_us);
  bool found = false;
  do {
    if (queued_.load(std::memory_order_seq_cst) != 0) {
      found = true;
      break;
    }
    std::this_thread::yield();  // the thread that will submit may need this core
  } while (std::chrono::steady_clock::now() < until);
  spinners_.store(0, std::memory_order_seq_cst);
  return found;
}

void blocking_pool::work() {
  block_sigpipe_in_this_thread();
  bool ran = false;
  for (;;) {
    if (ran) spin_for_job();
    std::function<void()> job;
    {
      std::unique_lock lk(m_);
      cv_.wait(lk, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
      queued_.fetch_sub(1, std::memory_order_seq_cst);
    }
    job();
    ran = true;
  }
}

}  // namespace gpustd::detail
