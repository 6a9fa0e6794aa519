// Problems the runtime reports: each distinct kind once, so a kernel that
// sends a million bad requests produces one line, not a million.
#pragma once
#include <mutex>
#include <set>
#include <string>

namespace gpustd::detail {

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
