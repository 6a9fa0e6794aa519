// How the console sends each argument type, for print (std::format rules)
// and for printf (C's default argument promotions).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "gpustd/config.h"
#include "gpustd/protocol/console.h"
#include "gpustd/strings/string_view.h"

namespace gpustd::console_detail {

using protocol::item_tag;

// What a format specification may ask of an argument (compile-time checks).
enum class arg_category : std::uint8_t { integer, unsigned_integer, character, boolean, floating, string, pointer, none };

template <class T>
using bare = std::remove_cv_t<std::remove_reference_t<T>>;

template <class T>
inline constexpr bool is_char_pointer_v =
    std::is_pointer_v<std::decay_t<T>> &&
    (std::is_same_v<bare<std::remove_pointer_t<std::decay_t<T>>>, char> ||
     std::is_same_v<bare<std::remove_pointer_t<std::decay_t<T>>>, signed char> ||
     std::is_same_v<bare<std::remove_pointer_t<std::decay_t<T>>>, unsigned char>);

template <class T>
inline constexpr bool is_char_array_v =
    std::is_array_v<bare<T>> && std::is_same_v<bare<std::remove_extent_t<bare<T>>>, char>;

template <class T>
inline constexpr bool is_string_view_v =
    std::is_same_v<bare<T>, gpustd::string_view> || std::is_same_v<bare<T>, std::string_view>;

// A type sent as a string: C strings, char arrays, string views, and any
// class with c_str() and size() (gpustd::string).
template <class T, class = void>
struct has_c_str : std::false_type {};
template <class T>
struct has_c_str<T, std::void_t<decltype(std::declval<const T&>().c_str()), decltype(std::declval<const T&>().size())>>
    : std::true_type {};

template <class T>
GPUSTD_HOST_DEVICE constexpr arg_category category_of() {
  using U = bare<T>;
  if constexpr (std::is_same_v<U, bool>) return arg_category::boolean;
  else if constexpr (std::is_same_v<U, char>) return arg_category::character;
  else if constexpr (std::is_integral_v<U>) return std::is_signed_v<U> ? arg_category::integer : arg_category::unsigned_integer;
  else if constexpr (std::is_floating_point_v<U>) return arg_category::floating;
  else if constexpr (is_char_array_v<T> || is_string_view_v<T> || has_c_str<U>::value ||
                     (is_char_pointer_v<T> && std::is_same_v<bare<std::remove_pointer_t<std::decay_t<T>>>, char>))
    return arg_category::string;
  else if constexpr (std::is_pointer_v<std::decay_t<T>> || std::is_same_v<U, std::nullptr_t>) return arg_category::pointer;
  else return arg_category::none;
}

// The tag a print argument travels as (std::format: signed char and short
// are integers, char is a character, float stays float).
template <class T>
GPUSTD_HOST_DEVICE constexpr item_tag print_tag() {
  using U = bare<T>;
  constexpr arg_category c = category_of<T>();
  static_assert(c != arg_category::none,
                "gpustd: this argument type cannot be printed (supported: integers, floating point, bool, char, "
                "strings, string views and pointers)");
  if constexpr (c == arg_category::boolean) return item_tag::boolean;
  else if constexpr (c == arg_category::character) return item_tag::character;
  else if constexpr (c == arg_category::integer || c == arg_category::unsigned_integer) {
    if constexpr (sizeof(U) > 8) return std::is_signed_v<U> ? item_tag::i128 : item_tag::u128;
    else if constexpr (sizeof(U) > 4) return std::is_signed_v<U> ? item_tag::i64 : item_tag::u64;
    else return std::is_signed_v<U> ? item_tag::i32 : item_tag::u32;
  } else if constexpr (c == arg_category::floating) {
    return std::is_same_v<U, float> ? item_tag::f32 : item_tag::f64;
  } else if constexpr (c == arg_category::string) return item_tag::string;
  else return item_tag::pointer;
}

// The tag a printf argument travels as, after C's default argument
// promotions (char, short, bool to int; float to double). char pointers are
// decided by the conversion that takes them (%s: string, else pointer).
template <class T>
GPUSTD_HOST_DEVICE constexpr item_tag printf_tag() {
  using U = bare<T>;
  if constexpr (std::is_same_v<U, bool> || (std::is_integral_v<U> && sizeof(U) < sizeof(int))) return item_tag::i32;
  else if constexpr (std::is_integral_v<U>) return print_tag<T>();
  else if constexpr (std::is_floating_point_v<U>) return item_tag::f64;
  else if constexpr (std::is_enum_v<U>) return printf_tag<std::underlying_type_t<U>>();
  else return print_tag<T>();
}

}  // namespace gpustd::console_detail
