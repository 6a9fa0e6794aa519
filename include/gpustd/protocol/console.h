// Wire format of the console service (op console and op stdin_read), shared
// by the device's print functions and the host's formatter.
//
// A console request carries, per lane, `console_args` inline and a *record*
// as payload. The device never formats: it sends the format string and its
// arguments as typed items, and the host formats them with {fmt} (print),
// with the C library (printf) or with an ostringstream (cout). So what a
// kernel prints is exactly what the same call prints in host code.
//
//   record  = format string (console_args::format_bytes bytes) then items
//   item    = tag (1 byte), then
//             8 value bytes, little endian   (every tag but those below)
//             16 value bytes                 (item_tag::i128, u128)
//             u32 length, then the bytes     (item_tag::string)
//             nothing                        (item_tag::null_string)
//
// A record longer than the device's buffer travels in pieces: every piece
// but the last has record_more set, and the host joins the pieces of each
// device thread before it formats the record.
#pragma once
#include <cstdint>

namespace gpustd::protocol {

enum class record_kind : std::uint8_t {
  print = 0,   // std::format syntax, formatted with {fmt}
  printf = 1,  // C printf syntax, formatted with the C library
  stream = 2,  // ostream items (no format string), formatted by an ostringstream
  text = 3,    // raw bytes, written as they are
};

enum record_flags : std::uint8_t {
  record_more = 1u << 0,      // more pieces of this record follow
  record_newline = 1u << 1,   // append '\n' after the formatted text (println)
  record_flush = 1u << 2,     // stream: write this thread's held text now (flush, endl)
  record_cut = 1u << 3,       // the device lost items of this record (its heap was full)
};

struct console_args {
  std::uint8_t fd;      // 1: stdout, 2: stderr; with fd_high: a device file (fprintf to a FILE*)
  std::uint8_t kind;    // record_kind
  std::uint8_t flags;   // record_flags
  std::uint8_t fd_high; // bits 8..15 of the descriptor (device files are numbered up to 65535)
  std::uint32_t format_bytes;  // length of the format string at the start of the record (this piece)
};
static_assert(sizeof(console_args) == 8);

enum class item_tag : std::uint8_t {
  boolean = 1,
  character = 2,    // char
  i32 = 3,          // int, short, signed char
  u32 = 4,          // unsigned int, unsigned short, unsigned char
  i64 = 5,          // long, long long
  u64 = 6,          // unsigned long, unsigned long long
  f32 = 7,          // float
  f64 = 8,          // double
  pointer = 9,      // any object pointer, nullptr
  string = 10,      // char array, const char*, string_view
  null_string = 11, // a null const char*: printed as "(null)"
  i128 = 12,        // __int128: 16 value bytes
  u128 = 13,        // unsigned __int128: 16 value bytes
  // ostream manipulators (stream records only); value: the argument
  set_base = 32,        // 8, 10, 16
  set_width = 33,
  set_precision = 34,
  set_float_format = 35,  // 0 default, 1 fixed, 2 scientific, 3 hexfloat
  set_boolalpha = 36,     // 0 or 1
  set_fill = 37,
  set_showpos = 38,
  set_showbase = 39,
  set_uppercase = 40,
  set_adjust = 41,        // 0 right, 1 left, 2 internal
};

inline constexpr std::uint32_t item_value_bytes = 8;

// stdin_read: one lane asks for the next bytes of the process's stdin.
enum class stdin_mode : std::uint8_t {
  line = 0,  // bytes of the current line only; a line is never split between threads
  bytes = 1, // any bytes, across lines
};

struct stdin_args {
  std::uint32_t max_bytes;  // at most inline_arg_bytes (56) are returned per call
  std::uint8_t mode;        // stdin_mode
};

// A non-negative stdin_read status: the byte count (low 8 bits) and flags.
inline constexpr std::int64_t stdin_count_mask = 0xff;
inline constexpr std::int64_t stdin_end_of_line = 1 << 8;  // these bytes end a line ('\n' included, if it had one)
inline constexpr std::int64_t stdin_end_of_file = 1 << 9;  // nothing more: stdin is at its end

}  // namespace gpustd::protocol
