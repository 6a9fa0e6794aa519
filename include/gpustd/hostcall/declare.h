// Declaring a typed hostcall, once, in a header that device and host code
// both include:
//
//   GPUSTD_HOSTCALL(lookup, int(std::uint64_t key, float scale));
//   GPUSTD_HOSTCALL(log_line, void(gpustd::string_view text));
//   GPUSTD_HOSTCALL(sum_all, double(gpustd::in_span<float> values));
//   GPUSTD_HOSTCALL(fill, int(gpustd::out_span<int> into, int value));
//
// declares a tag type (here `lookup`) that device code calls
// (gpustd::call<lookup>(k, s), gpustd::async_call<lookup>(k, s)) and host
// code implements (rt.register_hostcall<lookup>(callable)).
//
// Parameter kinds, and what the host's callable receives for each:
//   trivially copyable T (scalars, structs, std::array)  T
//   gpustd::string_view                                   std::string_view
//   const char* (a C string; may be null)                 const char*
//   gpustd::in_span<T>   device memory the host reads     std::span<const T>
//   gpustd::out_span<T>  device global memory the host    std::span<T>, copied back
//                        writes (cudaMalloc, managed)     to the device after the call
// The result: void or a trivially copyable type of at most 56 bytes.
#pragma once
#include <cstddef>
#include <cstdint>
#include <type_traits>

#include "gpustd/config.h"
#include "gpustd/hostcall/wire.h"
#include "gpustd/strings/string_view.h"

namespace gpustd {

// Elements of device memory that the host reads.
template <class T>
struct in_span {
  static_assert(std::is_trivially_copyable_v<T>, "in_span elements must be trivially copyable");
  const T* data = nullptr;
  std::uint64_t size = 0;
  constexpr in_span() = default;
  GPUSTD_HOST_DEVICE constexpr in_span(const T* p, std::uint64_t n) : data(p), size(n) {}
};

// Elements of device global memory that the host writes.
template <class T>
struct out_span {
  static_assert(std::is_trivially_copyable_v<T>, "out_span elements must be trivially copyable");
  T* data = nullptr;
  std::uint64_t size = 0;
  constexpr out_span() = default;
  GPUSTD_HOST_DEVICE constexpr out_span(T* p, std::uint64_t n) : data(p), size(n) {}
};

// The outcome of a call: a value, or an error number (ENOSYS: nobody
// registered the hostcall; EIO: the handler threw; EINVAL, EFAULT: the
// arguments failed validation; ENODEV: no runtime).
template <class R>
class call_result {
 public:
  GPUSTD_HOST_DEVICE call_result() : value_(), error_(0) {}
  GPUSTD_HOST_DEVICE call_result(R v, int error) : value_(v), error_(error) {}
  GPUSTD_HOST_DEVICE bool has_value() const { return error_ == 0; }
  GPUSTD_HOST_DEVICE explicit operator bool() const { return error_ == 0; }
  GPUSTD_HOST_DEVICE const R& value() const { return value_; }
  GPUSTD_HOST_DEVICE const R& operator*() const { return value_; }
  GPUSTD_HOST_DEVICE R value_or(R other) const { return error_ ? other : value_; }
  GPUSTD_HOST_DEVICE int error() const { return error_; }

 private:
  R value_;
  int error_;
};
template <>
class call_result<void> {
 public:
  GPUSTD_HOST_DEVICE call_result() : error_(0) {}
  GPUSTD_HOST_DEVICE explicit call_result(int error) : error_(error) {}
  GPUSTD_HOST_DEVICE bool has_value() const { return error_ == 0; }
  GPUSTD_HOST_DEVICE explicit operator bool() const { return error_ == 0; }
  GPUSTD_HOST_DEVICE int error() const { return error_; }

 private:
  int error_;
};

namespace hostcall_detail {

template <class... T>
struct type_list {};

template <class Sig>
struct signature;
template <class R, class... A>
struct signature<R(A...)> {
  using result = R;
  using params = type_list<std::remove_cvref_t<A>...>;
  static constexpr std::size_t arity = sizeof...(A);
};

template <class T>
struct is_in_span : std::false_type {};
template <class T>
struct is_in_span<in_span<T>> : std::true_type {};
template <class T>
struct is_out_span : std::false_type {};
template <class T>
struct is_out_span<out_span<T>> : std::true_type {};

// The wire form of a parameter type (hostcall/wire.h).
template <class P>
struct wire_of {
  static_assert(!std::is_pointer_v<P>,
                "a hostcall parameter cannot be a pointer (device addresses mean nothing to the host): "
                "use gpustd::in_span / out_span, or const char* for a C string");
  static_assert(std::is_trivially_copyable_v<P>, "a hostcall parameter must be trivially copyable");
  using type = P;
};
template <>
struct wire_of<string_view> {
  using type = protocol::wire_string;
};
template <>
struct wire_of<const char*> {
  using type = protocol::wire_string;
};
template <class T>
struct wire_of<in_span<T>> {
  using type = protocol::wire_span;
};
template <class T>
struct wire_of<out_span<T>> {
  using type = protocol::wire_span;
};

GPUSTD_HOST_DEVICE constexpr std::size_t align_up(std::size_t n, std::size_t a) { return (n + a - 1) / a * a; }

// Bytes of the fixed part of a parameter list.
template <class... P>
GPUSTD_HOST_DEVICE constexpr std::size_t fixed_bytes() {
  std::size_t n = 0;
  ((n = align_up(n, alignof(typename wire_of<P>::type)) + sizeof(typename wire_of<P>::type)), ...);
  return n;
}
template <class... P>
GPUSTD_HOST_DEVICE constexpr std::size_t fixed_bytes(type_list<P...>) {
  return fixed_bytes<P...>();
}
// Whether every parameter travels as its own bytes (no strings, no spans):
// then a lane's arguments are its fixed part alone, which the host reads
// straight from the bytes, and which a batch (async_batch.h) can carry.
template <class... P>
constexpr bool plain_params(type_list<P...>) {
  return (std::is_same_v<typename wire_of<P>::type, P> && ...);
}
// Whether any parameter may put bytes in the variable part.
template <class P>
inline constexpr bool has_variable = std::is_same_v<typename wire_of<P>::type, protocol::wire_string> ||
                                     is_in_span<P>::value;

template <class R>
struct result_fits : std::bool_constant<std::is_trivially_copyable_v<R> && sizeof(R) <= 56> {};
template <>
struct result_fits<void> : std::true_type {};
template <class R>
inline constexpr bool result_ok = result_fits<R>::value;

}  // namespace hostcall_detail
}  // namespace gpustd

// Declares hostcall `name` with the function type given after it.
#define GPUSTD_HOSTCALL(name, ...)                                                                          \
  struct name {                                                                                             \
    using signature = __VA_ARGS__;                                                                          \
    static constexpr const char* id = #name;                                                                \
    static constexpr std::uint16_t op = ::gpustd::protocol::typed_op(#name);                                \
    static_assert(::gpustd::hostcall_detail::result_ok<                                                     \
                      typename ::gpustd::hostcall_detail::signature<__VA_ARGS__>::result>,                  \
                  "a hostcall returns void or a trivially copyable type of at most 56 bytes (use out_span)"); \
  }
