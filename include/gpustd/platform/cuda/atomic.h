// CUDA implementation of the memory primitives (see gpustd/platform/atomic.h),
// on libcu++'s cuda::atomic_ref.
#pragma once
#include <cuda/atomic>
#include <cstdint>
#include <type_traits>
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
GPUSTD_INLINE void fence_release_system() {
  cuda::atomic_thread_fence(cuda::memory_order_release, cuda::thread_scope_system);
}
// Makes the relaxed system-scope loads before it, `x`'s among them, acquires:
// what was written before the stores they saw is seen by the loads after it.
// (A fence: no second read of `x` across PCIe.)
template <class T>
GPUSTD_INLINE void acquire_after_relaxed_system(T&) {
  cuda::atomic_thread_fence(cuda::memory_order_acquire, cuda::thread_scope_system);
}

// Device scope: state in device memory that only device threads touch.
// fetch_or with acquire takes a lock bit and reads the rest of the word.
GPUSTD_INLINE std::uint64_t fetch_or_acquire_device(std::uint64_t& w, std::uint64_t bits) {
  return device_ref<std::uint64_t>(w).fetch_or(bits, cuda::memory_order_acquire);
}
template <class T>
GPUSTD_INLINE T load_relaxed_device(T& w) {
  return device_ref<T>(w).load(cuda::memory_order_relaxed);
}
template <class T>
GPUSTD_INLINE void store_relaxed_device(T& w, std::type_identity_t<T> v) {
  device_ref<T>(w).store(v, cuda::memory_order_relaxed);
}
template <class T>
GPUSTD_INLINE T fetch_or_acquire_device(T& w, std::type_identity_t<T> bits) {
  return device_ref<T>(w).fetch_or(bits, cuda::memory_order_acquire);
}
template <class T>
GPUSTD_INLINE T fetch_and_release_device(T& w, std::type_identity_t<T> bits) {
  return device_ref<T>(w).fetch_and(bits, cuda::memory_order_release);
}
template <class T>
GPUSTD_INLINE void store_relaxed_system(T& x, std::type_identity_t<T> v) {
  system_ref<T>(x).store(v, cuda::memory_order_relaxed);
}
template <class T>
GPUSTD_INLINE T exchange_relaxed_device(T& w, std::type_identity_t<T> v) {
  return device_ref<T>(w).exchange(v, cuda::memory_order_relaxed);
}
template <class T>
GPUSTD_INLINE void store_release_device(T& w, std::type_identity_t<T> v) {
  device_ref<T>(w).store(v, cuda::memory_order_release);
}
template <class T>
GPUSTD_INLINE T load_acquire_device(T& w) {
  return device_ref<T>(w).load(cuda::memory_order_acquire);
}
template <class T>
GPUSTD_INLINE T fetch_add_acq_rel_device(T& w, std::type_identity_t<T> v) {
  return device_ref<T>(w).fetch_add(v, cuda::memory_order_acq_rel);
}
template <class T>
GPUSTD_INLINE T fetch_min_relaxed_device(T& w, std::type_identity_t<T> v) {
  return device_ref<T>(w).fetch_min(v, cuda::memory_order_relaxed);
}
template <class T>
GPUSTD_INLINE bool compare_exchange_acquire_device(T& w, T& expected, std::type_identity_t<T> desired) {
  return device_ref<T>(w).compare_exchange_strong(expected, desired, cuda::memory_order_acquire,
                                                  cuda::memory_order_relaxed);
}
// Block scope: a block's own shared memory (the clock's per-block copy).
template <class T>
GPUSTD_INLINE T load_relaxed_block(T& w) {
  return cuda::atomic_ref<T, cuda::thread_scope_block>(w).load(cuda::memory_order_relaxed);
}
template <class T>
GPUSTD_INLINE void store_relaxed_block(T& w, std::type_identity_t<T> v) {
  cuda::atomic_ref<T, cuda::thread_scope_block>(w).store(v, cuda::memory_order_relaxed);
}
// A volatile load from the block's shared memory: PTX treats ld.volatile as
// a strong relaxed load, and ptxas lets it overlap a special-register read
// (the timer) that follows, which ld.relaxed.cta did not (measured on an
// H100 in channel_anatomy's earlier single-kernel loop: 119 against 147 ns
// for three loads and the timer).
template <class T>
GPUSTD_INLINE T load_volatile_block(T& w) {
  return *static_cast<const volatile T*>(&w);
}
GPUSTD_INLINE void fence_device() { cuda::atomic_thread_fence(cuda::memory_order_seq_cst, cuda::thread_scope_device); }

}  // namespace gpustd::platform
