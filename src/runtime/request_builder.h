// Turns a complete request stream into a validated gpustd::request.
#pragma once
#include <cstddef>
#include <cstdint>

#include "gpustd/runtime/request.h"

namespace gpustd {

class request_builder {
 public:
  struct origin {
    std::uint16_t op;
    std::uint32_t mask;
    bool no_reply;
    std::uint32_t block, warp;
    std::uint32_t cell_stride = protocol::cell_bytes;
    std::uint32_t slot = 0;
    bool packed = false;  // frame_packed: cells without heads, cell_stride = every lane's argument bytes
    // frame_columns (layout.h): the lanes' arguments are laid out here, as
    // a packed request's (lanes x cell_stride bytes; column_unpacked_bytes
    // will do), and the request reads them from here.
    bool columns = false;
    unsigned char* columns_out = nullptr;
    // frame_head (layout.h): every lane's first argument word is head_word
    // plus the lane's number, and the rows hold the words after it.
    bool head = false;
    std::uint64_t head_word = 0;
  };
  // Fills `r` from `bytes` bytes at `stream`; returns null, or why the stream
  // is malformed (then `r` must not be given to a handler). `results` receives
  // the lanes' answers, once a handler gives one (request::set_result: until
  // then every status reads as 0 and nothing is written there).
  static const char* build(request& r, const unsigned char* stream, std::uint64_t bytes, const origin& o,
                           request_answers* results) noexcept;

 private:
  static void start(request& r, const unsigned char* stream, std::uint64_t bytes, const origin& o,
                    request_answers* results, unsigned lanes, std::uint32_t stride,
                    std::uint32_t packed_args) noexcept;
  static const char* build_packed(request& r, const unsigned char* stream, std::uint64_t bytes, const origin& o,
                                  request_answers* results, unsigned lanes) noexcept;
  static const char* build_columns(request& r, const unsigned char* stream, std::uint64_t bytes, const origin& o,
                                   request_answers* results, unsigned lanes) noexcept;
};

// Room for any request in columns, laid out as a packed one.
inline constexpr std::size_t column_unpacked_bytes =
    std::size_t(protocol::lanes_per_request) * protocol::column_max_arg_bytes;

}  // namespace gpustd
