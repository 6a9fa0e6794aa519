// Handlers by operation number. Lookups are lock-free (one acquire load), so
// registering while kernels run costs the polling threads nothing; replaced
// entries are kept until the table dies, since a server thread may still hold
// one.
#pragma once
#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <vector>

#include "gpustd/runtime/direct.h"
#include "gpustd/runtime/request.h"

namespace gpustd::detail {

struct handler_entry {
  handler fn;
  handler_kind kind;
  // For a polling handler: whether this request must go to the pool after
  // all (the queued calls' runner, whose calls may be of blocking hostcalls).
  std::function<bool(const request&)> needs_pool;
  // For a polling handler: serves one-frame requests in place (runtime/direct.h).
  direct_handler direct;
};

class handler_table {
 public:
  handler_table() : slots_(new std::atomic<const handler_entry*>[65536]) {
    for (std::size_t i = 0; i < 65536; ++i) slots_[i].store(nullptr, std::memory_order_relaxed);
  }
  void set(std::uint16_t op, handler fn, handler_kind kind, std::function<bool(const request&)> needs_pool = {},
           direct_handler direct = {}) {
    std::lock_guard lk(m_);
    if (kind != handler_kind::polling) direct = {};  // (a blocking handler's requests go to the pool)
    owned_.push_back(std::make_unique<handler_entry>(
        handler_entry{std::move(fn), kind, std::move(needs_pool), std::move(direct)}));
    slots_[op].store(owned_.back().get(), std::memory_order_release);
  }
  const handler_entry* find(std::uint16_t op) const noexcept {
    const handler_entry* e = slots_[op].load(std::memory_order_acquire);
    if (!e && fallback_ && fallback_applies_(op)) return fallback_.get();
    return e;
  }
  // Serves the operations `applies` accepts that have no handler of their
  // own (set before serving starts).
  void set_fallback(handler fn, bool (*applies)(std::uint16_t)) {
    fallback_ = std::make_unique<handler_entry>(handler_entry{std::move(fn), handler_kind::polling, {}, {}});
    fallback_applies_ = applies;
  }

 private:
  std::unique_ptr<std::atomic<const handler_entry*>[]> slots_;
  std::mutex m_;
  std::vector<std::unique_ptr<handler_entry>> owned_;
  std::unique_ptr<handler_entry> fallback_;
  bool (*fallback_applies_)(std::uint16_t) = nullptr;
};

}  // namespace gpustd::detail
