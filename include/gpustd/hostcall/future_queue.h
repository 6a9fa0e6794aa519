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
// State, all in device memory and touched only by the thread that holds
// the group, with plain accesses (taking the group's bit, acquire, and
// giving it back, release, order one holder after the other):
// - the thread's word (platform::thread_word): its open group + 1, and how
//   many of that group's cells are used and sent; one load per queued call;
// - the group's future_group: answers read ahead, and which cells are retired.
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

// The thread's word: bits 0..3 cells used, 4..7 cells sent, 8..31 the open
// group + 1 (0: none).
struct open_group {
  std::uint32_t word;
  GPUSTD_INLINE bool any() const { return (word >> 8) != 0; }
  GPUSTD_INLINE std::uint32_t group() const { return (word >> 8) - 1; }
  GPUSTD_INLINE std::uint32_t used() const { return word & 15u; }
  GPUSTD_INLINE std::uint32_t sent() const { return (word >> 4) & 15u; }
  GPUSTD_INLINE bool is(std::uint32_t g) const { return (word >> 8) == g + 1; }
  static GPUSTD_INLINE std::uint32_t make(std::uint32_t g, std::uint32_t used, std::uint32_t sent) {
    return (g + 1) << 8 | sent << 4 | used;
  }
};

GPUSTD_INLINE std::uint32_t& thread_group_word(const protocol::channel_view& ch) {
  return platform::thread_word(ch.thread_future_group, ch.errno_slots, ch.future_groups);
}

// Takes a free group; no_future_cell when none of the bitmap words it
// looks at has one. (Waiting for a group could wait forever: threads
// holding groups may be waiting for more themselves.) Each thread starts at
// its own word and looks at a few: when more futures are wanted than the
// arena holds, a scan of the whole bitmap per call would cost more than the
// blocking call that replaces it.
// (First, without looking: the thread's own group, the one its index
// names, which it most often gave back last; one atomic, no load before.)
// The group's state is as its last holder left it (async_batch reads its
// batch_tag; take_group resets it).
GPUSTD_INLINE std::uint32_t claim_group(const protocol::channel_view& ch) {
  const std::uint32_t words = ch.future_count / group_cells / 32;
  const std::uint32_t looks = words < 8 ? words : 8;
  const std::uint32_t index = platform::resident_warp_index() * 32 + platform::lane_id();
  std::uint32_t w = index % words;
  std::uint32_t bit = 1u << (index / words % 32);
  bool home = true;
  for (std::uint32_t n = 0; n < looks;) {
    if (!home) {
      const std::uint32_t seen = platform::load_relaxed_device(ch.future_bits[w]);
      if (seen == ~0u) {
        ++n;
        w = w + 1 == words ? 0 : w + 1;
        continue;
      }
      bit = ~seen & (seen + 1);  // the lowest free group of this word
    }
    // Acquire: the group's last holder's accesses happen before ours.
    if (!(platform::fetch_or_acquire_device(ch.future_bits[w], bit) & bit))
      return w * 32 + platform::popcount(bit - 1);
    if (!home) {  // taken meanwhile: the next word
      ++n;
      w = w + 1 == words ? 0 : w + 1;
    }
    home = false;
  }
  return no_future_cell;
}

// Takes a free group for futures (claim_group) and resets its state: no
// answer seen, no future retired, and its first cell no longer a batch's
// answer line (the futures' statuses and data will be written there).
GPUSTD_INLINE std::uint32_t take_group(const protocol::channel_view& ch) {
  const std::uint32_t g = claim_group(ch);
  if (g == no_future_cell) return g;
  protocol::future_group& gs = ch.future_groups[g];
  for (std::uint32_t k = 0; k < group_cells; ++k) gs.seen[k] = protocol::seen_pending;
  gs.retired = 0;
  gs.batch_tag = 0;
  return g;
}

// Release: our accesses to the group happen before its next holder's.
GPUSTD_INLINE void give_back_group(const protocol::channel_view& ch, std::uint32_t g) {
  platform::fetch_and_release_device(ch.future_bits[g / 32], ~(1u << (g % 32)));
}

// Sends cells [from, to) of group g, queued, in one request for the lanes
// that call this together. A send that fails (no runtime, say) answers
// those calls here with its error.
GPUSTD_INLINE void send_cells(const protocol::channel_view& ch, std::uint32_t g, std::uint32_t from, std::uint32_t to) {
  if (from >= to) return;
  const protocol::future_batch_args a{g * group_cells + from, to - from};
  protocol::lane_request rq;
  rq.op = protocol::to_u16(protocol::opcode::future_batch);
  rq.no_reply = true;
  rq.args = &a;
  rq.arg_bytes = sizeof a;
  const std::int64_t st = protocol::hostcall(rq);
  if (st < 0)
    for (std::uint32_t k = from; k < to; ++k) ch.future_groups[g].seen[k] = static_cast<std::int32_t>(st);
}

// Sends what the thread's open group holds unsent; returns the new word.
GPUSTD_INLINE std::uint32_t send_open(const protocol::channel_view& ch, open_group o) {
  if (!o.any() || o.sent() == o.used()) return o.word;
  send_cells(ch, o.group(), o.sent(), o.used());
  return open_group::make(o.group(), o.used(), o.used());
}

// The next cell of the thread's open group (a new group when it has none):
// `word` is updated; no_future_cell when the arena has no free group.
GPUSTD_INLINE std::uint32_t next_cell(const protocol::channel_view& ch, open_group& o) {
  if (!o.any()) {
    const std::uint32_t g = take_group(ch);
    if (g == no_future_cell) return no_future_cell;
    o.word = open_group::make(g, 0, 0);
  }
  const std::uint32_t cell = o.group() * group_cells + o.used();
  ++o.word;  // one more used
  return cell;
}

// Queues a call of asynchronous operation `op` whose n (<= 56) argument
// bytes are `bytes`; returns its cell, or no_future_cell.
GPUSTD_INLINE std::uint32_t queue_call(const protocol::channel_view& ch, std::uint16_t op, const unsigned char* bytes,
                                       std::uint32_t n) {
  std::uint32_t& word = thread_group_word(ch);
  open_group o{word};
  const std::uint32_t cell = next_cell(ch, o);
  if (cell == no_future_cell) return no_future_cell;
  protocol::future_cell& c = ch.futures[cell];
  // Plain 8-byte stores of the used words and of the status; the request
  // that sends the call publishes them all (the fence before its doorbell).
  // (Plain, not atomic: an atomic store is opaque to the compiler, which
  // must then assume any memory changed, the thread's word among it.)
  std::uint64_t words[protocol::inline_arg_bytes / 8];
  std::memcpy(words, bytes, n);
  auto* to = reinterpret_cast<std::uint64_t*>(c.data);
  for (std::uint32_t i = 0; i < (n + 7) / 8; ++i) to[i] = words[i];
  c.status = protocol::queued_status(op, n);
  if (o.used() == group_cells) {  // full: sent now, and closed (the next call opens another)
    send_cells(ch, o.group(), o.sent(), group_cells);
    // (Stored after the send, whose atomics make the compiler forget what
    // memory holds, so that both paths end knowing the word's value. The
    // two changes together took 7 queued calls from 3.99 to 3.56-3.79 µs
    // on an H100: most of a queued call's cost is elsewhere.)
    word = 0;
  } else {
    word = o.word;
  }
  return cell;
}

// A cell for a call sent at once (arguments over a cell), after the
// thread's queued calls; no_future_cell when the arena has no free group.
GPUSTD_INLINE std::uint32_t cell_for_send(const protocol::channel_view& ch) {
  std::uint32_t& word = thread_group_word(ch);
  open_group o{send_open(ch, open_group{word})};  // the thread's earlier calls first
  const std::uint32_t cell = next_cell(ch, o);
  if (cell == no_future_cell) {
    word = o.word;
    return no_future_cell;
  }
  word = o.used() == group_cells ? 0u : open_group::make(o.group(), o.used(), o.used());
  platform::store_relaxed_system(ch.futures[cell].status, protocol::future_pending);  // (published by the send)
  return cell;
}

// Sends the call in `cell` if it is still queued.
GPUSTD_INLINE void send_if_queued(const protocol::channel_view& ch, std::uint32_t cell) {
  std::uint32_t& word = thread_group_word(ch);
  const open_group o{word};
  if (o.is(cell / group_cells) && cell % group_cells >= o.sent()) word = send_open(ch, o);
}

// Whether the call in `cell` is answered (sends it first if it is queued).
GPUSTD_INLINE bool cell_ready(const protocol::channel_view& ch, std::uint32_t cell) {
  send_if_queued(ch, cell);
  std::int32_t& seen = ch.future_groups[cell / group_cells].seen[cell % group_cells];
  if (seen != protocol::seen_pending) return true;
  const std::int64_t s = platform::load_relaxed_system(ch.futures[cell].status);
  if (!protocol::future_answered(s)) return false;
  seen = static_cast<std::int32_t>(s);
  return true;
}

// Waits for the call in `cell` (sending it first if it is queued) and
// returns its status. `acquired`: whether its status was read with an
// acquire load, after which its data may be read.
//
// The host runs a thread's calls in the order they were sent (one slot,
// served in order) and answers each before it runs the next; so once the
// group's last sent call is answered, all before it are. The wait is for
// that one; then the statuses of all the group's sent calls not yet known
// are read with loads issued together: one round trip for all, where a
// wait of their own would cost one each.
// `o`: the thread's word as it is afterwards (for retire_cell).
GPUSTD_INLINE std::int64_t await_cell(const protocol::channel_view& ch, std::uint32_t cell, bool& acquired,
                                      open_group& o) {
  const std::uint32_t g = cell / group_cells, k = cell % group_cells;
  protocol::future_group& gs = ch.future_groups[g];
  std::uint32_t& word = thread_group_word(ch);
  o.word = word;
  std::int32_t known = gs.seen[k];  // (loaded together with the word)
  acquired = false;
  if (known != protocol::seen_pending) return known;
  if (o.is(g) && k >= o.sent()) word = o.word = send_open(ch, o);
  const std::uint32_t sent = o.is(g) ? o.sent() : group_cells;
  protocol::future_cell* cells = ch.futures + g * group_cells;
  std::int64_t last;
  for (unsigned spins = 0; !protocol::future_answered(last = platform::load_acquire_system(cells[sent - 1].status));
       ++spins)
    platform::short_sleep(spins < 64 ? 100 : 1000);
  gs.seen[sent - 1] = static_cast<std::int32_t>(last);
  // (Relaxed, after that acquire: each is answered, and its data may be read.)
  std::int64_t ahead[group_cells];
  for (std::uint32_t j = 0; j < group_cells; ++j)
    ahead[j] = j + 1 < sent && gs.seen[j] == protocol::seen_pending ? platform::load_relaxed_system(cells[j].status)
                                                                     : protocol::future_pending;
  for (std::uint32_t j = 0; j < group_cells; ++j)
    if (protocol::future_answered(ahead[j])) gs.seen[j] = static_cast<std::int32_t>(ahead[j]);
  acquired = true;
  // (Never unanswered here, unless the host broke the order: then wait for it.)
  std::int64_t s = gs.seen[k];
  while (s == protocol::seen_pending) {
    s = platform::load_acquire_system(cells[k].status);
    if (!protocol::future_answered(s)) s = protocol::seen_pending;
  }
  gs.seen[k] = static_cast<std::int32_t>(s);
  return s;
}

// The future of `cell` is finished with. When every used cell of its group
// is, and all were sent, the group goes back (and the thread's open group,
// if it was that one, is closed).
// `o`: the thread's word, as await_cell left it.
GPUSTD_INLINE void retire_cell(const protocol::channel_view& ch, std::uint32_t cell, open_group o) {
  const std::uint32_t g = cell / group_cells;
  protocol::future_group& gs = ch.future_groups[g];
  const std::uint32_t retired = gs.retired | 1u << (cell % group_cells);
  const std::uint32_t used = o.is(g) ? o.used() : group_cells;
  if (retired == (1u << used) - 1u && (!o.is(g) || o.sent() == used)) {
    if (o.is(g)) thread_group_word(ch) = 0;
    give_back_group(ch, g);
  } else {
    gs.retired = static_cast<std::uint8_t>(retired);
  }
}

}  // namespace gpustd::hostcall_detail
