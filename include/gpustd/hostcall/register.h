// Implementing a typed hostcall on the host (included by runtime.h):
//
//   rt.register_hostcall<lookup>([&](std::uint64_t key, float scale) { return table.at(key) * scale; });
//   rt.register_hostcall<log_line>(&logger::write, &my_logger);       // a member function
//   rt.register_batch<lookup>([&](gpustd::hostcall_batch<lookup>& b) { // once per warp
//     for (unsigned i = 0; i < b.size(); ++i) b.set_result(i, find(std::get<0>(b.args(i))));
//   });
//
// The callable must accept the host forms of the declared parameters
// (declare.h) and return something convertible to the declared result: a
// mismatch is a compile-time error. Registering is allowed while kernels
// run. A callable that throws answers that lane with EIO; arguments that
// fail validation are answered EINVAL (malformed) or EFAULT (a span the host
// cannot reach) without calling it.
#pragma once
#include <atomic>
#include <cstring>
#include <exception>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "gpustd/hostcall/declare.h"
#include "gpustd/protocol/status.h"
#include "gpustd/runtime/direct.h"
#include "gpustd/runtime/request.h"

namespace gpustd {

class runtime;

namespace hostcall_detail {

// The per-call helpers of the serving loop: inlined into it (out of line,
// they doubled a typed request's host time).
#define GPUSTD_HOST_INLINE inline __attribute__((always_inline))
#define GPUSTD_HOST_INLINE_LAMBDA __attribute__((always_inline))

template <class H>
struct batch_runner;

// What the runtime lends the decoders: device memory access and the arena.
struct host_services {
  runtime* rt;
  protocol::future_cell* futures;
  std::uint32_t future_count;
  std::int64_t* batch_lanes = nullptr;  // batches' own lines (hostcall/wire.h)
  std::uint32_t batch_lane_count = 0;
  int read_device(void* dst, std::uint64_t src, std::size_t n) const;
  int write_device(std::uint64_t dst, const void* src, std::size_t n) const;
  bool reachable(std::uint64_t address, std::size_t n) const;
  // Whether the host can move bytes to and from device memory (reachable()
  // is always false without).
  bool dma() const;
  // The host's pointer to [address, + n) of a reserved region of the return
  // area (hostcall/wire.h), or null.
  unsigned char* returned(std::uint64_t address, std::size_t n) const;
};

// One lane's argument bytes: the fixed part, and the whole stream the
// variable part's offsets count in.
struct lane_bytes {
  const unsigned char* fixed = nullptr;
  std::size_t fixed_size = 0;
  const unsigned char* stream = nullptr;  // = fixed
  std::size_t stream_size = 0;
  std::size_t pos = 0;

  template <class W>
  bool take(W& w) {
    pos = align_up(pos, alignof(W));
    if (pos + sizeof(W) > fixed_size) return false;
    std::memcpy(&w, fixed + pos, sizeof w);
    pos += sizeof w;
    return true;
  }
  bool range(std::uint64_t offset, std::uint64_t n) const {
    return offset <= stream_size && n <= stream_size - offset;
  }
};

// Decoded argument storage, per parameter kind. decode() returns 0 or an
// errno value; get() gives the host form.
template <class P>
struct holder {
  P value{};
  int decode(lane_bytes& b, const host_services&) { return b.take(value) ? 0 : EINVAL; }
  P get() const { return value; }
  int finish(const host_services&) { return 0; }
};
template <>
struct holder<string_view> {
  std::string_view value;
  int decode(lane_bytes& b, const host_services&) {
    protocol::wire_string w;
    if (!b.take(w) || w.length == protocol::null_string_length || !b.range(w.offset, w.length)) return EINVAL;
    value = {reinterpret_cast<const char*>(b.stream + w.offset), w.length};
    return 0;
  }
  std::string_view get() const { return value; }
  int finish(const host_services&) { return 0; }
};
template <>
struct holder<const char*> {
  std::string value;
  bool null = false;
  int decode(lane_bytes& b, const host_services&) {
    protocol::wire_string w;
    if (!b.take(w)) return EINVAL;
    if (w.length == protocol::null_string_length) {
      null = true;
      return 0;
    }
    if (!b.range(w.offset, w.length)) return EINVAL;
    value.assign(reinterpret_cast<const char*>(b.stream + w.offset), w.length);
    return 0;
  }
  const char* get() const { return null ? nullptr : value.c_str(); }
  int finish(const host_services&) { return 0; }
};
template <class T>
struct holder<in_span<T>> {
  std::vector<T> copy;
  std::span<const T> value;
  int decode(lane_bytes& b, const host_services& hs) {
    protocol::wire_span w;
    if (!b.take(w) || w.count > (std::uint64_t(1) << 40) / sizeof(T)) return EINVAL;
    const std::uint64_t bytes = w.count * sizeof(T);
    if (w.mode == protocol::span_mode::inline_bytes) {
      if (!b.range(w.offset, bytes)) return EINVAL;
      copy.resize(w.count);  // (the stream's alignment need not be T's)
      if (bytes) std::memcpy(copy.data(), b.stream + w.offset, bytes);
    } else if (w.mode == protocol::span_mode::bulk) {
      if (!hs.reachable(w.address, bytes)) return EXDEV;  // the device resends it inline
      copy.resize(w.count);
      if (const int e = hs.read_device(copy.data(), w.address, bytes)) return e;
    } else {
      return EINVAL;
    }
    value = copy;
    return 0;
  }
  std::span<const T> get() const { return value; }
  int finish(const host_services&) { return 0; }
};
template <class T>
struct holder<out_span<T>> {
  std::vector<T> copy;
  std::uint64_t address = 0;
  unsigned char* region = nullptr;  // span_mode::returned: where in the return area
  int decode(lane_bytes& b, const host_services& hs) {
    protocol::wire_span w;
    if (!b.take(w) || w.count > (std::uint64_t(1) << 40) / sizeof(T)) return EINVAL;
    const std::uint64_t bytes = w.count * sizeof(T);
    if (w.mode == protocol::span_mode::bulk) {
      // Without DMA: the device sends the call again with a region of the
      // return area (EXDEV: status_use_inline).
      if (w.count && !hs.reachable(w.address, bytes)) return hs.dma() ? EFAULT : EXDEV;
    } else if (w.mode == protocol::span_mode::returned) {
      if (w.count && !(region = hs.returned(w.address, bytes))) return EFAULT;
    } else {
      return EINVAL;
    }
    address = w.address;
    copy.assign(w.count, T{});
    return 0;
  }
  std::span<T> get() { return copy; }
  // The elements go back to the device after the call.
  int finish(const host_services& hs) {
    if (copy.empty()) return 0;
    if (region) {
      std::memcpy(region, copy.data(), copy.size() * sizeof(T));
      return 0;
    }
    return hs.write_device(address, copy.data(), copy.size() * sizeof(T));
  }
};

template <class L>
struct holders;
template <class... P>
struct holders<type_list<P...>> {
  using type = std::tuple<holder<P>...>;
  using host_args = std::tuple<decltype(std::declval<holder<P>&>().get())...>;
};

// Where a call's argument bytes are, and where its answer goes: lane `rank`
// of a request, or a future's cell.
struct lane_site {
  lane_bytes bytes;
  protocol::future_cell* future = nullptr;  // an asynchronous call's cell
  std::int64_t* batch_word = nullptr;        // a batch's call: its answer word
  std::int64_t* batch_data = nullptr;        // and its data word
  std::uint32_t batch_tag = 0;               // and the batch's tag, which the answer carries
  std::uint32_t batch_stride = 1;            // (a whole batch's site: words from one call to the next;
                                             // 0: a call's words are for_each_call's gathered ones)
  unsigned rank = 0;                         // the lane in the request (answers without a cell)
  int error = 0;                             // the request itself was malformed
};

// A typed hostcall's handler: serves `sites`, the cells of queued
// asynchronous calls (the request is then the future_batch request that
// sent them), or, when `sites` is empty, the request's own lanes.
using site_handler = std::function<void(request&, std::span<lane_site>)>;

template <class H>
struct hostcall_types {
  using sig = signature<typename H::signature>;
  using R = typename sig::result;
  using params = typename sig::params;
  using storage = typename holders<params>::type;
  static constexpr std::size_t fixed = fixed_bytes(params{});
};

GPUSTD_HOST_INLINE void point_at(lane_site& s, const unsigned char* p, std::size_t n, std::size_t fixed) {
  s.bytes.fixed = p;
  s.bytes.fixed_size = n < fixed ? n : fixed;
  s.bytes.stream = p;
  s.bytes.stream_size = n;
  if (s.bytes.fixed_size < fixed) s.error = EINVAL;
}

// Lane i's call; for a batch, `batch` is the number of calls (0 otherwise)
// and the site's stream all the calls' bytes.
GPUSTD_HOST_INLINE lane_site locate(const request& r, unsigned i, bool async, std::size_t fixed, const host_services& hs,
                                    std::uint32_t* batch = nullptr) {
  lane_site s;
  s.rank = i;
  if (batch) *batch = 0;
  // The arguments are the lane's inline cell when they fit, else its payload.
  const auto args = r.args(i);
  const auto bytes = args.empty() ? r.payload(i) : args;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size();
  if (async) {
    protocol::async_header h;
    if (n < sizeof h) {
      s.error = EPROTO;
      return s;
    }
    std::memcpy(&h, p, sizeof h);
    p += sizeof h;
    n -= sizeof h;
    if (h.batch != 0) {  // (wire.h: an answer line and a data line, inside the arena; a tag never 0)
      const std::uint32_t calls = protocol::batch_call_count(h.batch), tag = protocol::batch_tag_of(h.batch);
      if (!batch || calls == 0 || calls > protocol::batch_max_calls || tag == 0) {
        s.error = EPROTO;
        return s;
      }
      if (h.future & protocol::batch_lane_flag) {  // the lane's own lines
        const std::uint32_t lane = h.future & ~protocol::batch_lane_flag;
        if (lane >= hs.batch_lane_count) {
          s.error = EPROTO;
          return s;
        }
        s.batch_word = hs.batch_lanes + protocol::batch_lane_answer(lane, 0);
        s.batch_data = hs.batch_lanes + protocol::batch_lane_data(lane, 0);
        s.batch_stride = protocol::batch_lane_call_stride;
      } else {  // a group's first two cells
        if (hs.future_count < 2 || h.future > hs.future_count - 2) {
          s.error = EPROTO;
          return s;
        }
        s.batch_word = protocol::batch_words(hs.futures[h.future]);
        s.batch_data = s.batch_word + protocol::future_group_cells;
      }
      *batch = calls;
      s.batch_tag = tag;
      s.bytes.stream = p;  // (the calls' bytes, which for_each_call divides)
      s.bytes.stream_size = n;
      return s;
    }
    if (h.future >= hs.future_count) {
      s.error = EPROTO;
      return s;
    }
    s.future = hs.futures + h.future;
  }
  point_at(s, p, n, fixed);
  return s;
}

// Runs `fn(site)` on each of lane i's calls: one, or a batch's (each call's
// fixed part at a stride of its length rounded up to 8; calls whose bytes
// are missing get EINVAL). A lane whose request names no cell it may
// answer in gets one site, with the error.
//
// With `at_once` (fn answers each call before it returns), a batch's
// answers are gathered here and written into the lane's lines together
// once all its calls have run: its data words, then its answer words in
// order. The device polls the answer line while it waits, and each poll
// takes the line from the host's cache; a line written a word at a time
// between calls can be taken between the words, and each word's store
// then misses again. (On the GPU this was measured only together with a
// change of the device's polling: docs/benchmarks.md, twenty-third
// session.)
template <bool at_once = false, class Fn>
GPUSTD_HOST_INLINE void for_each_call(const request& r, unsigned i, bool async, std::size_t fixed,
                                      const host_services& hs, Fn&& fn) {
  std::uint32_t batch = 0;
  lane_site s = locate(r, i, async, fixed, hs, &batch);
  if (batch == 0) {
    fn(s);
    return;
  }
  const unsigned char* const p = s.bytes.stream;
  const std::size_t n = s.bytes.stream_size;
  const std::size_t stride = align_up(fixed, 8);
  std::int64_t* const answers = s.batch_word;
  std::int64_t* const data = s.batch_data;
  const std::uint32_t step = s.batch_stride;
  // (at_once: the answer words, then the data words)
  constexpr std::uint32_t gathered_data = protocol::batch_max_calls;
  std::int64_t gathered[2 * protocol::batch_max_calls];
  // (Every call is answered by fn; EIO were one not. The data words
  // zeroed: a void result, or one shorter than 8 bytes, writes less or
  // none, and no byte of the host's stack is to reach the arena.)
  if constexpr (at_once)
    for (std::uint32_t k = 0; k < batch; ++k) {
      gathered[k] = protocol::batch_answer(s.batch_tag, -EIO);
      gathered[gathered_data + k] = 0;
    }
  for (std::uint32_t k = 0; k < batch; ++k) {
    lane_site c;
    c.rank = i;
    c.batch_word = at_once ? gathered + k : answers + k * step;
    c.batch_data = at_once ? gathered + gathered_data + k : data + k * step;
    c.batch_stride = at_once ? 0 : step;
    c.batch_tag = s.batch_tag;
    const std::size_t at = k * stride;
    point_at(c, p + (at < n ? at : n), at < n ? (n - at < fixed ? n - at : fixed) : 0, fixed);
    fn(c);
  }
  if constexpr (at_once) {
    for (std::uint32_t k = 0; k < batch; ++k)  // (only where the status says there is data: 0)
      if (protocol::batch_status(gathered[k]) == 0) data[k * step] = gathered[gathered_data + k];
    for (std::uint32_t k = 0; k < batch; ++k)
      std::atomic_ref<std::int64_t>(answers[k * step]).store(gathered[k], std::memory_order_release);
  }
}

// A queued call's cell (wire.h), whose status the host has read: its
// arguments are the cell's data.
// (Arguments shorter than the parameters' fixed part fail to decode: EINVAL.)
inline lane_site locate_cell(protocol::future_cell& c, std::int64_t status) {
  lane_site s;
  s.future = &c;
  const std::size_t n = protocol::queued_arg_bytes(status);
  if (n > sizeof c.data) {
    s.error = EPROTO;
    return s;
  }
  s.bytes.fixed = c.data;
  s.bytes.fixed_size = n;
  s.bytes.stream = c.data;
  s.bytes.stream_size = n;
  return s;
}

// The call's answer: in the request (a blocking call) or in its future's
// cell (data first, then the status with release at system scope).
GPUSTD_HOST_INLINE void answer(request& r, const lane_site& s, std::int64_t status, const void* data, std::size_t n) {
  if (s.batch_word) {  // (wire.h: at most 8 bytes a call, in its data word)
    if (n > sizeof(std::uint64_t)) {
      status = -EPROTO;
      n = 0;
    }
    if (n) std::memcpy(s.batch_data, data, n);
    // (for_each_call's gathered answers, on its stack and written out after
    // the lane's calls: a plain store, which the compiler may keep in a
    // register; cpu_bench, a 32-lane request of 8-call batches, 1.35 ->
    // 1.09 us warm, 1.95 -> 1.60 cold.)
    if (s.batch_stride == 0)
      *s.batch_word = protocol::batch_answer(s.batch_tag, status);
    else
      std::atomic_ref<std::int64_t>(*s.batch_word)
          .store(protocol::batch_answer(s.batch_tag, status), std::memory_order_release);
    return;
  }
  if (s.future) {
    if (n) std::memcpy(s.future->data, data, n);
    std::atomic_ref<std::int64_t>(s.future->status).store(status, std::memory_order_release);
    return;
  }
  r.set_result(s.rank, status, std::span<const std::byte>(static_cast<const std::byte*>(data), n));
}

// The status a call's value travels with: the value + 1 where it fits
// there (wire.h, result_in_status), else 0, and the value goes as data.
// In 32 bits and without a branch, so that a loop over a warp's lanes
// vectorizes. (Any integral of at most 4 bytes converts to std::uint32_t
// with its value in [0, 2^31 - 2) kept and every other, negative ones
// included, at 2^31 - 2 or above.)
template <class R>
GPUSTD_HOST_INLINE std::int32_t value_status32(const R& v) {
  static_assert(protocol::result_in_status<R>);
  const std::uint32_t u = static_cast<std::uint32_t>(v);
  const std::uint32_t fits = 0u - static_cast<std::uint32_t>(u < static_cast<std::uint32_t>(protocol::status_value_limit));
  return static_cast<std::int32_t>((u + 1) & fits);  // (a mask, not `?:`, which GCC 12 turns into a branch)
}
// The same for any result (0 where it cannot travel in the status).
template <class R>
GPUSTD_HOST_INLINE std::int64_t value_status(const R& v) {
  if constexpr (protocol::result_in_status<R>) return value_status32(v);
  else return 0;
}

// A call's value: in the status when it fits, else as data.
template <class R>
GPUSTD_HOST_INLINE void answer_value(request& r, const lane_site& s, const R& v) {
  if (const std::int64_t status = value_status(v)) answer(r, s, status, nullptr, 0);
  else answer(r, s, 0, &v, sizeof v);
}

// The callable run on one call's decoded arguments; its result (or void).
template <class H, class F>
GPUSTD_HOST_INLINE typename hostcall_types<H>::R invoke_on(F& f, typename hostcall_types<H>::storage& st) {
  return std::apply([&](auto&... h) -> typename hostcall_types<H>::R { return std::invoke(f, h.get()...); }, st);
}

template <class H>
GPUSTD_HOST_INLINE int decode_all(typename hostcall_types<H>::storage& st, lane_bytes& b, const host_services& hs) {
  int err = 0;
  std::apply([&](auto&... h) { ((err = err ? err : h.decode(b, hs)), ...); }, st);
  return err;
}
template <class H>
GPUSTD_HOST_INLINE int finish_all(typename hostcall_types<H>::storage& st, const host_services& hs) {
  int err = 0;
  std::apply([&](auto&... h) { ((err = err ? err : h.finish(hs)), ...); }, st);
  return err;
}

// Fills plain parameters' holders from a lane's fixed part, at the offsets
// the device's encoder put them (compile-time constants).
template <class... P>
GPUSTD_HOST_INLINE void read_plain(std::tuple<holder<P>...>& st, const unsigned char* p) {
  std::size_t pos = 0;
  std::apply(
      [&](auto&... h) {
        ((pos = align_up(pos, alignof(decltype(h.value))), std::memcpy(&h.value, p + pos, sizeof h.value),
          pos += sizeof h.value),
         ...);
      },
      st);
}

// Decodes each call's arguments and runs `invoke(site, storage)` for those
// that decode; answers the others with their error. The calls: `sites`, or
// when it is empty, the request's lanes (located one by one on the way: this
// is the per-lane loop of every typed request, kept in one function).
// (at_once: `invoke` answers each call before it returns; see for_each_call.)
template <class H, bool at_once = false, class F>
void serve_sites(request& r, std::span<lane_site> sites, const host_services& hs, F&& invoke) {
  using T = hostcall_types<H>;
  auto serve = [&](lane_site& s) GPUSTD_HOST_INLINE_LAMBDA {
    typename T::storage st;
    int err = s.error ? s.error : decode_all<H>(st, s.bytes, hs);
    if (err) answer(r, s, err == EXDEV ? protocol::status_use_inline : -err, nullptr, 0);
    else invoke(s, st);
  };
  if (sites.empty()) {
    const bool async = protocol::is_typed_async(r.op());
    if constexpr (plain_params(typename T::params{}) && T::fixed > 0) {
      // A blocking call of plain parameters comes packed (layout.h): every
      // lane's fixed part, at one stride. Read in place: nothing to locate
      // or to check per lane.
      if (!async && r.packed_arg_bytes() == T::fixed) {
        const unsigned char* base = r.packed_base();
        const std::size_t stride = protocol::packed_stride(static_cast<std::uint32_t>(T::fixed));
        for (unsigned i = 0; i < r.lanes(); ++i) {
          typename T::storage st;
          read_plain(st, base + i * stride);
          lane_site s;
          s.rank = i;
          invoke(s, st);
        }
        return;
      }
    }
    for (unsigned i = 0; i < r.lanes(); ++i) for_each_call<at_once>(r, i, async, T::fixed, hs, serve);
  } else {
    for (lane_site& s : sites) serve(s);  // (decoding moves each site's position: used once)
  }
}

}  // namespace hostcall_detail

// A warp's calls of hostcall H, for a batch handler: the lanes' arguments
// (host forms, as the per-lane callable would get them) and their answers.
template <class H>
class hostcall_batch {
  using T = hostcall_detail::hostcall_types<H>;

 public:
  using result_type = typename T::R;
  using args_type = typename hostcall_detail::holders<typename T::params>::host_args;

  unsigned size() const { return static_cast<unsigned>(lanes_.size()); }
  // Lane i's arguments as a tuple.
  args_type args(unsigned i) {
    return std::apply([](auto&... h) { return args_type(h.get()...); }, lanes_[i].storage);
  }
  // The block and warp that called (diagnostics).
  std::uint32_t block() const { return block_; }
  std::uint32_t warp() const { return warp_; }

  template <class V, class R = result_type, class = std::enable_if_t<!std::is_void_v<R>>>
  void set_result(unsigned i, const V& v) {
    lanes_[i].value = static_cast<R>(v);
    lanes_[i].error = 0;
  }
  // Answers lane i with an errno value instead (for example ENOENT).
  void set_error(unsigned i, int error) { lanes_[i].error = error; }

 private:
  template <class>
  friend struct hostcall_detail::batch_runner;
  struct lane {
    hostcall_detail::lane_site site;
    typename T::storage storage;
    std::conditional_t<std::is_void_v<result_type>, char, result_type> value{};
    int error = 0;
  };
  std::vector<lane> lanes_;
  std::uint32_t block_ = 0, warp_ = 0;
};

namespace hostcall_detail {

template <class H>
struct batch_runner {
  template <class F>
  static void run(request& r, std::span<lane_site> sites, const host_services& hs, F& f) {
    using T = hostcall_types<H>;
    hostcall_batch<H> b;
    b.block_ = r.block();
    b.warp_ = r.warp();
    b.lanes_.reserve(sites.size());
    serve_sites<H>(r, sites, hs, [&](const lane_site& s, typename T::storage& st) {
      b.lanes_.push_back({s, std::move(st), {}, 0});
    });
    try {
      f(b);
    } catch (...) {
      for (auto& l : b.lanes_) l.error = EIO;
    }
    for (auto& l : b.lanes_) {
      int err = l.error;
      if (!err) err = finish_all<H>(l.storage, hs);
      if constexpr (std::is_void_v<typename T::R>)
        answer(r, l.site, err ? -err : 0, nullptr, 0);
      else if (err)
        answer(r, l.site, -err, nullptr, 0);
      else
        answer_value(r, l.site, l.value);
    }
  }
};

// The callable `*fp`, once per call. (Shared with the hostcall's direct
// handler, below: a callable with state sees every call.)
template <class H, class F>
site_handler make_site_handler(const host_services& hs, std::shared_ptr<F> fp) {
  using T = hostcall_types<H>;
  return [hs, fp = std::move(fp)](request& r, std::span<lane_site> sites) {
    F& f = *fp;
    serve_sites<H, true>(r, sites, hs, [&](const lane_site& s, typename T::storage& st) GPUSTD_HOST_INLINE_LAMBDA {
      try {
        if constexpr (std::is_void_v<typename T::R>) {
          invoke_on<H>(f, st);
          const int err = finish_all<H>(st, hs);
          answer(r, s, err ? -err : 0, nullptr, 0);
        } else {
          const typename T::R v = invoke_on<H>(f, st);
          const int err = finish_all<H>(st, hs);
          if (err) answer(r, s, -err, nullptr, 0);
          else answer_value(r, s, v);
        }
      } catch (...) {
        answer(r, s, -EIO, nullptr, 0);
      }
    });
  };
}

template <class H, class F>
site_handler make_site_handler(const host_services& hs, F f) {
  return make_site_handler<H>(hs, std::make_shared<F>(std::move(f)));
}

// Whether H's blocking calls can be served by a direct handler
// (runtime/direct.h): plain parameters, which the device sends packed, and
// a result of at most 8 bytes, which the answer carries per lane.
template <class H>
constexpr bool direct_servable() {
  using T = hostcall_types<H>;
  if constexpr (!plain_params(typename T::params{}) || T::fixed == 0 || T::fixed > protocol::inline_arg_bytes) return false;
  else if constexpr (std::is_void_v<typename T::R>) return true;
  else return sizeof(typename T::R) <= 8;
}

// Runs the callable on lanes [0, lanes) of a packed request, in order,
// `each(i, storage)` doing the call and keeping its result; a lane whose
// call throws is left out of the loop's stores and gets a bit in the mask
// returned. (The try is around the loop, not each lane: where the callable
// is inlined and cannot throw, the loop is plain enough to vectorize.)
template <class H, class Each>
GPUSTD_HOST_INLINE std::uint32_t run_lanes(const unsigned char* body, unsigned lanes, Each&& each) {
  using T = hostcall_types<H>;
  constexpr std::size_t stride = protocol::packed_stride(static_cast<std::uint32_t>(T::fixed));
  std::uint32_t threw = 0;
  for (unsigned i = 0; i < lanes;) {
    try {
      for (; i < lanes; ++i) {
        typename T::storage st;
        read_plain(st, body + i * stride);
        each(i, st);
      }
    } catch (...) {
      threw |= 1u << i;
      ++i;
    }
  }
  return threw;
}

// H's direct handler over the callable `*fp` (none where H does not fit):
// each lane's arguments read in place and the callable run, as the site
// handler does for a packed request, without the request object. The
// lanes' answers are worked out in passes over all of them (results, then
// statuses, then data words where any), each a loop without branches.
template <class H, class F>
direct_handler make_direct_handler(std::shared_ptr<F> fp) {
  using T = hostcall_types<H>;
  using R = typename T::R;
  direct_handler d;
  if constexpr (direct_servable<H>()) {
    d.context = fp;
    d.fn = [](const void* context, const direct_request& q, direct_answers& out) noexcept -> std::int64_t {
      constexpr std::uint32_t fixed = static_cast<std::uint32_t>(T::fixed);
      constexpr std::uint32_t stride = protocol::packed_stride(fixed);
      // Any other shape goes to the site handler, which validates it.
      const unsigned lanes = q.lanes();
      if (!q.packed() || q.no_reply() || q.cell_stride() != fixed || q.body_bytes() != lanes * stride)
        return direct_declined;
      F& f = *const_cast<F*>(static_cast<const F*>(context));
      std::uint32_t threw = 0;
      if constexpr (std::is_void_v<R>) {
        threw = run_lanes<H>(q.body, lanes, [&](unsigned, typename T::storage& st)
                                                GPUSTD_HOST_INLINE_LAMBDA { invoke_on<H>(f, st); });
        if (!threw) return 0;  // (every lane's status, in the answer word)
        for (unsigned i = 0; i < lanes; ++i) out.status[i] = 0;
        out.has_words = false;
      } else if constexpr (protocol::result_in_status<R>) {
        // A small integral result: value + 1 in the status where it fits
        // there (value_status), else status 0 and the value as data.
        R value[protocol::lanes_per_request];
        std::uint32_t words = 0;
        // (Called with a constant for a whole warp, the usual request, so
        // that its loops compile without a count to test or a remainder.)
        auto answer_lanes = [&](unsigned n) GPUSTD_HOST_INLINE_LAMBDA {
          threw = run_lanes<H>(q.body, n, [&](unsigned i, typename T::storage& st)
                                              GPUSTD_HOST_INLINE_LAMBDA { value[i] = invoke_on<H>(f, st); });
          for (std::uint32_t m = threw; m; m &= m - 1)
            value[__builtin_ctz(m)] = R{};  // (the lane's status is set below; no value left unset)
          for (unsigned i = 0; i < n; ++i) {
            out.status[i] = value_status32(value[i]);
            words |= static_cast<std::uint32_t>(out.status[i] == 0);
          }
        };
        if (lanes == protocol::lanes_per_request) answer_lanes(protocol::lanes_per_request);
        else answer_lanes(lanes);
        if (words)
          for (unsigned i = 0; i < lanes; ++i) {
            out.word[i] = 0;
            if (out.status[i] == 0) std::memcpy(&out.word[i], &value[i], sizeof value[i]);
          }
        out.has_words = words != 0;
      } else {
        // Any other result of at most 8 bytes: status 0 and the value as data.
        threw = run_lanes<H>(q.body, lanes, [&](unsigned i, typename T::storage& st) GPUSTD_HOST_INLINE_LAMBDA {
          const R v = invoke_on<H>(f, st);
          out.word[i] = 0;
          std::memcpy(&out.word[i], &v, sizeof v);
        });
        for (unsigned i = 0; i < lanes; ++i) out.status[i] = 0;
        out.has_words = true;
      }
      for (std::uint32_t m = threw; m; m &= m - 1) {
        const unsigned i = static_cast<unsigned>(__builtin_ctz(m));
        out.status[i] = -EIO;
        out.word[i] = 0;
      }
      return direct_per_lane;
    };
  }
  return d;
}

// A request handler over a site handler (both operation numbers of H).
inline handler request_handler(std::shared_ptr<const site_handler> sh) {
  return [sh = std::move(sh)](request& r) { (*sh)(r, {}); };
}
template <class H, class F>
handler make_handler(const host_services& hs, F f) {
  return request_handler(std::make_shared<const site_handler>(make_site_handler<H>(hs, std::move(f))));
}

template <class H, class F, class... P>
constexpr bool invocable_with(type_list<P...>) {
  using R = typename hostcall_types<H>::R;
  if constexpr (std::is_void_v<R>)
    return std::is_invocable_v<F&, decltype(std::declval<holder<P>&>().get())...>;
  else
    return std::is_invocable_r_v<R, F&, decltype(std::declval<holder<P>&>().get())...>;
}

}  // namespace hostcall_detail
}  // namespace gpustd
