#include "runtime_log.h"

#include <unistd.h>

#include <cerrno>

namespace gpustd::detail {

void runtime_log::once(const std::string& key, const std::string& message) {
  std::lock_guard lk(m_);
  if (!seen_.insert(key).second) return;
  const std::string line = "gpustd: " + message + "\n";
  std::size_t done = 0;
  while (done < line.size()) {
    ssize_t n = ::write(fd_, line.data() + done, line.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // nowhere left to report to
    done += static_cast<std::size_t>(n);
  }
}

}  // namespace gpustd::detail
