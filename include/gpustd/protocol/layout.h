// The hostcall channel: its memory layout, shared by device client and host
// server. Header-only and freestanding; both sides include this file.
//
// Host memory (pinned, mapped into the device's address space):
//
//   headers[slot_count][frames_per_slot]   frame headers, 64 B each
//   bodies[slot_count][frames_per_slot]    frame bodies, 2048 B each
//   doorbells[slot_count]            u32: newest frame sequence number the
//                                     device published on each slot
//
// A frame is a header and a body, kept apart so that a slot's headers lie
// side by side: the host reads a window of sends as lines next to each
// other rather than lines a body apart (docs/design.md).
//
// Device memory (only device threads touch it):
//
//   slot_states[slot_count]          lock, next sequence number, newest
//                                    sequence number known to be done
//
// A warp owns one slot while it sends a request. A request is a byte stream
// of one or more frames: first one cell per calling lane (its payload length
// and inline arguments; all cells of a request have the same stride, 8 bytes
// plus the longest lane's arguments padded to 8, at most 64; no cells at all
// when no lane has arguments or a payload), then the lanes' payloads in lane
// order, each padded to 8 bytes. Frame n of a slot is headers[slot][k] and
// bodies[slot][k], k = n % frames_per_slot, so up to frames_per_slot frames
// are in flight per slot and long payloads stream through that window.
//
// Handshake per frame (sequence numbers count from 1 and wrap at 2^32):
//
//   device                                   host
//   wait until progress >= seq - frames      (the previous use is finished;
//                                             blocking calls know it already)
//   write body, header (release)
//   doorbells[slot] = seq  (release, system) sees doorbell >= seq (acquire)
//                                            reads header and body;
//   (a sealed frame, protocol/seal.h: no     (a sealed frame is served once
//    release; the header carries a seal)      its seal matches what it read)
//                                            on the last frame of a blocking
//                                            request, unless every lane gets
//                                            the same status, writes each
//                                            lane's result into its body;
//   waits for done == seq (acquire)          answer = {seq, status} (release)
//                                            the ring's progress = seq (release;
//                                             not after a blocking request's
//                                             last frame, whose answer tells
//                                             the device as much)
//
// The host serves each slot's frames in sequence order, so one thread's
// fire-and-forget requests are handled in the order it sent them.
#pragma once
#include <cstddef>
#include <cstdint>

#include "gpustd/config.h"

namespace gpustd::protocol {

inline constexpr std::uint32_t lanes_per_request = 32;
inline constexpr std::uint32_t cell_bytes = 64;
inline constexpr std::uint32_t frame_body_bytes = lanes_per_request * cell_bytes;  // 2048
inline constexpr std::uint32_t inline_arg_bytes = cell_bytes - 8;                 // 56
inline constexpr std::uint32_t payload_alignment = 8;

// Flags in frame_header::flags.
enum frame_flags : std::uint16_t {
  frame_first = 1u << 0,     // first frame of a request: header fields valid
  frame_last = 1u << 1,      // last frame of a request
  frame_no_reply = 1u << 2,  // fire-and-forget: the device does not wait
  frame_packed = 1u << 3,    // cells without heads: cell_stride is every lane's argument bytes
  frame_sealed = 1u << 4,    // published without a fence: whole once `seal` matches (protocol/seal.h)
  frame_columns = 1u << 5,   // arguments in columns (below): cell_stride is every lane's argument bytes
  frame_head = 1u << 6,      // with frame_columns: every lane's first argument word in the header (below)
};

// A request in columns (frame_columns): no cells and no payloads; every
// lane's arguments, cell_stride bytes (a multiple of 8, up to
// column_max_arg_bytes), as rows of column_row_bytes: word w of the lane of
// rank r at w * column_row_bytes + 8 * r of the stream, so that each of a
// warp's stores is whole lines of host memory (in cells, each lane's own
// words are 64 bytes apart, and a warp's store is 32 writes across PCIe).
// A row never straddles two frames.
//
// With frame_head, every lane's first argument word is not in a row but in
// the header (frame_header::head), less the lane's number in its warp (0 to
// 31): word w of rank r at (w - 1) * column_row_bytes + 8 * r for w >= 1.
// A warp whose lanes' first words differ only by their lane numbers (an
// async_batch's header names each lane's own lines, wire.h) so sends one
// row less: a batch of 8 two-int calls in 8 rows, one frame, not 9 in two.
inline constexpr std::uint32_t column_row_bytes = lanes_per_request * 8;  // 256
inline constexpr std::uint32_t column_max_arg_bytes = 256;
inline constexpr std::uint32_t column_rows_per_frame = frame_body_bytes / column_row_bytes;  // 8

struct alignas(64) frame_header {
  std::uint32_t seq;          // device: sequence number of this frame
  std::uint16_t op;           // device: operation (same in every frame of a request)
  std::uint16_t flags;        // device: frame_flags
  std::uint32_t mask;         // device: lanes that take part, bit per lane
  std::uint32_t body_bytes;   // device: bytes of the request stream in this frame
  std::uint32_t total_bytes;  // device: bytes of the whole request stream
  std::uint32_t block;        // device: linear block index of the caller (diagnostics)
  std::uint32_t warp;         // device: warp in block of the caller (diagnostics)
  std::uint32_t cell_stride;  // device: bytes per lane cell (8..64, multiple of 8), or 0: no lane
                              // has arguments or a payload and the request is empty; with
                              // frame_packed, every lane's argument bytes (1..56; the cell is
                              // that padded to 8); with frame_columns, every lane's argument
                              // bytes (8..256, a multiple of 8)
  // device, with frame_sealed: what protocol/seal.h computes over the first
  // 32 bytes of this header and the frame's body. Right after them, so that
  // the five words go out in one store instruction of the group's lanes
  // (protocol/client.h): one write across PCIe, not two.
  std::uint64_t seal;
  // host, in the first frame of each slot's ring only: the newest sequence
  // number the host has finished on the slot (release). A sender whose
  // window is full reads it once and learns how many frames are free. (Here
  // rather than in an array of its own: the device already holds the ring's
  // address, so reading it costs no register.)
  std::uint32_t progress;
  std::uint32_t reserved0;
  // device, with frame_head (the first frame of a request in columns): every
  // lane's first argument word, less the lane's number in its warp. (A
  // sealed frame's seal mixes it in at seal_head_position: protocol/seal.h.)
  std::uint64_t head;
  // host: written once the last frame of a blocking request is answered (or
  // a request fails validation), in one 8-byte store; left alone for frames
  // nobody waits for, which only move the progress word:
  //   bits 0..31   the frame's seq ("done")
  //   bits 32..63  the status every lane gets, or one of the answer_per_lane
  //                values below: read each lane's status (and data) from
  //                the body, laid out as that value says
  // so that a uniform answer reaches the device in the same load as "done".
  std::uint64_t answer;
};
static_assert(sizeof(frame_header) == 64, "frame header is one 64-byte line");
// The client writes the first 40 bytes as five little-endian 8-byte words
// (the header's four, then the seal).
static_assert(offsetof(frame_header, op) == 4 && offsetof(frame_header, flags) == 6 &&
              offsetof(frame_header, mask) == 8 && offsetof(frame_header, body_bytes) == 12 &&
              offsetof(frame_header, total_bytes) == 16 && offsetof(frame_header, block) == 20 &&
              offsetof(frame_header, warp) == 24 && offsetof(frame_header, cell_stride) == 28 &&
              offsetof(frame_header, seal) == 32 && offsetof(frame_header, progress) == 40 &&
              offsetof(frame_header, head) == 48 &&
              offsetof(frame_header, answer) == 56);
// Answers with a status per lane (statuses in the body, laid out below).
// Which one the host writes depends on the widest data any lane got, so that
// the device reads from host memory only bytes that mean something (each
// byte it reads crosses PCIe; a warp of int results read 2 KB, now 128 B):
inline constexpr std::int32_t answer_per_lane = INT32_MIN;             // statuses, 56 data bytes a lane
inline constexpr std::int32_t answer_per_lane_status = INT32_MIN + 1;  // statuses only; data reads as zero
inline constexpr std::int32_t answer_per_lane_word = INT32_MIN + 2;    // statuses, 8 data bytes a lane
// Every lane's status is 0 and its 8 data bytes are in the body, without
// statuses: a typed hostcall's usual answer, half the bytes to write and one
// read of host memory a lane instead of two.
inline constexpr std::int32_t answer_words_ok = INT32_MIN + 3;
// Statuses only, each of which fits 32 bits, side by side as 32-bit words:
// a typed hostcall's small results (value + 1, wire.h) in 128 bytes, half
// the bytes to write and for the warp to read across PCIe.
inline constexpr std::int32_t answer_per_lane_status32 = INT32_MIN + 4;
// A status at or below this never travels as a uniform answer.
inline constexpr std::int32_t answer_lowest_layout = answer_per_lane_status32;
GPUSTD_HOST_DEVICE constexpr std::uint64_t make_answer(std::uint32_t seq, std::int32_t status) {
  return std::uint64_t(seq) | (std::uint64_t(static_cast<std::uint32_t>(status)) << 32);
}
GPUSTD_HOST_DEVICE constexpr std::uint32_t answer_seq(std::uint64_t a) { return static_cast<std::uint32_t>(a); }
GPUSTD_HOST_DEVICE constexpr std::int32_t answer_status(std::uint64_t a) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(a >> 32));
}

// A frame's body, in the channel's array of bodies.
struct alignas(64) frame_body {
  unsigned char bytes[frame_body_bytes];
};
static_assert(sizeof(frame_body) == frame_body_bytes);

// A frame: its header, and its body (in the channel, two arrays; see above).
struct frame_ref {
  frame_header& header;
  unsigned char* body;
};

// A frame's two parts side by side, for a frame that is not in a channel
// (tests of the seal, a request laid out by hand).
struct alignas(64) frame {
  frame_header header;
  unsigned char body[frame_body_bytes];
  operator frame_ref() noexcept { return {header, body}; }
};
static_assert(sizeof(frame) == 64 + frame_body_bytes);

// One lane's part of a request, at offset rank * cell_stride of the stream
// (rank: the lane's position among the request's lanes). Only the first
// 8 + arg_bytes bytes are meaningful. (A packed request has only `args`.)
struct request_cell {
  std::uint32_t payload_bytes;  // length of this lane's payload in the stream
  std::uint16_t arg_bytes;      // used bytes of args (<= inline_arg_bytes)
  std::uint16_t reserved;
  unsigned char args[inline_arg_bytes];
};
static_assert(sizeof(request_cell) == cell_bytes);

// The answer of a blocking request, written by the host over the body of
// its last frame: the lanes' statuses side by side (so that one warp-wide
// load reads them all), then each lane's 56 data bytes.
//
//   body[0, 256)          i64 status[rank]   >= 0 success, < 0 -errno
//   body[256, 2048)       data[rank][56]     (answer_per_lane)
//   body[256, 512)        data[rank][8]      (answer_per_lane_word; the other 48 bytes are zero)
// or, with answer_words_ok, only
//   body[0, 256)          data[rank][8]      (every status 0; the other 48 bytes are zero)
// or, with answer_per_lane_status32, only
//   body[0, 128)          i32 status[rank]   (data reads as zero)
// (The host gathers answers in the same layout: gpustd::request_answers.)
GPUSTD_HOST_DEVICE constexpr std::uint32_t result_status_offset(unsigned rank) { return 8u * rank; }
GPUSTD_HOST_DEVICE constexpr std::uint32_t result_data_offset(unsigned rank) {
  return 8u * lanes_per_request + inline_arg_bytes * rank;
}
static_assert(result_data_offset(lanes_per_request) == frame_body_bytes);
GPUSTD_HOST_DEVICE constexpr std::uint32_t result_word_offset(unsigned rank) { return 8u * lanes_per_request + 8u * rank; }
GPUSTD_HOST_DEVICE constexpr std::uint32_t result_ok_word_offset(unsigned rank) { return 8u * rank; }
GPUSTD_HOST_DEVICE constexpr std::uint32_t result_status32_offset(unsigned rank) { return 4u * rank; }

// Per-slot state in device memory, one 64-bit word so that a single atomic
// takes the lock and reads the state:
//   bits 0..31   next_seq  sequence number of the slot's next frame
//   bits 32..62  lag       next_seq - 1 - (newest seq the device knows is done),
//                          capped (a smaller known_done only costs a poll)
//   bit 63       lock      held by a warp sending on this slot
struct alignas(16) slot_state {
  std::uint64_t word;
  std::uint64_t reserved;
};
inline constexpr std::uint64_t slot_locked = 1ull << 63;
GPUSTD_HOST_DEVICE constexpr std::uint64_t pack_slot(std::uint32_t next_seq, std::uint32_t known_done) {
  const std::uint32_t lag = next_seq - 1u - known_done;
  return std::uint64_t(next_seq) | (std::uint64_t(lag < 0x7fffffffu ? lag : 0x7fffffffu) << 32);
}
GPUSTD_HOST_DEVICE constexpr std::uint32_t slot_next_seq(std::uint64_t w) { return static_cast<std::uint32_t>(w); }
GPUSTD_HOST_DEVICE constexpr std::uint32_t slot_known_done(std::uint64_t w) {
  return static_cast<std::uint32_t>(w) - 1u - static_cast<std::uint32_t>((w >> 32) & 0x7fffffffu);
}
inline constexpr slot_state initial_slot_state{pack_slot(1, 0), 0};

struct future_cell;   // hostcall/wire.h
struct future_group;  // hostcall/wire.h
struct process_state;  // protocol/process.h

// Everything device code needs to find the channel; copied to the device
// (and to every translation unit's copy, see device/channel_symbol.h).
struct channel_view {
  // slot_count * frames_per_slot frames (host memory): frame i is
  // headers[i] and bodies[i]; slot s's ring is frames s * frames_per_slot on.
  frame_header* headers = nullptr;
  frame_body* bodies = nullptr;
  std::uint32_t* doorbells = nullptr;  // slot_count words (host memory)
  slot_state* slots = nullptr;       // slot_count states (device memory)
  std::uint32_t slot_count = 0;
  std::uint32_t frames_per_slot = 0;  // a power of two, >= 2
  std::uint32_t max_request_bytes = 0;
  std::uint32_t errno_slots = 0;      // entries of thread_errno
  std::int32_t* thread_errno = nullptr;  // one error number per resident thread (device memory)
  // Futures of asynchronous typed hostcalls (hostcall/wire.h): cells the
  // host answers in (host memory), and a bit per cell, 1 while a future
  // holds it (device memory).
  // Cells come in groups of 8 (hostcall/wire.h): a bit per group, its
  // state, and each resident thread's open group + 1 (0: none; the CPU
  // backend keeps this per OS thread instead).
  future_cell* futures = nullptr;
  std::uint32_t* future_bits = nullptr;
  std::uint32_t future_count = 0;
  future_group* future_groups = nullptr;        // future_count / 8 (device memory)
  std::uint32_t* thread_future_group = nullptr;  // errno_slots entries (device memory; CUDA)
  // Batches' own lines, one lane's per resident thread (hostcall/wire.h,
  // "A batch's lines"): the words (host memory), how many lanes (a
  // multiple of 32; 0: none), and each lane's state (device memory).
  std::int64_t* batch_lanes = nullptr;
  std::uint32_t batch_lane_count = 0;
  std::uint32_t* batch_lane_state = nullptr;
  // Arguments, environment, exit code, clock cache (protocol/process.h;
  // device memory).
  process_state* process = nullptr;
};

// A packed request's cell: its lanes' argument bytes padded to 8.
GPUSTD_HOST_DEVICE constexpr std::uint32_t packed_stride(std::uint32_t arg_bytes) { return (arg_bytes + 7u) & ~7u; }

// Bytes a request stream needs: cells, then padded payloads.
GPUSTD_HOST_DEVICE constexpr std::uint32_t padded_payload(std::uint32_t n) {
  return (n + payload_alignment - 1) & ~(payload_alignment - 1);
}

}  // namespace gpustd::protocol
