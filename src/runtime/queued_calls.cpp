#include "queued_calls.h"

#include <algorithm>
#include <cerrno>
#include <string>

namespace gpustd::detail {

queued_calls::queued_calls(protocol::future_cell* cells, std::uint32_t cell_count, runtime_log& log,
                           work_sharing* sharing)
    : cells_(cells),
      cell_count_(cell_count),
      log_(log),
      sharing_(sharing),
      table_(new std::atomic<const entry*>[table_size]) {
  for (std::uint32_t i = 0; i < table_size; ++i) table_[i].store(nullptr, std::memory_order_relaxed);
}

void queued_calls::set(std::uint16_t async_op, std::shared_ptr<const hostcall_detail::site_handler> sh,
                       handler_kind kind) {
  if (async_op < protocol::typed_first) return;
  std::lock_guard lk(m_);
  owned_.push_back(std::make_unique<entry>(entry{std::move(sh), kind}));
  // (Before the entry is published: a request that finds it sees the flag.
  // A request already being looked at may still run on its server thread.)
  if (kind == handler_kind::blocking) any_blocking_.store(true, std::memory_order_release);
  // Release: a server thread that finds the entry (acquire) sees it whole.
  table_[async_op - protocol::typed_first].store(owned_.back().get(), std::memory_order_release);
}

const queued_calls::entry* queued_calls::find(std::uint16_t op) const noexcept {
  if (!protocol::is_typed_async(op)) return nullptr;
  return table_[op - protocol::typed_first].load(std::memory_order_acquire);
}

std::pair<std::uint32_t, std::uint32_t> queued_calls::cells_of(const request& r, unsigned rank) const {
  constexpr std::uint32_t g = protocol::future_group_cells;
  const auto a = r.arg<protocol::future_batch_args>(rank);
  if (r.args(rank).size() != sizeof a || a.count == 0 || a.count > g || a.first >= cell_count_ ||
      a.count > cell_count_ - a.first || a.first / g != (a.first + a.count - 1) / g) {
    log_.once("future-batch-args", "a batch of queued asynchronous calls from block " + std::to_string(r.block()) +
                                       " names cells outside one group of the arena; skipped");
    return {0, 0};
  }
  return {a.first, a.first + a.count};
}

bool queued_calls::needs_pool(const request& r) const {
  // Most programs register no blocking hostcall: then the cells are left
  // for the threads that serve them (each part's own, work_sharing.h)
  // rather than all fetched here, by one thread, first.
  if (!any_blocking_.load(std::memory_order_acquire)) return false;
  // The first look at the cells, which the device's writes left out of the
  // caches: ask for all of them at once, before reading any (a warp's batch
  // is up to 256 lines; one after another, each would cost a miss).
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const auto [first, end] = cells_of(r, i);
    for (std::uint32_t c = first; c < end; ++c) __builtin_prefetch(&cells_[c]);
  }
  std::uint16_t last = 0;
  for (unsigned i = 0; i < r.lanes(); ++i) {
    const auto [first, end] = cells_of(r, i);
    for (std::uint32_t c = first; c < end; ++c) {
      // Relaxed: the doorbell's acquire already ordered the device's writes.
      const std::int64_t st = std::atomic_ref<std::int64_t>(cells_[c].status).load(std::memory_order_relaxed);
      const std::uint16_t op = protocol::queued_op(st);
      if (!protocol::is_queued(st) || op == last) continue;
      last = op;
      if (const entry* e = find(op); e && e->kind == handler_kind::blocking) return true;
    }
  }
  return false;
}

void queued_calls::serve_cells(request& r, std::uint32_t first, std::uint32_t end) const {
  // Runs of calls of one hostcall (a lane queues up to 8 calls).
  hostcall_detail::lane_site sites[protocol::future_group_cells];
  std::size_t n = 0;
  std::uint16_t run_op = 0;
  const entry* run = nullptr;
  auto run_sites = [&] {
    if (n == 0) return;
    if (run) {
      (*run->sh)(r, std::span<hostcall_detail::lane_site>(sites, n));
    } else {
      log_.once("unknown-hostcall:" + std::to_string(run_op),
                "asynchronous call of unregistered hostcall (operation " + std::to_string(run_op - 1) +
                    "); its futures get ENOSYS");
      for (std::size_t i = 0; i < n; ++i) hostcall_detail::answer(r, sites[i], -ENOSYS, nullptr, 0);
    }
    n = 0;
  };
  for (std::uint32_t c = first; c < end; ++c) {
    protocol::future_cell& cell = cells_[c];
    const std::int64_t st = std::atomic_ref<std::int64_t>(cell.status).load(std::memory_order_relaxed);
    if (!protocol::is_queued(st)) {
      log_.once("future-batch-cell", "a batch of queued asynchronous calls from block " + std::to_string(r.block()) +
                                         " names a cell with no queued call; answered EPROTO");
      hostcall_detail::lane_site s;
      s.future = &cell;
      hostcall_detail::answer(r, s, -EPROTO, nullptr, 0);
      continue;
    }
    const std::uint16_t op = protocol::queued_op(st);
    if (op != run_op || n == 0) {
      run_sites();
      run_op = op;
      run = find(op);
    }
    sites[n++] = hostcall_detail::locate_cell(cell, st);
  }
  run_sites();
}

void queued_calls::serve(request& r) const {
  struct lane_cells {
    std::uint32_t first, end;
  };
  struct job {
    const queued_calls* self;
    request* r;
    unsigned lanes, parts;
    lane_cells cells[protocol::lanes_per_request];
  } j{this, &r, r.lanes(), 1, {}};
  std::uint32_t calls = 0;
  for (unsigned i = 0; i < j.lanes; ++i) {
    const auto [first, end] = cells_of(r, i);
    j.cells[i] = {first, end};
    calls += end - first;
  }
  // Part p: lanes [lanes * p / parts, lanes * (p + 1) / parts). Its cells,
  // which the device's writes left out of the caches, are asked for ahead
  // of their reads, prefetch_ahead cells ahead (a lane's cells are apart
  // from the next lane's: one after another, each would cost a miss; all
  // 256 at once overflow the core's queue of misses and stall it).
  auto part = [](const void* context, unsigned p) {
    const job& jb = *static_cast<const job*>(context);
    const unsigned from = jb.lanes * p / jb.parts, to = jb.lanes * (p + 1) / jb.parts;
    unsigned ahead_lane = from;  // the next cell to prefetch: ahead_cell of lane ahead_lane
    std::uint32_t ahead_cell = from < to ? jb.cells[from].first : 0, ahead = 0;
    auto prefetch_until = [&](std::uint32_t wanted) {
      for (; ahead < wanted && ahead_lane < to; ++ahead) {
        while (ahead_cell == jb.cells[ahead_lane].end) {
          if (++ahead_lane == to) return;
          ahead_cell = jb.cells[ahead_lane].first;
        }
        __builtin_prefetch(&jb.self->cells_[ahead_cell++], 1);
      }
    };
    std::uint32_t done = 0;
    for (unsigned i = from; i < to; ++i) {
      prefetch_until(done + prefetch_ahead);
      jb.self->serve_cells(*jb.r, jb.cells[i].first, jb.cells[i].end);
      done += jb.cells[i].end - jb.cells[i].first;
    }
  };
  if (sharing_ && calls >= 2 * share_part_calls) {
    j.parts = std::min<unsigned>(j.lanes, calls / share_part_calls);
    sharing_->run(j.parts, part, &j);
  } else {
    part(&j, 0);
  }
}

}  // namespace gpustd::detail
