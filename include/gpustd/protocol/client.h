// The device side of the hostcall protocol (layout in protocol/layout.h).
//
// hostcall() is called by any number of lanes of a warp at once, in any
// state of divergence. The lanes that arrive together are split by
// (operation, reply mode) and each group sends one request through one slot:
// the group's lowest lane (the leader) takes the slot's lock and sequence
// numbers, every lane writes its own cell and helps copy the payloads, the
// leader publishes each frame, and for a blocking call waits for the answer,
// which each lane then reads from its result cell.
#pragma once
#include <cstdint>
#include <cstring>

#include "gpustd/platform/atomic.h"
#include "gpustd/platform/lane.h"
#include "gpustd/protocol/channel_symbol.h"
#include "gpustd/protocol/layout.h"
#include "gpustd/protocol/seal.h"
#include "gpustd/protocol/status.h"

namespace gpustd::protocol {

// One lane's request.
struct lane_request {
  std::uint16_t op = 0;
  bool no_reply = false;           // fire-and-forget
  const void* args = nullptr;      // inline arguments, up to inline_arg_bytes
  std::uint32_t arg_bytes = 0;
  const void* payload = nullptr;   // streamed after the cells
  std::uint32_t payload_bytes = 0;
  // Everything the host needs is in the request: it reads no other memory
  // the caller wrote (no span by address, no queued cells). Such a request,
  // when it is one frame without a payload (cells packed or none, or rows
  // in columns of a whole warp), is sealed (protocol/seal.h) rather than
  // published behind a system-scope fence.
  bool self_contained = false;
  // The arguments (whole 8-byte words, 8-aligned, up to
  // column_max_arg_bytes; no payload) go in columns (layout.h), each lane's
  // padded with zeros to the group's longest: a warp's stores are whole
  // lines of host memory. The host hands them to the handler as a packed
  // request's.
  bool columns = false;
  // With columns: the first argument word goes in the frame's header
  // rather than in a row (layout.h, frame_head) where every lane's, less
  // its lane number in the warp, is the same.
  bool head = false;
};

namespace detail {

inline constexpr std::int64_t group_too_large = INT64_MIN;
// Payloads up to this long, in every lane, are copied into the request by
// their owners at once rather than lane after lane by the whole group
// (transact): a console record's buffer is 256 bytes.
inline constexpr std::uint32_t owner_copy_bytes = 256;

GPUSTD_INLINE bool seq_before(std::uint32_t a, std::uint32_t b) {
  return static_cast<std::int32_t>(a - b) < 0;
}

// Spins until the frame's answer word shows `seq` done (acquire, system
// scope) and returns the word. Only the leader spins; on a GPU the first
// polls are back to back for latency.
GPUSTD_INLINE std::uint64_t wait_done(std::uint64_t& answer, std::uint32_t seq) {
  for (unsigned spins = 0;; ++spins) {
    const std::uint64_t a = platform::load_acquire_system(answer);
    if (!seq_before(answer_seq(a), seq)) return a;
    if (spins > 32) platform::short_sleep(spins < 4096 ? 64 : 1000);
  }
}

// The frame for `seq` may be written once the host has finished with the
// slot's frame `frames_per_slot` sequence numbers earlier. When the slot's
// known state does not say so, the slot's progress word (one read of host
// memory, acquire: the host's reads of the old frame happen before) tells
// how far the host has got, which usually frees this frame and the next
// ones at once.
GPUSTD_INLINE void wait_frame_free(std::uint32_t& known_done, std::uint32_t& progress, std::uint32_t seq,
                                   std::uint32_t frames_per_slot) {
  const std::uint32_t prev = seq - frames_per_slot;
  if (!seq_before(known_done, prev)) return;
  // Backing off, doubling the pause up to 8 us: with every warp of a GPU
  // sending, a full window waits a whole pass of the host over the slots
  // (100-200 us), and reads of host memory at a steady 1 us apiece from
  // thousands of warps take the link from the frames (gpu_bench's full-GPU
  // fire-and-forget rate: 169-176 -> 184-194 M/s). One warp's wait is a
  // round trip or two, and the first pauses are short. (The CPU backend
  // yields instead, as before: its sleeps are 50 us or more.)
  constexpr unsigned longest_pause = GPUSTD_BACKEND_CUDA ? 8192 : 512;
  for (unsigned pause = 128;;) {
    const std::uint32_t p = platform::load_acquire_system(progress);
    if (!seq_before(p, prev)) {  // (then p is past known_done too)
      known_done = p;
      return;
    }
    platform::short_sleep(pause);
    if (pause < longest_pause) pause *= 2;
  }
}

// Gives back a slot whose request `last` the host has answered. The host has
// read every frame, so nothing written under the lock is still to be read:
// on a GPU a relaxed store suffices (a release would add a fence, ~0.35 us
// measured, to every call). The CPU backend keeps the release, free there,
// so that ThreadSanitizer sees the chain of happens-before it relies on.
GPUSTD_INLINE void give_back_answered(slot_state& s, std::uint32_t last) {
#if GPUSTD_BACKEND_CUDA
  platform::store_relaxed_device(s.word, pack_slot(last + 1, last));
#else
  platform::store_release_device(s.word, pack_slot(last + 1, last));
#endif
}

// Gives back a slot right after its fire-and-forget request's last doorbell.
// On a GPU the system-scope fence before that doorbell already orders
// everything written under the lock before this store, which makes a
// relaxed store a release (PTX: a fence.acq_rel followed by a strong write);
// a release store would add a device-scope fence, ~0.35 us, to every send.
// A sealed request has no fence, and needs none here: the next holder of
// the lock writes another frame, or this one only once the slot's progress
// word (acquire) says the host has read it, which it does only after the
// seal matched, that is, after every write of this request had landed.
// The CPU backend keeps the release (see give_back_answered).
GPUSTD_INLINE void give_back_sent(slot_state& s, std::uint32_t next_seq, std::uint32_t known_done) {
#if GPUSTD_BACKEND_CUDA
  platform::store_relaxed_device(s.word, pack_slot(next_seq, known_done));
#else
  platform::store_release_device(s.word, pack_slot(next_seq, known_done));
#endif
}

// Takes the slot's lock; returns the state word as it was.
GPUSTD_INLINE std::uint64_t lock_slot(slot_state& s) {
  for (unsigned spins = 0;; ++spins) {
    const std::uint64_t old = platform::fetch_or_acquire_device(s.word, slot_locked);
    if (!(old & slot_locked)) return old;
    while (platform::load_relaxed_device(s.word) & slot_locked) platform::short_sleep(spins < 8 ? 32 : 500);
  }
}

// Copies n bytes with all `count` lanes of a group, lane `rank` taking every
// count-th word (8-byte words when both ends allow it).
GPUSTD_INLINE void copy_together(unsigned char* to, const unsigned char* from, std::uint64_t n, unsigned rank,
                                 unsigned count) {
  if (((reinterpret_cast<std::uintptr_t>(to) | reinterpret_cast<std::uintptr_t>(from)) & 7u) == 0) {
    const std::uint64_t words = n / 8;
    auto* t = reinterpret_cast<std::uint64_t*>(to);
    auto* s = reinterpret_cast<const std::uint64_t*>(from);
    for (std::uint64_t i = rank; i < words; i += count) t[i] = s[i];
    for (std::uint64_t i = words * 8 + rank; i < n; i += count) to[i] = from[i];
  } else {
    for (std::uint64_t i = rank; i < n; i += count) to[i] = from[i];
  }
}

// Sends one request for the lanes of `group` (all of which call this with the
// same op and reply mode) and returns the caller's status.
//
// Register budget: a kernel that calls this must fit in 64 registers per
// thread to launch with 1024-thread blocks (the GPU suite launches such
// blocks). Measured with ptxas -v (sm_90): 46-48 for the test kernels.
GPUSTD_INLINE std::int64_t transact(const channel_view& ch, std::uint32_t group, const lane_request& rq,
                                    void* result_data) {
  const unsigned lane = platform::lane_id();
  const unsigned leader = platform::first_lane(group);
  const bool is_leader = lane == leader;
  const unsigned count = platform::popcount(group);
  const unsigned rank = platform::rank_in(group);

  // The leader asks for the slot's lock first; the atomic's round trip to L2
  // overlaps the warp-wide sums below, and its answer is looked at after them.
  std::uint32_t slot_index = 0;
  std::uint64_t first_try = slot_locked;
  if (is_leader) {
    slot_index = platform::resident_warp_index() % ch.slot_count;
    first_try = platform::fetch_or_acquire_device(ch.slots[slot_index].word, slot_locked);
  }

  // Cell stride: 8 + the longest arguments padded to 8; 0 when no lane has
  // arguments or a payload (then the request is its header alone). The
  // lanes with a payload are a ballot of their own: folding a flag into the
  // maximum loses it when one lane has only arguments and another only a
  // payload. When no lane has a payload and all have the same arguments'
  // length, the request is packed: cells without heads (half the bytes of
  // two ints a lane, for the device to write and the host to read).
  const std::uint32_t longest = platform::max_of(group, rq.arg_bytes);
  const std::uint32_t widest = (longest + 7u) & ~7u;
  const std::uint32_t with_payload = platform::ballot(group, rq.payload_bytes != 0);
  const bool payloads = with_payload != 0;
  // (In columns: the same in every lane of the group, part of its key.)
  const bool columns = rq.columns && widest != 0;
  const bool packed =
      !columns && !payloads && longest != 0 && platform::ballot(group, rq.arg_bytes == longest) == group;
  // frame_head (layout.h): every lane's first word, less its lane number,
  // the same, sent once in the header rather than as a row.
  std::uint64_t head_word = 0;
  bool in_head = false;
  if (columns && rq.head) {  // (the same in every lane of the group: part of its key)
    head_word = (rq.arg_bytes >= 8 ? *static_cast<const std::uint64_t*>(rq.args) : 0) - lane;
    in_head = platform::ballot(group, head_word == platform::broadcast(group, head_word, leader)) == group;
  }
  const std::uint32_t stride = columns || packed ? widest : widest == 0 && !payloads ? 0u : 8u + widest;
  // What the header says of the cells, in one word (one register to keep
  // until the frame is published): its cell_stride field, and the flag.
  const std::uint32_t cells_word =
      columns  ? widest | (std::uint32_t(frame_columns | (in_head ? frame_head : 0)) << 16)
      : packed ? rq.arg_bytes | (std::uint32_t(frame_packed) << 16)
               : stride;
  // Where each lane's payload lies in the request stream (no sum to take
  // when there are none).
  std::uint64_t payload_total = 0;
  const std::uint64_t before =
      payloads ? platform::exclusive_sum(group, padded_payload(rq.payload_bytes), payload_total) : 0;
  const std::uint64_t cells = columns ? std::uint64_t(widest / 8 - in_head) * column_row_bytes
                                      : std::uint64_t(count) * stride;
  const std::uint64_t total = cells + payload_total;
  if (total > ch.max_request_bytes) {
    if (is_leader && !(first_try & slot_locked))
      platform::store_release_device(ch.slots[slot_index].word, first_try);  // give the lock back untouched
    return group_too_large;
  }
  const std::uint64_t my_offset = cells + before;
  const std::uint32_t frames = total <= frame_body_bytes
                                   ? 1u
                                   : static_cast<std::uint32_t>((total + frame_body_bytes - 1) / frame_body_bytes);
  // Sealed (protocol/seal.h): one frame, every word of it written below
  // (cells packed or none, or rows of a whole warp), nothing the host needs
  // outside it. The same in every lane of the group (self_contained is part
  // of its key).
  const bool sealed = rq.self_contained && !payloads &&
                      (packed || stride == 0 || (columns && count == lanes_per_request && frames == 1));

  // The leader holds the slot and the request's sequence numbers (one atomic,
  // unless another group held the slot: then it waits for it).
  std::uint32_t seq0 = 0, known_done = 0;
  if (is_leader) {
    const std::uint64_t state = (first_try & slot_locked) ? lock_slot(ch.slots[slot_index]) : first_try;
    seq0 = slot_next_seq(state);
    known_done = slot_known_done(state);
  }
  slot_index = platform::broadcast(group, slot_index, leader);
  seq0 = platform::broadcast(group, seq0, leader);
  slot_state& slot = ch.slots[slot_index];
  // The slot's ring: frames ring, ring + 1, ... (layout.h), by index.
  const std::uint64_t ring = std::uint64_t(slot_index) * ch.frames_per_slot;
  const std::uint32_t ring_mask = ch.frames_per_slot - 1;

  // Frame f of the request (its index): wait until it is free, or publish it.
  auto open_frame = [&](std::uint32_t f) -> std::uint64_t {
    const std::uint64_t i = ring + ((seq0 + f) & ring_mask);
    if (is_leader) wait_frame_free(known_done, ch.headers[ring].progress, seq0 + f, ch.frames_per_slot);
    platform::sync_warp(group);
    return i;
  };
  // A request of at most a ring of frames rings the doorbell once, for its
  // last frame: one fence for all its frames (the host serves the frames up
  // to the doorbell in order). A longer one rings for each frame, so that
  // the host frees frames while the rest are written.
  const bool ring_each = frames > ch.frames_per_slot;
  auto publish_frame = [&](std::uint32_t f, std::uint64_t i) {
    frame_header& fh = ch.headers[i];
    platform::sync_warp(group);  // orders every lane's writes before the leader's release
    if (is_leader) {
      const std::uint64_t w0 = std::uint64_t(f) * frame_body_bytes;
      fh.seq = seq0 + f;
      fh.op = rq.op;
      fh.flags = static_cast<std::uint16_t>((f == 0 ? frame_first : 0) | (f + 1 == frames ? frame_last : 0) |
                                            (rq.no_reply ? frame_no_reply : 0) | (cells_word >> 16));
      fh.mask = group;
      fh.body_bytes = static_cast<std::uint32_t>((total < w0 + frame_body_bytes ? total : w0 + frame_body_bytes) - w0);
      fh.total_bytes = static_cast<std::uint32_t>(total);
      fh.block = platform::block_index();
      fh.warp = platform::warp_in_block();
      fh.cell_stride = cells_word & 0xffffu;  // (packed: the arguments' length, the same in every lane)
      if (in_head && f == 0) fh.head = head_word;
      if (f + 1 != frames && !ring_each) return;
#if GPUSTD_BACKEND_CUDA
      // One fence, then relaxed stores: the doorbell here, and for a
      // fire-and-forget request the slot's unlock after the last frame; both
      // are releases that way (give_back_sent).
      platform::fence_release_system();
      platform::store_relaxed_system(ch.doorbells[slot_index], seq0 + f);
#else
      // (ThreadSanitizer does not model fences: a release store it can follow.)
      platform::store_release_system(ch.doorbells[slot_index], seq0 + f);
#endif
    }
  };

  std::uint32_t f = 0;
  std::uint64_t fr = open_frame(0);
  std::uint64_t seal = 0;  // (sealed) this lane's share: its words' mixes
  if (columns) {  // row by row: word w of every lane (zero past a lane's own), frame after frame
    const auto* from = static_cast<const std::uint64_t*>(rq.args);  // (whole words: hostcall() checks)
    for (std::uint32_t w = in_head;;) {  // (word 0 in the header: from word 1)
      auto* row = reinterpret_cast<std::uint64_t*>(ch.bodies[fr].bytes) + rank;
      for (std::uint32_t k = 0; k < column_rows_per_frame && w < widest / 8; ++k, ++w) {
        const std::uint64_t v = w * 8 < rq.arg_bytes ? from[w] : 0;
        row[k * (column_row_bytes / 8)] = v;
        if (sealed) seal ^= seal_mix(v, seal_header_words + k * lanes_per_request + rank);  // (one frame)
      }
      if (w == widest / 8) break;
      publish_frame(f, fr);
      fr = open_frame(++f);
    }
  } else if (stride) {  // every lane's cell, in frame 0: 8-byte stores of the used part only
    auto* cell = reinterpret_cast<std::uint64_t*>(ch.bodies[fr].bytes + rank * stride);
    if (!packed) cell++[0] = std::uint64_t(rq.payload_bytes) | (std::uint64_t(rq.arg_bytes) << 32);
    std::uint64_t words[inline_arg_bytes / 8] = {};
    if (rq.arg_bytes) std::memcpy(words, rq.args, rq.arg_bytes);
    for (unsigned i = 0; i < (rq.arg_bytes + 7) / 8; ++i) {
      cell[i] = words[i];
      if (sealed) seal ^= seal_mix(words[i], seal_header_words + rank * stride / 8 + i);
    }
  }
  if (sealed) {
    // The header's four words, shared among the lanes (each mixes its own),
    // then the seal and the doorbell: no fence, no barrier. On a GPU, with
    // five lanes or more, the header and the seal (layout.h: the word after
    // it) go out in one store instruction, one write across PCIe, not two
    // (gpu_bench at full GPU, 8 server threads: blocking 101-106 -> 116-127 M
    // calls/s, fire-and-forget 184-194 -> 215-240 M). Otherwise the leader
    // writes the seal after the header, and so before its doorbell: the CPU
    // backend's lanes are threads, and one descheduled between another's
    // doorbell and its own share of the frame would leave the host waiting
    // for a seal it may give up on (server.h, frame_wait).
    const auto flags = static_cast<std::uint16_t>(frame_first | frame_last | frame_sealed |
                                                  (rq.no_reply ? frame_no_reply : 0) | (cells_word >> 16));
    auto* head = reinterpret_cast<std::uint64_t*>(&ch.headers[fr]);
    static_assert(offsetof(frame_header, seal) == 8 * seal_header_words);
    constexpr unsigned head_index = offsetof(frame_header, head) / 8;  // (its word in the header)
    auto word = [&](unsigned p) {
      return header_word(p, seq0, rq.op, flags, group, static_cast<std::uint32_t>(total),
                         static_cast<std::uint32_t>(total), platform::block_index(), platform::warp_in_block(),
                         cells_word & 0xffffu);
    };
    if (in_head && is_leader) seal ^= seal_mix(head_word, seal_head_position);
    if (GPUSTD_BACKEND_CUDA && count > (in_head ? head_index : seal_header_words)) {
      // (With frame_head, lane 6 writes the head word in the same store
      // instruction; lane 5's word, the ring's progress, is the host's.)
      const std::uint64_t w = rank < seal_header_words ? word(rank) : 0;
      if (rank < seal_header_words) seal ^= seal_mix(w, rank);
      seal = platform::xor_of(group, seal);
      if (rank <= seal_header_words || (in_head && rank == head_index))
        head[rank] = rank < seal_header_words ? w : rank == seal_header_words ? seal : head_word;
    } else {
      for (unsigned p = rank; p < seal_header_words; p += count) {
        const std::uint64_t w = word(p);
        head[p] = w;
        seal ^= seal_mix(w, p);
      }
      seal = platform::xor_of(group, seal);
      if (is_leader) {
        if (in_head) ch.headers[fr].head = head_word;
        ch.headers[fr].seal = seal;
      }
    }
    if (is_leader) {
#if GPUSTD_BACKEND_CUDA
      platform::store_relaxed_system(ch.doorbells[slot_index], seq0);
#else
      // (The CPU backend keeps the release: free there, and what
      // ThreadSanitizer follows. The host checks the seal all the same.)
      platform::store_release_system(ch.doorbells[slot_index], seq0);
#endif
    }
  }
  // The payloads, frame by frame. Small ones, and any in a thread's own
  // (local) memory, which only its owner can read, are copied by their
  // owners, all at the same time. (Lane after lane, a warp's 32-byte lines
  // from stack buffers took 18 µs a request on an H100 where one lane's
  // took 4.6: each lane's turn waited on its own loads.) Large ones, which
  // then every lane can read, are copied by all lanes together, one
  // payload's part of the frame after another. (One loop for both keeps a
  // caller's kernel within its register budget: two took 80 registers
  // where one takes 64.)
  if (payloads) {
    const std::uint32_t shareable = platform::ballot(group, platform::readable_by_warp(rq.payload));
    const bool owners_copy = shareable != with_payload || platform::max_of(group, rq.payload_bytes) <= owner_copy_bytes;
    const std::uint64_t my_end = my_offset + rq.payload_bytes;
    const auto* base = static_cast<const unsigned char*>(rq.payload);
    for (;;) {
      const std::uint64_t w0 = std::uint64_t(f) * frame_body_bytes, w1 = w0 + frame_body_bytes;
      // This lane's bytes in the frame, [lo, hi) of the request.
      const bool here = rq.payload_bytes != 0 && my_offset < w1 && my_end > w0;
      const std::uint64_t lo = my_offset > w0 ? my_offset : w0, hi = my_end < w1 ? my_end : w1;
      unsigned char* body = ch.bodies[fr].bytes;
      if (owners_copy) {
        if (here) copy_together(body + (lo - w0), base + (lo - my_offset), hi - lo, 0, 1);
      } else {
        for (std::uint32_t m = platform::ballot(group, here); m; m &= m - 1) {
          const unsigned src = platform::first_lane(m);
          const std::uint64_t at = platform::broadcast(group, lo, src);
          const std::uint64_t n = platform::broadcast(group, hi - lo, src);
          const auto* from = reinterpret_cast<const unsigned char*>(static_cast<std::uintptr_t>(platform::broadcast(
              group, static_cast<std::uint64_t>(reinterpret_cast<std::uintptr_t>(base + (lo - my_offset))), src)));
          copy_together(body + (at - w0), from, n, rank, count);
        }
      }
      if (total <= w1) break;  // (f: the frame of the request's last byte, as below)
      publish_frame(f, fr);
      fr = open_frame(++f);
    }
  }
  if (!sealed) {
    while (f + 1 < frames) {  // (padding never fills a frame; kept for safety)
      publish_frame(f, fr);
      fr = open_frame(++f);
    }
    publish_frame(f, fr);
  }

  if (rq.no_reply) {
    if (is_leader) give_back_sent(slot, seq0 + frames, known_done);
    return status_ok;
  }
  const std::uint32_t last = seq0 + frames - 1;
  const std::uint64_t lf = ring + (last & ring_mask);
  frame_header& lh = ch.headers[lf];
  unsigned char* lb = ch.bodies[lf].bytes;
  std::int32_t uniform = 0;
  if (is_leader) uniform = answer_status(wait_done(lh.answer, last));
  uniform = static_cast<std::int32_t>(platform::broadcast(group, static_cast<std::uint32_t>(uniform), leader));
  if (uniform > answer_lowest_layout) {  // every lane's status in the answer word, no data
    if (result_data) std::memset(result_data, 0, inline_arg_bytes);
    if (is_leader) give_back_answered(slot, last);
    return uniform;
  }
  if (uniform == answer_words_ok) {  // status 0, and a data word
    const std::uint64_t w =
        platform::load_relaxed_system(*reinterpret_cast<std::uint64_t*>(lb + result_ok_word_offset(rank)));
    if (result_data) {
      std::memset(result_data, 0, inline_arg_bytes);
      std::memcpy(result_data, &w, 8);
    }
    platform::sync_warp(group);  // every lane has read its result before the slot is reused
    if (is_leader) give_back_answered(slot, last);
    return status_ok;
  }
  if (uniform == answer_per_lane_status32) {  // a 32-bit status each, no data
    const std::int32_t status =
        platform::load_relaxed_system(*reinterpret_cast<std::int32_t*>(lb + result_status32_offset(rank)));
    if (result_data) std::memset(result_data, 0, inline_arg_bytes);
    platform::sync_warp(group);  // every lane has read its result before the slot is reused
    if (is_leader) give_back_answered(slot, last);
    return status;
  }
  const std::int64_t status =
      platform::load_relaxed_system(*reinterpret_cast<std::int64_t*>(lb + result_status_offset(rank)));
  if (result_data) {  // only the bytes the host wrote (layout.h): each one read crosses PCIe
    auto* out = static_cast<unsigned char*>(result_data);
    if (uniform == answer_per_lane) {
      auto* words = reinterpret_cast<std::uint64_t*>(lb + result_data_offset(rank));
      for (unsigned i = 0; i < inline_arg_bytes / 8; ++i) {
        const std::uint64_t w = platform::load_relaxed_system(words[i]);
        std::memcpy(out + 8 * i, &w, 8);
      }
    } else {
      std::memset(out, 0, inline_arg_bytes);
      if (uniform == answer_per_lane_word) {
        const std::uint64_t w =
            platform::load_relaxed_system(*reinterpret_cast<std::uint64_t*>(lb + result_word_offset(rank)));
        std::memcpy(out, &w, 8);
      }
    }
  }
  platform::sync_warp(group);  // every lane has read its result before the slot is reused
  if (is_leader) give_back_answered(slot, last);
  return status;
}

}  // namespace detail

// Sends `rq` to the host runtime and returns the status the handler gave this
// lane (for a fire-and-forget request: 0 once the request is in the channel).
// `result_data`, when not null, receives the result cell's 56 data bytes.
// Errors found on the device: -EFAULT (payload null with a length), -EINVAL
// (arguments over inline_arg_bytes; in columns, over column_max_arg_bytes,
// not whole aligned words, or with a payload), -E2BIG (one lane's request over the channel's
// max_request_bytes), -ENODEV (no runtime).
GPUSTD_INLINE std::int64_t hostcall(const lane_request& rq, void* result_data = nullptr) {
  if (rq.payload_bytes && !rq.payload) return status_bad_address;
  if (rq.arg_bytes > (rq.columns ? column_max_arg_bytes : inline_arg_bytes) ||
      (rq.columns && (rq.payload_bytes || rq.arg_bytes % 8 || (reinterpret_cast<std::uintptr_t>(rq.args) & 7))))
    return status_bad_argument;
  const channel_view& ch = channel();
  if (!ch.headers) return status_no_runtime;
  if (std::uint64_t(rq.payload_bytes) + 8 + inline_arg_bytes > ch.max_request_bytes) return status_too_large;

  std::uint32_t mask = platform::active_mask();
  const std::uint32_t key =
      rq.op | (rq.no_reply ? 0x10000u : 0u) | (rq.self_contained ? 0x20000u : 0u) | (rq.columns ? 0x40000u : 0u) |
      (rq.head ? 0x80000u : 0u);
  for (;;) {
    const unsigned lead = platform::first_lane(mask);
    const std::uint32_t lead_key = platform::broadcast(mask, key, lead);
    const std::uint32_t group = platform::ballot(mask, key == lead_key);
    if (key == lead_key) {
      std::int64_t r = detail::transact(ch, group, rq, result_data);
      if (r != detail::group_too_large) return r;
      // Together the lanes' payloads exceed a request: send them one by one.
      const unsigned lane = platform::lane_id();
      for (std::uint32_t m = group; m; m &= m - 1) {
        if (platform::first_lane(m) == lane) r = detail::transact(ch, 1u << lane, rq, result_data);
        platform::sync_warp(group);
      }
      return r;
    }
    mask &= ~group;
  }
}

}  // namespace gpustd::protocol
