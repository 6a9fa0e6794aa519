// Stream state, open modes and seek directions, as std::ios_base names them.
#pragma once
#include <cstdio>

namespace gpustd {

struct ios_base {
  using iostate = unsigned;
  static constexpr iostate goodbit = 0, badbit = 1, eofbit = 2, failbit = 4;
  using openmode = unsigned;
  static constexpr openmode in = 1, out = 2, app = 4, trunc = 8, binary = 16, ate = 32;
  using seekdir = int;
  static constexpr seekdir beg = SEEK_SET, cur = SEEK_CUR, end = SEEK_END;
};

}  // namespace gpustd
