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
  // Files (protocol/files.h): the program's own descriptor table on the host.
  file_open = 5,   // args: open_args; payload: path. Returns a descriptor.
  file_close = 6,  // args: fd_args. Returns 0.
  file_io = 7,     // args: io_args; payload: bytes (inline write). Returns bytes moved.
  file_seek = 8,   // args: seek_args. Returns the new offset.
  file_stat = 9,   // args: fd_args. Returns 0 and a wire_stat.
  path_op = 10,    // args: path_args; payload: one or two paths.
  dir_read = 11,   // args: dir_args. Returns the entry's name length and type.
  file_scan = 12,  // args: scan_args. Reads a number or a word as istream's >> does.
  future_batch = 13,  // args: future_batch_args (hostcall/wire.h); fire-and-forget. Runs queued calls.
  // The return area (hostcall/wire.h, span_mode::returned):
  return_reserve = 14,  // args: u64 bytes. Returns 0 and the region's u64 device address.
  return_release = 15,  // args: u64 device address of a region; fire-and-forget.
  first_user = 0x8000,
};

GPUSTD_HOST_DEVICE constexpr std::uint16_t to_u16(opcode op) { return static_cast<std::uint16_t>(op); }

}  // namespace gpustd::protocol
