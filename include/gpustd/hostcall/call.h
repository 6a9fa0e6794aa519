// Calling a typed hostcall from device code:
//
//   gpustd::call_result<int> r = gpustd::call<lookup>(key, 0.5f);   // waits
//   if (r) use(r.value()); else gpustd::printf("lookup: %s\n", gpustd::strerror(r.error()));
//
//   auto f = gpustd::async_call<lookup>(key, 0.5f);                  // goes on
//   ...                                                              // many may be in flight
//   int v = f.get().value_or(-1);
//
// The lanes of a warp calling together send one request; the host runs the
// callable once per lane (or a batch handler once per warp). See declare.h
// for the parameter kinds and wire.h for the format.
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "gpustd/hostcall/declare.h"
#include "gpustd/platform/atomic.h"
#include "gpustd/platform/lane.h"
#include "gpustd/protocol/client.h"
#include "gpustd/protocol/status.h"

namespace gpustd {

namespace hostcall_detail {

// Spans of 4 KiB or more in device global memory go by address (the host
// reads them by DMA); others travel in the request.
GPUSTD_INLINE bool span_by_address(const void* p, std::uint64_t bytes, bool force_inline) {
  return !force_inline && bytes >= 4096 && platform::in_global_memory(p);
}

// Bytes a parameter puts in the variable part (aligned to 8).
template <class P>
GPUSTD_INLINE std::uint64_t var_bytes(const P&, bool) {
  return 0;
}
GPUSTD_INLINE std::uint64_t var_bytes(const string_view& s, bool) { return align_up(s.size(), 8); }
GPUSTD_INLINE std::uint64_t var_bytes(const char* const& s, bool) { return s ? align_up(static_cast<std::uint32_t>(string_view(s).size()), 8) : 0; }
template <class T>
GPUSTD_INLINE std::uint64_t var_bytes(const in_span<T>& s, bool force_inline) {
  const std::uint64_t b = s.size * sizeof(T);
  return span_by_address(s.data, b, force_inline) ? 0 : align_up(b, 8);
}

// Writes the lane's fixed part at buf[0..) and its variable part after it.
struct encoder {
  unsigned char* buf;
  std::uint64_t pos = 0;  // in the fixed part
  std::uint64_t var;      // next free byte of the variable part
  bool force_inline;

  template <class W>
  GPUSTD_INLINE void wire(const W& w) {
    pos = align_up(pos, alignof(W));
    std::memcpy(buf + pos, &w, sizeof w);
    pos += sizeof w;
  }
  GPUSTD_INLINE std::uint32_t bytes(const void* p, std::uint64_t n) {
    const std::uint64_t at = var;
    if (n) std::memcpy(buf + at, p, n);
    var = align_up(var + n, 8);
    return static_cast<std::uint32_t>(at);
  }
  template <class P>
  GPUSTD_INLINE void put(const P& v) {
    wire(v);
  }
  GPUSTD_INLINE void put(const string_view& s) {
    const std::uint32_t n = static_cast<std::uint32_t>(s.size());
    wire(protocol::wire_string{bytes(s.data(), n), n});
  }
  GPUSTD_INLINE void put(const char* const& s) {
    if (!s) {
      wire(protocol::wire_string{0, protocol::null_string_length});
      return;
    }
    const std::uint32_t n = static_cast<std::uint32_t>(string_view(s).size());
    wire(protocol::wire_string{bytes(s, n), n});
  }
  template <class T>
  GPUSTD_INLINE void put(const in_span<T>& s) {
    const std::uint64_t b = s.size * sizeof(T);
    const auto address = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(s.data));
    if (span_by_address(s.data, b, force_inline))
      wire(protocol::wire_span{address, s.size, 0, protocol::span_mode::bulk});
    else
      wire(protocol::wire_span{address, s.size, bytes(s.data, b), protocol::span_mode::inline_bytes});
  }
  template <class T>
  GPUSTD_INLINE void put(const out_span<T>& s) {
    wire(protocol::wire_span{static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(s.data)), s.size, 0,
                             protocol::span_mode::bulk});
  }
};

// Sends one call; `header` (8 bytes, or none) goes before the arguments.
// Returns the status; the answer's bytes land in `data`.
template <class... P>
GPUSTD_INLINE std::int64_t send(std::uint16_t op, bool no_reply, const protocol::async_header* header,
                                unsigned char* data, const P&... args) {
  constexpr std::uint64_t fixed = fixed_bytes<P...>();
  constexpr bool maybe_var = (has_variable<P> || ...);
  for (bool force_inline = false;; force_inline = true) {
    std::uint64_t var = 0;
    if constexpr (maybe_var) var = (var_bytes(args, force_inline) + ... + 0);
    const std::uint64_t head = header ? sizeof *header : 0;
    const std::uint64_t start = align_up(head + fixed, 8);  // where the variable part begins
    const std::uint64_t total = var ? start + var : head + fixed;
    alignas(8) unsigned char local[(fixed + 8 > 256 ? fixed + 8 : 256)];
    unsigned char* buf = total <= sizeof local ? local : static_cast<unsigned char*>(std::malloc(total));
    if (!buf) return -ENOMEM;
    if (header) std::memcpy(buf, header, sizeof *header);
    // Offsets in the wire forms count from the start of the fixed part.
    encoder e{buf + head, 0, start - head, force_inline};
    (e.put(args), ...);
    protocol::lane_request rq;
    rq.op = op;
    rq.no_reply = no_reply;
    // Inline when it fits: every lane writes its own cell at once, while a
    // payload in a thread's local memory is copied by that lane alone, one
    // lane after another.
    if (var == 0 && head + fixed <= protocol::inline_arg_bytes) {
      rq.args = buf;
      rq.arg_bytes = static_cast<std::uint32_t>(head + fixed);
    } else {
      rq.payload = buf;
      rq.payload_bytes = static_cast<std::uint32_t>(total);
    }
    const std::int64_t st = protocol::hostcall(rq, data);
    if (buf != local) std::free(buf);
    if (st != protocol::status_use_inline || force_inline) return st;
  }
}

template <class R>
GPUSTD_INLINE call_result<R> result_of(std::int64_t status, const unsigned char* data) {
  if constexpr (std::is_void_v<R>) {
    return call_result<void>(status < 0 ? static_cast<int>(-status) : 0);
  } else {
    if constexpr (protocol::result_in_status<R>)
      if (status > 0) return call_result<R>(static_cast<R>(status - 1), 0);  // the value in the status
    R v;
    std::memcpy(&v, data, sizeof v);
    return call_result<R>(v, status < 0 ? static_cast<int>(-status) : 0);
  }
}

template <class H, class... P, class... A>
GPUSTD_INLINE call_result<typename signature<typename H::signature>::result> call(type_list<P...>, const A&... a) {
  static_assert(sizeof...(P) == sizeof...(A), "wrong number of arguments for this hostcall");
  using R = typename signature<typename H::signature>::result;
  alignas(8) unsigned char data[protocol::inline_arg_bytes];
  const std::int64_t st = send(H::op, false, nullptr, data, static_cast<P>(a)...);
  return result_of<R>(st, data);
}

// ---- the future arena ----

inline constexpr std::uint32_t no_future_cell = ~0u;

// Takes a free cell (a bit of the bitmap, acquire) and marks it pending;
// no_future_cell when none of the words it looks at has one. (Waiting for
// a cell could wait forever: threads holding cells may be waiting for more
// themselves.) Each thread starts at its own word and looks at a few: when
// more futures are wanted than the arena holds, a scan of the whole bitmap
// per call would cost more than the blocking call that replaces it.
GPUSTD_INLINE std::uint32_t take_future_cell() {
  const protocol::channel_view& ch = protocol::channel();
  const std::uint32_t words = ch.future_count / 32;
  const std::uint32_t looks = words < 8 ? words : 8;
  std::uint32_t w = (platform::resident_warp_index() * 32 + platform::lane_id()) % words;
  for (std::uint32_t k = 0; k < looks; ++k, w = w + 1 == words ? 0 : w + 1) {
    const std::uint32_t seen = platform::load_relaxed_device(ch.future_bits[w]);
    if (seen == ~0u) continue;
    const std::uint32_t bit = ~seen & (seen + 1);  // the lowest free cell of this word
    if (!(platform::fetch_or_acquire_device(ch.future_bits[w], bit) & bit)) {
      const std::uint32_t index = w * 32 + platform::popcount(bit - 1);
      platform::store_relaxed_system(ch.futures[index].status, protocol::future_pending);
      return index;
    }
  }
  return no_future_cell;
}

GPUSTD_INLINE void give_back_future_cell(std::uint32_t index) {
  const protocol::channel_view& ch = protocol::channel();
  platform::fetch_and_release_device(ch.future_bits[index / 32], ~(1u << (index % 32)));
}

}  // namespace hostcall_detail

// A pending asynchronous call. Move-only; get() once. A future dropped
// before get() waits for its call to finish (the host still writes to it).
template <class R>
class hostcall_future {
 public:
  hostcall_future() = default;
  GPUSTD_INLINE hostcall_future(std::uint32_t cell, int local_error) : cell_(cell), error_(local_error), valid_(true) {}
  // A future whose call already finished (no free cell: it was made blocking).
  GPUSTD_INLINE explicit hostcall_future(const call_result<R>& done) : done_(done), valid_(true), finished_(true) {}
  hostcall_future(const hostcall_future&) = delete;
  hostcall_future& operator=(const hostcall_future&) = delete;
  GPUSTD_INLINE hostcall_future(hostcall_future&& o) noexcept
      : cell_(o.cell_), error_(o.error_), done_(o.done_), valid_(o.valid_), finished_(o.finished_) {
    o.valid_ = false;
  }
  GPUSTD_INLINE hostcall_future& operator=(hostcall_future&& o) noexcept {
    if (this != &o) {
      release();
      cell_ = o.cell_;
      error_ = o.error_;
      done_ = o.done_;
      valid_ = o.valid_;
      finished_ = o.finished_;
      o.valid_ = false;
    }
    return *this;
  }
  GPUSTD_INLINE ~hostcall_future() { release(); }

  GPUSTD_INLINE bool valid() const { return valid_; }
  // Whether the host has answered (one read of host memory; no waiting).
  GPUSTD_INLINE bool ready() const {
    if (!valid_ || finished_ || error_ || cell_ == no_cell) return true;
    return platform::load_acquire_system(protocol::channel().futures[cell_].status) != protocol::future_pending;
  }
  GPUSTD_INLINE void wait() const {
    for (unsigned spins = 0; !ready(); ++spins) platform::short_sleep(spins < 64 ? 100 : 1000);
  }
  GPUSTD_INLINE call_result<R> get() {
    if (valid_ && finished_) {
      valid_ = false;
      return done_;
    }
    alignas(8) unsigned char data[protocol::inline_arg_bytes] = {};
    std::int64_t status = error_ ? -error_ : -EINVAL;  // get() on an empty future: EINVAL
    if (valid_ && !error_ && cell_ != no_cell) {
      protocol::future_cell& c = protocol::channel().futures[cell_];
      for (unsigned spins = 0; (status = platform::load_acquire_system(c.status)) == protocol::future_pending; ++spins)
        platform::short_sleep(spins < 64 ? 100 : 1000);
      // A value in the status needs no more reads; else eight-byte loads,
      // issued together (a byte-wise copy would be 56 reads across PCIe).
      if (status == 0) {
        auto* words = reinterpret_cast<std::uint64_t*>(c.data);
        std::uint64_t w[protocol::inline_arg_bytes / 8];
        for (unsigned i = 0; i < protocol::inline_arg_bytes / 8; ++i) w[i] = platform::load_relaxed_system(words[i]);
        std::memcpy(data, w, sizeof data);
      }
      hostcall_detail::give_back_future_cell(cell_);
      valid_ = false;
    }
    release();
    return hostcall_detail::result_of<R>(status, data);
  }

 private:
  static constexpr std::uint32_t no_cell = ~0u;
  GPUSTD_INLINE void release() {
    if (!valid_) return;
    if (!finished_ && cell_ != no_cell) {
      wait();
      hostcall_detail::give_back_future_cell(cell_);
    }
    valid_ = false;
  }
  std::uint32_t cell_ = no_cell;
  int error_ = 0;
  call_result<R> done_{};
  bool valid_ = false;
  bool finished_ = false;
};

// Calls hostcall H and waits for its result.
template <class H, class... A>
GPUSTD_INLINE call_result<typename hostcall_detail::signature<typename H::signature>::result> call(const A&... a) {
  return hostcall_detail::call<H>(typename hostcall_detail::signature<typename H::signature>::params{}, a...);
}

namespace hostcall_detail {
template <class H, class... P, class... A>
GPUSTD_INLINE hostcall_future<typename signature<typename H::signature>::result> async_call(type_list<P...>,
                                                                                          const A&... a) {
  static_assert(sizeof...(P) == sizeof...(A), "wrong number of arguments for this hostcall");
  using R = typename signature<typename H::signature>::result;
  if (!protocol::channel().futures) return hostcall_future<R>(~0u, ENODEV);
  const std::uint32_t cell = take_future_cell();
  if (cell == no_future_cell) {  // the arena is full: the call is made now, blocking
    alignas(8) unsigned char data[protocol::inline_arg_bytes];
    const std::int64_t st = send(H::op, false, nullptr, data, static_cast<P>(a)...);
    return hostcall_future<R>(result_of<R>(st, data));
  }
  const protocol::async_header h{cell, 0};
  const std::int64_t st = send(static_cast<std::uint16_t>(H::op + 1), true, &h, nullptr, static_cast<P>(a)...);
  if (st < 0) {  // never reached the host: the future fails here
    give_back_future_cell(cell);
    return hostcall_future<R>(~0u, static_cast<int>(-st));
  }
  return hostcall_future<R>(cell, 0);
}
}  // namespace hostcall_detail

// Starts hostcall H and returns at once; the result comes through the future.
template <class H, class... A>
GPUSTD_INLINE hostcall_future<typename hostcall_detail::signature<typename H::signature>::result> async_call(
    const A&... a) {
  return hostcall_detail::async_call<H>(typename hostcall_detail::signature<typename H::signature>::params{}, a...);
}

}  // namespace gpustd
