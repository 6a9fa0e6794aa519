// Warp and block emulation for the CPU backend (see platform/cpu/emulator.h).
#include "gpustd/platform/cpu/emulator.h"

#include <pthread.h>

#include <bit>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "gpustd/platform/cpu/cuda_compat.h"

namespace gpustd::cpu {

namespace {
thread_local lane_context* tls_lane = nullptr;
constexpr auto convergence_grace = std::chrono::milliseconds(2);

[[noreturn]] void fatal(const std::string& what) {
  std::fprintf(stderr, "gpustd cpu backend: %s\n", what.c_str());
  std::abort();
}

// The resident warps' indices (lane_context::resident_warp): taken for a
// wave of blocks, given back once it has finished.
class resident_warps {
 public:
  std::uint32_t take() {
    std::lock_guard lk(m_);
    for (std::uint32_t i = 0; i < resident_warp_capacity; ++i)
      if (!taken_[i]) {
        taken_[i] = true;
        return i;
      }
    return no_resident_warp;
  }
  void give_back(std::uint32_t i) {
    if (i == no_resident_warp) return;
    std::lock_guard lk(m_);
    taken_[i] = false;
  }

 private:
  std::mutex m_;
  bool taken_[resident_warp_capacity] = {};
};
resident_warps& resident() {
  static resident_warps r;
  return r;
}
}  // namespace

// One emulated warp. All fields are guarded by `m`. Each lane sleeps on its
// own condition variable, so an event wakes only the lanes it concerns.
struct warp_state {
  std::mutex m;
  std::condition_variable lane_cv[32];
  std::uint32_t live = 0;     // lanes that have not exited
  std::uint32_t running = 0;  // live lanes not waiting in a collective, barrier or active_mask
  // active_mask(): lanes waiting, the site each waits at, and groups formed.
  std::uint32_t converging = 0;
  const void* site[32] = {};
  std::uint32_t formed[32] = {};  // non-zero: the group this lane leaves with
  // collective(): one rendezvous per distinct mask.
  struct rendezvous {
    std::uint32_t arrived = 0;
    std::uint64_t generation = 0;
    std::uint64_t values[32] = {};
    std::uint64_t result[32] = {};
  };
  std::unordered_map<std::uint32_t, rendezvous> rendezvous_by_mask;

  void wake(std::uint32_t lanes) {
    for (; lanes; lanes &= lanes - 1) lane_cv[std::countr_zero(lanes)].notify_one();
  }
  // A lane stops running; when none runs, lanes waiting to converge may go.
  void stop_running(std::uint32_t me) {
    running &= ~me;
    if (running == 0 && converging) wake(converging);
  }
};

// One emulated block: the __syncthreads() barrier.
struct block_state {
  std::mutex m;
  std::condition_variable cv;
  unsigned expected = 0;  // threads that have not exited
  unsigned arrived = 0;
  std::uint64_t generation = 0;
};

lane_context* current_lane() noexcept { return tls_lane; }
unsigned lane_id() noexcept { return tls_lane ? tls_lane->lane : 0; }

std::uint32_t active_mask(const void* site) {
  lane_context* c = tls_lane;
  if (!c) return 1u;
  warp_state& w = *c->warp;
  const std::uint32_t me = 1u << c->lane;
  std::unique_lock lk(w.m);
  w.converging |= me;
  w.site[c->lane] = site;
  w.formed[c->lane] = 0;
  w.stop_running(me);
  const auto deadline = std::chrono::steady_clock::now() + convergence_grace;
  for (;;) {
    if (std::uint32_t g = w.formed[c->lane]) {
      w.formed[c->lane] = 0;
      return g;
    }
    if (w.running == 0 || std::chrono::steady_clock::now() >= deadline) {
      std::uint32_t group = 0;
      for (std::uint32_t m = w.converging; m; m &= m - 1) {
        const unsigned l = static_cast<unsigned>(std::countr_zero(m));
        if (w.site[l] == site) group |= 1u << l;
      }
      for (std::uint32_t m = group; m; m &= m - 1) w.formed[std::countr_zero(m)] = group;
      w.converging &= ~group;
      w.running |= group;
      w.formed[c->lane] = 0;
      w.wake(group & ~me);
      return group;
    }
    w.lane_cv[c->lane].wait_until(lk, deadline);
  }
}

void collective(std::uint32_t mask, std::uint64_t value, std::uint64_t (&all)[32]) {
  lane_context* c = tls_lane;
  if (!c) {  // a lone thread: a warp of one lane
    if (mask != 1u) fatal("warp collective outside a launch with a mask other than lane 0");
    all[0] = value;
    return;
  }
  warp_state& w = *c->warp;
  const std::uint32_t me = 1u << c->lane;
  if (!(mask & me)) fatal("warp collective: the calling lane " + std::to_string(c->lane) + " is not in its mask");
  if (mask == me) {
    all[c->lane] = value;
    return;
  }
  std::unique_lock lk(w.m);
  auto& r = w.rendezvous_by_mask[mask];
  r.values[c->lane] = value;
  r.arrived |= me;
  if (r.arrived == mask) {
    std::memcpy(r.result, r.values, sizeof r.result);
    r.arrived = 0;
    ++r.generation;
    std::memcpy(all, r.result, sizeof all);
    w.running |= mask;  // the waiters run again from now on
    w.wake(mask & ~me);
    return;
  }
  const std::uint64_t gen = r.generation;
  w.stop_running(me);
  while (r.generation == gen) {
    if (mask & ~w.live) {
      char b[16];
      std::snprintf(b, sizeof b, "%08x", mask);
      fatal(std::string("warp collective with mask 0x") + b + " waits for a lane that has exited");
    }
    w.lane_cv[c->lane].wait(lk);
  }
  std::memcpy(all, r.result, sizeof all);
}

namespace {
void set_running(warp_state& w, std::uint32_t me, bool on) {
  std::lock_guard lk(w.m);
  if (on) w.running |= me;
  else w.stop_running(me);
}
}  // namespace

void block_barrier() {
  lane_context* c = tls_lane;
  if (!c) return;
  block_state& b = *c->block;
  const std::uint32_t me = 1u << c->lane;
  set_running(*c->warp, me, false);
  {
    std::unique_lock lk(b.m);
    const std::uint64_t gen = b.generation;
    if (++b.arrived == b.expected) {
      b.arrived = 0;
      ++b.generation;
      b.cv.notify_all();
    } else {
      b.cv.wait(lk, [&] { return b.generation != gen; });
    }
  }
  set_running(*c->warp, me, true);
}

namespace {

void lane_exit(lane_context& c) {
  {
    std::lock_guard lk(c.block->m);
    --c.block->expected;
    if (c.block->arrived > 0 && c.block->arrived == c.block->expected) {
      c.block->arrived = 0;
      ++c.block->generation;
    }
    c.block->cv.notify_all();
  }
  std::lock_guard lk(c.warp->m);
  const std::uint32_t me = 1u << c.lane;
  c.warp->live &= ~me;
  c.warp->stop_running(me);
  c.warp->wake(c.warp->live);  // a lane waiting for this one in a collective must learn it is gone
}

struct lane_start {
  lane_context ctx;
  uint3 thread_idx, block_idx;
  dim3 block_dim, grid_dim;
  const std::function<void()>* body;
  std::exception_ptr* error;
  std::mutex* error_mutex;
};

void* lane_main(void* arg) {
  auto* s = static_cast<lane_start*>(arg);
  tls_lane = &s->ctx;
  threadIdx = s->thread_idx;
  blockIdx = s->block_idx;
  blockDim = s->block_dim;
  gridDim = s->grid_dim;
  try {
    (*s->body)();
  } catch (...) {
    std::lock_guard lk(*s->error_mutex);
    if (!*s->error) *s->error = std::current_exception();
  }
  lane_exit(s->ctx);
  tls_lane = nullptr;
  return nullptr;
}

unsigned concurrent_blocks_from(const launch_config& cfg) {
  if (cfg.concurrent_blocks) return cfg.concurrent_blocks;
  if (const char* e = std::getenv("GPUSTD_CPU_BLOCKS")) {
    long v = std::strtol(e, nullptr, 10);
    if (v > 0) return static_cast<unsigned>(v);
  }
  return 1;
}

}  // namespace

void run_grid(const grid_shape& g, const std::function<void()>& body, const launch_config& cfg) {
  const unsigned threads = g.bx * g.by * g.bz;
  const unsigned long long blocks = 1ull * g.gx * g.gy * g.gz;
  if (threads == 0 || blocks == 0) throw std::invalid_argument("gpustd::launch: empty grid or block");
  if (threads > 1024) throw std::invalid_argument("gpustd::launch: more than 1024 threads per block");
  const unsigned warps_per_block = (threads + 31) / 32;
  const unsigned wave = concurrent_blocks_from(cfg);
  std::exception_ptr error;
  std::mutex error_mutex;

  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, cfg.stack_bytes);

  for (unsigned long long first = 0; first < blocks; first += wave) {
    const unsigned long long last = std::min(blocks, first + wave);
    const unsigned nblocks = static_cast<unsigned>(last - first);
    std::vector<std::unique_ptr<block_state>> bstates;
    std::vector<std::unique_ptr<warp_state>> wstates;
    std::vector<lane_start> starts(static_cast<std::size_t>(nblocks) * threads);
    std::vector<pthread_t> tids;
    tids.reserve(starts.size());
    std::vector<std::uint32_t> resident_of(static_cast<std::size_t>(nblocks) * warps_per_block);
    for (auto& r : resident_of) r = resident().take();
    for (unsigned bi = 0; bi < nblocks; ++bi) {
      const unsigned long long b = first + bi;
      auto bs = std::make_unique<block_state>();
      bs->expected = threads;
      for (unsigned wi = 0; wi < warps_per_block; ++wi) {
        auto ws = std::make_unique<warp_state>();
        const unsigned lanes = std::min(32u, threads - wi * 32);
        ws->live = ws->running = lanes == 32 ? 0xffffffffu : ((1u << lanes) - 1u);
        wstates.push_back(std::move(ws));
      }
      for (unsigned t = 0; t < threads; ++t) {
        lane_start& s = starts[static_cast<std::size_t>(bi) * threads + t];
        s.ctx.warp = wstates[wstates.size() - warps_per_block + t / 32].get();
        s.ctx.block = bs.get();
        s.ctx.lane = t % 32;
        s.ctx.block_index = static_cast<std::uint32_t>(b);
        s.ctx.warp_in_block = t / 32;
        s.ctx.global_warp = static_cast<std::uint32_t>(b * warps_per_block + t / 32);
        s.ctx.resident_warp = resident_of[static_cast<std::size_t>(bi) * warps_per_block + t / 32];
        s.thread_idx = {t % g.bx, (t / g.bx) % g.by, t / (g.bx * g.by)};
        s.block_idx = {static_cast<unsigned>(b % g.gx), static_cast<unsigned>((b / g.gx) % g.gy),
                       static_cast<unsigned>(b / (1ull * g.gx * g.gy))};
        s.block_dim = dim3(g.bx, g.by, g.bz);
        s.grid_dim = dim3(g.gx, g.gy, g.gz);
        s.body = &body;
        s.error = &error;
        s.error_mutex = &error_mutex;
      }
      bstates.push_back(std::move(bs));
    }
    for (auto& s : starts) {
      pthread_t tid;
      if (int rc = pthread_create(&tid, &attr, lane_main, &s); rc != 0)
        fatal("cannot create a lane thread (pthread_create: " + std::string(std::strerror(rc)) +
              "); lower GPUSTD_CPU_BLOCKS or the block size");
      tids.push_back(tid);
    }
    for (pthread_t t : tids) pthread_join(t, nullptr);
    for (std::uint32_t r : resident_of) resident().give_back(r);
  }
  pthread_attr_destroy(&attr);
  if (error) std::rethrow_exception(error);
}

}  // namespace gpustd::cpu
