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
#include <cstdint>
#include <memory>

#include "gpustd/platform/bits.h"
#include "gpustd/protocol/layout.h"

namespace gpustd {

// A one-frame request, as its header says; nothing in it is trusted beyond
// what the server checked: it fits one frame, and its mask is not 0.
struct direct_request {
  const unsigned char* body;  // the frame's body (read only: answers go to direct_answers)
  std::uint32_t body_bytes;
  std::uint32_t cell_stride;  // packed: every lane's argument bytes
  std::uint32_t mask;
  bool packed;
  bool no_reply;
  // The calling lanes (>= 1). (Counted when asked for: the null call never asks.)
  unsigned lanes() const noexcept { return platform::popcount32(mask); }
};

// The lanes' answers: one status for every lane, or a status (and maybe
// 8 data bytes) per lane, by rank.
struct direct_answers {
  bool per_lane = false;   // false: every lane gets `uniform`, no data
  bool has_words = false;  // per_lane: word[rank] holds each lane's 8 data bytes
  std::int32_t uniform = 0;
  std::int64_t status[protocol::lanes_per_request];
  std::uint64_t word[protocol::lanes_per_request];
};

// Fills `out` and returns true, or returns false (declined: the request
// goes to the operation's handler). Called on server threads, concurrently;
// it must not throw (a callable's exception is that lane's -EIO).
using direct_fn = bool (*)(const void* context, const direct_request& req, direct_answers& out) noexcept;

struct direct_handler {
  direct_fn fn = nullptr;
  std::shared_ptr<const void> context;  // kept alive as long as the handler
  explicit operator bool() const noexcept { return fn != nullptr; }
};

}  // namespace gpustd
