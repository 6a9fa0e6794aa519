// gpustd::null_call — a hostcall that does nothing: the cost of the channel.
#pragma once
#include <cstdint>

#include "gpustd/protocol/client.h"
#include "gpustd/protocol/opcodes.h"

namespace gpustd {

// Round trip to the host and back. Returns 0, or a negative errno value
// (-ENODEV when no runtime serves the process).
GPUSTD_INLINE int null_call() {
  protocol::lane_request rq;
  rq.op = protocol::to_u16(protocol::opcode::null_call);
  rq.self_contained = true;
  return static_cast<int>(protocol::hostcall(rq));
}

// Fire-and-forget: returns once the request is in the channel.
GPUSTD_INLINE int null_send() {
  protocol::lane_request rq;
  rq.op = protocol::to_u16(protocol::opcode::null_call);
  rq.no_reply = true;
  rq.self_contained = true;
  return static_cast<int>(protocol::hostcall(rq));
}

}  // namespace gpustd
