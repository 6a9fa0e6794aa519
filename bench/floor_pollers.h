// The host threads of the targets' floors (send_floor.h, typed_floor.h):
// thread t polls warps [first, first + count), the t-th of `host_threads`
// equal shares, as gpu_bench.cu's ping-pong floor and gpustd's server
// threads share theirs.
#pragma once
#include <algorithm>
#include <thread>
#include <vector>

// Starts one thread per non-empty share, each running poll(first, count).
template <class Poll>
std::vector<std::thread> start_pollers(unsigned warps, unsigned host_threads, Poll poll) {
  std::vector<std::thread> ts;
  const unsigned per = (warps + host_threads - 1) / host_threads;
  for (unsigned t = 0; t < host_threads; ++t) {
    const unsigned first = t * per, count = first < warps ? std::min(per, warps - first) : 0;
    if (count != 0) ts.emplace_back(poll, first, count);
  }
  return ts;
}
