// The polling side of the host runtime: finds published frames, reassembles
// requests, validates them and dispatches them to handlers.
//
// Each server thread owns a contiguous range of slots and serves each slot's
// frames in sequence order. Nothing in a frame is trusted: sequence numbers,
// lengths, masks and cells are checked before use, and a bad request gets an
// error status (and one log line), never a crash.
#pragma once
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <cstdint>
#include <memory>
#include <thread>
#include <vector>

#include "blocking_pool.h"
#include "channel_memory.h"
#include "handler_table.h"
#include "gpustd/runtime/runtime.h"
#include "runtime_log.h"

namespace gpustd::detail {

class server {
 public:
  server(const channel_host& channel, handler_table& handlers, blocking_pool& pool, runtime_log& log);
  ~server();  // stops the threads

  // Starts `threads` polling threads (0: none; the owner then calls poll()).
  void start(unsigned threads, unsigned spin_us, unsigned max_sleep_us);
  void stop();

  // Serves every frame published on slots [first, last); true if there was one.
  bool poll(std::uint32_t first, std::uint32_t last);
  bool poll_all() { return poll(0, channel_.slot_count); }
  // True when every published frame has been served and no handler runs.
  bool drained() const;

  runtime_stats stats() const;

 private:
  struct slot_host;
  void consume(std::uint32_t slot, std::uint32_t seq);
  void dispatch(std::uint32_t slot, std::uint32_t last_seq, const unsigned char* stream, std::uint64_t bytes,
                const protocol::frame_header& h);
  void answer_error(std::uint32_t slot, std::uint32_t seq, const protocol::frame_header& h, std::int64_t status);
  void complete(std::uint32_t slot, std::uint32_t last_seq, const request& r);
  void run_handler(const handler_entry& e, request& r);
  void serve_loop(unsigned index, std::uint32_t first, std::uint32_t last, unsigned spin_us, unsigned max_sleep_us);
  bool pending(std::uint32_t first, std::uint32_t last) const;
  void wake_parked();
  void malformed(const protocol::frame_header& h, std::uint32_t slot, const char* why);

  channel_host channel_;
  handler_table& handlers_;
  blocking_pool& pool_;
  runtime_log& log_;
  std::unique_ptr<slot_host[]> slots_;
  std::vector<std::thread> threads_;
  unsigned threads_count_ = 0;
  std::atomic<bool> stopping_{false};
  // Idle threads other than thread 0 park here; thread 0 (the watchman) keeps
  // polling at a low rate and wakes them when their slots have work.
  std::mutex park_mutex_;
  std::condition_variable park_cv_;
  std::uint64_t wake_generation_ = 0;  // guarded by park_mutex_
  std::atomic<std::uint64_t> requests_{0}, frames_{0}, errors_{0};
};

}  // namespace gpustd::detail
