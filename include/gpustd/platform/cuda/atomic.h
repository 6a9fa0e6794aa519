// CUDA implementation of the memory primitives (see gpustd/platform/atomic.h),
// on libcu++'s cuda::atomic_ref.
#pragma once
#include <cuda/atomic>
#include <cstdint>
#include "gpustd/config.h"

namespace gpustd::platform {

template <class T>
using system_ref = cuda::atomic_ref<T, cuda::thread_scope_system>;
template <class T>
using device_ref = cuda::atomic_ref<T, cuda::thread_scope_device>;

// System scope: memory shared with the host through pinned mapped memory.
template <class T>
GPUSTD_INLINE T load_acquire_system(T& x) { return system_ref<T>(x).load(cuda::memory_order_acquire); }
template <class T>
GPUSTD_INLINE void store_release_system(T& x, T v) { system_ref<T>(x).store(v, cuda::memory_order_release); }
// A relaxed system-scope load: never served from a stale L1 line.
template <class T>
GPUSTD_INLINE T load_relaxed_system(T& x) { return system_ref<T>(x).load(cuda::memory_order_relaxed); }
GPUSTD_INLINE void fence_system() { cuda::atomic_thread_fence(cuda::memory_order_seq_cst, cuda::thread_scope_system); }

// Device scope: state in device memory that only device threads touch.
template <class T>
GPUSTD_INLINE bool try_lock_device(T& word) {
  T expected = 0;
  return device_ref<T>(word).compare_exchange_strong(expected, T(1), cuda::memory_order_acquire,
                                                      cuda::memory_order_relaxed);
}
template <class T>
GPUSTD_INLINE void unlock_device(T& word) { device_ref<T>(word).store(T(0), cuda::memory_order_release); }

}  // namespace gpustd::platform
