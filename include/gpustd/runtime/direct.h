// Direct handlers: a request that fits one frame served where the server
// finds it, without a gpustd::request.
//
// Building a request object, calling a std::function and gathering the
// answers in request_answers cost a server thread most of its time per
// request when the handler itself does almost nothing (the null call, a
// typed hostcall of plain parameters: docs/design.md, "Direct handlers").
// An operation may carry, beside its handler, a direct handler that reads
// the frame's arguments in place and gives back every lane's answer; the
// server writes the answer into the frame as it would a handler's. A
// direct handler may decline (any request shape it does not expect): the
// request then goes the usual way, which validates it and answers errors.
//
// Only for polling operations, and not while a tracer records requests.
#pragma once
#include <climits>
#include <cstdint>
#include <memory>

#include "gpustd/platform/bits.h"
#include "gpustd/protocol/layout.h"

namespace gpustd {

// A one-frame request, as its header says; nothing in it is trusted beyond
// what the server checked: it fits one frame, and its mask is not 0. (A
// view of the header the server copied: building it costs two stores.)
struct direct_request {
  const protocol::frame_header* header;
  const unsigned char* body;  // the frame's body (read only: answers go to direct_answers)
  std::uint32_t body_bytes() const noexcept { return header->body_bytes; }
  std::uint32_t cell_stride() const noexcept { return header->cell_stride; }  // packed: every lane's argument bytes
  std::uint32_t mask() const noexcept { return header->mask; }
  bool packed() const noexcept { return (header->flags & protocol::frame_packed) != 0; }
  bool no_reply() const noexcept { return (header->flags & protocol::frame_no_reply) != 0; }
  // The calling lanes (>= 1). (Counted when asked for: the null call never asks.)
  unsigned lanes() const noexcept { return platform::popcount32(header->mask); }
};

// What a direct handler returns, besides every lane's status (any other
// value): declined, the request goes to the operation's handler; or the
// answers are per lane, in direct_answers.
inline constexpr std::int64_t direct_declined = INT64_MIN;
inline constexpr std::int64_t direct_per_lane = INT64_MIN + 1;

// The lanes' answers when per lane: a status (and maybe 8 data bytes)
// each, by rank. A status here is 32 bits (0, -errno, or a typed
// hostcall's value + 1 below 2^31: hostcall/wire.h), so that the server
// copies the statuses into the frame as they are (layout.h,
// answer_per_lane_status32).
struct direct_answers {
  bool has_words = false;  // word[rank] holds each lane's 8 data bytes
  std::int32_t status[protocol::lanes_per_request];
  std::uint64_t word[protocol::lanes_per_request];
};

// Returns every lane's status (any 64-bit value), or direct_per_lane after
// filling `out`, or direct_declined. (Returned rather than stored: the null
// call's answer then never goes through memory.) Called on server threads,
// concurrently; it must not throw (a callable's exception is that lane's
// -EIO).
using direct_fn = std::int64_t (*)(const void* context, const direct_request& req, direct_answers& out) noexcept;

struct direct_handler {
  direct_fn fn = nullptr;
  std::shared_ptr<const void> context;  // kept alive as long as the handler
  explicit operator bool() const noexcept { return fn != nullptr; }
};

}  // namespace gpustd
