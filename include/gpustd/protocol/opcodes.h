// Operation numbers of the built-in services. Numbers below 0x8000 belong to
// gpustd; user hostcalls get numbers from 0x8000 up.
#pragma once
#include <cstdint>

#include "gpustd/config.h"

namespace gpustd::protocol {

enum class opcode : std::uint16_t {
  invalid = 0,
  null_call = 1,  // does nothing; returns 0 (latency and throughput probe)
  write = 2,      // args: i32 fd; payload: bytes. Returns bytes written.
  console = 3,    // args: console_args; payload: a console record (protocol/console.h)
  stdin_read = 4, // args: stdin_args. Returns stdin_status bits and up to 56 bytes.
  first_user = 0x8000,
};

GPUSTD_HOST_DEVICE constexpr std::uint16_t to_u16(opcode op) { return static_cast<std::uint16_t>(op); }

}  // namespace gpustd::protocol
