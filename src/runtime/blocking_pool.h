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
  ~blocking_pool();  // runs every queued job, then joins
  void submit(std::function<void()> job);

 private:
  void work();
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace gpustd::detail
