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
// no payload, cells packed or none or rows in columns of a whole warp (every
// word of the rows written), and a request that says so
// (lane_request::self_contained). A request that makes the host read other
// memory the device wrote (spans by address, queued asynchronous calls,
// the return area) keeps the fence, since the host must see those writes
// too. So a sealed request is not a release of the caller's other writes
// (docs/hostcalls.md).
#pragma once
#include <cstdint>
#include <cstring>

#include "gpustd/config.h"
#include "gpustd/protocol/layout.h"

// The host checks seals with x86 vector instructions (SSE2, and AVX2 where
// the CPU has it); elsewhere, and in code nvcc compiles (which never checks
// one), word by word.
#if defined(__x86_64__) && defined(__SSE2__) && !defined(__CUDACC__)
#define GPUSTD_SEAL_VECTORS 1
#include <immintrin.h>
#else
#define GPUSTD_SEAL_VECTORS 0
#endif

namespace gpustd::protocol {

// The header's first 32 bytes, as four little-endian words, come first;
// body word k is at position seal_header_words + k.
inline constexpr std::uint32_t seal_header_words = 4;
// With frame_head, the header's head word (layout.h) at this position, past
// any body word's.
inline constexpr std::uint32_t seal_head_position = seal_header_words + frame_body_bytes / 8;

// Four 32-bit keys per position, each affine in it (so that the host's
// vector loop steps them with one add): key k at position p is
// seal_key_base(k) + p * seal_key_step(k). The steps are odd, and keys 0
// and 2 (1 and 3) differ at every position below 4,096 (a frame has 261).
// (Functions, not arrays: a constexpr array is not device code's to read.)
GPUSTD_HOST_DEVICE constexpr std::uint32_t seal_key_base(unsigned k) {
  return k == 0 ? 0x243f6a88u : k == 1 ? 0x85a308d3u : k == 2 ? 0x13198a2eu : 0x03707344u;
}
GPUSTD_HOST_DEVICE constexpr std::uint32_t seal_key_step(unsigned k) {
  return k == 0 ? 0x9e3779b9u : k == 1 ? 0x7f4a7c15u : k == 2 ? 0xbb67ae85u : 0x3c6ef373u;
}
GPUSTD_HOST_DEVICE constexpr std::uint32_t seal_key(unsigned k, std::uint32_t position) {
  return seal_key_base(k) + position * seal_key_step(k);
}

// A word mixed with its position, so that a change of any word, or a word
// in another place, changes the seal. The word's halves, each plus a key of
// the position, are multiplied into a 64-bit product, twice with other
// keys, and the two products folded (the second turned by 32 bits): 32x32
// -> 64-bit multiplies, which the host does four at a time in vector
// registers (seal_of) and a GPU in one instruction each. (A 64x64 -> 128-bit
// multiply, the mix before, has no vector form; checking 36 words for a
// warp's packed 8-byte arguments took the host a third of a typed call's
// instructions.) The products are exact, so a change in one half of a word
// changes a product whose other factor is not 0, and the two products'
// other factors are never 0 together (their keys differ). The frame's seal
// is the XOR of its words' mixes, so lanes can take their shares apart and
// combine them in any order; two different words collide at one position
// with a probability of about 2^-64.
GPUSTD_HOST_DEVICE constexpr std::uint64_t seal_mix(std::uint64_t word, std::uint32_t position) {
  const auto lo = static_cast<std::uint32_t>(word), hi = static_cast<std::uint32_t>(word >> 32);
  const std::uint64_t m1 = std::uint64_t(lo + seal_key(0, position)) * (hi + seal_key(1, position));
  const std::uint64_t m2 = std::uint64_t(lo + seal_key(2, position)) * (hi + seal_key(3, position));
  return m1 ^ ((m2 << 32) | (m2 >> 32));
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

#if GPUSTD_SEAL_VECTORS
namespace seal_detail {
// The seal of `n` words (n even) at positions from `position` on, two at a
// time: each 128-bit register holds two words as four 32-bit halves, the
// keys of their positions beside them.
inline std::uint64_t mix_words_sse2(const std::uint64_t* w, std::uint32_t n, std::uint32_t position) {
  __m128i ab = _mm_setr_epi32(int(seal_key(0, position)), int(seal_key(1, position)), int(seal_key(0, position + 1)),
                              int(seal_key(1, position + 1)));
  __m128i cd = _mm_setr_epi32(int(seal_key(2, position)), int(seal_key(3, position)), int(seal_key(2, position + 1)),
                              int(seal_key(3, position + 1)));
  const __m128i ab_step = _mm_setr_epi32(int(2 * seal_key_step(0)), int(2 * seal_key_step(1)),
                                         int(2 * seal_key_step(0)), int(2 * seal_key_step(1)));
  const __m128i cd_step = _mm_setr_epi32(int(2 * seal_key_step(2)), int(2 * seal_key_step(3)),
                                         int(2 * seal_key_step(2)), int(2 * seal_key_step(3)));
  __m128i seal = _mm_setzero_si128();
  for (std::uint32_t k = 0; k < n; k += 2) {
    const __m128i v = _mm_load_si128(reinterpret_cast<const __m128i*>(w + k));
    const __m128i t = _mm_add_epi32(v, ab), u = _mm_add_epi32(v, cd);
    const __m128i m1 = _mm_mul_epu32(t, _mm_srli_epi64(t, 32));
    const __m128i m2 = _mm_mul_epu32(u, _mm_srli_epi64(u, 32));
    seal = _mm_xor_si128(seal, _mm_xor_si128(m1, _mm_shuffle_epi32(m2, 0xB1)));  // (0xB1: each half turned by 32)
    ab = _mm_add_epi32(ab, ab_step);
    cd = _mm_add_epi32(cd, cd_step);
  }
  return std::uint64_t(_mm_cvtsi128_si64(seal)) ^ std::uint64_t(_mm_cvtsi128_si64(_mm_unpackhi_epi64(seal, seal)));
}
// The header's four words (positions 0 to 3): mix_words_sse2's two steps
// with their keys as constants. Every frame's header is checked, and of a
// header-only frame (a null call's, a send of nothing but its operation)
// nothing else: this is most of what the host does to accept a send.
inline std::uint64_t mix_header_sse2(const std::uint64_t* head) {
  const __m128i v0 = _mm_load_si128(reinterpret_cast<const __m128i*>(head));
  const __m128i v1 = _mm_load_si128(reinterpret_cast<const __m128i*>(head + 2));
  const __m128i t0 = _mm_add_epi32(v0, _mm_setr_epi32(int(seal_key(0, 0)), int(seal_key(1, 0)), int(seal_key(0, 1)),
                                                      int(seal_key(1, 1))));
  const __m128i u0 = _mm_add_epi32(v0, _mm_setr_epi32(int(seal_key(2, 0)), int(seal_key(3, 0)), int(seal_key(2, 1)),
                                                      int(seal_key(3, 1))));
  const __m128i t1 = _mm_add_epi32(v1, _mm_setr_epi32(int(seal_key(0, 2)), int(seal_key(1, 2)), int(seal_key(0, 3)),
                                                      int(seal_key(1, 3))));
  const __m128i u1 = _mm_add_epi32(v1, _mm_setr_epi32(int(seal_key(2, 2)), int(seal_key(3, 2)), int(seal_key(2, 3)),
                                                      int(seal_key(3, 3))));
  const __m128i m1 = _mm_xor_si128(_mm_mul_epu32(t0, _mm_srli_epi64(t0, 32)), _mm_mul_epu32(t1, _mm_srli_epi64(t1, 32)));
  const __m128i m2 = _mm_xor_si128(_mm_mul_epu32(u0, _mm_srli_epi64(u0, 32)), _mm_mul_epu32(u1, _mm_srli_epi64(u1, 32)));
  const __m128i seal = _mm_xor_si128(m1, _mm_shuffle_epi32(m2, 0xB1));  // (0xB1: each half turned by 32)
  return std::uint64_t(_mm_cvtsi128_si64(seal)) ^ std::uint64_t(_mm_cvtsi128_si64(_mm_unpackhi_epi64(seal, seal)));
}
// The same, four words at a time (n a multiple of 4), where the CPU has AVX2.
__attribute__((target("avx2"))) inline std::uint64_t mix_words_avx2(const std::uint64_t* w, std::uint32_t n,
                                                                      std::uint32_t position) {
  // Keys of the first four positions: base + (position + i) * step, for the
  // i-th word's two halves. (Worked out in registers: keys stored to
  // memory and loaded as one vector stalled the load.)
  const __m256i index = _mm256_add_epi32(_mm256_set1_epi32(int(position)), _mm256_setr_epi32(0, 0, 1, 1, 2, 2, 3, 3));
  __m256i ab = _mm256_add_epi32(
      _mm256_setr_epi32(int(seal_key_base(0)), int(seal_key_base(1)), int(seal_key_base(0)), int(seal_key_base(1)),
                        int(seal_key_base(0)), int(seal_key_base(1)), int(seal_key_base(0)), int(seal_key_base(1))),
      _mm256_mullo_epi32(index, _mm256_setr_epi32(int(seal_key_step(0)), int(seal_key_step(1)), int(seal_key_step(0)),
                                                  int(seal_key_step(1)), int(seal_key_step(0)), int(seal_key_step(1)),
                                                  int(seal_key_step(0)), int(seal_key_step(1)))));
  __m256i cd = _mm256_add_epi32(
      _mm256_setr_epi32(int(seal_key_base(2)), int(seal_key_base(3)), int(seal_key_base(2)), int(seal_key_base(3)),
                        int(seal_key_base(2)), int(seal_key_base(3)), int(seal_key_base(2)), int(seal_key_base(3))),
      _mm256_mullo_epi32(index, _mm256_setr_epi32(int(seal_key_step(2)), int(seal_key_step(3)), int(seal_key_step(2)),
                                                  int(seal_key_step(3)), int(seal_key_step(2)), int(seal_key_step(3)),
                                                  int(seal_key_step(2)), int(seal_key_step(3)))));
  const __m256i ab_step = _mm256_setr_epi32(int(4 * seal_key_step(0)), int(4 * seal_key_step(1)),
                                            int(4 * seal_key_step(0)), int(4 * seal_key_step(1)),
                                            int(4 * seal_key_step(0)), int(4 * seal_key_step(1)),
                                            int(4 * seal_key_step(0)), int(4 * seal_key_step(1)));
  const __m256i cd_step = _mm256_setr_epi32(int(4 * seal_key_step(2)), int(4 * seal_key_step(3)),
                                            int(4 * seal_key_step(2)), int(4 * seal_key_step(3)),
                                            int(4 * seal_key_step(2)), int(4 * seal_key_step(3)),
                                            int(4 * seal_key_step(2)), int(4 * seal_key_step(3)));
  __m256i seal = _mm256_setzero_si256();
  for (std::uint32_t k = 0; k < n; k += 4) {
    const __m256i v = _mm256_load_si256(reinterpret_cast<const __m256i*>(w + k));
    const __m256i t = _mm256_add_epi32(v, ab), u = _mm256_add_epi32(v, cd);
    const __m256i m1 = _mm256_mul_epu32(t, _mm256_srli_epi64(t, 32));
    const __m256i m2 = _mm256_mul_epu32(u, _mm256_srli_epi64(u, 32));
    seal = _mm256_xor_si256(seal, _mm256_xor_si256(m1, _mm256_shuffle_epi32(m2, 0xB1)));
    ab = _mm256_add_epi32(ab, ab_step);
    cd = _mm256_add_epi32(cd, cd_step);
  }
  const __m128i half = _mm_xor_si128(_mm256_castsi256_si128(seal), _mm256_extracti128_si256(seal, 1));
  return std::uint64_t(_mm_cvtsi128_si64(half)) ^ std::uint64_t(_mm_cvtsi128_si64(_mm_unpackhi_epi64(half, half)));
}
inline bool has_avx2() {
  static const bool yes = (__builtin_cpu_init(), __builtin_cpu_supports("avx2") != 0);
  return yes;
}
}  // namespace seal_detail
#endif

// Host: the seal of a frame as read (seal_of), from a copy of its header
// and its body in place (whole words up to body_bytes, at most a frame's
// body; `body` aligned to 32 bytes, as a frame's is); and the body's share
// of it alone (seal_of_body).
//
// The body's words are read by vector loads (where the host has them),
// while the device may still be writing them. A word the device is
// writing is read whole or not at all (each aligned 8 bytes of a vector
// load is one access; and a word read torn would fail the seal as a stale
// one does), and once the seal matches, the device writes
// none of these words again until the host answers, so the handler's later
// reads of the same words see what the seal saw; a sealed frame carries no
// meaning outside its own words.
inline std::uint64_t seal_of_body(const unsigned char* body, std::uint32_t body_bytes) {
  const std::uint32_t words = body_bytes < 8 ? 0u : (body_bytes < frame_body_bytes ? body_bytes : frame_body_bytes) / 8;
  const auto* w = reinterpret_cast<const std::uint64_t*>(body);
  std::uint64_t seal = 0;
#if GPUSTD_SEAL_VECTORS
  if (words == 0) return seal;  // (a header alone, as a null call's)
  std::uint32_t k = 0;
  if (words >= 4 && seal_detail::has_avx2()) {
    k = words & ~3u;
    seal ^= seal_detail::mix_words_avx2(w, k, seal_header_words);
  }
  const std::uint32_t pairs = (words - k) & ~1u;
  if (pairs) seal ^= seal_detail::mix_words_sse2(w + k, pairs, seal_header_words + k);
  k += pairs;
  if (k < words) seal ^= seal_mix(__atomic_load_n(w + k, __ATOMIC_RELAXED), seal_header_words + k);
#else
  for (std::uint32_t k = 0; k < words; ++k)
    seal ^= seal_mix(__atomic_load_n(w + k, __ATOMIC_RELAXED), seal_header_words + k);  // (relaxed: see above)
#endif
  return seal;
}

// The header's share of the seal (its first 32 bytes, positions 0 to 3).
inline std::uint64_t seal_of_header(const frame_header& h) {
  alignas(16) std::uint64_t head[seal_header_words];
  std::memcpy(head, &h, sizeof head);
  static_assert(seal_header_words == 4);
#if GPUSTD_SEAL_VECTORS
  std::uint64_t seal = seal_detail::mix_header_sse2(head);
#else
  std::uint64_t seal = seal_mix(head[0], 0) ^ seal_mix(head[1], 1) ^ seal_mix(head[2], 2) ^ seal_mix(head[3], 3);
#endif
  if (h.flags & frame_head) [[unlikely]]
    seal ^= seal_mix(h.head, seal_head_position);
  return seal;
}

inline std::uint64_t seal_of(const frame_header& h, const unsigned char* body, std::uint32_t body_bytes) {
  return seal_of_header(h) ^ seal_of_body(body, body_bytes);
}

}  // namespace gpustd::protocol
