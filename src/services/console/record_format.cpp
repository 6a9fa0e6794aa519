#include "record_format.h"

#include <fmt/args.h>
#include <fmt/format.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ios>
#include <sstream>

namespace gpustd::detail {

using protocol::item_tag;

namespace {

const char* tag_name(item_tag t) {
  switch (t) {
    case item_tag::boolean: return "bool";
    case item_tag::character: return "char";
    case item_tag::i32: return "int";
    case item_tag::u32: return "unsigned int";
    case item_tag::i64: return "long long";
    case item_tag::u64: return "unsigned long long";
    case item_tag::i128: return "__int128";
    case item_tag::u128: return "unsigned __int128";
    case item_tag::f32: return "float";
    case item_tag::f64: return "double";
    case item_tag::pointer: return "pointer";
    case item_tag::string: return "string";
    case item_tag::null_string: return "null string";
    default: return "manipulator";
  }
}

bool is_integer(item_tag t) {
  return t == item_tag::boolean || t == item_tag::character || t == item_tag::i32 || t == item_tag::u32 ||
         t == item_tag::i64 || t == item_tag::u64 || t == item_tag::i128 || t == item_tag::u128;
}

template <class T>
T bits_as(std::uint64_t v) {
  T r;
  std::memcpy(&r, &v, sizeof r);
  return r;
}

// The integer value, sign-extended as the device type was.
long long signed_value(const record_item& it) {
  switch (it.tag) {
    case item_tag::i32: return bits_as<std::int32_t>(it.value);
    case item_tag::u32: return static_cast<long long>(bits_as<std::uint32_t>(it.value));
    case item_tag::boolean: return bits_as<bool>(it.value);
    case item_tag::character: return bits_as<char>(it.value);
    default: return static_cast<long long>(it.value);
  }
}

double float_value(const record_item& it) {
  return it.tag == item_tag::f32 ? static_cast<double>(bits_as<float>(it.value)) : bits_as<double>(it.value);
}

__int128 int128_value(const record_item& it) {
  return static_cast<__int128>((static_cast<unsigned __int128>(it.high) << 64) | it.value);
}

}  // namespace

const char* decode_items(std::string_view b, std::vector<record_item>& out) {
  std::size_t i = 0;
  while (i < b.size()) {
    record_item it;
    it.tag = static_cast<item_tag>(static_cast<unsigned char>(b[i++]));
    switch (it.tag) {
      case item_tag::null_string: break;
      case item_tag::string: {
        std::uint32_t n;
        if (b.size() - i < 4) return "string item cut short";
        std::memcpy(&n, b.data() + i, 4);
        i += 4;
        if (b.size() - i < n) return "string runs past the end of the record";
        it.text = b.substr(i, n);
        i += n;
        break;
      }
      case item_tag::i128:
      case item_tag::u128:
        if (b.size() - i < 16) return "value cut short";
        std::memcpy(&it.value, b.data() + i, 8);
        std::memcpy(&it.high, b.data() + i + 8, 8);
        i += 16;
        break;
      default: {
        const auto t = static_cast<unsigned>(it.tag);
        if (!((t >= 1 && t <= 9) || (t >= 32 && t <= 41))) return "unknown item tag";
        if (b.size() - i < 8) return "value cut short";
        std::memcpy(&it.value, b.data() + i, 8);
        i += 8;
      }
    }
    out.push_back(it);
  }
  return nullptr;
}

// ---- print: {fmt} ----

void format_print(std::string& out, std::string_view format, std::span<const record_item> items) {
  thread_local fmt::dynamic_format_arg_store<fmt::format_context> args;  // reused: no allocation per record
  args.clear();
  for (const record_item& it : items) {
    switch (it.tag) {
      case item_tag::boolean: args.push_back(bits_as<bool>(it.value)); break;
      case item_tag::character: args.push_back(bits_as<char>(it.value)); break;
      case item_tag::i32: args.push_back(bits_as<std::int32_t>(it.value)); break;
      case item_tag::u32: args.push_back(bits_as<std::uint32_t>(it.value)); break;
      case item_tag::i64: args.push_back(bits_as<long long>(it.value)); break;
      case item_tag::u64: args.push_back(bits_as<unsigned long long>(it.value)); break;
      case item_tag::i128: args.push_back(int128_value(it)); break;
      case item_tag::u128: args.push_back(static_cast<unsigned __int128>(int128_value(it))); break;
      case item_tag::f32: args.push_back(bits_as<float>(it.value)); break;
      case item_tag::f64: args.push_back(bits_as<double>(it.value)); break;
      case item_tag::pointer: args.push_back(reinterpret_cast<const void*>(static_cast<std::uintptr_t>(it.value))); break;
      case item_tag::string: args.push_back(fmt::string_view(it.text.data(), it.text.size())); break;
      case item_tag::null_string: args.push_back(fmt::string_view("(null)")); break;
      default: break;  // manipulators are not sent with print
    }
  }
  // Formatted into {fmt}'s own buffer, then copied once: formatting straight
  // into a std::string resizes it (and zero-fills) each time it grows.
  thread_local fmt::memory_buffer text;
  text.clear();
  try {
    fmt::vformat_to(fmt::appender(text), fmt::string_view(format.data(), format.size()), args);
    out.append(text.data(), text.size());
  } catch (const std::exception& e) {
    out += "[gpustd: format error: ";
    out += e.what();
    out += " in \"";
    out.append(format);
    out += "\"]";
  }
}

// ---- printf: the C library, one conversion at a time ----

namespace {

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"
// Appends snprintf(spec, values...) to out.
template <class... V>
void append_c(std::string& out, const std::string& spec, V... v) {
  char small[256];
  const int n = std::snprintf(small, sizeof small, spec.c_str(), v...);
  if (n < 0) {
    out += "[gpustd: printf: bad conversion " + spec + "]";
    return;
  }
  if (static_cast<std::size_t>(n) < sizeof small) {
    out.append(small, static_cast<std::size_t>(n));
    return;
  }
  const std::size_t at = out.size();
  out.resize(at + static_cast<std::size_t>(n) + 1);
  std::snprintf(out.data() + at, static_cast<std::size_t>(n) + 1, spec.c_str(), v...);
  out.resize(at + static_cast<std::size_t>(n));
}
#pragma GCC diagnostic pop

// The value of an integer conversion, cut to the width its length modifier
// names, as C's printf would after the default argument promotions.
long long as_signed(long long v, std::string_view length) {
  if (length == "hh") return static_cast<signed char>(v);
  if (length == "h") return static_cast<short>(v);
  if (length.empty()) return static_cast<int>(v);
  return v;
}
unsigned long long as_unsigned(unsigned long long v, std::string_view length) {
  if (length == "hh") return static_cast<unsigned char>(v);
  if (length == "h") return static_cast<unsigned short>(v);
  if (length.empty()) return static_cast<unsigned>(v);
  return v;
}

void append_int(std::string& out, const fmt::format_int& digits) { out.append(digits.data(), digits.size()); }

// A conversion with no flags, width or precision ("%d", "%lu", "%x", "%s",
// "%c"): its text has one spelling, which {fmt} writes without the C
// library's format parsing. Returns false for any other conversion, which
// then goes to snprintf.
bool append_plain(std::string& out, char conv, std::string_view length, const record_item& it) {
  switch (conv) {
    case 'd':
    case 'i':
      if (!is_integer(it.tag)) return false;
      append_int(out, fmt::format_int(as_signed(signed_value(it), length)));
      return true;
    case 'u':
      if (!is_integer(it.tag)) return false;
      append_int(out, fmt::format_int(as_unsigned(static_cast<unsigned long long>(signed_value(it)), length)));
      return true;
    case 'x':
    case 'X':
    case 'o': {
      if (!is_integer(it.tag)) return false;
      const unsigned long long v = as_unsigned(static_cast<unsigned long long>(signed_value(it)), length);
      if (conv == 'x') fmt::format_to(std::back_inserter(out), "{:x}", v);
      else if (conv == 'X') fmt::format_to(std::back_inserter(out), "{:X}", v);
      else fmt::format_to(std::back_inserter(out), "{:o}", v);
      return true;
    }
    case 'c':
      if (!is_integer(it.tag) || !length.empty()) return false;
      out += static_cast<char>(static_cast<unsigned char>(signed_value(it)));
      return true;
    case 's':
      if (!length.empty()) return false;
      if (it.tag == item_tag::string) out.append(it.text.substr(0, it.text.find('\0')));  // C stops at a NUL
      else if (it.tag == item_tag::null_string) out += "(null)";  // glibc's text for a null %s
      else return false;
      return true;
    default:
      return false;
  }
}

}  // namespace

void format_printf(std::string& out, std::string_view f, std::span<const record_item> items) {
  std::size_t next = 0;
  auto take = [&]() -> const record_item* { return next < items.size() ? &items[next++] : nullptr; };
  std::size_t i = 0;
  while (i < f.size()) {
    const std::size_t pct = f.find('%', i);
    if (pct == std::string_view::npos) {
      out.append(f.substr(i));
      break;
    }
    out.append(f.substr(i, pct - i));
    i = pct + 1;
    if (i < f.size() && f[i] == '%') {
      out += '%';
      ++i;
      continue;
    }
    // The common case first: no flags, width or precision.
    {
      std::size_t j = i;
      while (j < f.size() && (f[j] == 'h' || f[j] == 'l' || f[j] == 'j' || f[j] == 'z' || f[j] == 't')) ++j;
      if (j < f.size() && j - i <= 2 && next < items.size() &&
          append_plain(out, f[j], f.substr(i, j - i), items[next])) {
        ++next;
        i = j + 1;
        continue;
      }
    }
    std::string spec = "%";
    while (i < f.size() && std::strchr("-+ #0'", f[i]) && f[i]) spec += f[i++];
    bool bad = false;
    auto star = [&]() {
      const record_item* it = take();
      if (!it || !is_integer(it->tag)) {
        bad = true;
        return 0LL;
      }
      return signed_value(*it);
    };
    if (i < f.size() && f[i] == '*') {
      ++i;
      spec += std::to_string(static_cast<int>(star()));
    } else {
      while (i < f.size() && f[i] >= '0' && f[i] <= '9') spec += f[i++];
    }
    if (i < f.size() && f[i] == '.') {
      ++i;
      if (i < f.size() && f[i] == '*') {
        ++i;
        const long long p = star();
        if (p >= 0) spec += "." + std::to_string(static_cast<int>(p));  // negative: as if no precision
      } else {
        spec += '.';
        while (i < f.size() && f[i] >= '0' && f[i] <= '9') spec += f[i++];
      }
    }
    std::string length;
    while (i < f.size() && std::strchr("hljztLq", f[i]) && f[i]) length += f[i++];
    if (i >= f.size()) {
      out += "[gpustd: printf: format ends inside a conversion]";
      break;
    }
    const char conv = f[i++];
    const std::string shown = spec + length + conv;
    if (bad) {
      out += "[gpustd: printf: no integer for '*' in " + shown + "]";
      continue;
    }
    if (conv == 'n') {
      out += "[gpustd: printf: %n is not supported]";
      continue;
    }
    if (!std::strchr("diouxXcsfFeEgGaAp", conv)) {
      out += "[gpustd: printf: unknown conversion " + shown + "]";
      continue;
    }
    const record_item* it = take();
    if (!it) {
      out += "[gpustd: printf: no argument for " + shown + "]";
      continue;
    }
    auto mismatch = [&] { out += "[gpustd: printf: " + shown + " given " + tag_name(it->tag) + "]"; };
    switch (conv) {
      case 'd':
      case 'i': {
        if (!is_integer(it->tag)) { mismatch(); break; }
        const long long v = signed_value(*it);
        if (length == "hh") append_c(out, spec + "hh" + conv, static_cast<signed char>(v));
        else if (length == "h") append_c(out, spec + "h" + conv, static_cast<short>(v));
        else if (length.empty()) append_c(out, spec + conv, static_cast<int>(v));
        else append_c(out, spec + "ll" + conv, v);
        break;
      }
      case 'o':
      case 'u':
      case 'x':
      case 'X': {
        if (!is_integer(it->tag)) { mismatch(); break; }
        const auto v = static_cast<unsigned long long>(signed_value(*it));
        if (length == "hh") append_c(out, spec + "hh" + conv, static_cast<unsigned char>(v));
        else if (length == "h") append_c(out, spec + "h" + conv, static_cast<unsigned short>(v));
        else if (length.empty()) append_c(out, spec + conv, static_cast<unsigned>(v));
        else append_c(out, spec + "ll" + conv, v);
        break;
      }
      case 'c':
        if (!is_integer(it->tag)) { mismatch(); break; }
        append_c(out, spec + 'c', static_cast<int>(signed_value(*it)));
        break;
      case 's':
        if (it->tag == item_tag::null_string) {
          append_c(out, spec + 's', static_cast<const char*>(nullptr));
        } else if (it->tag == item_tag::string) {
          // The text is not NUL-terminated: its length becomes the precision
          // (or the user's precision, if smaller).
          const std::size_t dot = spec.find('.');
          std::size_t n = it->text.size();
          if (dot != std::string::npos) n = std::min<std::size_t>(n, std::strtoull(spec.c_str() + dot + 1, nullptr, 10));
          const std::string s2 = (dot == std::string::npos ? spec : spec.substr(0, dot)) + ".*s";
          append_c(out, s2, static_cast<int>(std::min<std::size_t>(n, INT_MAX)), it->text.data());
        } else {
          mismatch();
        }
        break;
      case 'p':
        if (it->tag != item_tag::pointer) { mismatch(); break; }
        append_c(out, spec + 'p', reinterpret_cast<void*>(static_cast<std::uintptr_t>(it->value)));
        break;
      default:  // floating conversions
        if (it->tag != item_tag::f64 && it->tag != item_tag::f32) { mismatch(); break; }
        if (length == "L") append_c(out, spec + 'L' + conv, static_cast<long double>(float_value(*it)));
        else append_c(out, spec + conv, float_value(*it));
    }
  }
}

// ---- stream: an ostringstream ----

namespace {
void set_flag(std::ostream& os, std::ios_base::fmtflags f, bool on) {
  if (on) os.setf(f);
  else os.unsetf(f);
}
}  // namespace

void format_stream(std::string& out, std::span<const record_item> items) {
  thread_local std::ostringstream os;
  os.str(std::string());
  os.clear();
  os.flags(std::ios_base::dec | std::ios_base::skipws);
  os.width(0);
  os.precision(6);
  os.fill(' ');
  for (const record_item& it : items) {
    const auto v = static_cast<long long>(it.value);
    switch (it.tag) {
      case item_tag::boolean: os << bits_as<bool>(it.value); break;
      case item_tag::character: os << bits_as<char>(it.value); break;
      case item_tag::i32: os << bits_as<std::int32_t>(it.value); break;
      case item_tag::u32: os << bits_as<std::uint32_t>(it.value); break;
      case item_tag::i64: os << bits_as<long long>(it.value); break;
      case item_tag::u64: os << bits_as<unsigned long long>(it.value); break;
      case item_tag::i128: os << fmt::format("{}", int128_value(it)); break;
      case item_tag::u128: os << fmt::format("{}", static_cast<unsigned __int128>(int128_value(it))); break;
      case item_tag::f32: os << bits_as<float>(it.value); break;
      case item_tag::f64: os << bits_as<double>(it.value); break;
      case item_tag::pointer: os << reinterpret_cast<const void*>(static_cast<std::uintptr_t>(it.value)); break;
      case item_tag::string: os << it.text; break;
      case item_tag::null_string: os << "(null)"; break;
      case item_tag::set_base: os.setf(v == 16 ? std::ios_base::hex : v == 8 ? std::ios_base::oct : std::ios_base::dec,
                                       std::ios_base::basefield); break;
      case item_tag::set_width: os.width(v); break;
      case item_tag::set_precision: os.precision(v); break;
      case item_tag::set_float_format:
        if (v == 0) os.unsetf(std::ios_base::floatfield);
        else os.setf(v == 1 ? std::ios_base::fixed : v == 2 ? std::ios_base::scientific
                                                            : std::ios_base::fixed | std::ios_base::scientific,
                     std::ios_base::floatfield);
        break;
      case item_tag::set_boolalpha: set_flag(os, std::ios_base::boolalpha, v); break;
      case item_tag::set_fill: os.fill(static_cast<char>(v)); break;
      case item_tag::set_showpos: set_flag(os, std::ios_base::showpos, v); break;
      case item_tag::set_showbase: set_flag(os, std::ios_base::showbase, v); break;
      case item_tag::set_uppercase: set_flag(os, std::ios_base::uppercase, v); break;
      case item_tag::set_adjust:
        os.setf(v == 1 ? std::ios_base::left : v == 2 ? std::ios_base::internal : std::ios_base::right,
                std::ios_base::adjustfield);
        break;
      default: break;
    }
  }
  out += os.view();
}

void format_record(std::string& out, protocol::record_kind kind, std::string_view record, std::uint32_t format_bytes,
                   std::vector<record_item>& items) {
  if (kind == protocol::record_kind::text) {
    out.append(record);
    return;
  }
  if (format_bytes > record.size()) {
    out += "[gpustd: console record shorter than its format string]";
    return;
  }
  items.clear();
  if (const char* why = decode_items(record.substr(format_bytes), items)) {
    out += "[gpustd: malformed console record: ";
    out += why;
    out += "]";
    return;
  }
  const std::string_view format = record.substr(0, format_bytes);
  switch (kind) {
    case protocol::record_kind::print: format_print(out, format, items); break;
    case protocol::record_kind::printf: format_printf(out, format, items); break;
    case protocol::record_kind::stream: format_stream(out, items); break;
    default: out += "[gpustd: unknown console record kind]";
  }
}

}  // namespace gpustd::detail
