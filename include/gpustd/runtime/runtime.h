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
#include <functional>
#include <memory>
#include <span>
#include <stdexcept>

#include "gpustd/runtime/direct.h"
#include "gpustd/runtime/options.h"
#include "gpustd/runtime/request.h"

namespace gpustd::hostcall_detail {
struct host_services;
struct lane_site;
}
namespace gpustd::detail {
struct program_access;
}

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
  // Times a published frame was looked at before all its stores had landed
  // (a sealed frame, docs/design.md): each is looked at again.
  std::uint64_t frames_not_yet_whole = 0;
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

  // Implements typed hostcall H (hostcall/declare.h) with `f`, run once per
  // calling lane; or with a member function of `obj`. `kind`: polling (the
  // default, for callables that return in microseconds) or blocking (for
  // ones that wait: they run on the pool). A callable whose parameters or
  // result do not fit H's signature does not compile. Registering H again
  // replaces its callable; a different hostcall whose name hashes to the
  // same number throws runtime_error.
  template <class H, class F>
  void register_hostcall(F f, handler_kind kind = handler_kind::polling);
  template <class H, class M, class Obj>
  void register_hostcall(M Obj::*method, Obj* obj, handler_kind kind = handler_kind::polling);
  // Implements H with `f(hostcall_batch<H>&)`, run once per warp's request
  // with every calling lane's arguments.
  template <class H, class F>
  void register_batch(F f, handler_kind kind = handler_kind::polling);

  runtime_stats stats() const;
  const runtime_options& options() const noexcept;

  // The runtime serving this process, or null.
  static runtime* current() noexcept;

  struct impl;

 private:
  friend struct hostcall_detail::host_services;
  friend struct detail::program_access;
  void claim_hostcall(std::uint16_t op, const char* name);
  hostcall_detail::host_services services();
  // The return area's operations (out_spans without DMA).
  void register_return_area();
  // Serves H's blocking and asynchronous operations, and its queued calls, with `sh`.
  // `direct`: H's blocking operation's direct handler (runtime/direct.h), or none.
  template <class H>
  void register_typed(std::function<void(request&, std::span<hostcall_detail::lane_site>)> sh, handler_kind kind,
                      direct_handler direct = {});
  void register_direct(std::uint16_t op, handler fn, handler_kind kind, direct_handler direct);
  // For the queued calls' runner (hostcall/wire.h): asynchronous operation -> handler.
  void register_queued(std::uint16_t async_op,
                       std::shared_ptr<const std::function<void(request&, std::span<hostcall_detail::lane_site>)>> sh,
                       handler_kind kind);
  std::unique_ptr<impl> impl_;
};

}  // namespace gpustd

#include "gpustd/hostcall/register.h"

namespace gpustd {

template <class H, class F>
void runtime::register_hostcall(F f, handler_kind kind) {
  using T = hostcall_detail::hostcall_types<H>;
  static_assert(hostcall_detail::invocable_with<H, F>(typename T::params{}),
                "this callable does not fit the hostcall's declared signature (see hostcall/declare.h for the "
                "host form of each parameter kind)");
  auto shared = std::make_shared<F>(std::move(f));
  register_typed<H>(hostcall_detail::make_site_handler<H>(services(), shared), kind,
                    hostcall_detail::make_direct_handler<H>(shared));
}

template <class H>
void runtime::register_typed(hostcall_detail::site_handler sh, handler_kind kind, direct_handler direct) {
  claim_hostcall(H::op, H::id);
  // One handler for the blocking and the asynchronous operation and the
  // queued calls: a callable with state sees every call.
  auto shared = std::make_shared<const hostcall_detail::site_handler>(std::move(sh));
  handler h = hostcall_detail::request_handler(shared);
  register_direct(H::op, h, kind, std::move(direct));
  register_handler(static_cast<std::uint16_t>(H::op + 1), std::move(h), kind);
  register_queued(static_cast<std::uint16_t>(H::op + 1), std::move(shared), kind);
}

template <class H, class M, class Obj>
void runtime::register_hostcall(M Obj::*method, Obj* obj, handler_kind kind) {
  register_hostcall<H>([method, obj](auto&&... a) -> decltype(auto) {
    return (obj->*method)(std::forward<decltype(a)>(a)...);
  }, kind);
}

template <class H, class F>
void runtime::register_batch(F f, handler_kind kind) {
  static_assert(std::is_invocable_v<F&, hostcall_batch<H>&>, "a batch handler takes gpustd::hostcall_batch<H>&");
  register_typed<H>([hs = services(), f = std::make_shared<F>(std::move(f))](
                        request& r, std::span<hostcall_detail::lane_site> sites) {
    hostcall_detail::batch_runner<H>::run(r, sites, hs, *f);
  }, kind);
}

}  // namespace gpustd
