#include "server.h"

#include <bit>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "gpustd/platform/bits.h"
#include "gpustd/protocol/seal.h"
#include "gpustd/protocol/status.h"
#include "request_builder.h"
#include "thread_signals.h"

namespace gpustd::detail {

using namespace protocol;

namespace {
std::uint32_t load_acquire(std::uint32_t& w) { return std::atomic_ref<std::uint32_t>(w).load(std::memory_order_acquire); }
std::string describe(const frame_header& h, std::uint32_t slot) {
  return "op " + std::to_string(h.op) + " from block " + std::to_string(h.block) + " warp " +
         std::to_string(h.warp) + " (slot " + std::to_string(slot) + ")";
}
}  // namespace

struct server::assembly {
  std::vector<unsigned char> buffer;
  // Where a request in columns is laid out for its handler (column_unpacked_bytes, once the slot has had one).
  std::unique_ptr<unsigned char[]> columns;
  std::uint64_t charged = 0;  // bytes of the reassembly budget this slot holds
  std::uint64_t received = 0;
  bool discarding = false;  // the request is over max_request_bytes: consume, then refuse
  // A frame seen not yet whole (consume): which one, and since when (steady
  // clock, ns). Written only then, so that serving touches no more memory.
  std::uint32_t waiting_seq = 0;
  std::int64_t waiting_since = 0;
  // The first frame's head word (layout.h, frame_head), which only that
  // frame's header carries.
  std::uint64_t head = 0;
};

// The frame is consumed and answered: the device may read the answer, and
// learns from it that the slot's frames up to `seq` are free (protocol/
// client.h, give_back_answered), so the progress word, on another line
// (the ring's first header), is left as it is: one store fewer to a line
// the device may be writing, per blocking request. (`device_waits` false:
// nobody may be waiting, the progress word is moved too; answer_error's
// case, which does not know.)
inline void server::finish(std::uint32_t s, frame_ref f, std::uint32_t seq, std::int32_t uniform_status, bool device_waits) {
  std::atomic_ref<std::uint64_t>(f.header.answer).store(make_answer(seq, uniform_status), std::memory_order_release);
  if (!device_waits) release_frame(s, seq);
}

// The frame is consumed, and nobody waits for its answer (a fire-and-forget
// request, a frame of a request not yet whole): the slot's progress word
// says the device may reuse it, and the answer word is left alone (the
// device reads it only for a call it waits on; one store fewer to the
// frame's line, which the device writes again next). A slot's frames are
// finished in sequence order (a busy slot is not polled), so its progress
// word only moves forward.
inline void server::release_frame(std::uint32_t s, std::uint32_t seq) {
  std::atomic_ref<std::uint32_t>(channel_.progress_of(s)).store(seq, std::memory_order_release);
}

server::server(const channel_host& channel, handler_table& handlers, blocking_pool& pool, runtime_log& log,
               std::uint64_t reassembly_budget)
    : channel_(channel),
      handlers_(handlers),
      pool_(pool),
      log_(log),
      served_(new std::uint32_t[channel.slot_count + 1]),
      busy_(new std::uint8_t[channel.slot_count]()),
      body_hint_(new std::uint16_t[channel.slot_count]()),
      assembling_(new std::uint8_t[channel.slot_count]()),
      assembly_(new assembly[channel.slot_count]),
      reassembly_budget_(std::max<std::uint64_t>(reassembly_budget, channel.max_request_bytes)),
      counters_(new counters[2 + max_threads_]),
      recent_(new recent_slots[2 + max_threads_]) {
  // Serving starts after whatever the channel has already published.
  for (std::uint32_t s = 0; s < channel_.slot_count; ++s) {
    served_[s] = load_acquire(channel_.doorbells[s]);
    std::atomic_ref<std::uint32_t>(channel_.progress_of(s)).store(served_[s], std::memory_order_release);
  }
  served_[channel_.slot_count] = 0;
}

server::~server() { stop(); }

void server::start(unsigned threads, unsigned spin_us, unsigned max_sleep_us) {
  threads = std::min({threads, channel_.slot_count, max_threads_});
  threads_count_ = threads;
  stopping_.store(false, std::memory_order_relaxed);
  if (sharing_) {
    sharing_->set_helpers(threads);
    sharing_->set_waker([](void* self) { static_cast<server*>(self)->wake_parked(); }, this);
  }
  for (unsigned t = 0; t < threads; ++t) {
    const std::uint32_t first = static_cast<std::uint32_t>(std::uint64_t(channel_.slot_count) * t / threads);
    const std::uint32_t last = static_cast<std::uint32_t>(std::uint64_t(channel_.slot_count) * (t + 1) / threads);
    threads_.emplace_back([=, this] { serve_loop(t, first, last, spin_us, max_sleep_us); });
  }
}

void server::stop() {
  stopping_.store(true, std::memory_order_relaxed);
  wake_parked();
  for (auto& t : threads_) t.join();
  threads_.clear();
}

// Polls its slots; after spin_us without work, thread 0 sleeps between polls
// (doubling the sleep up to max_sleep_us) and the others park until thread 0
// sees work for them, so that an idle runtime costs one thread's occasional
// scan of the doorbells.
void server::serve_loop(unsigned index, std::uint32_t first, std::uint32_t last, unsigned spin_us,
                        unsigned max_sleep_us) {
  using clock = std::chrono::steady_clock;
  block_sigpipe_in_this_thread();
  work_sharing::serving_thread(true);
  auto last_work = clock::now();
  unsigned sleep_us = 0;
  const bool watchman = index == 0;
  while (!stopping_.load(std::memory_order_relaxed)) {
    // Its own slots first; then parts of other threads' big requests.
    if (poll(first, last, 1 + index) || (sharing_ && sharing_->help())) {
      last_work = clock::now();
      sleep_us = 0;
      continue;
    }
    if (clock::now() - last_work < std::chrono::microseconds(spin_us)) {
#if defined(__x86_64__)
      __builtin_ia32_pause();
#endif
      continue;
    }
    if (watchman) {
      if (threads_count_ > 1 && pending(0, channel_.slot_count)) wake_parked();
      sleep_us = sleep_us ? std::min(sleep_us * 2, max_sleep_us) : std::min(20u, max_sleep_us);
      std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
    } else {
      std::unique_lock lk(park_mutex_);
      const std::uint64_t gen = wake_generation_;
      // (Counted so that a posted job wakes parked helpers; relaxed: a
      // wake-up missed by a race costs one job's help, not correctness.)
      if (sharing_) sharing_->parked().fetch_add(1, std::memory_order_relaxed);
      const bool woken = park_cv_.wait_for(lk, std::chrono::milliseconds(100), [&] {
        return wake_generation_ != gen || stopping_.load(std::memory_order_relaxed);
      });
      if (sharing_) sharing_->parked().fetch_sub(1, std::memory_order_relaxed);
      if (woken) last_work = clock::now();  // woken for work: spin again for a while
    }
  }
}

bool server::pending(std::uint32_t first, std::uint32_t last) const {
  for (std::uint32_t s = first; s < last; ++s)
    if (load_acquire(channel_.doorbells[s]) != served(s)) return true;
  return false;
}

void server::wake_parked() {
  {
    std::lock_guard lk(park_mutex_);
    ++wake_generation_;
  }
  park_cv_.notify_all();
}

namespace {
// Which of 16 slots have a doorbell that differs from the sequence number
// served (bit k: slot k): one vectorised pass over two cache lines. A hint
// only (a doorbell may change during the read; serving reads it again, and
// the next poll sees later changes), so the read need not be atomic, and
// the thread sanitizer is told so.
[[gnu::no_sanitize_thread]] std::uint32_t differing_16(const std::uint32_t* bells, const std::uint32_t* served) {
#if defined(__SSE2__)
  const auto* a = reinterpret_cast<const __m128i*>(bells);
  const auto* b = reinterpret_cast<const __m128i*>(served);
  std::uint32_t same = 0;
  for (int i = 0; i < 4; ++i)
    same |= static_cast<std::uint32_t>(_mm_movemask_ps(_mm_castsi128_ps(
                _mm_cmpeq_epi32(_mm_loadu_si128(a + i), _mm_loadu_si128(b + i)))))
            << (4 * i);
  return ~same & 0xffffu;
#else
  std::uint32_t differ = 0;
  for (int k = 0; k < 16; ++k) differ |= std::uint32_t(bells[k] != served[k]) << k;
  return differ;
#endif
}
}  // namespace

// One slot: serves its published frames, in order, while it is not busy;
// true if it had any. (Inlined into poll(): it runs once per request.)
inline bool server::serve_slot(std::uint32_t s, counters& c, send_path& sp) {
  if (busy(s)) return false;
  const std::uint32_t bell = load_acquire(channel_.doorbells[s]);
  std::uint32_t done = std::atomic_ref<std::uint32_t>(served_[s]).load(std::memory_order_relaxed);
  if (bell == done) return false;
  progress_due due;
  if (bell - done > 1)  // several waiting: a run of sends, most often
    done = serve_run(s, done, bell, c, sp, due);
  while (bell != done) {
    frame_ref f = channel_.frame_at(channel_.index_for(s, done + 1));
    if (bell != done + 1) [[unlikely]]
      __builtin_prefetch(&channel_.frame_for(s, done + 2).header, 1);  // the next frame too
    // (false: it waits for reassembly budget, or for the frame to arrive whole)
    if (!consume(s, done + 1, f, c, due)) break;
    ++done;
    if (std::atomic_ref<std::uint8_t>(busy_[s]).load(std::memory_order_relaxed)) break;
  }
  settle(s, due);
  std::atomic_ref<std::uint32_t>(served_[s]).store(done, std::memory_order_release);
  return true;
}

// The slots a thread served last are looked at again every
// recent_slots::every slots of its scan: a warp that calls in a loop
// publishes its next request soon after its answer, and one thread serving
// every slot of a GPU (8,448 on an H100) would otherwise come back to it
// only after a pass over all of them, microseconds later.
bool server::serve_recent(std::uint32_t first, std::uint32_t last, recent_slots& r, counters& c, send_path& sp) {
  bool work = false;
  for (std::uint32_t i = 0; i < recent_slots::size; ++i) {
    const std::uint32_t s = r.slot[i];
    if (s >= first && s < last && load_acquire(channel_.doorbells[s]) != served_[s]) work |= serve_slot(s, c, sp);
  }
  return work;
}


// The scan takes 16 slots at a time: one vectorised comparison says which
// have work, and they are served. Their frames were fetched while the
// group before was served: the headers (and bodies) the device wrote are in
// no cache, and a core has only so many misses in flight, so a group's
// fetches asked for all at once and then waited on left the core idle
// while they came, and the memory idle while the group was served. Spread
// one slot's fetches per slot served, the two overlap (one thread's sends
// a third faster here; docs/benchmarks.md, twenty-sixth session). (A tail
// of fewer than 16 is looked at slot by slot.)
bool server::poll(std::uint32_t first, std::uint32_t last, unsigned who) {
  counters& c = counters_[who];
  recent_slots& recent = recent_[who];
  send_path sp;
  bool work = false;
  asm volatile("" ::: "memory");  // doorbells change behind the compiler's back: read them afresh
  auto serve_one = [&](std::uint32_t k) __attribute__((always_inline)) {
    if (serve_slot(k, c, sp)) {
      recent.note(k);
      work = true;
    }
  };
  // A busy slot's next frame: its header, and its body as far as the
  // slot's last body went (a warp tends to repeat its calls, and a guess
  // costs nothing to wait for, where reading the header first would miss
  // on it). Several frames waiting (fire-and-forget sends, most often, a
  // whole window of them under load): the ring's other headers too, and
  // its first line, which holds the progress word that serving them moves.
  // (A hint only: serving reads the doorbell and the headers again.)
  auto fetch = [&](std::uint32_t k) __attribute__((always_inline)) {
    const std::uint32_t done = served_[k];
    const frame_ref f = channel_.frame_at(channel_.index_for(k, done + 1));
    __builtin_prefetch(&f.header, 1);
    for (std::uint32_t at = 0; at < body_hint_[k]; at += 64) __builtin_prefetch(f.body + at);
    const std::uint32_t waiting =
        std::atomic_ref<std::uint32_t>(channel_.doorbells[k]).load(std::memory_order_relaxed) - done;
    if (waiting > 1) [[unlikely]] {
      const frame_header* const ring = &channel_.headers[channel_.ring_of(k)];
      for (const frame_header* h = ring + 1; h != ring + channel_.frames_per_slot; ++h) __builtin_prefetch(h, 1);
      __builtin_prefetch(ring, 1);
    }
  };
  std::uint32_t s = first;
  for (; s < last && (s & 15u) != 0; ++s) serve_one(s);
  // The first group's fetches, all at once (no group before it to overlap).
  std::uint32_t busy16 = s + 16 <= last ? differing_16(&channel_.doorbells[s], &served_[s]) : 0;
  for (std::uint32_t m = busy16; m != 0; m &= m - 1) fetch(s + static_cast<unsigned>(std::countr_zero(m)));
  for (; s + 16 <= last; s += 16) {
    if ((s & (recent_slots::every - 1)) == 0 && s != first) work |= serve_recent(first, last, recent, c, sp);
    // The group after next's doorbells; the next group's busy slots, to
    // fetch one per slot served here. (Each group's doorbells are compared
    // once a scan, as before: a slot that rings after is served next scan.)
    if (s + 48 <= last) __builtin_prefetch(&channel_.doorbells[s + 32]);
    const std::uint32_t next16 = s + 32 <= last ? differing_16(&channel_.doorbells[s + 16], &served_[s + 16]) : 0;
    std::uint32_t ahead = next16;
    for (; busy16 != 0; busy16 &= busy16 - 1) {
      serve_one(s + static_cast<unsigned>(std::countr_zero(busy16)));
      if (ahead != 0) {
        fetch(s + 16 + static_cast<unsigned>(std::countr_zero(ahead)));
        ahead &= ahead - 1;
      }
    }
    for (; ahead != 0; ahead &= ahead - 1) fetch(s + 16 + static_cast<unsigned>(std::countr_zero(ahead)));
    busy16 = next16;
  }
  for (; s < last; ++s) serve_one(s);
  return work;
}

// Per slot, "served" is read before "busy": the poller sets busy before it
// publishes the new served value (release), so a slot whose last request
// went to the pool is never seen as both served and idle.
bool server::drained() const {
  for (std::uint32_t s = 0; s < channel_.slot_count; ++s)
    if (load_acquire(channel_.doorbells[s]) != served(s) || busy(s)) return false;
  return true;
}

bool server::quiet(unsigned busy_allowed) const {
  unsigned held = 0;
  for (std::uint32_t s = 0; s < channel_.slot_count; ++s) {
    if (load_acquire(channel_.doorbells[s]) != served(s)) return false;
    if (busy(s) && ++held > busy_allowed) return false;
  }
  return true;
}

runtime_stats server::stats() const {
  runtime_stats r;
  for (unsigned i = 0; i < 2 + max_threads_; ++i) {
    r.requests += counters_[i].requests.load(std::memory_order_relaxed);
    r.frames += counters_[i].frames.load(std::memory_order_relaxed);
    r.errors += counters_[i].errors.load(std::memory_order_relaxed);
    r.frames_not_yet_whole += counters_[i].not_yet_whole.load(std::memory_order_relaxed);
  }
  return r;
}

void server::malformed(const frame_header& h, std::uint32_t slot, const char* why, counters& c) {
  c.errors.fetch_add(1, std::memory_order_relaxed);  // rare: any thread
  log_.once(std::string("malformed:") + why,
            std::string("malformed request (") + why + ") " + describe(h, slot) + "; answered with EPROTO");
}

bool server::charge(std::uint64_t bytes) {
  std::uint64_t used = reassembly_bytes_.load(std::memory_order_relaxed);
  do {
    if (used + bytes > reassembly_budget_) return false;
  } while (!reassembly_bytes_.compare_exchange_weak(used, used + bytes, std::memory_order_acq_rel,
                                                    std::memory_order_relaxed));
  return true;
}

void server::release_assembly(std::uint32_t s) {
  assembly& st = assembly_[s];
  if (st.charged) reassembly_bytes_.fetch_sub(st.charged, std::memory_order_acq_rel);
  st.charged = 0;
  if (st.buffer.capacity() > (1u << 20)) std::vector<unsigned char>().swap(st.buffer);  // give big buffers back
}

void server::log_failed_sends(std::uint16_t op, std::uint32_t block, unsigned count, const std::int64_t* status) {
  for (unsigned i = 0; i < count; ++i)
    if (status[i] < 0)
      log_.once("no-reply:" + std::to_string(op) + ":" + std::to_string(status[i]),
                "fire-and-forget op " + std::to_string(op) + " from block " + std::to_string(block) +
                    " failed: " + std::strerror(static_cast<int>(-status[i])));
}

namespace {
// Writes lanes' answers of at most 8 data bytes each into a frame's body as
// the device reads them (protocol/layout.h) and returns the answer word's
// status: one status for every lane when they agree and carry no data;
// only the words when every status is 0; else the statuses (32 bits each
// when they all fit), and the words when there are any. Lane i's word is
// words[i * stride]. The statuses are a handler's, 64 bits each
// (request_answers), or a direct handler's, 32 (direct_answers).
template <class Status>
[[gnu::always_inline]] inline std::int32_t lay_out_lane_answers(unsigned char* body, unsigned lanes,
                                                               const Status* status, const unsigned char* words,
                                                               std::size_t stride, bool has_words) {
  // (Loops that stop at the first lane that differs: per-lane values differ
  // at once, and a full pass over 32 lanes cost more than they saved.)
  const Status first = status[0];
  bool uniform = !has_words && first > answer_lowest_layout && first <= INT32_MAX;
  for (unsigned i = 1; uniform && i < lanes; ++i) uniform = status[i] == first;
  if (uniform) return static_cast<std::int32_t>(first);
  bool all_ok = has_words;
  for (unsigned i = 0; all_ok && i < lanes; ++i) all_ok = status[i] == 0;
  if (all_ok) {
    for (unsigned i = 0; i < lanes; ++i) std::memcpy(body + result_ok_word_offset(i), words + i * stride, 8);
    return answer_words_ok;
  }
  if (!has_words) {
    if constexpr (sizeof(Status) == 4) {
      std::memcpy(body + result_status32_offset(0), status, sizeof *status * lanes);
      return answer_per_lane_status32;
    } else {
      // Whether every status fits 32 bits: one pass over all lanes without
      // a branch (so that it vectorizes); a status that fits has its bits
      // above 31 at 0 once 2^31 is added.
      std::uint64_t over = 0;
      for (unsigned i = 0; i < lanes; ++i) over |= (static_cast<std::uint64_t>(status[i]) + 0x80000000u) >> 32;
      if (over == 0) {
        std::int32_t narrowed[lanes_per_request];
        for (unsigned i = 0; i < lanes; ++i) narrowed[i] = static_cast<std::int32_t>(status[i]);
        std::memcpy(body + result_status32_offset(0), narrowed, sizeof *narrowed * lanes);
        return answer_per_lane_status32;
      }
      std::memcpy(body + result_status_offset(0), status, sizeof *status * lanes);
      return answer_per_lane_status;
    }
  }
  for (unsigned i = 0; i < lanes; ++i) {
    const std::int64_t wide = status[i];
    std::memcpy(body + result_status_offset(i), &wide, 8);
    std::memcpy(body + result_word_offset(i), words + i * stride, 8);
  }
  return answer_per_lane_word;
}
}  // namespace

// A send's direct handler answered with an error (or per lane): logged,
// out of the way of the paths that serve sends.
[[gnu::cold, gnu::noinline]] void server::send_failed(const frame_header& h, std::int64_t answer,
                                                      const direct_answers& a) {
  const unsigned lanes = platform::popcount32(h.mask);
  std::int64_t wide[lanes_per_request];
  for (unsigned i = 0; i < lanes; ++i) wide[i] = answer == direct_per_lane ? a.status[i] : answer;
  log_failed_sends(h.op, h.block, answer == direct_per_lane ? lanes : 1, wide);
}

inline bool server::serve_direct(std::uint32_t s, std::uint32_t seq, frame_ref f, const frame_header& h,
                                 const handler_entry& e, counters& c, progress_due& due) {
  const direct_request q{&h, f.body};
  direct_answers a;
  const std::int64_t answer = e.direct.fn(e.direct.context.get(), q, a);
  if (answer == direct_declined) return false;
  counters::bump(c.requests);
  if (h.flags & frame_no_reply) {  // a send: nobody reads its answer, looked at only for an error
    if (answer < 0) send_failed(h, answer, a);
    due = {seq, true};
    return true;
  }
  if (answer > answer_lowest_layout && answer <= INT32_MAX) {  // (else per lane, or a value the answer word cannot carry)
    settle(s, due);
    finish(s, f, seq, static_cast<std::int32_t>(answer), true);
    return true;
  }
  const unsigned lanes = q.lanes();
  if (answer != direct_per_lane) {  // one status for every lane that the answer word cannot carry
    std::int64_t wide[lanes_per_request];
    for (unsigned i = 0; i < lanes; ++i) wide[i] = answer;
    settle(s, due);
    finish(s, f, seq, lay_out_lane_answers(f.body, lanes, wide, nullptr, 0, false), true);
    return true;
  }
  settle(s, due);
  // (Every argument was read before this first store: the answer overwrites them.)
  finish(s, f, seq,
         lay_out_lane_answers(f.body, lanes, a.status, reinterpret_cast<const unsigned char*>(a.word), sizeof a.word[0],
                              a.has_words),
         true);
  return true;
}

// A copy of a frame header that the device may be writing, taken once: the
// compiler barrier keeps it from reading a field again where it is used,
// from memory the device changes meanwhile. (A plain memcpy let it read the
// fields of one word at different times: on the GPU a header was seen with
// its sequence number landed and its flags, read apart, still a fresh
// frame's 0, which reads as unsealed, and was served as what it was not,
// "continuation frame without a first frame"; nineteenth session. The copy
// itself is vector loads, each 8-byte word read whole. Atomic loads a word
// at a time did the same at a cost of 10-35 % of the channel's rates.)
static frame_header read_header(const frame_header& src) {
  frame_header h;
  std::memcpy(&h, &src, sizeof h);
  asm volatile("" : : "r"(&h) : "memory");
  return h;
}

// The frame is whole when its header is this frame's and, sealed, when its
// seal matches the words read (protocol/seal.h). Until then its stores are
// still on their way.
[[gnu::always_inline]] static inline bool frame_whole(const frame_header& h, const frame_ref& f, std::uint32_t seq) {
  return h.seq == seq && (!(h.flags & frame_sealed) || seal_of(h, f.body, h.body_bytes) == h.seal);
}

// What serve_sends needs of a run of sends (serve_run works it out): the
// slot's ring, the limits, the send before (its first header word without
// the sequence number, and its operation's direct handler), and the seal's
// share of header words 1 to 3 (the lanes, the lengths, the caller's block
// and warp), which a warp's sends in a row have in common: worked out again
// only when they change, so that the header of a send like the one before
// costs the host one word's mix (its sequence number's) rather than four.
struct server::send_run {
  const frame_header* headers;
  frame_body* bodies;
  std::uint32_t ring_mask, max_bytes;
  std::uint64_t key;
  bool sealed;
  direct_fn fn;
  const void* context;
  // Header words 1 to 3 of the send before, found valid (lanes, and a body
  // that fits), and their share of the seal. At first, words that are
  // valid (one lane, nothing else), so that a send that has them is too.
  std::uint64_t tail[3] = {1, 0, 0};
  std::uint64_t tail_seal = seal_mix(1, 1) ^ seal_mix(0, 2) ^ seal_mix(0, 3);
};

// Serves the slot's frames from `seq` on while each is a whole send like
// the one before (its first header word is key | seq, one compare for the
// sequence number, the operation and the flags; its words 1 to 3, most
// often, those of the send before) that the direct handler takes; returns
// how many. Nobody reads a send's answer: it is looked at only for an
// error, logged. A loop of its own, out of line, so that what it keeps
// stays in registers.
std::uint32_t server::serve_sends(send_run& r, std::uint32_t seq, std::uint32_t bell) {
  const frame_header* const headers = r.headers;
  frame_body* const bodies = r.bodies;
  const std::uint32_t ring_mask = r.ring_mask, first = seq;
  const std::uint64_t key = r.key;
  const bool sealed = r.sealed;
  const direct_fn fn = r.fn;
  const void* const context = r.context;
  // Words 1 to 3 of the send before, and their share of the seal, in
  // registers: each read and written a word at a time, as they were
  // stored. (Copied as 16-byte vectors, as the compiler did, they were read
  // back across two 8-byte stores, which the core cannot forward: a stall
  // of tens of cycles each time they changed, once a slot at full GPU, a
  // fifth of the host's time on one thread's sends.)
  std::uint64_t t1 = r.tail[0], t2 = r.tail[1], t3 = r.tail[2], tail_seal = r.tail_seal;
  asm volatile("" : "+r"(t1), "+r"(t2), "+r"(t3));
  auto body_bytes = static_cast<std::uint32_t>(t1 >> 32);
  // The handler's copy of the header: the words judged (the rest of a
  // header is the host's, and no handler reads it); words 1 to 3 written
  // when they change, the first word and the seal every frame.
  frame_header h;
  auto set_tail = [&]() __attribute__((always_inline)) {
    unsigned char* const at = reinterpret_cast<unsigned char*>(&h);
    std::memcpy(at + 8, &t1, 8);
    std::memcpy(at + 16, &t2, 8);
    std::memcpy(at + 24, &t3, 8);
  };
  set_tail();
  direct_request q{&h, nullptr};
  direct_answers a;  // (a send's answers are looked at only for an error)
  for (; seq - 1 != bell; ++seq) {
    const std::uint32_t i = seq & ring_mask;
    // The header's words and seal, each read once, whole (8-byte loads;
    // the empty asm keeps the compiler from reading one again where it is
    // used, from memory the device may be writing: see read_header).
    std::uint64_t w0, w1, w2, w3, seal;
    std::memcpy(&w0, &headers[i], 8);
    std::memcpy(&w1, reinterpret_cast<const unsigned char*>(&headers[i]) + 8, 8);
    std::memcpy(&w2, reinterpret_cast<const unsigned char*>(&headers[i]) + 16, 8);
    std::memcpy(&w3, reinterpret_cast<const unsigned char*>(&headers[i]) + 24, 8);
    std::memcpy(&seal, &headers[i].seal, 8);
    asm volatile("" : "+r"(w0), "+r"(w1), "+r"(w2), "+r"(w3), "+r"(seal));
    if (w0 != (key | seq)) break;
    if (w1 != t1 || w2 != t2 || w3 != t3) [[unlikely]] {
      const auto mask = static_cast<std::uint32_t>(w1), bytes = static_cast<std::uint32_t>(w1 >> 32);
      if (mask == 0 || bytes != static_cast<std::uint32_t>(w2) || bytes > r.max_bytes) break;
      t1 = w1, t2 = w2, t3 = w3;
      tail_seal = seal_mix(w1, 1) ^ seal_mix(w2, 2) ^ seal_mix(w3, 3);
      set_tail();
      body_bytes = bytes;
    }
    const unsigned char* body = bodies[i].bytes;
    if (sealed) {
      std::uint64_t expect = seal_mix(w0, 0) ^ tail_seal;
      if (body_bytes >= 8) expect ^= seal_of_body(body, body_bytes);
      if (expect != seal) break;  // (not all landed yet)
    }
    std::memcpy(&h, &w0, 8);
    h.seal = seal;
    q.body = body;
    const std::int64_t answer = fn(context, q, a);
    if (answer < 0) [[unlikely]] {
      if (answer == direct_declined) break;
      send_failed(h, answer, a);
    }
  }
  r.tail[0] = t1, r.tail[1] = t2, r.tail[2] = t3;
  r.tail_seal = tail_seal;
  return seq - first;
}

// A run of frames on one slot: most often a warp's fire-and-forget sends,
// of which the host finds a whole window per visit when every warp of a
// GPU sends. consume()'s usual path for each, with what does not change
// from one frame to the next worked out once (the ring's address, the
// limits, the handler of the run's operation) and the counters added up
// at the end: one server thread at full GPU is bound by its instructions
// per frame (bench/send_floor.h: a bare send of one line, 230 M a second
// on one thread, where gpustd's sends ran at 39-45 M). Sends like the one
// before go to serve_sends; the first of a kind, and requests that are not
// sends, are looked at here in full. Stops at the first frame that is not
// a whole one-frame request that a direct handler takes, which
// serve_slot's loop then serves as any other.
inline std::uint32_t server::serve_run(std::uint32_t s, std::uint32_t done, std::uint32_t bell, counters& c,
                                       send_path& sp, progress_due& due) {
  if (tracer_ || assembling_[s]) return done;
  // The send path's handler, looked up again once a run: a handler
  // registered meanwhile is used from this run on.
  if (sp.entry && handlers_.find(sp.op) != sp.entry) sp = {};
  const std::uint64_t ring = channel_.ring_of(s);
  send_run r{&channel_.headers[ring], &channel_.bodies[ring], channel_.frames_per_slot - 1,
             std::min(frame_body_bytes, channel_.max_request_bytes), sp.key, sp.sealed, nullptr, nullptr};
  if (sp.entry) {
    r.fn = sp.entry->direct.fn;
    r.context = sp.entry->direct.context.get();
  }
  constexpr std::uint16_t one_frame = frame_first | frame_last;
  std::uint32_t op = ~0u;  // the operation of the run's last request not a send, and its handler
  const handler_entry* e = nullptr;
  std::uint64_t sends = 0, served = 0;
  while (done != bell) {
    if (sp.entry) {
      const std::uint32_t n = serve_sends(r, done + 1, bell);
      if (n != 0) {
        done += n;
        due = {done, true};
        sends += n;
        served += n;
        continue;
      }
    }
    // Not a send like the one before: looked at in full.
    const std::uint32_t seq = done + 1;
    const frame_ref f = channel_.frame_at(ring + (seq & r.ring_mask));
    const frame_header h = read_header(f.header);
    if ((h.flags & one_frame) != one_frame || h.body_bytes != h.total_bytes || h.body_bytes > r.max_bytes ||
        h.mask == 0 || (h.flags & frame_columns) || !frame_whole(h, f, seq))  // (not whole: not all landed yet)
      break;
    if (h.op != op) {
      e = handlers_.find(h.op);
      if (!e || !e->direct) break;
      op = h.op;
    }
    if (!(h.flags & frame_no_reply)) {
      if (!serve_direct(s, seq, f, h, *e, c, due)) break;
      ++done;
      ++served;
      continue;
    }
    // A send of another kind than the one before: the kind sends like it
    // are of from now on (served by serve_sends, this one among them).
    const std::uint64_t key = std::uint64_t(h.op) << 32 | std::uint64_t(h.flags) << 48;
    if (sp.entry == e && sp.key == key) break;  // (serve_sends did not take it: its handler declined)
    sp = {key, (h.flags & frame_sealed) != 0, h.op, e};
    r.key = sp.key;
    r.sealed = sp.sealed;
    r.fn = e->direct.fn;
    r.context = e->direct.context.get();
  }
  // (One writer each.)
  c.frames.store(c.frames.load(std::memory_order_relaxed) + served, std::memory_order_relaxed);
  c.requests.store(c.requests.load(std::memory_order_relaxed) + sends, std::memory_order_relaxed);
  return done;
}

// The usual request: whole when first looked at, and one frame long. The
// rest (frames not yet whole, requests over several frames) is
// consume_frame's, out of line, so that this path saves few registers.
inline bool server::consume(std::uint32_t s, std::uint32_t seq, frame_ref f, counters& c, progress_due& due) {
  frame_header h = read_header(f.header);
  // The body was written by the device, so it is in no cache: ask for all
  // its lines at once rather than miss on one after another (those the
  // guess in poll() did not cover).
  const std::uint32_t body = h.body_bytes < frame_body_bytes ? h.body_bytes : frame_body_bytes;
  for (std::uint32_t at = body_hint_[s]; at < body; at += 64) __builtin_prefetch(f.body + at);
  body_hint_[s] = static_cast<std::uint16_t>(body);
  // (Whole, it stays so: the device writes the frame again only after the
  // host has answered it or moved its progress word past it; so later reads
  // of the body see what the seal's loads saw.)
  constexpr std::uint16_t one_frame = frame_first | frame_last;
  if (frame_whole(h, f, seq) && (h.flags & one_frame) == one_frame && h.body_bytes == h.total_bytes &&
      h.body_bytes <= frame_body_bytes && h.total_bytes <= channel_.max_request_bytes && !assembling_[s])
      [[likely]] {
    counters::bump(c.frames);
    const handler_entry* e = handlers_.find(h.op);
    if (e && e->direct && !tracer_ && h.mask != 0 && !(h.flags & frame_columns) && serve_direct(s, seq, f, h, *e, c, due))
      return true;
    settle(s, due);
    dispatch(s, seq, f.body, h.body_bytes, h, c, e);
    return true;
  }
  settle(s, due);
  return consume_frame(s, seq, f, h, c);
}

bool server::consume_frame(std::uint32_t s, std::uint32_t seq, frame_ref f, frame_header h, counters& c) {
  assembly& st = assembly_[s];
  // Not yet whole: looked at again, for up to frame_wait_, after which it
  // is malformed.
  auto whole = [&] { return frame_whole(h, f, seq); };
  if (!whole()) [[unlikely]] {
    counters::bump(c.not_yet_whole);
    // Its stores are most often a few hundred nanoseconds behind the
    // doorbell: look again here for a little while, rather than only after a
    // pass over every other slot (which, for one thread serving thousands of
    // slots, would add microseconds to a call's latency).
    using clock = std::chrono::steady_clock;
    const auto looked = clock::now();
    bool arrived = false;
    do {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      h = read_header(f.header);
      arrived = whole();
    } while (!arrived && clock::now() - looked < std::chrono::microseconds(2));
    const std::int64_t now =
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count();
    if (arrived) {
      // (then serve it below)
    } else if (st.waiting_seq != seq || st.waiting_since == 0) {
      st.waiting_seq = seq;
      st.waiting_since = now;
      return false;
    } else if (now - st.waiting_since < frame_wait_ns_) {
      return false;
    } else {
      st.waiting_since = 0;
      counters::bump(c.frames);
      assembling_[s] = false;
      release_assembly(s);
      malformed(h, s, h.seq != seq ? "frame sequence number out of order" : "sealed frame whose seal never matched", c);
      answer_error(s, seq, h, status_malformed);
      return true;
    }
  }
  // (Whole now.) One frame, served in place without the reassembly state
  // (consume's path, for a frame that was not whole when first looked at).
  constexpr std::uint16_t one_frame = frame_first | frame_last;
  if ((h.flags & one_frame) == one_frame && h.body_bytes == h.total_bytes && h.body_bytes <= frame_body_bytes &&
      h.total_bytes <= channel_.max_request_bytes && !assembling_[s]) {
    counters::bump(c.frames);
    dispatch(s, seq, f.body, h.body_bytes, h, c, handlers_.find(h.op));
    return true;
  }

  const bool first = h.flags & frame_first, last = h.flags & frame_last;
  const char* bad = nullptr;
  if (h.body_bytes > frame_body_bytes) bad = "frame body longer than a frame";
  else if (!first && !assembling_[s]) bad = "continuation frame without a first frame";
  const bool reassemble = !bad && first && !(last && h.body_bytes == h.total_bytes) &&
                          h.total_bytes <= channel_.max_request_bytes && h.total_bytes >= h.body_bytes;
  if (reassemble) {
    if (assembling_[s]) {
      malformed(h, s, "new request before the last frame of the previous one", c);
      assembling_[s] = false;
      release_assembly(s);
    }
    if (!charge(h.total_bytes)) return false;  // try again when other requests are done
    st.charged = h.total_bytes;
  }
  counters::bump(c.frames);
  if (bad) {
    assembling_[s] = false;
    release_assembly(s);
    malformed(h, s, bad, c);
    if (last) answer_error(s, seq, h, status_malformed);
    else release_frame(s, seq);
    return true;
  }
  if (first) {
    if (assembling_[s]) {
      malformed(h, s, "new request before the last frame of the previous one", c);
      release_assembly(s);
    }
    assembling_[s] = true;
    st.received = 0;
    st.head = h.head;
    st.discarding = h.total_bytes > channel_.max_request_bytes || h.total_bytes < h.body_bytes;
    if (st.discarding) {
      c.errors.fetch_add(1, std::memory_order_relaxed);  // rare: any thread
      log_.once("too-large:" + std::to_string(h.op),
                "request of " + std::to_string(h.total_bytes) + " bytes over the limit of " +
                    std::to_string(channel_.max_request_bytes) + ", " + describe(h, s) + "; answered with E2BIG");
    }
    if (last && !st.discarding && h.body_bytes == h.total_bytes) {  // one frame: serve it in place
      assembling_[s] = false;
      dispatch(s, seq, f.body, h.body_bytes, h, c, handlers_.find(h.op));
      return true;
    }
    if (!st.discarding) st.buffer.resize(h.total_bytes);
  }
  if (!st.discarding) {
    if (h.body_bytes > st.buffer.size() - st.received) {
      assembling_[s] = false;
      release_assembly(s);
      malformed(h, s, "frames longer than the request", c);
      if (last) answer_error(s, seq, h, status_malformed);
      else release_frame(s, seq);
      return true;
    }
    if (h.body_bytes)  // (an empty buffer's data() may be null: no memcpy from it, found by the fuzzer)
      std::memcpy(st.buffer.data() + st.received, f.body, h.body_bytes);
  }
  st.received += h.body_bytes;
  if (!last) {
    release_frame(s, seq);  // frame copied out: the device may reuse it
    return true;
  }
  assembling_[s] = false;
  if (st.discarding) {
    answer_error(s, seq, h, status_too_large);
  } else if (st.received != st.buffer.size()) {
    malformed(h, s, "request shorter than its stated length", c);
    answer_error(s, seq, h, status_malformed);
  } else {
    h.head = st.head;  // (the last frame's header has none)
    dispatch(s, seq, st.buffer.data(), st.buffer.size(), h, c, handlers_.find(h.op));
    if (std::atomic_ref<std::uint8_t>(busy_[s]).load(std::memory_order_relaxed)) return true;  // the pool releases
  }
  release_assembly(s);
  return true;
}

void server::answer_error(std::uint32_t s, std::uint32_t seq, const frame_header&, std::int64_t status) {
  const frame_ref f = channel_.frame_for(s, seq);
  finish(s, f, seq, static_cast<std::int32_t>(status), false);  // every lane gets the same error
}

void server::run_handler(const handler_entry& e, request& r, counters& c) {
  const std::uint64_t t0 = tracer_ ? tracer::now_ns() : 0;
  struct traced {  // records the request however the handler ends
    tracer* t;
    request& r;
    std::uint64_t t0;
    ~traced() {
      if (t) t->record(r, t0, tracer::now_ns());
    }
  } trace_on_exit{tracer_, r, t0};
  try {
    e.fn(r);
  } catch (const std::exception& ex) {
    c.errors.fetch_add(1, std::memory_order_relaxed);  // rare: any thread
    log_.once("threw:" + std::to_string(r.op()),
              "handler for op " + std::to_string(r.op()) + " threw: " + ex.what() + "; answered with EIO");
    for (unsigned i = 0; i < r.lanes(); ++i) r.set_result(i, -EIO);
  } catch (...) {
    c.errors.fetch_add(1, std::memory_order_relaxed);  // rare: any thread
    log_.once("threw:" + std::to_string(r.op()),
              "handler for op " + std::to_string(r.op()) + " threw; answered with EIO");
    for (unsigned i = 0; i < r.lanes(); ++i) r.set_result(i, -EIO);
  }
}

void server::complete(std::uint32_t s, std::uint32_t last_seq, const request& r) {
  const frame_ref f = channel_.frame_for(s, last_seq);
  if (!r.no_reply()) {
    // One status for every lane and no data: it travels in the answer word.
    if (!r.answered()) {  // the handler set nothing: every lane gets 0
      finish(s, f, last_seq, 0, true);
      return;
    }
    const request_answers& a = r.answers();
    const std::uint32_t data = r.data_bytes();
    if (data <= 8) {  // no data, or a word each
      finish(s, f, last_seq, lay_out_lane_answers(f.body, r.lanes(), a.status, a.data[0], sizeof a.data[0], data != 0),
             true);
      return;
    }
    // Statuses side by side, then every lane's data bytes (request_answers
    // is laid out as the answer is: both parts at once).
    std::memcpy(f.body + result_status_offset(0), a.status, sizeof a.status[0] * r.lanes());
    std::memcpy(f.body + result_data_offset(0), a.data, sizeof a.data[0] * r.lanes());
    finish(s, f, last_seq, answer_per_lane, true);
    return;
  } else if (r.answered()) {
    log_failed_sends(r.op(), r.block(), r.lanes(), r.answers().status);
  }
  release_frame(s, last_seq);
}

void server::dispatch(std::uint32_t s, std::uint32_t last_seq, const unsigned char* stream, std::uint64_t bytes,
                      const frame_header& h, counters& c, const handler_entry* e) {
  counters::bump(c.requests);
  request_builder::origin o{h.op, h.mask, (h.flags & frame_no_reply) != 0, h.block, h.warp, h.cell_stride, s};
  o.packed = (h.flags & frame_packed) != 0;
  if (h.flags & frame_columns) {  // (laid out in the slot's own room: it stays while the slot is busy)
    o.columns = true;
    assembly& st = assembly_[s];
    if (!st.columns) st.columns.reset(new unsigned char[column_unpacked_bytes]);
    o.columns_out = st.columns.get();
  }
  o.head = (h.flags & frame_head) != 0;
  o.head_word = h.head;
  if (!e) {
    c.errors.fetch_add(1, std::memory_order_relaxed);  // rare: any thread
    log_.once("unknown:" + std::to_string(h.op),
              "unknown operation " + std::to_string(h.op) + " requested by block " + std::to_string(h.block) +
                  " warp " + std::to_string(h.warp) + "; answered with ENOSYS");
    answer_error(s, last_seq, h, status_unknown_op);
    if (tracer_)
      tracer_->record_refused(h.op, h.block, h.warp, platform::popcount32(h.mask), status_unknown_op,
                              "no handler");
    return;
  }
  request r;
  request_answers results;
  if (e->kind == handler_kind::polling) {
    if (const char* why = request_builder::build(r, stream, bytes, o, &results)) {
      malformed(h, s, why, c);
      answer_error(s, last_seq, h, status_malformed);
      return;
    }
    if (!e->needs_pool || !e->needs_pool(r)) {
      run_handler(*e, r, c);
      complete(s, last_seq, r);
      return;
    }
  }
  // On the pool (a polling handler's request that needs_pool() sends here
  // is built again, into the job). The stream (frame or reassembly buffer)
  // stays untouched while the slot is busy: the device waits for `done`,
  // and polling skips busy slots.
  struct job_state {
    request r;
    request_answers results;
  };
  auto job = std::make_shared<job_state>();
  if (const char* why = request_builder::build(job->r, stream, bytes, o, &job->results)) {
    malformed(h, s, why, c);
    answer_error(s, last_seq, h, status_malformed);
    return;
  }
  std::atomic_ref<std::uint8_t>(busy_[s]).store(1, std::memory_order_relaxed);
  pool_.submit([this, job, e, s, last_seq] {
    run_handler(*e, job->r, counters_[1 + max_threads_]);
    complete(s, last_seq, job->r);
    release_assembly(s);  // the slot is busy: nobody else touches its assembly
    std::atomic_ref<std::uint8_t>(busy_[s]).store(0, std::memory_order_release);
  });
}

}  // namespace gpustd::detail
