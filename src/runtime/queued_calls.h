// The host's side of batched asynchronous calls (hostcall/wire.h): a thread
// queues calls in its futures' cells and sends them in one request,
// opcode::future_batch, naming the cells. This runs each cell's call with its
// hostcall's handler, in the order the thread queued them, and the handler
// answers in the cell.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

#include "gpustd/hostcall/register.h"
#include "gpustd/runtime/request.h"
#include "runtime_log.h"
#include "work_sharing.h"

namespace gpustd::detail {

class queued_calls {
 public:
  // `sharing`: where a big batch's lanes are spread over idle server threads
  // (null: each batch is served by the thread that polled it).
  queued_calls(protocol::future_cell* cells, std::uint32_t cell_count, runtime_log& log,
               work_sharing* sharing = nullptr);

  // The handler of asynchronous operation `async_op` (a typed hostcall's
  // number + 1). Lookups are lock-free, as in handler_table.
  void set(std::uint16_t async_op, std::shared_ptr<const hostcall_detail::site_handler> sh, handler_kind kind);

  // The future_batch handler: runs every lane's cells, in order, a lane's
  // consecutive calls of one hostcall in one call of its handler. Lanes are
  // independent (each is one device thread's calls): a batch of at least
  // 2 * share_part_calls calls has its lanes spread over idle server threads,
  // in parts of about share_part_calls calls. (Parts of one lane each cost
  // more than they saved: on the GPU machine's host a 32-lane batch of one
  // call a lane took 5.3 us (median) shared that way, 1.8 us served by one
  // thread that asks for the cells ahead.)
  // Cells that name no registered hostcall get ENOSYS; ones that hold no
  // queued call, EPROTO; a lane whose arguments name cells outside one
  // group is skipped and logged.
  void serve(request& r) const;
  static constexpr std::uint32_t share_part_calls = 64;
  static constexpr std::uint32_t prefetch_ahead = 32;
  // Whether any of the request's calls is of a hostcall registered as
  // blocking: then the whole request runs on the pool, in order.
  bool needs_pool(const request& r) const;

 private:
  struct entry {
    std::shared_ptr<const hostcall_detail::site_handler> sh;
    handler_kind kind;
  };
  static constexpr std::uint32_t table_size = 0x4000;  // typed operations: 0xC000 | 14 bits
  const entry* find(std::uint16_t op) const noexcept;
  // Lane `rank`'s cells, or an empty range (logged) when its arguments are bad.
  std::pair<std::uint32_t, std::uint32_t> cells_of(const request& r, unsigned rank) const;
  // Runs cells [first, end) (one lane's) in order.
  void serve_cells(request& r, std::uint32_t first, std::uint32_t end) const;

  protocol::future_cell* cells_;
  std::uint32_t cell_count_;
  runtime_log& log_;
  work_sharing* sharing_;
  std::unique_ptr<std::atomic<const entry*>[]> table_;
  // Whether a blocking hostcall was ever registered: until one is, no
  // request needs the pool, and needs_pool() reads no cell.
  std::atomic<bool> any_blocking_{false};
  std::mutex m_;
  std::vector<std::unique_ptr<entry>> owned_;  // replaced entries stay: a server thread may hold one
};

}  // namespace gpustd::detail
