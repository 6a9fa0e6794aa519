// Platform layer: memory primitives with explicit scope and order.
//
//   load_acquire_system / store_release_system / load_relaxed_system:
//       words in pinned host memory that device and host threads share;
//   fence_system:       a sequentially consistent fence at system scope;
//   try_lock_device / unlock_device:
//       a lock word in device memory (acquire on lock, release on unlock,
//       device scope: only device threads take these locks).
#pragma once
#include "gpustd/config.h"
#if GPUSTD_BACKEND_CUDA
#include "gpustd/platform/cuda/atomic.h"
#else
#include "gpustd/platform/cpu/atomic.h"
#endif
