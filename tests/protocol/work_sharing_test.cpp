// work_sharing (src/runtime/work_sharing.h): a server thread's job, spread
// over helper threads. Also run under ThreadSanitizer (scripts/test.sh).
#include "runtime/work_sharing.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

namespace gpustd::detail {
namespace {

// Helper threads that call help() until stopped, as idle server threads do.
struct helpers {
  work_sharing& w;
  std::atomic<bool> stop{false};
  std::atomic<unsigned> ran{0};
  std::vector<std::thread> threads;
  helpers(work_sharing& ws, unsigned n) : w(ws) {
    w.set_helpers(n + 1);
    for (unsigned i = 0; i < n; ++i)
      threads.emplace_back([this] {
        work_sharing::serving_thread(true);
        while (!stop.load(std::memory_order_relaxed))
          if (w.help()) ran.fetch_add(1, std::memory_order_relaxed);
          else std::this_thread::yield();
      });
  }
  ~helpers() {
    stop.store(true);
    for (auto& t : threads) t.join();
  }
};

struct serving_scope {
  serving_scope() { work_sharing::serving_thread(true); }
  ~serving_scope() { work_sharing::serving_thread(false); }
};

TEST(WorkSharing, RunsEveryPartOnceAndReturnsAfterAllHaveRun) {
  work_sharing w;
  helpers h(w, 3);
  serving_scope serving;
  struct job {
    std::atomic<unsigned> runs[64];
    int written[64];  // plain: run() must order the helpers' writes before its return
  };
  for (unsigned parts = 1; parts <= 64; ++parts) {
    for (int rep = 0; rep < 20; ++rep) {
      job j;
      for (unsigned i = 0; i < 64; ++i) {
        j.runs[i].store(0);
        j.written[i] = -1;
      }
      w.run(parts, [](const void* c, unsigned i) {
        auto& jb = *static_cast<job*>(const_cast<void*>(c));
        jb.runs[i].fetch_add(1);
        jb.written[i] = static_cast<int>(i) * 3;
      }, &j);
      for (unsigned i = 0; i < 64; ++i) {
        ASSERT_EQ(j.runs[i].load(), i < parts ? 1u : 0u) << "part " << i << " of " << parts;
        ASSERT_EQ(j.written[i], i < parts ? static_cast<int>(i) * 3 : -1);
      }
    }
  }
  EXPECT_FALSE(w.wanted()) << "every job was retired";
}

// Part 0 (which run() claims first) waits for part 1: only a helper can run it.
TEST(WorkSharing, IdleHelpersRunPartsOfAJob) {
  work_sharing w;
  helpers h(w, 2);
  serving_scope serving;
  struct job {
    std::atomic<bool> second_ran{false};
    std::atomic<bool> gave_up{false};
    std::thread::id second_on;
  } j;
  w.run(2, [](const void* c, unsigned i) {
    auto& jb = *static_cast<job*>(const_cast<void*>(c));
    if (i == 1) {
      jb.second_on = std::this_thread::get_id();
      jb.second_ran.store(true, std::memory_order_release);
      return;
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!jb.second_ran.load(std::memory_order_acquire))
      if (std::chrono::steady_clock::now() > deadline) {
        jb.gave_up.store(true);
        return;
      }
  }, &j);
  ASSERT_FALSE(j.gave_up.load()) << "no helper took the second part";
  EXPECT_NE(j.second_on, std::this_thread::get_id());
  // (The helper counts its help() after the part is done, which may be
  // after run() has returned here.)
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (h.ran.load() == 0 && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  EXPECT_GE(h.ran.load(), 1u);
}

TEST(WorkSharing, OffAServerThreadEveryPartRunsOnTheCaller) {
  work_sharing w;
  helpers h(w, 2);
  std::vector<std::thread::id> on(16);
  w.run(16, [](const void* c, unsigned i) {
    (*static_cast<std::vector<std::thread::id>*>(const_cast<void*>(c)))[i] = std::this_thread::get_id();
  }, &on);
  for (const auto& id : on) EXPECT_EQ(id, std::this_thread::get_id());
}

// More jobs at once than posts: the ones without a post run on their owner.
TEST(WorkSharing, ManyOwnersAtOnce) {
  work_sharing w(2);
  helpers h(w, 2);
  std::atomic<unsigned> wrong{0};
  std::vector<std::thread> owners;
  for (int o = 0; o < 4; ++o)
    owners.emplace_back([&] {
      work_sharing::serving_thread(true);
      for (int rep = 0; rep < 300; ++rep) {
        std::atomic<unsigned> runs[32];
        for (auto& r : runs) r.store(0);
        const unsigned parts = 2 + rep % 31;
        w.run(parts, [](const void* c, unsigned i) {
          static_cast<std::atomic<unsigned>*>(const_cast<void*>(c))[i].fetch_add(1);
        }, runs);
        for (unsigned i = 0; i < 32; ++i)
          if (runs[i].load() != (i < parts ? 1u : 0u)) wrong.fetch_add(1);
      }
    });
  for (auto& t : owners) t.join();
  EXPECT_EQ(wrong.load(), 0u);
}

}  // namespace
}  // namespace gpustd::detail
