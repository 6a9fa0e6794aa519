// The console service: ops console (print, printf, cout, puts) and write,
// for the device's stdout and stderr.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "../../runtime/handler_table.h"
#include "device_thread.h"
#include "../../runtime/runtime_log.h"
#include "console_sink.h"
#include "gpustd/runtime/options.h"
#include "record_format.h"

namespace gpustd::detail {

class console_service {
 public:
  console_service(const runtime_options& options, runtime_log& log);
  ~console_service();
  console_service(const console_service&) = delete;
  console_service& operator=(const console_service&) = delete;

  void register_ops(handler_table& table);

  // Where records for device files (descriptor 3 and up: gpustd::fprintf on
  // a FILE*) go once formatted; returns the bytes written or -errno. Set
  // before the runtime serves.
  void set_file_writer(std::function<std::int64_t(int, std::string_view)> w) { file_text_ = std::move(w); }

  // Writes out what the device sent: every thread's unfinished line (as it
  // is) and both buffers. For runtime::synchronize, when no kernel runs.
  void flush_all();

  // Handlers (public for the tests).
  void handle_console(request& r);
  void handle_write(request& r);

 private:
  // What the host holds for a thread: a record that came in pieces so far,
  // and the unfinished line of its cout / cerr text.
  struct held_text {
    std::string record;
    protocol::console_args first{};
    bool has_record = false;
    std::string line[3];
    bool empty() const { return !has_record && line[1].empty() && line[2].empty(); }
  };
  // Per server thread: the text of one request, per stream.
  struct batch {
    std::string text[3];
    std::vector<record_item> items;
    std::string scratch;
  };

  void lane(request& r, unsigned rank, const protocol::console_args& a, std::string_view payload, batch& b);
  void to_file(request& r, unsigned rank, const protocol::console_args& first, std::uint8_t last_flags,
               std::string_view record, batch& b);
  // A record's descriptor: 1 or 2, or a device file's (3 and up).
  static int file_fd_of(const protocol::console_args& a) { return a.fd | (a.fd_high << 8); }
  static void wake_flusher(void* self);
  void flusher_loop();

  [[maybe_unused]] runtime_log& log_;  // (kept for the services' common shape)
  std::function<std::int64_t(int, std::string_view)> file_text_;
  console_sink* sinks_[3] = {nullptr, nullptr, nullptr};
  console_sink out_, err_;

  std::mutex held_lock_;  // guards held_
  std::unordered_map<device_thread, held_text, device_thread_hash> held_;
  // Entries in held_. Written under held_lock_; read relaxed without it: a
  // thread's own entry was made by the server thread that serves its slot,
  // which therefore sees it.
  std::atomic<std::size_t> held_count_{0};

  std::mutex flusher_lock_;  // guards flusher_wanted_, stopping_
  std::condition_variable flusher_cv_;
  bool flusher_wanted_ = false, stopping_ = false;
  // True while the flusher waits for a wake-up; appenders wake it only then
  // (seq_cst store by the flusher before it looks at the buffers, seq_cst
  // load by appenders after they appended: one of the two sees the other).
  std::atomic<bool> flusher_asleep_{false};
  std::thread flusher_;
};

}  // namespace gpustd::detail
