#include "runtime_log.h"

#include <unistd.h>

#include <cerrno>

namespace gpustd::detail {

void write_whole(int fd, std::string_view text) noexcept {
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report to
    done += static_cast<std::size_t>(n);
  }
}

void runtime_log::once(const std::string& key, const std::string& message) {
  std::lock_guard lk(m_);
  if (!seen_.insert(key).second) return;
  write_whole(fd_, "gpustd: " + message + "\n");
}

}  // namespace gpustd::detail
