// gpustd::runtime — the host side of gpustd, embedded in any program.
//
//   gpustd::runtime rt;                  // serves hostcalls from now on
//   kernel<<<grid, block>>>(...);        // any stream, or gpustd::launch
//   rt.synchronize();                    // kernels done, every request served
//
// One runtime at a time per process. It finds its device code through the
// channel symbol every translation unit carries (protocol/channel_symbol.h),
// so kernels need no extra argument. The destructor synchronizes first.
#pragma once
#include <cstdint>
#include <memory>
#include <stdexcept>

#include "gpustd/runtime/options.h"
#include "gpustd/runtime/request.h"

namespace gpustd {

// A failure of the runtime itself (CUDA error, bad option).
class runtime_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct runtime_stats {
  std::uint64_t requests = 0;       // requests dispatched
  std::uint64_t frames = 0;         // frames consumed
  std::uint64_t errors = 0;         // requests answered with an error by the runtime itself
};

class runtime {
 public:
  explicit runtime(const runtime_options& options = {});
  ~runtime();
  runtime(const runtime&) = delete;
  runtime& operator=(const runtime&) = delete;

  // Waits until launched work is finished (CUDA: cudaDeviceSynchronize) and
  // every request already sent has been served. Throws runtime_error on a
  // CUDA error, after serving what was sent.
  void synchronize();

  // Serves `op` with `fn` from now on (also while kernels run). Replacing a
  // built-in operation is allowed. Numbers from 0x8000 up are the user's.
  void register_handler(std::uint16_t op, handler fn, handler_kind kind = handler_kind::polling);

  runtime_stats stats() const;
  const runtime_options& options() const noexcept;

  // The runtime serving this process, or null.
  static runtime* current() noexcept;

  struct impl;

 private:
  std::unique_ptr<impl> impl_;
};

}  // namespace gpustd
