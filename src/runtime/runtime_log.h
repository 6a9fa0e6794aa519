// Problems the runtime reports: each distinct kind once, so a kernel that
// sends a million bad requests produces one line, not a million.
#pragma once
#include <mutex>
#include <set>
#include <string>
#include <string_view>

namespace gpustd::detail {

// Writes all of `text` to `fd`, retrying after EINTR and short writes; gives
// up quietly when the descriptor takes nothing (reports are best effort:
// never a reason to fail a request).
void write_whole(int fd, std::string_view text) noexcept;

class runtime_log {
 public:
  explicit runtime_log(int fd) : fd_(fd) {}
  // Writes "gpustd: <message>\n" the first time `key` is seen.
  void once(const std::string& key, const std::string& message);

 private:
  int fd_;
  std::mutex m_;
  std::set<std::string> seen_;
};

}  // namespace gpustd::detail
