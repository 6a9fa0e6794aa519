// Batched asynchronous calls, the device's side (the format: hostcall/wire.h).
//
// A thread holds at most one open group of future cells at a time. Each
// asynchronous call whose arguments fit a cell is queued in the group's next
// cell; the group's queued calls go to the host in one fire-and-forget
// request when the group is full, when the thread waits for one of them, or
// on flush_calls(). Sending eight calls in one request, and reading their
// answers ahead with loads issued together, is what makes eight calls in
// flight cheaper than eight blocking calls: each request costs a slot lock
// and a system-scope fence, and each dependent read of host memory a PCIe
// round trip.
//
// A group's state (future_group, device memory) is touched only by the
// thread that holds the group, with plain accesses: taking the group's bit
// (acquire) and giving it back (release) order one holder after the other.
// Futures therefore belong to the thread that made them.
#pragma once
#include <cstdint>
#include <cstring>

#include "gpustd/hostcall/wire.h"
#include "gpustd/platform/atomic.h"
#include "gpustd/platform/lane.h"
#include "gpustd/protocol/client.h"
#include "gpustd/protocol/opcodes.h"

namespace gpustd::hostcall_detail {

inline constexpr std::uint32_t no_future_cell = ~0u;
inline constexpr std::uint32_t group_cells = protocol::future_group_cells;

// The calling thread's open group + 1; 0: none.
GPUSTD_INLINE std::uint32_t& open_group(const protocol::channel_view& ch) {
  return platform::thread_word(ch.thread_future_group, ch.errno_slots, ch.future_groups);
}

// Takes a free group and resets its state; no_future_cell when none of the
// bitmap words it looks at has one. (Waiting for a group could wait
// forever: threads holding groups may be waiting for more themselves.) Each
// thread starts at its own word and looks at a few: when more futures are
// wanted than the arena holds, a scan of the whole bitmap per call would
// cost more than the blocking call that replaces it.
GPUSTD_INLINE std::uint32_t take_group(const protocol::channel_view& ch) {
  const std::uint32_t words = ch.future_count / group_cells / 32;
  const std::uint32_t looks = words < 8 ? words : 8;
  std::uint32_t w = (platform::resident_warp_index() * 32 + platform::lane_id()) % words;
  for (std::uint32_t n = 0; n < looks; ++n, w = w + 1 == words ? 0 : w + 1) {
    const std::uint32_t seen = platform::load_relaxed_device(ch.future_bits[w]);
    if (seen == ~0u) continue;
    const std::uint32_t bit = ~seen & (seen + 1);  // the lowest free group of this word
    // Acquire: the group's last holder's accesses happen before ours.
    if (!(platform::fetch_or_acquire_device(ch.future_bits[w], bit) & bit)) {
      const std::uint32_t g = w * 32 + platform::popcount(bit - 1);
      protocol::future_group& gs = ch.future_groups[g];
      gs.queued = gs.sent = gs.live = 0;
      return g;
    }
  }
  return no_future_cell;
}

// Release: our accesses to the group happen before its next holder's.
GPUSTD_INLINE void give_back_group(const protocol::channel_view& ch, std::uint32_t g) {
  platform::fetch_and_release_device(ch.future_bits[g / 32], ~(1u << (g % 32)));
}

// Sends group g's queued calls that are not sent yet, in one request for
// the lanes that call this together. A send that fails (no runtime, say)
// answers those calls here with its error.
GPUSTD_INLINE void send_queued(const protocol::channel_view& ch, std::uint32_t g) {
  protocol::future_group& gs = ch.future_groups[g];
  const protocol::future_batch_args a{g * group_cells + gs.sent, static_cast<std::uint32_t>(gs.queued - gs.sent)};
  if (a.count == 0) return;
  protocol::lane_request rq;
  rq.op = protocol::to_u16(protocol::opcode::future_batch);
  rq.no_reply = true;
  rq.args = &a;
  rq.arg_bytes = sizeof a;
  const std::int64_t st = protocol::hostcall(rq);
  if (st < 0)
    for (std::uint32_t k = gs.sent; k < gs.queued; ++k) gs.seen[k] = st;
  gs.sent = gs.queued;
}

// The calling thread's open group (taken if it has none); no_future_cell
// when the arena has no free group.
GPUSTD_INLINE std::uint32_t my_group(const protocol::channel_view& ch, std::uint32_t& open) {
  if (open == 0) {
    const std::uint32_t g = take_group(ch);
    if (g == no_future_cell) return no_future_cell;
    open = g + 1;
  }
  return open - 1;
}

// Queues a call of asynchronous operation `op` whose n (<= 56) argument
// bytes are `bytes`; returns its cell, or no_future_cell.
GPUSTD_INLINE std::uint32_t queue_call(const protocol::channel_view& ch, std::uint16_t op, const unsigned char* bytes,
                                       std::uint32_t n) {
  std::uint32_t& open = open_group(ch);
  const std::uint32_t g = my_group(ch, open);
  if (g == no_future_cell) return no_future_cell;
  protocol::future_group& gs = ch.future_groups[g];
  const std::uint32_t k = gs.queued++;
  ++gs.live;
  gs.seen[k] = protocol::future_pending;
  const std::uint32_t cell = g * group_cells + k;
  protocol::future_cell& c = ch.futures[cell];
  // Plain 8-byte stores of the used words, then the status; the request
  // that sends the call publishes them all (the fence before its doorbell).
  std::uint64_t words[protocol::inline_arg_bytes / 8];
  std::memcpy(words, bytes, n);
  auto* to = reinterpret_cast<std::uint64_t*>(c.data);
  for (std::uint32_t i = 0; i < (n + 7) / 8; ++i) to[i] = words[i];
  platform::store_relaxed_system(c.status, protocol::queued_status(op, n));
  if (gs.queued == group_cells) {  // full: send it and open the next one on the next call
    send_queued(ch, g);
    open = 0;
  }
  return cell;
}

// A cell for a call sent at once (arguments over a cell), after the group's
// queued calls; no_future_cell when the arena has no free group.
GPUSTD_INLINE std::uint32_t cell_for_send(const protocol::channel_view& ch) {
  std::uint32_t& open = open_group(ch);
  const std::uint32_t g = my_group(ch, open);
  if (g == no_future_cell) return no_future_cell;
  send_queued(ch, g);  // the thread's earlier calls first
  protocol::future_group& gs = ch.future_groups[g];
  const std::uint32_t k = gs.queued++;
  gs.sent = gs.queued;
  ++gs.live;
  gs.seen[k] = protocol::future_pending;
  const std::uint32_t cell = g * group_cells + k;
  platform::store_relaxed_system(ch.futures[cell].status, protocol::future_pending);  // (published by the send)
  if (gs.queued == group_cells) open = 0;
  return cell;
}

// Whether the call in `cell` is answered (sends it first if it is queued).
GPUSTD_INLINE bool cell_ready(const protocol::channel_view& ch, std::uint32_t cell) {
  const std::uint32_t g = cell / group_cells, k = cell % group_cells;
  protocol::future_group& gs = ch.future_groups[g];
  if (k >= gs.sent) send_queued(ch, g);
  if (protocol::future_answered(gs.seen[k])) return true;
  const std::int64_t s = platform::load_relaxed_system(ch.futures[cell].status);
  if (!protocol::future_answered(s)) return false;
  gs.seen[k] = s;
  return true;
}

// Waits for the call in `cell` (sending it first if it is queued) and
// returns its status. `acquired`: whether the wait ended in an acquire load
// of the cell's status, after which its data may be read.
GPUSTD_INLINE std::int64_t await_cell(const protocol::channel_view& ch, std::uint32_t cell, bool& acquired) {
  const std::uint32_t g = cell / group_cells, k = cell % group_cells;
  protocol::future_group& gs = ch.future_groups[g];
  if (k >= gs.sent) send_queued(ch, g);
  acquired = false;
  std::int64_t s = gs.seen[k];
  if (protocol::future_answered(s)) return s;
  protocol::future_cell* cells = ch.futures + g * group_cells;
  for (unsigned spins = 0; !protocol::future_answered(s = platform::load_acquire_system(cells[k].status)); ++spins)
    platform::short_sleep(spins < 64 ? 100 : 1000);
  acquired = true;
  gs.seen[k] = s;
  // Read the group's other sent, unanswered calls' statuses ahead, with the
  // loads issued together: one round trip for all, where each of their own
  // waits would cost one. (Relaxed: a value in the status needs nothing
  // more; a get that reads data acquires first.)
  std::int64_t ahead[group_cells];
  for (std::uint32_t j = 0; j < group_cells; ++j)
    ahead[j] = j != k && j < gs.sent && !protocol::future_answered(gs.seen[j])
                   ? platform::load_relaxed_system(cells[j].status)
                   : protocol::future_pending;
  for (std::uint32_t j = 0; j < group_cells; ++j)
    if (protocol::future_answered(ahead[j])) gs.seen[j] = ahead[j];
  return s;
}

// The future of `cell` is finished with; the group's last one gives the
// group back (and closes it, if it was the thread's open group).
GPUSTD_INLINE void retire_cell(const protocol::channel_view& ch, std::uint32_t cell) {
  const std::uint32_t g = cell / group_cells;
  protocol::future_group& gs = ch.future_groups[g];
  if (--gs.live == 0 && gs.sent == gs.queued) {
    std::uint32_t& open = open_group(ch);
    if (open == g + 1) open = 0;
    give_back_group(ch, g);
  }
}

}  // namespace gpustd::hostcall_detail
