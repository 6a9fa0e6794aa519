// What host code prints for the format table (format_cases.inc): {fmt},
// snprintf and ostringstream. A plain C++ file: nvcc's host pass cannot
// compile {fmt}'s headers, so the GPU suite links this too.
#include "console/expected.h"

#include <fmt/format.h>

#include <cstdio>
#include <iomanip>
#include <sstream>

#include <gpustd/strings/string_view.h>

#include "console/format_cases.inc"

namespace gpustd::test {

namespace {
// Host reference values: gpustd::string_view means std::string_view there.
template <class T>
const T& host_arg(const T& v) {
  return v;
}
inline std::string_view host_arg(gpustd::string_view v) { return v; }
}  // namespace

std::vector<std::string> print_table_expected() {
  std::vector<std::string> e;
// {fmt} checks each format string at compile time here too.
#define GPUSTD_X(f, ...) e.push_back(fmt::format(f __VA_OPT__(, ) __VA_ARGS__));
#define GPUSTD_Y(v) GPUSTD_INT_SPECS(GPUSTD_X, v)
  GPUSTD_INT_VALUES(GPUSTD_Y)
#undef GPUSTD_Y
#define GPUSTD_Y(v) GPUSTD_SIGNED_SPECS(GPUSTD_X, v)
  GPUSTD_SIGNED_VALUES(GPUSTD_Y)
#undef GPUSTD_Y
#define GPUSTD_Y(v) GPUSTD_CHAR_SPECS(GPUSTD_X, v)
  GPUSTD_CHAR_VALUES(GPUSTD_Y)
#undef GPUSTD_Y
#define GPUSTD_Y(v) GPUSTD_BOOL_SPECS(GPUSTD_X, v)
  GPUSTD_BOOL_VALUES(GPUSTD_Y)
#undef GPUSTD_Y
#define GPUSTD_Y(v) GPUSTD_FLOAT_SPECS(GPUSTD_X, v)
  GPUSTD_FLOAT_VALUES(GPUSTD_Y)
#undef GPUSTD_Y
#define GPUSTD_Y(v) GPUSTD_STRING_SPECS(GPUSTD_X, host_arg(v))
  GPUSTD_STRING_VALUES(GPUSTD_Y)
#undef GPUSTD_Y
#define GPUSTD_Y(v) GPUSTD_POINTER_SPECS(GPUSTD_X, v)
  GPUSTD_POINTER_VALUES(GPUSTD_Y)
#undef GPUSTD_Y
  GPUSTD_MULTI_CASES(GPUSTD_X)
#undef GPUSTD_X
  return e;
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat"
std::vector<std::string> printf_table_expected() {
  std::vector<std::string> e;
  char buf[512];
#define GPUSTD_X(...)                           \
  std::snprintf(buf, sizeof buf, __VA_ARGS__); \
  e.push_back(buf);
#define GPUSTD_Y(v) GPUSTD_PRINTF_INT_SPECS(GPUSTD_X, v)
  GPUSTD_PRINTF_INT_VALUES(GPUSTD_Y)
#undef GPUSTD_Y
#define GPUSTD_Y(v) GPUSTD_PRINTF_FLOAT_SPECS(GPUSTD_X, static_cast<double>(v))
  GPUSTD_PRINTF_FLOAT_VALUES(GPUSTD_Y)
#undef GPUSTD_Y
  GPUSTD_PRINTF_LONG_CASES(GPUSTD_X)
  GPUSTD_PRINTF_OTHER_CASES(GPUSTD_X)
#undef GPUSTD_X
  return e;
}
#pragma GCC diagnostic pop

std::vector<std::string> cout_table_expected() {
  std::vector<std::string> e;
#define GPUSTD_X(chain)   \
  {                       \
    std::ostringstream os; \
    os << chain;          \
    e.push_back(os.str()); \
  }
  GPUSTD_COUT_CASES(GPUSTD_X, std)
#undef GPUSTD_X
  return e;
}

}  // namespace gpustd::test
