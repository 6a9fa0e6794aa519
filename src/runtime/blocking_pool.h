// Threads that run blocking handlers off the polling path.
#pragma once
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
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace gpustd::detail
