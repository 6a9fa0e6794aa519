// The device side of a console call: builds a record (protocol/console.h)
// in a buffer on the calling thread's stack and sends it. A record that does
// not fit goes in pieces (the host joins them), long strings straight from
// where they lie, so no line is ever too long and nothing is cut.
#pragma once
#include <cstdint>
#include <cstring>

#include "gpustd/console/argument_kind.h"
#include "gpustd/protocol/client.h"
#include "gpustd/protocol/console.h"
#include "gpustd/protocol/opcodes.h"

namespace gpustd::console_detail {

// Bytes of a record gathered on the stack per piece. A line of print with
// a few arguments needs 50 to 150.
inline constexpr std::uint32_t record_buffer_bytes = 256;
// A string at least this long is sent from its own memory, not copied.
inline constexpr std::uint32_t direct_string_bytes = 128;

GPUSTD_INLINE std::uint64_t bounded_length(const char* s, std::uint64_t limit) {
  std::uint64_t n = 0;
  while (n < limit && s[n]) ++n;
  return n;
}

// Encodes items (protocol/console.h) into Derived::bytes().
template <class Derived>
class item_encoder {
 public:
  GPUSTD_INLINE void value(protocol::item_tag tag, const void* v, std::uint32_t n) {
    unsigned char item[1 + 16];
    item[0] = static_cast<unsigned char>(tag);
    std::memcpy(item + 1, v, n);
    self().bytes(item, 1 + n);
  }
  template <class T>
  GPUSTD_INLINE void scalar(protocol::item_tag tag, T v) {
    if constexpr (sizeof(T) > 8) {
      value(tag, &v, 16);
    } else {
      std::uint64_t w = 0;
      std::memcpy(&w, &v, sizeof v);
      value(tag, &w, 8);
    }
  }
  GPUSTD_INLINE void string(const char* s, std::uint64_t n) {
    if (!s) {
      const unsigned char t = static_cast<unsigned char>(protocol::item_tag::null_string);
      self().bytes(&t, 1);
      return;
    }
    if (n > 0xffffffffu) n = 0xffffffffu;
    unsigned char head[5];
    head[0] = static_cast<unsigned char>(protocol::item_tag::string);
    const auto len = static_cast<std::uint32_t>(n);
    std::memcpy(head + 1, &len, 4);
    self().bytes(head, 5);
    self().bytes(s, n);
  }
  GPUSTD_INLINE void manipulator(protocol::item_tag tag, std::int64_t v) { scalar(tag, v); }

  // Any print argument (std::format's rules).
  template <class T>
  GPUSTD_INLINE void print_arg(const T& v) {
    constexpr protocol::item_tag tag = print_tag<T>();
    using U = bare<T>;
    if constexpr (tag == protocol::item_tag::string) {
      if constexpr (is_char_array_v<T>) string(v, bounded_length(v, sizeof(T)));
      else if constexpr (is_string_view_v<T> || has_c_str<U>::value) string(v.data(), v.size());
      else string(v, v ? bounded_length(v, ~0ull) : 0);
    } else if constexpr (tag == protocol::item_tag::pointer) {
      scalar(tag, reinterpret_cast<std::uintptr_t>(static_cast<const void*>(v)));
    } else if constexpr (std::is_integral_v<U> && !std::is_same_v<U, bool> && sizeof(U) <= 8) {
      // widened with its sign: the host reads the low bytes its tag says
      if constexpr (std::is_signed_v<U>) scalar(tag, static_cast<long long>(v));
      else scalar(tag, static_cast<unsigned long long>(v));
    } else {
      scalar(tag, v);
    }
  }


 private:
  GPUSTD_INLINE Derived& self() { return static_cast<Derived&>(*this); }
};

// Serializes a record and sends it. The caller gives a function that writes
// the whole record (format string and items) into the writer; send() runs
// it once per piece: each run keeps only the bytes of the current window
// (record_buffer_bytes, or a long string straight from its memory) and
// counts the rest. Nearly every record is one piece, one run. Replaying
// keeps a single call of the channel per print: a second one, inlined or
// not, took printf from 64 registers to 72-87, more than 1024-thread blocks
// allow.
// Makes the compiler forget what it knows of `p`, so that what it points to
// is read again where it is used instead of held in registers across the
// channel's code (the lambda's captures: 2 registers each).
template <class T>
GPUSTD_INLINE void hide_from_optimizer(T*& p) {
#if GPUSTD_DEVICE_PASS
  asm volatile("" : "+l"(p));
#else
  (void)p;
#endif
}

class record_writer : public item_encoder<record_writer> {
 public:
  GPUSTD_INLINE record_writer(int fd, protocol::record_kind kind, std::uint8_t flags = 0) {
    args_.fd = static_cast<std::uint8_t>(fd);
    args_.kind = static_cast<std::uint8_t>(kind);
    args_.flags = flags;
    args_.fd_high = static_cast<std::uint8_t>(fd >> 8);
    args_.format_bytes = 0;
  }

  // Runs `serialize(*this)` per piece and sends the pieces (all but the
  // last fire-and-forget). Blocking: returns the host's status (the
  // formatted length, or -errno); fire-and-forget: 0 once sent.
  template <class F>
  GPUSTD_INLINE std::int64_t send(F&& serialize, bool wait_for_answer = true) {
    std::uint64_t begin = 0;
    std::int64_t first_error = 0;
    auto* fn = &serialize;
    for (;;) {
      begin_ = begin;
      pos_ = 0;
      used_ = 0;
      closed_ = false;
      direct_ = nullptr;
      hide_from_optimizer(fn);
      (*fn)(*this);
      const std::uint64_t n = direct_ ? direct_len_ : used_;
      const bool last = begin + n >= pos_;
      protocol::console_args a = args_;
      if (begin != 0) a.format_bytes = 0;  // the first piece carries the format length
      if (!last) a.flags = static_cast<std::uint8_t>(a.flags | protocol::record_more);
      protocol::lane_request rq;
      rq.op = protocol::to_u16(protocol::opcode::console);
      rq.args = &a;
      rq.arg_bytes = sizeof a;
      rq.payload = n ? (direct_ ? direct_ : buf_) : nullptr;
      rq.payload_bytes = static_cast<std::uint32_t>(n);
      rq.no_reply = !last || !wait_for_answer;
      const std::int64_t r = protocol::hostcall(rq);
      if (r < 0 && !first_error) first_error = r;
      if (last) return first_error ? first_error : r;
      begin += n;
    }
  }

  GPUSTD_INLINE void format(const char* s, std::uint64_t n) {
    args_.format_bytes = static_cast<std::uint32_t>(n);
    bytes(s, n);
  }

  // Bytes of the record: kept if they fall in the current window.
  GPUSTD_INLINE void bytes(const void* p, std::uint64_t n) {
    const std::uint64_t s = pos_, e = pos_ + n;
    pos_ = e;
    const std::uint64_t fill = begin_ + used_;
    if (closed_ || e <= fill || n == 0) return;
    const auto* c = static_cast<const unsigned char*>(p);
    if (n >= direct_string_bytes) {
      if (used_ == 0) {  // the window starts inside these bytes: send them from where they lie
        const std::uint64_t piece = protocol::channel().max_request_bytes / 2;
        direct_ = c + (begin_ - s);
        direct_len_ = e - begin_ < piece ? e - begin_ : piece;
      }
      closed_ = true;  // else the next piece starts with them
      return;
    }
    const std::uint64_t from = s > fill ? s : fill;
    std::uint64_t k = e - from;
    if (used_ + k > record_buffer_bytes) {
      k = record_buffer_bytes - used_;
      closed_ = true;
    }
    std::memcpy(buf_ + used_, c + (from - s), k);
    used_ += static_cast<std::uint32_t>(k);
  }

  GPUSTD_INLINE void set_flags(std::uint8_t f) { args_.flags = f; }
  GPUSTD_INLINE std::uint8_t flags() const { return args_.flags; }

 private:
  protocol::console_args args_;
  std::uint64_t begin_ = 0;  // where this piece starts in the record
  std::uint64_t pos_ = 0;    // bytes of the record produced so far in this run
  std::uint32_t used_ = 0;   // bytes of the piece in buf_
  bool closed_ = false;      // the piece is complete
  const unsigned char* direct_ = nullptr;  // the piece is these bytes instead
  std::uint64_t direct_len_ = 0;
  alignas(8) unsigned char buf_[record_buffer_bytes];
};

}  // namespace gpustd::console_detail
