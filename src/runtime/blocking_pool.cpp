#include "blocking_pool.h"

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

void blocking_pool::submit(std::function<void()> job) {
  {
    std::lock_guard lk(m_);
    jobs_.push_back(std::move(job));
  }
  cv_.notify_one();
}

void blocking_pool::work() {
  block_sigpipe_in_this_thread();
  for (;;) {
    std::function<void()> job;
    {
      std::unique_lock lk(m_);
      cv_.wait(lk, [&] { return stopping_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      job = std::move(jobs_.front());
      jobs_.pop_front();
    }
    job();
  }
}

}  // namespace gpustd::detail
