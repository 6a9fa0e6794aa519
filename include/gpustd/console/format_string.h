// gpustd::format_string — a std::format format string checked at compile
// time against the argument types, as std::format_string is.
//
// The check parses replacement fields ({}, {0}, {:>8.3f}, {:{}}) and rejects,
// as a compile error, unbalanced braces, argument indexes out of range,
// mixed automatic and manual indexing, bad specifications and presentation
// types that do not suit the argument (precision on an integer, 'f' on a
// string). The error names what is wrong, as the called function's name:
//
//   gpustd::println("{:f}", "text");
//   error: call to non-constexpr function "format_error_type_does_not_suit_argument"
//
// A format string known only at run time goes through gpustd::runtime_format();
// the host then reports a malformed one in the output instead.
#pragma once
#include <cstddef>
#include <type_traits>

#include "gpustd/config.h"
#include "gpustd/console/argument_kind.h"

namespace gpustd {

namespace console_detail {

// Not constexpr: calling one during the compile-time check is the error.
inline void format_error_unmatched_brace() {}
inline void format_error_argument_index_out_of_range() {}
inline void format_error_mixed_automatic_and_manual_indexing() {}
inline void format_error_bad_specification() {}
inline void format_error_type_does_not_suit_argument() {}
inline void format_error_precision_not_allowed_for_argument() {}
inline void format_error_sign_or_zero_or_hash_needs_a_number() {}
inline void format_error_sign_needs_a_signed_argument() {}
inline void format_error_width_or_precision_argument_is_not_an_integer() {}

template <std::size_t N>
struct format_checker {
  const char* s;
  std::size_t n;
  const arg_category* cats;
  int next_auto = 0;
  bool used_auto = false, used_manual = false;

  consteval int arg_index(std::size_t& i) {
    int id = -1;
    if (i < n && s[i] >= '0' && s[i] <= '9') {
      id = 0;
      while (i < n && s[i] >= '0' && s[i] <= '9') id = id * 10 + (s[i++] - '0');
      used_manual = true;
    } else {
      id = next_auto++;
      used_auto = true;
    }
    if (used_auto && used_manual) format_error_mixed_automatic_and_manual_indexing();
    if (id >= static_cast<int>(N)) format_error_argument_index_out_of_range();
    return id;
  }

  // width or precision: digits, or {} / {id} naming an integer argument.
  consteval bool count(std::size_t& i) {
    if (i < n && s[i] == '{') {
      ++i;
      const int id = arg_index(i);
      if (i >= n || s[i] != '}') format_error_bad_specification();
      ++i;
      if (cats[id] != arg_category::integer && cats[id] != arg_category::unsigned_integer)
        format_error_width_or_precision_argument_is_not_an_integer();
      return true;
    }
    bool any = false;
    while (i < n && s[i] >= '0' && s[i] <= '9') ++i, any = true;
    return any;
  }

  static constexpr bool is_align(char c) { return c == '<' || c == '>' || c == '^'; }

  consteval void spec(std::size_t& i, arg_category c) {
    if (i + 1 < n && s[i] != '{' && s[i] != '}' && is_align(s[i + 1])) i += 2;  // fill and align
    else if (i < n && is_align(s[i])) ++i;
    bool numeric_flags = false, sign = false;
    if (i < n && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) ++i, numeric_flags = sign = true;
    if (i < n && s[i] == '#') ++i, numeric_flags = true;
    if (i < n && s[i] == '0') ++i, numeric_flags = true;
    count(i);
    bool precision = false;
    if (i < n && s[i] == '.') {
      ++i;
      if (!count(i)) format_error_bad_specification();
      precision = true;
    }
    if (i < n && s[i] == 'L') ++i;
    char type = 0;
    if (i < n && s[i] != '}') type = s[i++];
    if (i >= n || s[i] != '}') format_error_bad_specification();

    const bool int_type = type == 'b' || type == 'B' || type == 'd' || type == 'o' || type == 'x' || type == 'X';
    const bool float_type = type == 'a' || type == 'A' || type == 'e' || type == 'E' || type == 'f' || type == 'F' ||
                            type == 'g' || type == 'G';
    bool ok = false;
    switch (c) {
      case arg_category::integer:
      case arg_category::unsigned_integer: ok = type == 0 || int_type || type == 'c'; break;
      case arg_category::character: ok = type == 0 || int_type || type == 'c' || type == '?'; break;
      case arg_category::boolean: ok = type == 0 || int_type || type == 'c' || type == 's'; break;
      case arg_category::floating: ok = type == 0 || float_type; break;
      case arg_category::string: ok = type == 0 || type == 's' || type == '?'; break;
      case arg_category::pointer: ok = type == 0 || type == 'p'; break;
      default: break;
    }
    if (!ok) format_error_type_does_not_suit_argument();
    if (precision && c != arg_category::floating && c != arg_category::string)
      format_error_precision_not_allowed_for_argument();
    // {fmt} 9, the host's formatter, wants a signed argument for a sign
    // (std::format would take an unsigned one too).
    if (sign && (c == arg_category::unsigned_integer ||
                 ((c == arg_category::character || c == arg_category::boolean) && int_type)))
      format_error_sign_needs_a_signed_argument();
    const bool numeric = c == arg_category::integer || c == arg_category::unsigned_integer || c == arg_category::floating ||
                         ((c == arg_category::character || c == arg_category::boolean) && int_type);
    if (numeric_flags && !numeric) format_error_sign_or_zero_or_hash_needs_a_number();
  }

  consteval void run() {
    for (std::size_t i = 0; i < n; ++i) {
      if (s[i] == '}') {
        if (i + 1 < n && s[i + 1] == '}') ++i;
        else format_error_unmatched_brace();
        continue;
      }
      if (s[i] != '{') continue;
      if (i + 1 < n && s[i + 1] == '{') {
        ++i;
        continue;
      }
      ++i;
      const int id = arg_index(i);
      if (i < n && s[i] == ':') {
        ++i;
        spec(i, cats[id]);
      }
      if (i >= n || s[i] != '}') format_error_unmatched_brace();
    }
  }
};

}  // namespace console_detail

// A format string whose text is known only at run time: not checked at
// compile time; the host reports a malformed one in the output.
struct runtime_format_string {
  string_view str;
};
GPUSTD_HOST_DEVICE constexpr runtime_format_string runtime_format(string_view s) noexcept { return {s}; }

template <class... Args>
class basic_format_string {
 public:
  template <std::size_t M>
  consteval basic_format_string(const char (&s)[M]) : str_(s, M - 1) {
    constexpr console_detail::arg_category cats[sizeof...(Args) + 1] = {console_detail::category_of<Args>()...,
                                                                         console_detail::arg_category::none};
    console_detail::format_checker<sizeof...(Args)>{s, M - 1, cats}.run();
  }
  GPUSTD_HOST_DEVICE constexpr basic_format_string(runtime_format_string r) noexcept : str_(r.str) {}
  GPUSTD_HOST_DEVICE constexpr string_view get() const noexcept { return str_; }

 private:
  string_view str_;
};

template <class... Args>
using format_string = basic_format_string<std::type_identity_t<Args>...>;

}  // namespace gpustd
