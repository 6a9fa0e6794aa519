// Tracing and statistics of the requests the runtime serves, for people
// debugging their device code (docs/tracing.md):
//
//   GPUSTD_TRACE=1        a line per request on stderr, as strace prints
//   GPUSTD_TRACE=FILE     the same into FILE
//   GPUSTD_STATS=1        at the end: count, lanes, bytes and latency
//                         percentiles per operation
//
// The server holds a null pointer when both are off, so tracing costs one
// predictable branch per request.
#pragma once
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "gpustd/runtime/request.h"

namespace gpustd::detail {

class tracer {
 public:
  using name_fn = std::function<std::string(std::uint16_t op)>;
  tracer(int fd, bool lines, bool stats, name_fn name_of);
  ~tracer();
  tracer(const tracer&) = delete;
  tracer& operator=(const tracer&) = delete;

  static std::uint64_t now_ns() noexcept {
    return static_cast<std::uint64_t>(
        std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
            .count());
  }
  // A request served from start_ns to end_ns (now_ns() clock). Any thread.
  void record(const request& r, std::uint64_t start_ns, std::uint64_t end_ns);
  // A request the server answered itself, with an error, before any
  // handler (an unknown operation, a malformed request).
  void record_refused(std::uint16_t op, std::uint32_t block, std::uint32_t warp, unsigned lanes, std::int64_t status,
                      const char* why);
  // The statistics table (when enabled), once.
  void print_stats();

  // The one-line summary of a request, as record() prints it (tests).
  std::string describe(const request& r, std::uint64_t start_ns, std::uint64_t end_ns) const;

 private:
  struct op_stats {
    std::uint64_t requests = 0, lanes = 0, bytes = 0, seen = 0;
    std::vector<std::uint32_t> latency_ns;  // a uniform sample (reservoir) of at most max_samples
  };
  static constexpr std::size_t max_samples = 1u << 16;
  // "[gpustd <seconds>] block B warp W lanes N ", the start of every line.
  std::string head(std::uint64_t at_ns, std::uint32_t block, std::uint32_t warp, unsigned lanes) const;

  int fd_;
  bool lines_, stats_;
  name_fn name_of_;
  std::uint64_t start_ns_;
  std::mutex lock_;  // guards everything below and the order of lines
  std::map<std::uint16_t, op_stats> ops_;
  std::mt19937_64 rng_{0x9e3779b97f4a7c15ull};
  bool printed_ = false;
};

}  // namespace gpustd::detail
