// Threads that run blocking handlers off the polling path.
#pragma once
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace gpustd::detail {

class blocking_pool {
 public:
  explicit blocking_pool(unsigned threads);
  ~blocking_pool();  // shutdown()
  void submit(std::function<void()> job);
  // Runs every queued job, then joins the threads. Idempotent.
  void shutdown();

 private:
  void work();
  // Polls for a job for a while; true when one is queued.
  bool spin_for_job();
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  // After a job, one thread polls the queue for spin_us (yielding its core
  // between looks) before it sleeps, so that a thread's next request is not
  // paid a futex wake-up (CPU backend, one thread appending 64-byte records:
  // 12.5 -> 6-8 us a call). submit() wakes a sleeper only when no thread
  // polls. seq_cst: see submit().
  static constexpr unsigned spin_us = 100;
  std::atomic<unsigned> spinners_{0};
  std::atomic<std::size_t> queued_{0};
  std::vector<std::thread> threads_;
};

}  // namespace gpustd::detail
