// gpustd::cout, cerr, clog — iostream output for device code.
//
//   gpustd::cout << "block " << blockIdx.x << ": " << gpustd::setprecision(3) << x << gpustd::endl;
//
// A statement's items travel to the host as one record and are formatted by
// an ostringstream there, so numbers look exactly as std::cout prints them.
// A thread's text is kept together until a newline, endl or flush: the host
// holds a thread's unfinished line and writes it whole, never interleaved
// with other output, once the line ends (or at a flush, or when the runtime
// synchronizes).
//
// Differences from std::cout, by design: the stream has no state that lasts
// from one statement to the next (a manipulator such as hex or setprecision
// applies until the end of its statement), there are no error state bits,
// and statements are fire-and-forget (an error of writing is logged by the
// runtime, not returned; use gpustd::print or printf to see it).
#pragma once
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "gpustd/console/ios_base.h"
#include "gpustd/console/record_writer.h"

namespace gpustd {

template <int FD>
struct ostream_handle {};

inline constexpr ostream_handle<1> cout{};
inline constexpr ostream_handle<2> cerr{};
inline constexpr ostream_handle<2> clog{};

// Manipulators.
struct ostream_manipulator {
  protocol::item_tag tag;
  std::int64_t value;
};
struct endl_t {};
struct flush_t {};
inline constexpr endl_t endl{};
inline constexpr flush_t flush{};
inline constexpr ostream_manipulator hex{protocol::item_tag::set_base, 16};
inline constexpr ostream_manipulator dec{protocol::item_tag::set_base, 10};
inline constexpr ostream_manipulator oct{protocol::item_tag::set_base, 8};
inline constexpr ostream_manipulator fixed{protocol::item_tag::set_float_format, 1};
inline constexpr ostream_manipulator scientific{protocol::item_tag::set_float_format, 2};
inline constexpr ostream_manipulator hexfloat{protocol::item_tag::set_float_format, 3};
inline constexpr ostream_manipulator defaultfloat{protocol::item_tag::set_float_format, 0};
inline constexpr ostream_manipulator boolalpha{protocol::item_tag::set_boolalpha, 1};
inline constexpr ostream_manipulator noboolalpha{protocol::item_tag::set_boolalpha, 0};
inline constexpr ostream_manipulator showpos{protocol::item_tag::set_showpos, 1};
inline constexpr ostream_manipulator noshowpos{protocol::item_tag::set_showpos, 0};
inline constexpr ostream_manipulator showbase{protocol::item_tag::set_showbase, 1};
inline constexpr ostream_manipulator noshowbase{protocol::item_tag::set_showbase, 0};
inline constexpr ostream_manipulator uppercase{protocol::item_tag::set_uppercase, 1};
inline constexpr ostream_manipulator nouppercase{protocol::item_tag::set_uppercase, 0};
inline constexpr ostream_manipulator right{protocol::item_tag::set_adjust, 0};
inline constexpr ostream_manipulator left{protocol::item_tag::set_adjust, 1};
inline constexpr ostream_manipulator internal{protocol::item_tag::set_adjust, 2};
GPUSTD_HOST_DEVICE constexpr ostream_manipulator setw(int n) { return {protocol::item_tag::set_width, n}; }
GPUSTD_HOST_DEVICE constexpr ostream_manipulator setprecision(int n) { return {protocol::item_tag::set_precision, n}; }
GPUSTD_HOST_DEVICE constexpr ostream_manipulator setfill(char c) { return {protocol::item_tag::set_fill, c}; }

// One statement's output: gathers the statement's items (on the stack,
// then on the device heap if they outgrow it) until the end of the full
// expression, then sends them as one record. If the heap has no room, the
// items that do not fit are dropped and the host prints a marker instead.
class ostream_statement : public console_detail::item_encoder<ostream_statement> {
 public:
  template <class T>
  GPUSTD_INLINE ostream_statement(int fd, const T& first) : fd_(fd) {
    put(first);
  }
  // A file stream's statement (files/fstream.h): sent when it ends, waiting
  // for the host, and a failure sets badbit in *state. fd < 0 (the stream
  // is not open or not good): nothing is sent and failbit is set.
  template <class T>
  GPUSTD_INLINE ostream_statement(int fd, const T& first, unsigned* state) : fd_(fd), state_(state) {
    if (fd >= 0) put(first);
  }
  ostream_statement(const ostream_statement&) = delete;
  ostream_statement& operator=(const ostream_statement&) = delete;
  GPUSTD_INLINE ~ostream_statement() {
    if (state_ && fd_ < 0) {
      *state_ |= ios_base::failbit;
      return;
    }
    console_detail::record_writer w(fd_, protocol::record_kind::stream, flags_);
    const unsigned char* p = heap_ ? heap_ : local_;
    const std::int64_t r = w.send([&](console_detail::record_writer& r) { r.bytes(p, used_); }, state_ != nullptr);
    if (state_ && r < 0) *state_ |= ios_base::badbit;
    if (heap_) std::free(heap_);
  }

  template <class T>
  GPUSTD_INLINE void put(const T& v) {
    if (fd_ >= 0) print_arg(v);
  }
  GPUSTD_INLINE void put(const ostream_manipulator& m) { manipulator(m.tag, m.value); }
  GPUSTD_INLINE void put(const endl_t&) {
    print_arg('\n');
    flags_ = static_cast<std::uint8_t>(flags_ | protocol::record_flush);
  }
  GPUSTD_INLINE void put(const flush_t&) { flags_ = static_cast<std::uint8_t>(flags_ | protocol::record_flush); }

  // Item bytes (item_encoder).
  GPUSTD_INLINE void bytes(const void* p, std::uint64_t n) {
    if (used_ + n > capacity_ && !grow(used_ + n)) return;
    std::memcpy((heap_ ? heap_ : local_) + used_, p, n);
    used_ += n;
  }

 private:
  static constexpr std::uint64_t local_bytes = 256;
  GPUSTD_INLINE bool grow(std::uint64_t need) {
    std::uint64_t cap = capacity_ * 2;
    while (cap < need) cap *= 2;
    auto* h = static_cast<unsigned char*>(std::malloc(cap));
    if (!h) {  // the host writes a marker where the items were lost
      flags_ = static_cast<std::uint8_t>(flags_ | protocol::record_cut);
      return false;
    }
    std::memcpy(h, heap_ ? heap_ : local_, used_);
    if (heap_) std::free(heap_);
    heap_ = h;
    capacity_ = cap;
    return true;
  }

  int fd_;
  unsigned* state_ = nullptr;
  std::uint8_t flags_ = 0;
  std::uint64_t used_ = 0, capacity_ = local_bytes;
  unsigned char* heap_ = nullptr;
  alignas(8) unsigned char local_[local_bytes];
};

template <int FD, class T>
GPUSTD_INLINE ostream_statement operator<<(ostream_handle<FD>, const T& v) {
  return ostream_statement(FD, v);
}
template <int FD>
GPUSTD_INLINE ostream_statement operator<<(ostream_handle<FD>, ostream_manipulator m) {
  return ostream_statement(FD, m);
}
template <class T>
GPUSTD_INLINE ostream_statement&& operator<<(ostream_statement&& s, const T& v) {
  s.put(v);
  return std::move(s);
}
// Manipulators by value: device code may copy a constexpr object, not refer to it.
GPUSTD_INLINE ostream_statement&& operator<<(ostream_statement&& s, ostream_manipulator m) {
  s.put(m);
  return std::move(s);
}
GPUSTD_INLINE ostream_statement&& operator<<(ostream_statement&& s, endl_t e) {
  s.put(e);
  return std::move(s);
}
GPUSTD_INLINE ostream_statement&& operator<<(ostream_statement&& s, flush_t f) {
  s.put(f);
  return std::move(s);
}

}  // namespace gpustd
