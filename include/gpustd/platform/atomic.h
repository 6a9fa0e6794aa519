// Platform layer: memory primitives with explicit scope and order.
//
//   load_acquire_system / store_release_system / load_relaxed_system:
//       words in pinned host memory that device and host threads share;
//   fence_system:       a sequentially consistent fence at system scope;
//   fence_release_system: a release fence at system scope (CUDA:
//       fence.acq_rel.sys): with the relaxed stores after it, each one a
//       release (a PTX "release pattern"), for the price of one fence;
//   acquire_after_relaxed_system(x): the relaxed load of x before it made
//       an acquire (CUDA: an acquire fence, no second read of x; CPU: x
//       loaded again with acquire, which ThreadSanitizer follows);
//   fetch_or_acquire_device / store_release_device:
//       a 64-bit lock-and-state word in device memory (device scope: only
//       device threads touch it; acquire on taking, release on giving back);
//   fetch_or_acquire_device / fetch_and_release_device (any word): a bit
//       taken (acquire) and given back (release), as the future arena's;
//   store_relaxed_system: a word in host memory the host reads after an
//       acquire of something published later (release) by the same thread;
//   load_relaxed_device / store_relaxed_device / exchange_relaxed_device:
//       any word in device memory that device threads share (relaxed, device
//       scope: flags like a FILE's end-of-file indicator);
//   load_acquire_device / store_release_device / fetch_add_acq_rel_device /
//   compare_exchange_acquire_device / fence_device: device-scope
//       synchronisation among device threads (the program barrier, the clock
//       cache); fetch_min_relaxed_device: a combining minimum (exit codes);
//   load_relaxed_block / store_relaxed_block / load_volatile_block: a word
//       in a block's shared memory that the block's threads share (the
//       clock's per-block copy; the volatile load is a strong relaxed load
//       that overlaps a timer read, see cuda/atomic.h).
#pragma once
#include "gpustd/config.h"
#if GPUSTD_BACKEND_CUDA
#include "gpustd/platform/cuda/atomic.h"
#else
#include "gpustd/platform/cpu/atomic.h"
#endif
