// CPU implementation of the memory primitives (see gpustd/platform/atomic.h).
// "System" and "device" scope are both the process on the CPU.
#pragma once
#include <atomic>
#include <cstdint>

namespace gpustd::platform {

template <class T>
inline T load_acquire_system(T& x) { return std::atomic_ref<T>(x).load(std::memory_order_acquire); }
template <class T>
inline void store_release_system(T& x, T v) { std::atomic_ref<T>(x).store(v, std::memory_order_release); }
template <class T>
inline T load_relaxed_system(T& x) { return std::atomic_ref<T>(x).load(std::memory_order_relaxed); }
inline void fence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }

template <class T>
inline bool try_lock_device(T& word) {
  T expected = 0;
  return std::atomic_ref<T>(word).compare_exchange_strong(expected, T(1), std::memory_order_acquire,
                                                           std::memory_order_relaxed);
}
template <class T>
inline void unlock_device(T& word) { std::atomic_ref<T>(word).store(T(0), std::memory_order_release); }

}  // namespace gpustd::platform
