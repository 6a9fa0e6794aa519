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
#include "gpustd/hostcall/future_queue.h"
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

// Out_spans without DMA (hostcall/wire.h, span_mode::returned): a region
// of the runtime's return area per out_span of a call, reserved before it
// is sent; after the answer, the elements are copied out of it and the
// region is given back.
GPUSTD_INLINE std::int64_t reserve_region(std::uint64_t bytes, std::uint64_t& at) {
  protocol::lane_request rq;
  rq.op = protocol::to_u16(protocol::opcode::return_reserve);
  rq.args = &bytes;
  rq.arg_bytes = sizeof bytes;
  alignas(8) unsigned char d[protocol::inline_arg_bytes];
  const std::int64_t st = protocol::hostcall(rq, d);
  if (st >= 0) std::memcpy(&at, d, sizeof at);
  return st < 0 ? st : 0;
}
GPUSTD_INLINE void release_region(std::uint64_t at) {
  protocol::lane_request rq;
  rq.op = protocol::to_u16(protocol::opcode::return_release);
  rq.no_reply = true;
  rq.args = &at;
  rq.arg_bytes = sizeof at;
  protocol::hostcall(rq);
}
// n bytes of the region at `at` (64-byte aligned, whole words) to dst:
// eight-byte system-scope loads, which never read a stale cached line of a
// region an earlier call used.
GPUSTD_INLINE void copy_from_region(void* dst, std::uint64_t at, std::uint64_t n) {
  auto* words = reinterpret_cast<std::uint64_t*>(static_cast<std::uintptr_t>(at));
  auto* out = static_cast<unsigned char*>(dst);
  for (std::uint64_t i = 0; i * 8 < n; ++i) {
    const std::uint64_t w = platform::load_relaxed_system(words[i]);
    std::memcpy(out + 8 * i, &w, n - 8 * i < 8 ? n - 8 * i : 8);
  }
}
// An out_span comes back through the return area when the host cannot
// write it by DMA: when it said so (force_inline), or when it is not in
// global memory (a thread's own array, shared memory).
template <class T>
GPUSTD_INLINE bool returned_span(const out_span<T>& s, bool force_inline) {
  return s.size != 0 && (force_inline || !platform::in_global_memory(s.data));
}
template <unsigned N>
struct returned_regions {
  std::uint64_t at[N > 0 ? N : 1] = {};  // per out_span: its region, or 0 (by DMA)
  unsigned count = 0;
  template <class P>
  GPUSTD_INLINE std::int64_t reserve(const P&, bool) {
    return 0;
  }
  template <class T>
  GPUSTD_INLINE std::int64_t reserve(const out_span<T>& s, bool force_inline) {
    std::uint64_t r = 0;
    if (returned_span(s, force_inline)) {
      // The host cannot check the device's own pointer: the device does.
      const auto p = static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(s.data));
      if (!s.data || p + s.size * sizeof(T) < p) return protocol::status_bad_address;
      if (const std::int64_t st = reserve_region(s.size * sizeof(T), r); st < 0) return st;
    }
    at[count++] = r;
    return 0;
  }
  template <class P>
  GPUSTD_INLINE void copy_out(const P&, bool, unsigned&) {}
  template <class T>
  GPUSTD_INLINE void copy_out(const out_span<T>& s, bool ok, unsigned& k) {
    if (ok && at[k]) copy_from_region(s.data, at[k], s.size * sizeof(T));
    ++k;
  }
  GPUSTD_INLINE void release_all() {
    for (unsigned k = 0; k < count; ++k)
      if (at[k]) release_region(at[k]);
    count = 0;
  }
};

// Writes the lane's fixed part at buf[0..) and its variable part after it.
struct encoder {
  unsigned char* buf;
  std::uint64_t pos = 0;  // in the fixed part
  std::uint64_t var;      // next free byte of the variable part
  bool force_inline;
  const std::uint64_t* regions = nullptr;  // per out_span: its region of the return area, or 0 (by DMA)
  unsigned next_region = 0;

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
    const std::uint64_t region = regions ? regions[next_region++] : 0;
    if (region)  // the host cannot write it by DMA: through the return area
      wire(protocol::wire_span{region, s.size, 0, protocol::span_mode::returned});
    else
      wire(protocol::wire_span{static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(s.data)), s.size, 0,
                               protocol::span_mode::bulk});
  }
};

// Sends one call; `header` (8 bytes, or none) goes before the arguments.
// Returns the status; the answer's bytes land in `data`. A blocking call
// the host answers status_use_inline (it cannot reach a span by DMA) is
// sent again with its in_spans inline and its out_spans through the return
// area.
template <class... P>
GPUSTD_INLINE std::int64_t send(std::uint16_t op, bool no_reply, const protocol::async_header* header,
                                unsigned char* data, const P&... args) {
  constexpr std::uint64_t fixed = fixed_bytes<P...>();
  constexpr bool maybe_var = (has_variable<P> || ...);
  constexpr unsigned outs = (0u + ... + unsigned(is_out_span<P>::value));
  for (bool force_inline = false;; force_inline = true) {
    returned_regions<outs> regions;
    // (Not for a fire-and-forget send, an asynchronous call's: its answer
    // comes later, in its future's cell, so its out_spans need DMA.)
    if constexpr (outs > 0) {
      if (!no_reply) {
        std::int64_t err = 0;
        ((err = err < 0 ? err : regions.reserve(args, force_inline)), ...);
        if (err < 0) {
          regions.release_all();
          return err;
        }
      }
    }
    std::uint64_t var = 0;
    if constexpr (maybe_var) var = (var_bytes(args, force_inline) + ... + 0);
    const std::uint64_t head = header ? sizeof *header : 0;
    const std::uint64_t start = align_up(head + fixed, 8);  // where the variable part begins
    const std::uint64_t total = var ? start + var : head + fixed;
    alignas(8) unsigned char local[(fixed + 8 > 256 ? fixed + 8 : 256)];
    unsigned char* buf = total <= sizeof local ? local : static_cast<unsigned char*>(std::malloc(total));
    if (!buf) {
      regions.release_all();
      return -ENOMEM;
    }
    if (header) std::memcpy(buf, header, sizeof *header);
    // Offsets in the wire forms count from the start of the fixed part.
    encoder e{buf + head, 0, start - head, force_inline, outs > 0 ? regions.at : nullptr};
    (e.put(args), ...);
    protocol::lane_request rq;
    rq.op = op;
    rq.no_reply = no_reply;
    // Values only (no span, no string) and no future: the host reads nothing
    // but the request, which can then be sealed rather than fenced
    // (protocol/seal.h). An asynchronous call's future cell is memory the
    // device wrote before, so it keeps the fence.
    rq.self_contained = !maybe_var && outs == 0 && header == nullptr;
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
    if constexpr (outs > 0) {
      unsigned k = 0;
      (regions.copy_out(args, st >= 0, k), ...);
      regions.release_all();
    }
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

// Encodes a call's arguments into a cell's 56 bytes (as `send` lays out a
// lane's bytes); returns their length, or -1 when they do not fit.
template <class... P>
GPUSTD_INLINE int encode_in_cell(unsigned char* buf, const P&... args) {
  constexpr std::uint64_t fixed = fixed_bytes<P...>();
  if constexpr (fixed > protocol::inline_arg_bytes) {
    return -1;
  } else {
    std::uint64_t var = 0;
    if constexpr ((has_variable<P> || ...)) var = (var_bytes(args, false) + ... + 0);
    const std::uint64_t start = align_up(fixed, 8);
    const std::uint64_t total = var ? start + var : fixed;
    if (total > protocol::inline_arg_bytes) return -1;
    encoder e{buf, 0, start, false};
    (e.put(args), ...);
    return static_cast<int>(total);
  }
}

}  // namespace hostcall_detail

// A pending asynchronous call. Move-only; get() once; it belongs to the
// thread that made it. A future dropped before get() waits for its call to
// finish (the host still writes to it). Its call may still be queued on the
// device (hostcall/future_queue.h): get(), wait() and ready() send it first.
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
  // Whether the host has answered (sends the call if it is queued; at most
  // one read of host memory; no waiting).
  GPUSTD_INLINE bool ready() const {
    if (pending_cell()) return hostcall_detail::cell_ready(protocol::channel(), cell_);
    return true;
  }
  GPUSTD_INLINE void wait() const {
    bool acquired;
    hostcall_detail::open_group o;
    if (pending_cell()) hostcall_detail::await_cell(protocol::channel(), cell_, acquired, o);
  }
  GPUSTD_INLINE call_result<R> get() {
    if (valid_ && finished_) {
      valid_ = false;
      return done_;
    }
    alignas(8) unsigned char data[protocol::inline_arg_bytes] = {};
    std::int64_t status = error_ ? -error_ : -EINVAL;  // get() on an empty future: EINVAL
    if (pending_cell()) {
      status = finish(data);
      valid_ = false;
    }
    release();
    return hostcall_detail::result_of<R>(status, data);
  }

 private:
  static constexpr std::uint32_t no_cell = ~0u;
  static constexpr bool has_data = !std::is_void_v<R>;
  GPUSTD_INLINE bool pending_cell() const { return valid_ && !finished_ && !error_ && cell_ != no_cell; }
  // Waits for the answer, copies the result's bytes to `data` when the host
  // wrote some, and retires the cell.
  GPUSTD_INLINE std::int64_t finish(unsigned char* data) {
    const protocol::channel_view& ch = protocol::channel();
    bool acquired;
    hostcall_detail::open_group o;
    const std::int64_t status = hostcall_detail::await_cell(ch, cell_, acquired, o);
    if constexpr (has_data) {
      // The host wrote data only with status 0 (a value in the status needs
      // no more reads); read after an acquire of the status, as eight-byte
      // loads issued together (byte-wise, each byte would cross PCIe).
      if (status == 0) {
        protocol::future_cell& c = ch.futures[cell_];
        if (!acquired) platform::load_acquire_system(c.status);
        if (data) {
          constexpr unsigned n = (sizeof(R) + 7) / 8;
          auto* words = reinterpret_cast<std::uint64_t*>(c.data);
          std::uint64_t w[n];
          for (unsigned i = 0; i < n; ++i) w[i] = platform::load_relaxed_system(words[i]);
          std::memcpy(data, w, sizeof w);
        }
      }
    }
    hostcall_detail::retire_cell(ch, cell_, o);
    return status;
  }
  GPUSTD_INLINE void release() {
    if (pending_cell()) finish(nullptr);
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
  const protocol::channel_view& ch = protocol::channel();
  if (!ch.futures) return hostcall_future<R>(~0u, ENODEV);
  constexpr std::uint16_t async_op = static_cast<std::uint16_t>(H::op + 1);
  alignas(8) unsigned char bytes[protocol::inline_arg_bytes];
  const int n = encode_in_cell<P...>(bytes, static_cast<P>(a)...);
  if (n >= 0) {  // queued in a cell; sent with the thread's other queued calls
    const std::uint32_t cell = queue_call(ch, async_op, bytes, static_cast<std::uint32_t>(n));
    if (cell != no_future_cell) return hostcall_future<R>(cell, 0);
  } else if (const std::uint32_t cell = cell_for_send(ch); cell != no_future_cell) {  // too long to queue: sent now
    const protocol::async_header h{cell, 0};
    const std::int64_t st = send(async_op, true, &h, nullptr, static_cast<P>(a)...);
    if (st < 0) ch.future_groups[cell / group_cells].seen[cell % group_cells] = static_cast<std::int32_t>(st);  // never reached the host
    return hostcall_future<R>(cell, 0);
  }
  // The arena has no free group: the call is made now, blocking.
  alignas(8) unsigned char data[protocol::inline_arg_bytes];
  const std::int64_t st = send(H::op, false, nullptr, data, static_cast<P>(a)...);
  return hostcall_future<R>(result_of<R>(st, data));
}
}  // namespace hostcall_detail

// Sends the calling thread's queued asynchronous calls now (they go anyway
// when eight are queued, or when one of their futures is waited for): for a
// thread that queues a call and then waits for something else the host
// does because of it.
GPUSTD_INLINE void flush_calls() {
  const protocol::channel_view& ch = protocol::channel();
  if (!ch.futures) return;
  std::uint32_t& word = hostcall_detail::thread_group_word(ch);
  word = hostcall_detail::send_open(ch, hostcall_detail::open_group{word});
}

// Starts hostcall H and returns at once; the result comes through the
// future. Calls whose arguments fit 56 bytes are queued and sent eight at a
// time (see flush_calls); longer ones are sent at once.

template <class H, class... A>
GPUSTD_INLINE hostcall_future<typename hostcall_detail::signature<typename H::signature>::result> async_call(
    const A&... a) {
  return hostcall_detail::async_call<H>(typename hostcall_detail::signature<typename H::signature>::params{}, a...);
}

}  // namespace gpustd
