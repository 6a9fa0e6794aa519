// The file service: ops file_open .. dir_read (protocol/files.h). Runs on
// the runtime's blocking pool, so a slow disk never stalls other requests;
// one warp's requests are still served in the order it sent them.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "../../runtime/device_memory.h"
#include "../../runtime/handler_table.h"
#include "../../runtime/runtime_log.h"
#include "bulk_mover.h"
#include "fd_table.h"
#include "sandbox.h"
#include "gpustd/protocol/files.h"
#include "gpustd/runtime/options.h"

namespace gpustd::detail {

class file_service {
 public:
  file_service(const runtime_options& options, device_memory& memory, runtime_log& log);
  void register_ops(handler_table& table);

  // Writes formatted text (gpustd::fprintf on a device FILE) to descriptor
  // fd at its offset. Returns the bytes written or -errno.
  std::int64_t write_text(int fd, std::string_view text);
  // Closes every descriptor the device left open (runtime shutdown).
  void close_all() { table_.clear(); }
  unsigned open_count() const { return table_.open_count(); }

  // Handlers (public for the tests).
  void handle_open(request& r);
  void handle_close(request& r);
  void handle_io(request& r);
  void handle_seek(request& r);
  void handle_stat(request& r);
  void handle_path(request& r);
  void handle_dir_read(request& r);
  void handle_scan(request& r);

 private:
  // One lane's read or write; writes of consecutive lanes to the same
  // descriptor arrive in `batch` (see handle_io).
  std::int64_t io_lane(request& r, unsigned rank, const protocol::io_args& a, unsigned char* data);
  int fill_ahead(open_file& f, std::size_t want);
  std::int64_t inline_read(open_file& f, const protocol::io_args& a, unsigned char* out);
  std::int64_t write_bytes(open_file& f, const unsigned char* p, std::size_t n, bool positioned, std::int64_t at);
  std::int64_t bulk(open_file& f, const protocol::io_args& a);
  void write_group(request& r, unsigned first, unsigned last, open_file& f);
  // The standard descriptors 0-2 as the runtime's host descriptors.
  int standard_fd(int fd) const noexcept;

  const runtime_options& options_;
  device_memory& memory_;
  runtime_log& log_;
  sandbox sandbox_;
  fd_table table_;
  bulk_mover mover_;
};

// Checks a path from the wire: no NUL inside, not longer than PATH_MAX.
// Returns 0 or an errno value.
int check_path(std::string_view p);

}  // namespace gpustd::detail
