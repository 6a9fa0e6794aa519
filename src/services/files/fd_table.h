// The program's descriptor table: device descriptors (3 and up, lowest free
// first, as POSIX) to open files. Device code can name only what it opened.
// An entry closed while another request still uses it stays alive until that
// request ends (shared ownership), so a host descriptor is never reused under
// a request that is still running.
#pragma once
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "open_file.h"

namespace gpustd::detail {

class fd_table {
 public:
  explicit fd_table(unsigned max_open) : max_open_(max_open) {}
  // The new descriptor, or -EMFILE.
  int insert(std::shared_ptr<open_file> f);
  // The file, or null for a descriptor that is not open.
  std::shared_ptr<open_file> find(int fd) const;
  // Takes the entry out; null when not open.
  std::shared_ptr<open_file> remove(int fd);
  // Closes everything (runtime shutdown).
  void clear();
  unsigned open_count() const;

  static constexpr int first_fd = 3;

 private:
  const unsigned max_open_;
  mutable std::mutex lock_;
  std::vector<std::shared_ptr<open_file>> files_;  // index fd - first_fd
  unsigned open_ = 0;
};

}  // namespace gpustd::detail
