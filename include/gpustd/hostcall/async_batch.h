// A batch of asynchronous calls of one hostcall, from one thread:
//
//   gpustd::async_batch<lookup> batch;              // up to 8 calls
//   for (int k = 0; k < 8; ++k) batch.add(keys[k], 0.5f);
//   batch.send();                                   // optional: get() sends
//   ...                                             // the host runs them meanwhile
//   for (int k = 0; k < 8; ++k) out[k] = batch.get(k).value_or(-1);
//
// The calls wait in the thread's own memory until sent; they go to the host
// in one request (one for all the lanes of a warp that send together), and
// their answers come back in host memory, read at once: a thread's first
// batch in flight in answer words of its own, laid out so that a warp's
// reads of them are whole lines; another batch of the thread's in flight
// at the same time in a group of the future arena (wire.h, "Batches").
// Against as many async_call futures: the same calls in flight, without a
// round trip to device memory per call for the thread's queue, and one
// read of host memory for all the answers rather than one a call.
//
// For hostcalls of plain parameters (no strings, no spans) and a result of
// at most 8 bytes (async_call takes any hostcall). The host runs the
// hostcall's callable, or its batch handler, unchanged, on the calls in the
// order they were added. A batch belongs to its thread and is neither
// copied nor moved; its destructor sends what was added and waits for the
// answers (the host writes them into the batch's cells).
//
// The format: hostcall/wire.h, "Batches".
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gpustd/hostcall/call.h"
#include "gpustd/hostcall/declare.h"
#include "gpustd/hostcall/future_queue.h"
#include "gpustd/platform/atomic.h"
#include "gpustd/platform/lane.h"
#include "gpustd/protocol/client.h"

namespace gpustd {

namespace hostcall_detail {
// Whether a result fits a batch's data word.
template <class R>
inline constexpr bool batchable_result = std::is_void_v<R> || sizeof(std::conditional_t<std::is_void_v<R>, char, R>) <= 8;
}  // namespace hostcall_detail

template <class H, unsigned N = protocol::batch_max_calls>
class async_batch {
  using sig = hostcall_detail::signature<typename H::signature>;

 public:
  using result_type = typename sig::result;

 private:
  using R = result_type;
  static constexpr bool has_data = !std::is_void_v<R>;
  static constexpr std::size_t fixed = hostcall_detail::fixed_bytes(typename sig::params{});
  static constexpr std::size_t stride = hostcall_detail::align_up(fixed, 8);
  static constexpr std::size_t head = sizeof(protocol::async_header);
  static_assert(N >= 1 && N <= protocol::batch_max_calls, "an async_batch holds 1 to 8 calls");
  static_assert(hostcall_detail::plain_params(typename sig::params{}),
                "async_batch takes hostcalls of plain parameters (no strings, no spans): use async_call");
  static_assert(hostcall_detail::batchable_result<R>, "async_batch takes results of at most 8 bytes: use async_call");
  static_assert(fixed <= protocol::inline_arg_bytes, "a call's arguments must fit 56 bytes");
  // Whether every batch of this type goes in columns (then no other way of
  // sending is compiled in).
  static constexpr bool in_columns = head + N * stride <= protocol::column_max_arg_bytes;
  enum : unsigned char { filling, in_flight, answered };

 public:
  async_batch() = default;
  async_batch(const async_batch&) = delete;
  async_batch& operator=(const async_batch&) = delete;
  GPUSTD_INLINE ~async_batch() { wait(); }

  // Adds a call; returns its index (0, 1, ...), or -1 when the batch holds
  // N calls already or was sent (reset() empties it).
  template <class... A>
  GPUSTD_INLINE int add(const A&... a) {
    return add_in(typename sig::params{}, a...);
  }
  GPUSTD_INLINE unsigned size() const { return count_; }

  // Sends the calls added (nothing when none was, or when sent already).
  GPUSTD_INLINE void send() {
    if (state_ != filling) return;
    state_ = answered;  // (unless it goes in flight below)
    if (count_ == 0) return;
    const protocol::channel_view& ch = protocol::channel();
    // Where the answers go, and the batch's tag (wire.h, "Batches"): the
    // last one + 1 of the lane's own lines or of the group's, and where the
    // words held something else, or the tags went round, they are zeroed
    // first and the tags start again at 1. (Plain accesses: only the
    // thread touches its lane's state, only the group's holder the group's;
    // the request's fence, before its doorbell, publishes the zeroing.)
    const std::uint32_t lane = platform::resident_lane_index(ch.batch_lane_count);
    const std::uint32_t prior =
        lane == platform::none_resident ? protocol::batch_lane_busy : ch.batch_lane_state[lane];
    bool zeroed = false;  // (then the request keeps its fence, which publishes the zeros)
    if (!(prior & protocol::batch_lane_busy)) {  // the lane's own lines: no group to take
      line_ = protocol::batch_lane_flag | lane;
      tag_ = prior + 1;
      if (tag_ == protocol::batch_tag_limit) {  // (they start at 0: no zeroing at the first tag)
        for (unsigned k = 0; k < protocol::batch_max_calls; ++k) answer_word(ch, k) = 0;
        tag_ = 1;
        zeroed = true;
      }
      ch.batch_lane_state[lane] = tag_ | protocol::batch_lane_busy;
    } else {
      const std::uint32_t g = ch.futures ? hostcall_detail::claim_group(ch) : hostcall_detail::no_future_cell;
      if (g == hostcall_detail::no_future_cell) {  // no arena, or no free group: each call made now
        call_each_now();
        return;
      }
      line_ = g * hostcall_detail::group_cells;
      protocol::future_group& gs = ch.future_groups[g];
      tag_ = gs.batch_tag + 1;
      if (tag_ == 1 || tag_ == protocol::batch_tag_limit) {
        for (unsigned k = 0; k < hostcall_detail::group_cells; ++k) answer_word(ch, k) = 0;
        tag_ = 1;
        zeroed = true;
      }
      gs.batch_tag = tag_;
    }
    // The request's bytes, put together here: the batch's own members have
    // no address taken, so that the compiler may keep them in registers.
    alignas(8) unsigned char wire[head + N * stride];
    const protocol::async_header h{line_, protocol::batch_field(count_, tag_)};
    std::memcpy(wire, &h, sizeof h);
    std::memcpy(wire + head, args_, count_ * stride);
    protocol::lane_request rq;
    rq.op = static_cast<std::uint16_t>(H::op + 1);
    rq.no_reply = true;
    const auto total = static_cast<std::uint32_t>(head + count_ * stride);
    if (in_columns || total <= protocol::column_max_arg_bytes) {
      // In columns (layout.h): each of the warp's stores whole lines of host
      // memory. (In cells, a lane's words are 64 bytes apart, each store of
      // the warp 32 writes across PCIe: on an H100, one warp's batch of 6
      // calls, 56 bytes a lane, took 4.1 us to send and its answers 6.5-7.0 us
      // to come, against 2.0 and 4.3-4.8 for a batch of 1.)
      rq.args = wire;
      rq.arg_bytes = total;
      rq.columns = true;
      // The header names the lane's own lines, flag | resident lane: the
      // same in a warp's lanes less their lane numbers, where their tags and
      // counts are the same (lanes that batch together), and then sent once
      // (layout.h, frame_head): a batch of 8 calls of 8 bytes in one frame.
      rq.head = true;
      // The request is all the host reads of what the device wrote: sealed
      // rather than fenced, where it is one frame of a whole warp
      // (protocol/seal.h). (Not where the answer words were zeroed here:
      // those stores must land before the answers.)
      rq.self_contained = !zeroed;
    } else {
      rq.payload = wire;
      rq.payload_bytes = total;
    }
    const std::int64_t st = protocol::hostcall(rq);
    if (st < 0) {  // it never reached the host
      for (unsigned k = 0; k < count_; ++k) status_[k] = static_cast<std::int32_t>(st);
      give_back(ch);
      return;
    }
    state_ = in_flight;
  }

  // Whether every call is answered (sends them first); never waits. (The
  // answers are read by get() or wait().)
  GPUSTD_INLINE bool ready() {
    send();
    return state_ != in_flight ||
           protocol::batch_answered(platform::load_relaxed_system(answer_word(protocol::channel(), count_ - 1)), tag_);
  }

  // Sends the calls, and waits until every one is answered.
  GPUSTD_INLINE void wait() {
    send();
    collect();
  }

  // The result of call k (sends, and waits for the answers); EINVAL when
  // the batch has no call k.
  GPUSTD_INLINE call_result<R> get(unsigned k) {
    if (k >= count_) {
      if constexpr (has_data) return call_result<R>(R{}, EINVAL);
      else return call_result<void>(EINVAL);
    }
    wait();
    if constexpr (has_data) return hostcall_detail::result_of<R>(status_[k], reinterpret_cast<const unsigned char*>(&data_[k]));
    else return hostcall_detail::result_of<R>(status_[k], nullptr);
  }

  // Waits for the calls sent, then empties the batch for new calls.
  GPUSTD_INLINE void reset() {
    wait();
    count_ = 0;
    state_ = filling;
  }

 private:
  template <class... P, class... A>
  GPUSTD_INLINE int add_in(hostcall_detail::type_list<P...>, const A&... a) {
    static_assert(sizeof...(P) == sizeof...(A), "wrong number of arguments for this hostcall");
    if (state_ != filling || count_ == N) return -1;
    hostcall_detail::encoder e{reinterpret_cast<unsigned char*>(args_) + count_ * stride, 0, fixed, false};
    (e.put(static_cast<P>(a)), ...);
    return count_++;
  }

  GPUSTD_INLINE bool in_lane() const { return (line_ & protocol::batch_lane_flag) != 0; }
  // Call k's answer word, and its data word (wire.h).
  GPUSTD_INLINE std::int64_t& answer_word(const protocol::channel_view& ch, unsigned k) const {
    return in_lane() ? ch.batch_lanes[protocol::batch_lane_answer(line_ & ~protocol::batch_lane_flag, k)]
                     : protocol::batch_words(ch.futures[line_])[k];
  }
  GPUSTD_INLINE std::int64_t& data_word(const protocol::channel_view& ch, unsigned k) const {
    return in_lane() ? ch.batch_lanes[protocol::batch_lane_data(line_ & ~protocol::batch_lane_flag, k)]
                     : protocol::batch_words(ch.futures[line_ + 1])[k];
  }
  // The lane's lines, or the group, free for another batch.
  GPUSTD_INLINE void give_back(const protocol::channel_view& ch) const {
    if (in_lane()) ch.batch_lane_state[line_ & ~protocol::batch_lane_flag] = tag_;
    else hostcall_detail::give_back_group(ch, line_ / hostcall_detail::group_cells);
  }

  // Each call as a blocking call of its own, now (no cell to answer in).
  // Out of line: the rare case, and inlined, a copy of its blocking call
  // at every get (whose send it may make) was a third of hostcall_bench's
  // batch kernel (13,000 lines of PTX, 8,700 without; the batch's speed the
  // same on an H100, the register budget's kernel the same 60).
  GPUSTD_NOINLINE void call_each_now() {
    for (unsigned k = 0; k < count_; ++k) {
      alignas(8) unsigned char a[stride > 0 ? stride : 8];
      std::memcpy(a, reinterpret_cast<const unsigned char*>(args_) + k * stride, stride);
      protocol::lane_request rq;
      rq.op = H::op;
      rq.args = a;
      rq.arg_bytes = static_cast<std::uint32_t>(fixed);
      rq.self_contained = true;  // (values only: as call<H> sends them)
      alignas(8) unsigned char d[protocol::inline_arg_bytes];
      status_[k] = static_cast<std::int32_t>(protocol::hostcall(rq, d));
      if constexpr (has_data) std::memcpy(&data_[k], d, sizeof data_[k]);
    }
  }

  // Waits for the answers, reads them, and gives the cells back.
  //
  // A word of the line is its call's answer once it carries the batch's
  // tag; the host answers a lane's calls in order, each once. So each lane
  // polls only its last answer word (acquire, system scope), and once that
  // is answered reads the line with plain loads (after the acquire, they
  // see what the host wrote before it). The lanes that wait together leave
  // together, once all are answered (the host answers a request's lanes one
  // after another): lanes that left one by one would go on apart, and send
  // a request each.
  // (Tried, hostcall_bench, one warp, batch x8 against blocking calls:
  // polls that read the whole line, so that the poll that finds the last
  // answer has them all: strong loads, 1.75x with 8 a poll and 2.7-2.9x in
  // pairs; weak refetched loads (ld.global.cv) in pairs, 2.7-2.9x; this
  // 3.3-3.8x. Each request a poll adds to the link costs more than the
  // round trip it saves. And only the highest lane polling, the others
  // reading after it: wrong answers at full GPU, cause not found, and no
  // faster.)
  GPUSTD_INLINE void collect() {
    if (state_ != in_flight) return;
    const protocol::channel_view& ch = protocol::channel();
    // The lanes here together, split by where their answers are: the two
    // ways of waiting have collectives of their own. (Lanes may collect
    // batches of each kind at once: the CPU backend found this, with one
    // lane's first batch in its lines and another's second in a group.)
    const std::uint32_t here = platform::active_mask();
    const std::uint32_t in_lines = platform::ballot(here, in_lane());
    if (in_lane()) {
      collect_lane(ch, in_lines);
      return;
    }
    const std::uint32_t together = here & ~in_lines;
    const std::int64_t& last = answer_word(ch, count_ - 1);
    for (unsigned spins = 0;; ++spins) {
      const bool answered = protocol::batch_answered(platform::load_acquire_system(last), tag_);
      if (platform::ballot(together, answered) == together) break;
      platform::short_sleep(spins < 64 ? 100 : 1000);
    }
    // The answer and data lines' loads issued together (the data line,
    // written before the answers, is read whether or not a call has data:
    // a read that waited on the statuses would be a round trip more).
    std::int64_t w[N];
    const auto* line = static_cast<const std::int64_t*>(__builtin_assume_aligned(&answer_word(ch, 0), 64));
    for (unsigned k = 0; k < N; ++k) w[k] = line[k];
    if constexpr (has_data) {
      const auto* d = static_cast<const std::int64_t*>(__builtin_assume_aligned(&data_word(ch, 0), 64));
      for (unsigned k = 0; k < N; ++k) data_[k] = static_cast<std::uint64_t>(d[k]);
    }
    for (unsigned k = 0; k < N; ++k)
      if (k < count_) status_[k] = protocol::batch_status(w[k]);
    give_back(ch);
    state_ = answered;
  }

  // collect() in the lane's own lines, where word k of a warp's lanes is one
  // stretch: each poll reads every answer word (relaxed, system scope), a
  // load of whole lines for the warp per call, and the poll that finds them
  // all carrying the tag has the statuses (each word is written once, so
  // its tag is all that tells it is this batch's). A result that travels in
  // its status (wire.h) needs nothing more; data words, where a call has
  // them, are read after an acquire (the host writes a call's data before
  // its answer). Against an acquire of the last word and then a read of
  // the words: a round trip less.
  // After the first polls (a wait of a few round trips, as one warp's), a
  // poll reads only the last call's words, and every word once those are
  // all tagged: when the whole GPU waits, each poll of every word is a
  // warp's 2 KB across PCIe, and the polls take the link from the answers.
  GPUSTD_INLINE void collect_lane(const protocol::channel_view& ch, std::uint32_t together) {
    std::int64_t* const base = &answer_word(ch, 0);
    constexpr std::uint32_t step = protocol::batch_lane_call_stride;  // (wire.h: a call's words to the next's)
    std::int64_t w[N];
    for (unsigned spins = 0;; ++spins) {
      if (spins >= 8 && platform::ballot(together, protocol::batch_answered(
                                                    platform::load_relaxed_system(base[(count_ - 1) * step]), tag_)) !=
                            together) {
        platform::short_sleep(spins < 64 ? 100 : 1000);
        continue;
      }
      bool all = true;
      for (unsigned k = 0; k < N; ++k) {
        w[k] = k < count_ ? platform::load_relaxed_system(base[k * step]) : protocol::batch_answer(tag_, 0);
        all &= protocol::batch_answered(w[k], tag_);
      }
      if (platform::ballot(together, all) == together) break;
      platform::short_sleep(spins < 64 ? 100 : 1000);
    }
    bool data_wanted = false;
    for (unsigned k = 0; k < N; ++k)
      if (k < count_) {
        status_[k] = protocol::batch_status(w[k]);
        data_wanted |= status_[k] == 0;
      }
    if constexpr (has_data) {
      if (data_wanted) {
        platform::acquire_after_relaxed_system(base[(count_ - 1) * step]);
        for (unsigned k = 0; k < N; ++k)
          data_[k] = static_cast<std::uint64_t>(base[protocol::batch_lane_data_offset + k * step]);
      }
    }
    give_back(ch);
    state_ = answered;
  }

  std::uint64_t args_[N * stride / 8 > 0 ? N * stride / 8 : 1];  // each call's fixed part, at `stride`
  std::int32_t status_[N] = {};                       // answers, once read
  std::uint64_t data_[has_data ? N : 1] = {};          // results that travel as data
  std::uint32_t line_ = 0;                            // while in flight: batch_lane_flag | lane, or the group's first cell
  std::uint32_t tag_ = 0;                             // the batch's tag, while in flight
  unsigned char count_ = 0;
  unsigned char state_ = filling;
};

}  // namespace gpustd
