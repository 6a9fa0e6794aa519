// The stdin service (op stdin_read): hands the process's stdin to device
// threads, a line to one thread, 56 bytes per answer.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "../../runtime/handler_table.h"
#include "device_thread.h"

namespace gpustd::detail {

class stdin_service {
 public:
  explicit stdin_service(int fd) : fd_(fd) {}
  void register_ops(handler_table& table);
  void handle(request& r);

 private:
  // The rest of a line a thread has started to read.
  struct line_rest {
    std::string bytes;
    std::size_t pos = 0;
  };

  // Makes at least one more byte available; false at end of file. Sets
  // error_ on a read error.
  bool fill();
  std::int64_t serve(const device_thread& key, std::uint32_t max, bool line_mode, unsigned char* out);

  const int fd_;
  std::mutex lock_;  // guards everything below (pool threads serve different slots at once)
  std::string buf_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  int error_ = 0;
  std::unordered_map<device_thread, line_rest, device_thread_hash> rests_;
};

}  // namespace gpustd::detail
