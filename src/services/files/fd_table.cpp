#include "fd_table.h"

#include <cerrno>

namespace gpustd::detail {

int fd_table::insert(std::shared_ptr<open_file> f) {
  std::lock_guard lk(lock_);
  if (open_ >= max_open_) return -EMFILE;
  std::size_t i = 0;
  while (i < files_.size() && files_[i]) ++i;
  if (i == files_.size()) files_.emplace_back();
  files_[i] = std::move(f);
  ++open_;
  return static_cast<int>(i) + first_fd;
}

std::shared_ptr<open_file> fd_table::find(int fd) const {
  std::lock_guard lk(lock_);
  if (fd < first_fd || static_cast<std::size_t>(fd - first_fd) >= files_.size()) return nullptr;
  return files_[static_cast<std::size_t>(fd - first_fd)];
}

std::shared_ptr<open_file> fd_table::remove(int fd) {
  std::lock_guard lk(lock_);
  if (fd < first_fd || static_cast<std::size_t>(fd - first_fd) >= files_.size()) return nullptr;
  auto f = std::move(files_[static_cast<std::size_t>(fd - first_fd)]);
  if (f) --open_;
  return f;
}

void fd_table::clear() {
  std::vector<std::shared_ptr<open_file>> gone;  // closed after the lock is released
  {
    std::lock_guard lk(lock_);
    gone.swap(files_);
    open_ = 0;
  }
}

unsigned fd_table::open_count() const {
  std::lock_guard lk(lock_);
  return open_;
}

}  // namespace gpustd::detail
