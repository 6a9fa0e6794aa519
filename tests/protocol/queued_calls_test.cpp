// queued_calls (src/runtime/queued_calls.h): the host's side of batched
// asynchronous calls, served through the server from a hand-made
// future_batch request, with idle helper threads sharing big batches. Also
// run under ThreadSanitizer (scripts/test.sh).
#include "runtime/queued_calls.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <thread>
#include <vector>

#include <gpustd/gpustd.h>

#include "gpustd/protocol/opcodes.h"
#include "runtime/blocking_pool.h"
#include "runtime/channel_memory.h"
#include "runtime/handler_table.h"
#include "runtime/runtime_log.h"
#include "runtime/server.h"
#include "runtime/work_sharing.h"

GPUSTD_HOSTCALL(queued_sum, int(int lane, int k));

namespace gpustd::detail {
namespace {

using namespace gpustd::protocol;

constexpr std::uint16_t sum_op = static_cast<std::uint16_t>(queued_sum::op + 1);  // its asynchronous number

struct fixture {
  static constexpr std::uint32_t lanes = 32, group = future_group_cells;
  plain_channel ch{1, 4, 1u << 16, lanes * group};
  runtime_log log{-1};
  work_sharing sharing;
  queued_calls queued{ch.host.futures, ch.host.future_count, log, &sharing};
  handler_table table;
  blocking_pool pool{1};
  std::unique_ptr<server> srv;
  // The order each lane's calls ran in (a lane runs on one thread at a time).
  std::vector<std::vector<int>> ran = std::vector<std::vector<int>>(lanes);
  std::atomic<bool> stop{false};
  std::vector<std::thread> helpers;
  std::uint32_t seq = 0;

  explicit fixture(unsigned helper_count) {
    hostcall_detail::host_services hs{nullptr, nullptr, 0};
    queued.set(sum_op,
               std::make_shared<const hostcall_detail::site_handler>(
                   hostcall_detail::make_site_handler<queued_sum>(hs, [this](int lane, int k) {
                     ran[static_cast<unsigned>(lane)].push_back(k);
                     return 1000 * lane + k;
                   })),
               handler_kind::polling);
    table.set(to_u16(opcode::future_batch), [this](request& r) { queued.serve(r); }, handler_kind::polling,
              [this](const request& r) { return queued.needs_pool(r); });
    srv = std::make_unique<server>(ch.host, table, pool, log);
    sharing.set_helpers(helper_count + 1);
    work_sharing::serving_thread(true);
    for (unsigned h = 0; h < helper_count; ++h)
      helpers.emplace_back([this] {
        work_sharing::serving_thread(true);
        while (!stop.load(std::memory_order_relaxed))
          if (!sharing.help()) std::this_thread::yield();
      });
  }
  ~fixture() {
    stop.store(true);
    for (auto& t : helpers) t.join();
    work_sharing::serving_thread(false);
  }

  // Lane l queues calls[l] calls of queued_sum(l, k) in its group's cells
  // (or, where `op_of` says so, another operation; where it says -1, the
  // cell is left holding an answer, no queued call); then one request
  // sends every lane's cells, and the server serves it.
  void send(const std::vector<std::uint32_t>& calls, int (*op_of)(unsigned lane, unsigned k)) {
    frame_ref f = ch.host.frame_for(0, ++seq);
    f.header.seq = seq;
    f.header.op = to_u16(opcode::future_batch);
    f.header.flags = frame_first | frame_last | frame_no_reply | frame_packed;
    f.header.mask = 0xffffffffu;
    f.header.body_bytes = f.header.total_bytes = 8 * lanes;
    f.header.cell_stride = sizeof(future_batch_args);
    for (unsigned l = 0; l < lanes; ++l) {
      const future_batch_args a{l * group, calls[l]};
      std::memcpy(f.body + 8 * l, &a, 8);
      for (unsigned k = 0; k < calls[l]; ++k) {
        future_cell& c = ch.host.futures[a.first + k];
        const int args[2] = {static_cast<int>(l), static_cast<int>(k)};
        std::memcpy(c.data, args, sizeof args);
        const int op = op_of(l, k);
        c.status = op < 0 ? 0 : queued_status(static_cast<std::uint16_t>(op), sizeof args);
      }
    }
    std::atomic_ref<std::uint32_t>(ch.doorbells[0]).store(seq, std::memory_order_release);
    while (!srv->poll_all()) {
    }
  }
  std::int64_t status(unsigned lane, unsigned k) const {
    return std::atomic_ref<std::int64_t>(ch.host.futures[lane * group + k].status).load(std::memory_order_acquire);
  }
};

int always_sum(unsigned, unsigned) { return sum_op; }

// Every lane's calls answered once, in the order queued, whether the batch
// is served by one thread or shared: 32 x 8 calls (shared in 4 parts when
// helpers are idle), lanes of different lengths (about 2 parts), and one
// call a lane (too small to share).
TEST(QueuedCalls, EveryCallAnsweredOnceInOrderSharedOrNot) {
  for (unsigned helpers : {0u, 3u}) {
    fixture fx(helpers);
    std::vector<std::vector<std::uint32_t>> shapes = {std::vector<std::uint32_t>(32, 8), {}, std::vector<std::uint32_t>(32, 1)};
    for (unsigned l = 0; l < 32; ++l) shapes[1].push_back(l % 9 == 0 ? 0 : l % 8 + 1);
    for (const auto& calls : shapes) {
      for (auto& r : fx.ran) r.clear();
      fx.send(calls, always_sum);
      for (unsigned l = 0; l < 32; ++l) {
        std::vector<int> want;
        for (unsigned k = 0; k < calls[l]; ++k) {
          want.push_back(static_cast<int>(k));
          // (An int result travels in the status, plus one.)
          EXPECT_EQ(fx.status(l, k), 1000 * l + k + 1) << "helpers " << helpers << " lane " << l << " call " << k;
        }
        EXPECT_EQ(fx.ran[l], want) << "helpers " << helpers << " lane " << l;
      }
    }
  }
}

// A call of a hostcall nobody registered gets ENOSYS, and the calls after
// it in its lane still run; a cell the batch names that holds no queued
// call gets EPROTO, and the lane's other calls run.
TEST(QueuedCalls, UnknownHostcallAndEmptyCellAnsweredWithErrors) {
  fixture fx(2);
  fx.send(std::vector<std::uint32_t>(32, 8), [](unsigned lane, unsigned k) -> int {
    if (lane == 5 && k == 2) return sum_op + 2;  // (no such hostcall)
    if (lane == 7 && k == 4) return -1;
    return sum_op;
  });
  EXPECT_EQ(fx.status(5, 2), -ENOSYS);
  EXPECT_EQ(fx.status(5, 3), 5000 + 3 + 1);
  EXPECT_EQ(fx.ran[5], (std::vector<int>{0, 1, 3, 4, 5, 6, 7}));
  EXPECT_EQ(fx.status(7, 4), -EPROTO);
  EXPECT_EQ(fx.ran[7], (std::vector<int>{0, 1, 2, 3, 5, 6, 7}));
  EXPECT_EQ(fx.status(8, 7), 8000 + 7 + 1);
}

}  // namespace
}  // namespace gpustd::detail
