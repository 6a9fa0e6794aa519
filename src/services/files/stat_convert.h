// struct stat to the wire's wire_stat.
#pragma once
#include <sys/stat.h>

#include "gpustd/protocol/files.h"

namespace gpustd::detail {

inline protocol::wire_stat to_wire(const struct stat& st) {
  protocol::wire_stat w{};
  w.size = st.st_size;
  w.mtime_ns = std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  w.ino = st.st_ino;
  w.dev = st.st_dev;
  w.mode = st.st_mode;
  w.nlink = static_cast<std::uint32_t>(st.st_nlink);
  w.uid = st.st_uid;
  w.gid = st.st_gid;
  return w;
}

}  // namespace gpustd::detail
