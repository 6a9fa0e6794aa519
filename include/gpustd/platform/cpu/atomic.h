// CPU implementation of the memory primitives (see gpustd/platform/atomic.h).
// "System" and "device" scope are both the process on the CPU.
#pragma once
#include <atomic>
#include <cstdint>
#include <type_traits>

namespace gpustd::platform {

template <class T>
inline T load_acquire_system(T& x) { return std::atomic_ref<T>(x).load(std::memory_order_acquire); }
template <class T>
inline void store_release_system(T& x, T v) { std::atomic_ref<T>(x).store(v, std::memory_order_release); }
template <class T>
inline T load_relaxed_system(T& x) { return std::atomic_ref<T>(x).load(std::memory_order_relaxed); }
inline void fence_system() { std::atomic_thread_fence(std::memory_order_seq_cst); }
inline void fence_release_system() { std::atomic_thread_fence(std::memory_order_release); }
// Makes the relaxed load of `x` before it an acquire (the value it read is
// written once): `x` loaded again with acquire, which ThreadSanitizer
// follows (it does not model fences), and which is cheap here.
template <class T>
inline void acquire_after_relaxed_system(T& x) { (void)std::atomic_ref<T>(x).load(std::memory_order_acquire); }

inline std::uint64_t fetch_or_acquire_device(std::uint64_t& w, std::uint64_t bits) {
  return std::atomic_ref<std::uint64_t>(w).fetch_or(bits, std::memory_order_acquire);
}
template <class T>
inline T load_relaxed_device(T& w) {
  return std::atomic_ref<T>(w).load(std::memory_order_relaxed);
}
template <class T>
inline void store_relaxed_device(T& w, std::type_identity_t<T> v) {
  std::atomic_ref<T>(w).store(v, std::memory_order_relaxed);
}
template <class T>
inline T fetch_or_acquire_device(T& w, std::type_identity_t<T> bits) {
  return std::atomic_ref<T>(w).fetch_or(bits, std::memory_order_acquire);
}
template <class T>
inline T fetch_and_release_device(T& w, std::type_identity_t<T> bits) {
  return std::atomic_ref<T>(w).fetch_and(bits, std::memory_order_release);
}
template <class T>
inline void store_relaxed_system(T& x, std::type_identity_t<T> v) {
  std::atomic_ref<T>(x).store(v, std::memory_order_relaxed);
}
template <class T>
inline T exchange_relaxed_device(T& w, std::type_identity_t<T> v) {
  return std::atomic_ref<T>(w).exchange(v, std::memory_order_relaxed);
}
template <class T>
inline void store_release_device(T& w, std::type_identity_t<T> v) {
  std::atomic_ref<T>(w).store(v, std::memory_order_release);
}
template <class T>
inline T load_acquire_device(T& w) {
  return std::atomic_ref<T>(w).load(std::memory_order_acquire);
}
template <class T>
inline T fetch_add_acq_rel_device(T& w, std::type_identity_t<T> v) {
  return std::atomic_ref<T>(w).fetch_add(v, std::memory_order_acq_rel);
}
template <class T>
inline T fetch_min_relaxed_device(T& w, std::type_identity_t<T> v) {
  std::atomic_ref<T> r(w);
  T cur = r.load(std::memory_order_relaxed);
  while (v < cur && !r.compare_exchange_weak(cur, v, std::memory_order_relaxed)) {
  }
  return cur;
}
template <class T>
inline bool compare_exchange_acquire_device(T& w, T& expected, std::type_identity_t<T> desired) {
  return std::atomic_ref<T>(w).compare_exchange_strong(expected, desired, std::memory_order_acquire,
                                                       std::memory_order_relaxed);
}
template <class T>
inline T load_relaxed_block(T& w) {
  return std::atomic_ref<T>(w).load(std::memory_order_relaxed);
}
// (CUDA's is an ld.volatile; here the relaxed atomic load, which the thread
// sanitizer understands.)
template <class T>
inline T load_volatile_block(T& w) {
  return load_relaxed_block(w);
}
template <class T>
inline void store_relaxed_block(T& w, std::type_identity_t<T> v) {
  std::atomic_ref<T>(w).store(v, std::memory_order_relaxed);
}
inline void fence_device() { std::atomic_thread_fence(std::memory_order_seq_cst); }

}  // namespace gpustd::platform
