// Wire format of typed hostcalls (GPUSTD_HOSTCALL), shared by the device's
// call<H>() and the host's registered handler. Header-only, both sides.
//
// Operation numbers: a hostcall named N gets 0xC000 | (FNV-1a(N) & 0x3FFE)
// for blocking calls and that + 1 for asynchronous ones (futures). Raw user
// operations (runtime::register_handler) keep 0x8000-0xBFFF. Registering a
// second hostcall whose name hashes to a taken number is refused at run
// time (rename one).
//
// A lane's arguments: every argument's wire form, packed in declaration
// order at its natural alignment (the "fixed part"), then the "variable
// part": the bytes of strings and of spans sent inline, each at an offset
// aligned to 8 that the fixed part names. When the fixed part fits the
// lane's 56 inline bytes and there is no variable part, it travels as the
// lane's inline arguments; otherwise everything is the lane's payload and the
// inline arguments are empty. An asynchronous call's bytes (inline or
// payload) start with an 8-byte future index (async_header), then the same.
//
// Wire forms:
//   trivially copyable T     its bytes
//   gpustd::string_view,     wire_string {offset, length}: bytes in the
//   const char*              variable part (a null char* is length ~0u)
//   in_span<T>               wire_span {address, count, offset, mode}:
//                            mode inline (bytes in the variable part) or
//                            bulk (the host reads `address` by DMA)
//   out_span<T>              wire_span {address, count, 0, bulk}: the host
//                            writes the elements back by DMA; or, where it
//                            cannot (no DMA: it answers the call with
//                            status_use_inline), {region, count, 0,
//                            returned}: the host writes them into a region
//                            of the runtime's return area (pinned host
//                            memory) that the device reserved for the call
//                            (opcode::return_reserve), and the device copies
//                            them out after the answer and gives the region
//                            back (opcode::return_release)
//
// The answer: status (0, or -errno) and the result's bytes (at most 56).
// A small result may travel in the status itself:
// an integral result of at most 4 bytes in [0, 2^31 - 2) is sent as
// status = value + 1 with no data bytes, so that a warp whose lanes all got
// the same such value (every single-lane call) is answered in the one word
// the device polls, without a second read of the answer's body; and a
// future's get() needs no read beyond the poll that saw it done.
// Asynchronous calls get status and bytes in their future's cell in the
// runtime's future arena (pinned host memory the device reads).
//
// Batched asynchronous calls. The arena's cells come in groups of
// future_group_cells; a thread takes a whole group (one atomic) and queues
// its asynchronous calls in it: each call's argument bytes go straight into
// its cell's data, and its status says "queued" with the operation and the
// arguments' length (queued_status). Nothing is sent yet. The thread sends
// the queued calls of a group in one fire-and-forget request
// (opcode::future_batch, one future_batch_args a lane) when the group is
// full, when it waits for one of them (get, wait, ready), or when it asks
// (gpustd::flush_calls). The host runs each cell's call in order and answers
// in the cell as for any asynchronous call. A call whose arguments do not
// fit a cell's 56 bytes is sent at once, as its own request (an 8-byte
// async_header naming the cell, then the arguments), after the group's
// queued calls.
//
// Batches (gpustd::async_batch, hostcall/async_batch.h): up to
// batch_max_calls calls of one hostcall from a lane, in one asynchronous
// request. The lane's bytes: an async_header naming the first cell of a
// group the lane holds, whose `batch` holds the number of calls and the
// batch's tag (batch_field); then each call's fixed part at a stride of
// its length rounded up to 8 (plain parameters only: no strings, no
// spans). The host runs a lane's calls in order and answers call k in word
// k of that cell (the answer line): batch_answer of the tag and its status,
// written once; a result that travels as data (at most 8 bytes) goes in
// word k of the next cell (the data line), written before. The tag tells
// this batch's answers from what the line held before: it is never 0, and
// differs from every tag still in the line (future_group::batch_tag: a
// count per group, the line zeroed when it starts again), so that the
// device need not clear the line before it sends: the line stays in the
// host's cache, where the host's answers find it, rather than being
// written across PCIe before each batch (and then missed by each answer's
// store). The host writes a lane's answers together, after all its calls
// have run: the device polls the line meanwhile, and each of its reads
// takes the line from the host's cache.
//
// A batch's lines (the lane's own): where the runtime has them (channel_
// view::batch_lanes), each thread the GPU can hold resident has answer and
// data words of its own, laid out by warp so that a warp's loads of them
// are whole lines: for resident lane i, call k's answer word is word
// (i / 32) * 512 + k * 32 + i % 32 of the array, its data word 256 words
// further (batch_lane_answer, batch_lane_data). A batch in them names the
// lane with batch_lane_flag in async_header::future (the rest: i). The
// tags are the lane's own (batch_lane_state, in device memory: the last
// tag, and a bit while a batch is in them; its thread's alone, and a
// thread's first batch in flight only: a second goes to a group). The
// words start at 0, and are zeroed when the tags start again.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "gpustd/config.h"

namespace gpustd::protocol {

inline constexpr std::uint16_t typed_first = 0xC000;
inline constexpr std::uint16_t typed_mask = 0x3FFE;

GPUSTD_HOST_DEVICE constexpr std::uint16_t typed_op(const char* name) {
  std::uint32_t h = 2166136261u;
  for (const char* p = name; *p; ++p) h = (h ^ static_cast<unsigned char>(*p)) * 16777619u;
  return static_cast<std::uint16_t>(typed_first | (h & typed_mask));
}
GPUSTD_HOST_DEVICE constexpr bool is_typed_async(std::uint16_t op) { return op >= typed_first && (op & 1u); }

struct wire_string {
  std::uint32_t offset;  // into the variable part
  std::uint32_t length;  // ~0u: a null const char*
};
inline constexpr std::uint32_t null_string_length = ~0u;

enum class span_mode : std::uint32_t { inline_bytes = 0, bulk = 1, returned = 2 };
struct wire_span {
  std::uint64_t address;  // device address of the first element
  std::uint64_t count;    // elements
  std::uint32_t offset;   // inline: into the variable part
  span_mode mode;
};

template <class R>
inline constexpr bool result_in_status = std::is_integral_v<R> && sizeof(R) <= 4;
inline constexpr std::int64_t status_value_limit = 0x7ffffffe;

struct async_header {
  std::uint32_t future;  // index of the future's cell in the arena (a batch's answer line), or batch_lane_flag | lane
  std::uint32_t batch;   // 0: one call; else a batch: batch_field(calls, tag)
};

inline constexpr std::uint32_t batch_max_calls = 8;
// Tags count 1, 2, ... below batch_tag_limit, then start again at 1 (the
// line zeroed first).
inline constexpr std::uint32_t batch_tag_limit = 1u << 24;
GPUSTD_HOST_DEVICE constexpr std::uint32_t batch_field(std::uint32_t calls, std::uint32_t tag) {
  return calls | tag << 8;
}
GPUSTD_HOST_DEVICE constexpr std::uint32_t batch_call_count(std::uint32_t field) { return field & 0xffu; }
GPUSTD_HOST_DEVICE constexpr std::uint32_t batch_tag_of(std::uint32_t field) { return field >> 8; }
// A batch's answer word: the tag (never 0) above the status.
GPUSTD_HOST_DEVICE constexpr std::int64_t batch_answer(std::uint32_t tag, std::int64_t status) {
  return static_cast<std::int64_t>(std::uint64_t(tag) << 32 | static_cast<std::uint32_t>(status));
}
GPUSTD_HOST_DEVICE constexpr bool batch_answered(std::int64_t word, std::uint32_t tag) {
  return static_cast<std::uint32_t>(static_cast<std::uint64_t>(word) >> 32) == tag;
}
GPUSTD_HOST_DEVICE constexpr std::int32_t batch_status(std::int64_t word) {
  return static_cast<std::int32_t>(static_cast<std::uint32_t>(word));
}

// A batch in the lane's own lines (above): async_header::future is this
// flag | the resident lane's index.
inline constexpr std::uint32_t batch_lane_flag = 1u << 31;
// Words from a lane's word for call k to its word for call k + 1 (a warp's
// lanes side by side), and from a call's answer word to its data word.
inline constexpr std::uint32_t batch_lane_call_stride = 32;
inline constexpr std::uint32_t batch_lane_data_offset = batch_max_calls * batch_lane_call_stride;
inline constexpr std::uint32_t batch_lane_words = 2 * batch_lane_data_offset;  // a warp's: 4 KiB
GPUSTD_HOST_DEVICE constexpr std::size_t batch_lane_answer(std::uint32_t lane, std::uint32_t k) {
  return std::size_t(lane / batch_lane_call_stride) * batch_lane_words + k * batch_lane_call_stride +
         lane % batch_lane_call_stride;
}
GPUSTD_HOST_DEVICE constexpr std::size_t batch_lane_data(std::uint32_t lane, std::uint32_t k) {
  return batch_lane_answer(lane, k) + batch_lane_data_offset;
}
// A lane's state word (device memory): its last tag, and this bit while a
// batch is in its lines.
inline constexpr std::uint32_t batch_lane_busy = 1u << 31;

// A future's cell in the arena: the host writes data, then status (release,
// system scope); the device reads status (acquire) until it is not pending.
inline constexpr std::int64_t future_pending = INT64_MIN;
struct future_cell {
  std::int64_t status;
  unsigned char data[56];
};
static_assert(sizeof(future_cell) == 64);
// A cell as a batch's line: eight 8-byte words.
GPUSTD_HOST_DEVICE inline std::int64_t* batch_words(future_cell& c) { return reinterpret_cast<std::int64_t*>(&c); }

// Every status below this is "not answered yet" (pending or queued); the
// answers (0, -errno, or a value + 1 below 2^31) are all above it.
inline constexpr std::int64_t future_unanswered_limit = -(std::int64_t(1) << 62);
GPUSTD_HOST_DEVICE constexpr bool future_answered(std::int64_t status) { return status >= future_unanswered_limit; }
// A queued call's status: the operation (the asynchronous number) and the
// length of the arguments in the cell's data.
GPUSTD_HOST_DEVICE constexpr std::int64_t queued_status(std::uint16_t op, std::uint32_t arg_bytes) {
  return future_pending | (std::int64_t(op) << 16) | std::int64_t(arg_bytes);
}
GPUSTD_HOST_DEVICE constexpr bool is_queued(std::int64_t status) {
  return status < future_unanswered_limit && status != future_pending;
}
GPUSTD_HOST_DEVICE constexpr std::uint16_t queued_op(std::int64_t status) {
  return static_cast<std::uint16_t>(status >> 16);
}
GPUSTD_HOST_DEVICE constexpr std::uint32_t queued_arg_bytes(std::int64_t status) {
  return static_cast<std::uint32_t>(status & 0xffff);
}

inline constexpr std::uint32_t future_group_cells = 8;
// A lane's arguments of opcode::future_batch: cells [first, first + count)
// of one group, queued, to be run in that order.
struct future_batch_args {
  std::uint32_t first;
  std::uint32_t count;
};

// A group's state, in device memory; only the thread that holds the group
// touches it (taking and giving back the group's bit orders the holders).
// How many of its cells are used and sent is in the thread's word while the
// group is open (hostcall/future_queue.h); a group stops being open only
// when all 8 are used and sent, or when it is given back.
// (One 64-byte line: a get touches only it. An answer always fits 32 bits:
// 0, -errno, or a value + 1 below 2^31.)
inline constexpr std::int32_t seen_pending = INT32_MIN;
struct alignas(64) future_group {
  std::int32_t seen[future_group_cells];  // answers already read from the arena; seen_pending: not yet
  std::uint8_t retired;                   // a bit per cell whose future is finished with (got or dropped)
  // The tag of the last batch whose answers went to the group's first cell
  // (its answer line); 0: the cell was last used otherwise, or never (a
  // batch zeroes the line first).
  std::uint32_t batch_tag;
};
static_assert(sizeof(future_group) == 64);
static_assert(status_value_limit < INT32_MAX);

}  // namespace gpustd::protocol
