// Sealed frames: requests the device publishes without a system-scope fence.
//
// On a GPU the release before a doorbell is the largest part of a send: the
// fence waits until every earlier store of the thread has reached host
// memory, 0.65-0.74 us on an H100 (gpu_bench's primitives; a bare ping-pong
// without it is 2.39 us against 3.04 with it). Without the fence the host
// can see the doorbell before the header and the cells have landed, in any
// order. A sealed frame carries instead a 64-bit seal: a hash of its header
// words (the sequence number among them) and of its body, which the lanes
// compute together as they write them. The host serves the frame once the
// seal it reads matches the seal of the words it read; until then the frame
// has not all arrived, and the host looks again. Words left from the frame's
// previous use (another sequence number) or torn between two uses match
// with a probability of about 2^-64 (seal_mix).
//
// Only requests whose meaning is all in their frame are sealed: one frame,
// no payload, cells packed or none, and a request that says so
// (lane_request::self_contained). A request that makes the host read other
// memory the device wrote (spans by address, queued asynchronous calls,
// the return area) keeps the fence, since the host must see those writes
// too. So a sealed request is not a release of the caller's other writes
// (docs/hostcalls.md).
#pragma once
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "gpustd/config.h"
#include "gpustd/protocol/layout.h"

namespace gpustd::protocol {

// The header's first 32 bytes, as four little-endian words, come first;
// body word k is at position seal_header_words + k.
inline constexpr std::uint32_t seal_header_words = 4;

// A word mixed with its position, so that a change of any word, or a word
// in another place, changes the seal: the word, XORed with a constant per
// position, times an odd 64-bit constant, the 128-bit product's halves
// folded together (one multiply-high and one multiply a word, where a
// 64-bit finalizer took two dependent multiplies and three shifts: the host
// checks 36 words for a warp's packed 8-byte arguments, and that check was
// 40% of what serving such a request cost). The frame's seal is the XOR of
// its words' mixes, so lanes can take their shares apart and combine them
// in any order; two different words collide at one position with a
// probability of about 2^-64.
GPUSTD_HOST_DEVICE constexpr std::uint64_t seal_mix(std::uint64_t word, std::uint32_t position) {
  const std::uint64_t x = word ^ ((std::uint64_t(position) + 1u) * 0x9e3779b97f4a7c15ull);
  constexpr std::uint64_t m = 0xd6e8feb86659fd93ull;
#if defined(__CUDA_ARCH__)
  return __umul64hi(x, m) ^ (x * m);
#else
#if defined(__x86_64__) && defined(__GNUC__)
  // (GCC 12 stores an unsigned __int128 product to the stack and reads it
  // back, three instructions a word in the host's check; one MUL does not.)
  if (!std::is_constant_evaluated()) {
    std::uint64_t lo, hi;
    asm("mulq %3" : "=a"(lo), "=d"(hi) : "a"(x), "r"(m) : "cc");
    return hi ^ lo;
  }
#endif
  const unsigned __int128 p = static_cast<unsigned __int128>(x) * m;
  return static_cast<std::uint64_t>(p >> 64) ^ static_cast<std::uint64_t>(p);
#endif
}

// Header word p (0..3) of a frame, as frame_header lays out its first 32 bytes.
GPUSTD_HOST_DEVICE constexpr std::uint64_t header_word(unsigned p, std::uint32_t seq, std::uint16_t op,
                                                       std::uint16_t flags, std::uint32_t mask, std::uint32_t body_bytes,
                                                       std::uint32_t total_bytes, std::uint32_t block,
                                                       std::uint32_t warp, std::uint32_t cell_stride) {
  return p == 0   ? std::uint64_t(seq) | (std::uint64_t(op) << 32) | (std::uint64_t(flags) << 48)
         : p == 1 ? std::uint64_t(mask) | (std::uint64_t(body_bytes) << 32)
         : p == 2 ? std::uint64_t(total_bytes) | (std::uint64_t(block) << 32)
                  : std::uint64_t(warp) | (std::uint64_t(cell_stride) << 32);
}

// Host: the seal of a frame as read, from a copy of its header and its
// body in place (whole words up to body_bytes, at most a frame's body).
inline std::uint64_t seal_of(const frame_header& h, const unsigned char* body, std::uint32_t body_bytes) {
  std::uint64_t head[seal_header_words];
  std::memcpy(head, &h, sizeof head);
  static_assert(seal_header_words == 4);  // (written out: the host checks the header of every sealed frame)
  std::uint64_t seal = seal_mix(head[0], 0) ^ seal_mix(head[1], 1) ^ seal_mix(head[2], 2) ^ seal_mix(head[3], 3);
  if (body_bytes < 8) return seal;  // (a header alone, as a null call's: no loop to set up)
  const std::uint32_t words = (body_bytes < frame_body_bytes ? body_bytes : frame_body_bytes) / 8;
  const auto* w = reinterpret_cast<const std::uint64_t*>(body);
  // One atomic load a word (the device may still be writing). Relaxed is
  // enough on any host: once the seal matches, the device writes none of
  // these words again until the host answers, so the handler's later reads
  // of the same words see the same values (coherence); and a sealed frame
  // carries no meaning outside its own words.
  // (Two words a step, into two sums: the multiplies overlap, and the
  // compiler keeps both products in registers.)
  std::uint64_t other = 0;
  std::uint32_t k = 0;
  for (; k + 2 <= words; k += 2) {
    seal ^= seal_mix(__atomic_load_n(w + k, __ATOMIC_RELAXED), seal_header_words + k);
    other ^= seal_mix(__atomic_load_n(w + k + 1, __ATOMIC_RELAXED), seal_header_words + k + 1);
  }
  if (k < words) seal ^= seal_mix(__atomic_load_n(w + k, __ATOMIC_RELAXED), seal_header_words + k);
  return seal ^ other;
}

}  // namespace gpustd::protocol
