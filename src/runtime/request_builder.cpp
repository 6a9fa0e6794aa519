#include "request_builder.h"

#include <bit>
#include <cstring>

#include "gpustd/platform/bits.h"

namespace gpustd {

// What every request has, whatever its cells: where it is, who sent it, and
// no answer yet.
void request_builder::start(request& r, const unsigned char* stream, std::uint64_t bytes, const origin& o,
                            request_answers* results, unsigned lanes, std::uint32_t stride,
                            std::uint32_t packed_args) noexcept {
  r.stream_ = stream;
  r.stream_bytes_ = bytes;
  r.op_ = o.op;
  r.mask_ = o.mask;
  r.lanes_ = lanes;
  r.no_reply_ = o.no_reply;
  r.block_ = o.block;
  r.warp_ = o.warp;
  r.slot_ = o.slot;
  r.answers_ = results;
  r.has_data_ = false;
  r.data_bytes_ = 0;
  r.answered_ = false;
  r.cell_stride_ = stride;
  r.packed_args_ = packed_args;
  r.lanes_known_ = false;  // (statuses read as 0 until a handler answers: request::set_result)
}

// A packed request: each lane's arguments, cell_stride bytes, padded to 8;
// no heads and no payloads.
const char* request_builder::build_packed(request& r, const unsigned char* stream, std::uint64_t bytes,
                                          const origin& o, request_answers* results, unsigned lanes) noexcept {
  using namespace protocol;
  const std::uint32_t args = o.cell_stride;
  if (args == 0 || args > inline_arg_bytes) return "bad packed argument length";
  const std::uint32_t stride = packed_stride(args);
  if (bytes != std::uint64_t(lanes) * stride) return "packed request length does not match its lanes";
  start(r, stream, bytes, o, results, lanes, stride, args);
  return nullptr;
}

// A request in columns (layout.h): word w of rank r's arguments at
// w * column_row_bytes + 8 * r (with frame_head, word 0 the header's head
// word plus the lane's number, word w >= 1 at (w - 1) * column_row_bytes +
// 8 * r), laid out again as a packed request's in o.columns_out (lane after
// lane: what handlers read).
const char* request_builder::build_columns(request& r, const unsigned char* stream, std::uint64_t bytes,
                                           const origin& o, request_answers* results, unsigned lanes) noexcept {
  using namespace protocol;
  const std::uint32_t args = o.cell_stride;
  if (o.packed) return "request both packed and in columns";
  if (args == 0 || args > column_max_arg_bytes || args % 8) return "bad argument length of a request in columns";
  const std::uint32_t first_in_rows = o.head ? 1 : 0;  // (the word the first row holds)
  const std::uint32_t rows = args / 8 - first_in_rows;
  if (bytes != std::uint64_t(rows) * column_row_bytes) return "request in columns whose length does not match its rows";
  if (!o.columns_out) return "request in columns with nowhere to lay it out";
  unsigned rank = 0;
  for (std::uint32_t m = o.mask; m; m &= m - 1, ++rank) {
    unsigned char* out = o.columns_out + rank * args;
    if (o.head) {
      const std::uint64_t first = o.head_word + static_cast<unsigned>(std::countr_zero(m));
      std::memcpy(out, &first, 8);
    }
    for (std::uint32_t w = 0; w < rows; ++w)
      std::memcpy(out + (w + first_in_rows) * 8, stream + w * column_row_bytes + rank * 8, 8);
  }
  start(r, o.columns_out, std::uint64_t(lanes) * args, o, results, lanes, args, args);
  return nullptr;
}

const char* request_builder::build(request& r, const unsigned char* stream, std::uint64_t bytes, const origin& o,
                                   request_answers* results) noexcept {
  using namespace protocol;
  if (o.mask == 0) return "request with no lanes";
  const unsigned lanes = platform::popcount32(o.mask);
  if (o.columns) return build_columns(r, stream, bytes, o, results, lanes);
  if (o.head) return "head word in a request not in columns";
  if (o.packed) return build_packed(r, stream, bytes, o, results, lanes);
  const std::uint32_t stride = o.cell_stride;
  if (stride == 0 ? bytes != 0 : (stride < 8 || stride > cell_bytes || stride % 8)) return "bad lane cell stride";
  if (bytes < std::uint64_t(lanes) * stride) return "request shorter than its lane cells";
  start(r, stream, bytes, o, results, lanes, stride, 0);
  std::uint64_t offset = std::uint64_t(lanes) * stride;
  unsigned rank = 0;
  if (stride == 0) return nullptr;  // no arguments, no payloads
  for (std::uint32_t m = o.mask; m; m &= m - 1, ++rank) {
    r.lane_[rank] = static_cast<unsigned char>(std::countr_zero(m));
    request_cell c;
    std::memcpy(&c, stream + rank * stride, 8);
    if (c.arg_bytes > stride - 8) return "lane arguments longer than a cell";
    if (c.payload_bytes > bytes - offset) return "lane payload runs past the end of the request";
    r.payload_offset_[rank] = static_cast<std::uint32_t>(offset);
    offset += padded_payload(c.payload_bytes);
  }
  if (offset != bytes) return "request length does not match its lanes' payloads";
  r.lanes_known_ = true;  // (worked out on the way)
  return nullptr;
}

}  // namespace gpustd
