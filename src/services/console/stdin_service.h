// The stdin service (op stdin_read): hands the process's stdin to device
// threads, a line to one thread, 56 bytes per answer.
#pragma once
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

#include "../../runtime/handler_table.h"

namespace gpustd::detail {

class stdin_service {
 public:
  explicit stdin_service(int fd) : fd_(fd) {}
  void register_ops(handler_table& table);
  void handle(request& r);

 private:
  struct reader_key {
    std::uint32_t slot, block, warp, lane;
    bool operator==(const reader_key&) const = default;
  };
  struct reader_key_hash {
    std::size_t operator()(const reader_key& k) const noexcept {
      return std::hash<std::uint64_t>()((std::uint64_t(k.slot) << 37) ^ (std::uint64_t(k.block) << 10) ^
                                        (std::uint64_t(k.warp) << 5) ^ k.lane);
    }
  };
  // The rest of a line a thread has started to read.
  struct line_rest {
    std::string bytes;
    std::size_t pos = 0;
  };

  // Makes at least one more byte available; false at end of file. Sets
  // error_ on a read error.
  bool fill();
  std::int64_t serve(const reader_key& key, std::uint32_t max, bool line_mode, unsigned char* out);

  const int fd_;
  std::mutex lock_;  // guards everything below (pool threads serve different slots at once)
  std::string buf_;
  std::size_t pos_ = 0;
  bool eof_ = false;
  int error_ = 0;
  std::unordered_map<reader_key, line_rest, reader_key_hash> rests_;
};

}  // namespace gpustd::detail
