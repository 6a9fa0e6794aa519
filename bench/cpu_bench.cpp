// CPU-backend benchmarks of the hostcall path (Google Benchmark). These time
// the protocol and the server's code on the CPU; the figures that matter for
// users come from bench/gpu_bench.cu on a GPU.
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <gpustd/gpustd.h>

#include "gpustd/protocol/opcodes.h"
#include "gpustd/protocol/seal.h"
#include "runtime/blocking_pool.h"
#include "runtime/channel_memory.h"
#include "runtime/handler_table.h"
#include "runtime/queued_calls.h"
#include "runtime/request_builder.h"
#include "runtime/runtime_log.h"
#include "runtime/server.h"
#include "runtime/work_sharing.h"
#include "services/console/console_service.h"
#include "services/console/console_sink.h"
#include "services/console/record_format.h"
#include "services/services.h"

namespace {

gpustd::runtime_options options() {
  gpustd::runtime_options o;
  o.server_threads = 1;
  o.stdout_fd = ::open("/dev/null", O_WRONLY);
  return o;
}

// One thread (a warp of one lane) making blocking null calls.
void BM_NullCall(benchmark::State& state) {
  gpustd::runtime rt(options());
  for (auto _ : state) benchmark::DoNotOptimize(gpustd::null_call());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NullCall)->UseRealTime();

// The same thread, fire-and-forget.
void BM_NullSend(benchmark::State& state) {
  gpustd::runtime rt(options());
  for (auto _ : state) benchmark::DoNotOptimize(gpustd::null_send());
  rt.synchronize();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NullSend)->UseRealTime();

// write() of a line to /dev/null: payload copy, validation, writev.
void BM_WriteLine(benchmark::State& state) {
  gpustd::runtime rt(options());
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  std::string line(n - 1, 'x');
  line += '\n';
  for (auto _ : state) benchmark::DoNotOptimize(gpustd::write(1, line.data(), line.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n));
}
BENCHMARK(BM_WriteLine)->Arg(64)->Arg(4096)->Arg(1 << 20)->UseRealTime();

// ---- typed hostcalls ----

GPUSTD_HOSTCALL(bench_add2, int(int a, int b));

// One thread: a typed call with two scalar arguments (compare BM_NullCall).
void BM_TypedCall(benchmark::State& state) {
  gpustd::runtime rt(options());
  rt.register_hostcall<bench_add2>([](int a, int b) { return a + b; });
  int i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(gpustd::call<bench_add2>(i++, 1));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_TypedCall)->UseRealTime();

// One thread, 8 futures in flight, then collected.
void BM_AsyncCall8(benchmark::State& state) {
  gpustd::runtime rt(options());
  rt.register_hostcall<bench_add2>([](int a, int b) { return a + b; });
  for (auto _ : state) {
    gpustd::hostcall_future<int> f[8];
    for (int k = 0; k < 8; ++k) f[k] = gpustd::async_call<bench_add2>(k, 1);
    for (int k = 0; k < 8; ++k) benchmark::DoNotOptimize(f[k].get());
  }
  state.SetItemsProcessed(state.iterations() * 8);
}
BENCHMARK(BM_AsyncCall8)->UseRealTime();

// A typed call with a 64-element out_span (256 bytes written back): by DMA
// (on the CPU backend, a copy in place), range(0) = 0; through the return
// area, as without DMA, range(0) = 1: two more round trips (the region's
// reserve and release) and a copy out of it.
GPUSTD_HOSTCALL(bench_fill, int(gpustd::out_span<int> out, int first));
void BM_OutSpanCall(benchmark::State& state) {
  gpustd::runtime_options o = options();
  o.bulk_transfers = state.range(0) == 0;
  gpustd::runtime rt(o);
  rt.register_hostcall<bench_fill>([](std::span<int> out, int first) {
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = first + static_cast<int>(i);
    return static_cast<int>(out.size());
  });
  std::vector<int> v(64);
  int i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(gpustd::call<bench_fill>(gpustd::out_span<int>(v.data(), v.size()), i++));
  if (v[63] != i - 1 + 63) state.SkipWithError("wrong elements");
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_OutSpanCall)->Arg(0)->Arg(1)->UseRealTime();

// ---- files ----

// A scratch file for the file benchmarks, removed at the end.
struct scratch_file {
  std::string path;
  scratch_file() {
    char name[] = "/tmp/gpustd-bench-XXXXXX";
    ::close(::mkstemp(name));
    path = name;
  }
  ~scratch_file() { ::unlink(path.c_str()); }
};

// One thread appending 64-byte records: request, group commit, writev.
void BM_FileAppendRecord(benchmark::State& state) {
  scratch_file f;
  gpustd::runtime rt(options());
  const int fd = gpustd::open(f.path.c_str(), O_WRONLY | O_APPEND);
  char rec[64];
  std::memset(rec, 'r', sizeof rec);
  for (auto _ : state) benchmark::DoNotOptimize(gpustd::write(fd, rec, sizeof rec));
  gpustd::close(fd);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FileAppendRecord)->UseRealTime();

__global__ void warp_appends(int fd, unsigned n) {
  char rec[64];
  std::memset(rec, 'w', sizeof rec);
  for (unsigned i = 0; i < n; ++i) gpustd::write(fd, rec, sizeof rec);
}

// A full emulated warp appending: 32 records per request, one writev.
void BM_FileWarpAppend(benchmark::State& state) {
  scratch_file f;
  gpustd::runtime rt(options());
  const int fd = gpustd::open(f.path.c_str(), O_WRONLY | O_APPEND);
  const unsigned per_lane = 20;
  for (auto _ : state) gpustd::launch(warp_appends, 1, 32, fd, per_lane);
  gpustd::close(fd);
  state.SetItemsProcessed(state.iterations() * 32 * per_lane);
}
BENCHMARK(BM_FileWarpAppend)->UseRealTime()->Unit(benchmark::kMillisecond);

// One thread reading a file line by line with fgets (one round trip a line,
// served from the host's read-ahead).
void BM_FileReadLine(benchmark::State& state) {
  scratch_file f;
  {
    std::string text;
    for (int i = 0; i < 100000; ++i) text += "line " + std::to_string(i) + " of some text\n";
    const int fd = ::open(f.path.c_str(), O_WRONLY | O_TRUNC);
    if (::write(fd, text.data(), text.size()) != static_cast<ssize_t>(text.size())) state.SkipWithError("write");
    ::close(fd);
  }
  gpustd::runtime rt(options());
  gpustd::FILE* in = gpustd::fopen(f.path.c_str(), "r");
  char buf[128];
  for (auto _ : state)
    if (!gpustd::fgets(buf, sizeof buf, in)) gpustd::rewind(in);
  gpustd::fclose(in);
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FileReadLine)->UseRealTime();

// write() and pread() of a large buffer: the bulk path (in place on the CPU
// backend), chunks written by the runtime's io threads in parallel.
void BM_FileBulk(benchmark::State& state) {
  scratch_file f;
  gpustd::runtime rt(options());
  const std::size_t n = static_cast<std::size_t>(state.range(0));
  std::vector<char> buf(n, 'b');
  const int fd = gpustd::open(f.path.c_str(), O_RDWR | O_TRUNC);
  for (auto _ : state) {
    benchmark::DoNotOptimize(gpustd::pwrite(fd, buf.data(), n, 0));
    benchmark::DoNotOptimize(gpustd::pread(fd, buf.data(), n, 0));
  }
  gpustd::close(fd);
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * 2 * n));
}
BENCHMARK(BM_FileBulk)->Arg(64 << 10)->Arg(64 << 20)->UseRealTime()->Unit(benchmark::kMillisecond);

__global__ void warp_calls(unsigned calls) {
  for (unsigned i = 0; i < calls; ++i) gpustd::null_call();
}

// A full emulated warp: 32 lanes coalesced into one request per call.
void BM_WarpNullCall(benchmark::State& state) {
  gpustd::runtime rt(options());
  const unsigned calls = 200;
  for (auto _ : state) gpustd::launch(warp_calls, 1, 32, calls);
  state.SetItemsProcessed(state.iterations() * calls);
  state.counters["lanes_per_request"] =
      double(state.iterations()) * calls * 32 / double(rt.stats().requests ? rt.stats().requests : 1);
}
BENCHMARK(BM_WarpNullCall)->UseRealTime()->Unit(benchmark::kMillisecond);

// Writes the header of a request that fits one frame, as the device does.
void one_frame_request(gpustd::protocol::frame_ref f, std::uint32_t seq, std::uint16_t op, std::uint16_t flags,
                       std::uint32_t mask, std::uint32_t bytes, std::uint32_t stride) {
  using namespace gpustd::protocol;
  f.header.seq = seq;
  f.header.op = op;
  f.header.flags = static_cast<std::uint16_t>(frame_first | frame_last | flags);
  f.header.mask = mask;
  f.header.body_bytes = f.header.total_bytes = bytes;
  f.header.cell_stride = stride;
}

// The host's cost per request, without a device: every slot of an
// H100-sized channel (8,448 slots) holds one 32-lane null request, and one
// thread serves them all. This is the server's share of a GPU round trip.
void BM_ServerServesRequests(benchmark::State& state) {
  using namespace gpustd::protocol;
  const std::uint32_t slots = 8448;
  const unsigned lanes = static_cast<unsigned>(state.range(0));
  const std::uint32_t stride = static_cast<std::uint32_t>(state.range(1));  // 0: no arguments (a null call)
  // range(2) = 1: the typed hostcall bench_add2 (two ints in each lane's
  // cell, decoded and added per lane, a different result per lane) instead
  // of the null call.
  const bool typed = state.range(2) != 0;
  // range(3) = 1: packed cells (layout.h: no 8-byte heads; what the device
  // sends when every lane has the same arguments' length and no payload).
  const bool packed = state.range(3) != 0;
  // range(4) = 1: without the operations' direct handlers (runtime/direct.h),
  // every request built and given to its handler.
  const bool general = state.range(4) != 0;
  const std::uint16_t op = typed ? bench_add2::op : to_u16(opcode::null_call);
  gpustd::detail::plain_channel ch(slots, 4, 1u << 20);
  gpustd::detail::handler_table table;
  gpustd::detail::register_null_call(table);  // as the runtime serves it
  if (general) table.set(to_u16(opcode::null_call), [](gpustd::request&) {}, gpustd::handler_kind::polling);
  // (A lambda, as users register: its call inlined into the handler.)
  const auto add2 = [](int a, int b) { return a + b; };
  auto add = std::make_shared<decltype(add2)>(add2);
  table.set(bench_add2::op,
            gpustd::hostcall_detail::make_handler<bench_add2>(gpustd::hostcall_detail::host_services{nullptr, nullptr, 0},
                                                              *add),
            gpustd::handler_kind::polling, {},
            general ? gpustd::direct_handler{} : gpustd::hostcall_detail::make_direct_handler<bench_add2>(add));
  gpustd::detail::blocking_pool pool(1);
  gpustd::detail::runtime_log log(2);
  gpustd::detail::server srv(ch.host, table, pool, log);
  std::uint32_t seq = 0;
  const std::uint32_t mask = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1u;
  for (auto _ : state) {
    state.PauseTiming();
    ++seq;
    for (std::uint32_t s = 0; s < slots; ++s) {
      frame_ref f = ch.host.frame_for(s, seq);
      one_frame_request(f, seq, op, static_cast<std::uint16_t>(packed ? frame_packed : 0), mask, stride * lanes,
                        stride);  // (packed: the stride is the 8 argument bytes)
      std::memset(f.body, 0, stride * lanes);
      if (typed)
        for (unsigned l = 0; l < lanes; ++l) {  // cell: payload 0, 8 argument bytes: a = lane, b = slot
          const std::uint64_t head = std::uint64_t(8) << 32;
          const int ab[2] = {static_cast<int>(l), static_cast<int>(s)};
          if (!packed) std::memcpy(f.body + l * stride, &head, 8);
          std::memcpy(f.body + l * stride + (packed ? 0 : 8), ab, 8);
        }
      if (packed || stride == 0) {  // sealed, as the device sends these (protocol/seal.h)
        f.header.flags = static_cast<std::uint16_t>(f.header.flags | frame_sealed);
        f.header.seal = seal_of(f.header, f.body, f.header.body_bytes);
      }
      ch.doorbells[s] = seq;
    }
    state.ResumeTiming();
    srv.poll_all();
  }
  state.SetItemsProcessed(state.iterations() * slots);
}
BENCHMARK(BM_ServerServesRequests)
    ->Args({1, 0, 0, 0, 0})
    ->Args({32, 0, 0, 0, 0})
    ->Args({32, 0, 0, 0, 1})
    ->Args({32, 16, 0, 0, 0})
    ->Args({32, 16, 1, 0, 0})
    ->Args({32, 8, 0, 1, 0})
    ->Args({32, 8, 1, 1, 0})
    ->Args({32, 8, 1, 1, 1})
    ->Unit(benchmark::kMicrosecond);

// The host's cost per fire-and-forget send (gpustd::null_send), without a
// device: every slot of an H100-sized channel holds range(0) sealed 32-lane
// null sends, as a warp that sends in a loop leaves its window (1 to the 8
// frames of a slot, the default), and one thread serves them all. Each
// frame moves the slot's progress word, and nothing else is written back.
void BM_ServerServesSends(benchmark::State& state) {
  using namespace gpustd::protocol;
  const std::uint32_t slots = 8448, frames_per_slot = 8;
  const auto waiting = static_cast<std::uint32_t>(state.range(0));
  gpustd::detail::plain_channel ch(slots, frames_per_slot, 1u << 20);
  gpustd::detail::handler_table table;
  gpustd::detail::register_null_call(table);  // as the runtime serves it
  gpustd::detail::blocking_pool pool(1);
  gpustd::detail::runtime_log log(2);
  gpustd::detail::server srv(ch.host, table, pool, log);
  std::uint32_t seq = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (std::uint32_t s = 0; s < slots; ++s)
      for (std::uint32_t k = 1; k <= waiting; ++k) {
        frame_ref f = ch.host.frame_for(s, seq + k);
        one_frame_request(f, seq + k, to_u16(opcode::null_call), frame_no_reply | frame_sealed, 0xffffffffu, 0, 0);
        f.header.seal = seal_of(f.header, f.body, 0);
        if (k == waiting) ch.doorbells[s] = seq + k;
      }
    seq += waiting;
    state.ResumeTiming();
    srv.poll_all();
  }
  if (ch.host.progress_of(0) != seq) state.SkipWithError("the sends were not all served");
  state.SetItemsProcessed(state.iterations() * slots * waiting);
}
BENCHMARK(BM_ServerServesSends)->Arg(1)->Arg(4)->Arg(8)->Unit(benchmark::kMicrosecond);

// The host's cost of queued asynchronous calls (hostcall/future_queue.h):
// every slot holds one future_batch request of 32 lanes x range(1) queued
// bench_add2 calls, as one warp's async_calls send them (8: a full group;
// 1: one call and a get); one thread
// serves them all, with range(0) idle server threads helping (their work
// sharing, src/runtime/work_sharing.h). The arena (16 MiB) is larger than
// the caches, as the device's writes leave it.
void BM_ServerServesQueuedCalls(benchmark::State& state) {
  using namespace gpustd::protocol;
  const std::uint32_t slots = 1024, per_lane = static_cast<std::uint32_t>(state.range(1));
  const std::uint32_t group = future_group_cells, cells = slots * 32 * group;
  gpustd::detail::plain_channel ch(slots, 4, 1u << 20, cells);
  gpustd::detail::runtime_log log(2);
  gpustd::detail::work_sharing sharing;
  const auto helpers = static_cast<unsigned>(state.range(0));
  sharing.set_helpers(helpers + 1);
  gpustd::detail::work_sharing::serving_thread(helpers > 0);
  std::atomic<bool> stop{false};
  std::vector<std::thread> helper_threads;
  for (unsigned h = 0; h < helpers; ++h)
    helper_threads.emplace_back([&] {
      gpustd::detail::work_sharing::serving_thread(true);
      while (!stop.load(std::memory_order_relaxed))
        if (!sharing.help()) __builtin_ia32_pause();
    });
  gpustd::detail::queued_calls queued(ch.host.futures, ch.host.future_count, log, &sharing);
  gpustd::hostcall_detail::host_services hs{nullptr, nullptr, 0};
  queued.set(static_cast<std::uint16_t>(bench_add2::op + 1),
             std::make_shared<const gpustd::hostcall_detail::site_handler>(
                 gpustd::hostcall_detail::make_site_handler<bench_add2>(hs, [](int a, int b) { return a + b; })),
             gpustd::handler_kind::polling);
  gpustd::detail::handler_table table;
  table.set(to_u16(opcode::future_batch), [&](gpustd::request& r) { queued.serve(r); }, gpustd::handler_kind::polling,
            [&](const gpustd::request& r) { return queued.needs_pool(r); });
  gpustd::detail::blocking_pool pool(1);
  gpustd::detail::server srv(ch.host, table, pool, log);
  std::uint32_t seq = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ++seq;
    for (std::uint32_t s = 0; s < slots; ++s) {
      frame_ref f = ch.host.frame_for(s, seq);
      one_frame_request(f, seq, to_u16(opcode::future_batch), frame_no_reply | frame_packed, 0xffffffffu, 8 * 32, 8);
      for (std::uint32_t l = 0; l < 32; ++l) {
        const future_batch_args a{(s * 32 + l) * group, per_lane};
        std::memcpy(f.body + 8 * l, &a, 8);
        for (std::uint32_t k = 0; k < per_lane; ++k) {
          future_cell& c = ch.host.futures[a.first + k];
          const int ab[2] = {static_cast<int>(l), static_cast<int>(k)};
          std::memcpy(c.data, ab, 8);
          c.status = queued_status(static_cast<std::uint16_t>(bench_add2::op + 1), 8);
        }
      }
      ch.doorbells[s] = seq;
    }
    // Out of the caches, as after the device's writes.
    for (std::uint32_t c = 0; c < cells; ++c) __builtin_ia32_clflush(&ch.host.futures[c]);
    state.ResumeTiming();
    srv.poll_all();
  }
  state.SetItemsProcessed(state.iterations() * slots * 32 * per_lane);
  stop.store(true);
  for (auto& t : helper_threads) t.join();
  gpustd::detail::work_sharing::serving_thread(false);
}
BENCHMARK(BM_ServerServesQueuedCalls)->Args({0, 8})->Args({1, 8})->Args({0, 1})->Args({1, 1})->Unit(benchmark::kMicrosecond)->UseRealTime();

// The host's cost of batches (gpustd::async_batch, hostcall/wire.h
// "Batches"): every slot holds one request of 32 lanes, each lane a batch
// of range(0) bench_add2 calls, as one warp's async_batch sends it (in
// columns, layout.h: row w holds word w of every lane, the async_header's
// row first, then a row per call; two frames for a batch of 8, the second
// holding one row). One thread serves them
// all and answers each call in its lane's answer line of the arena. With
// range(1) = 1 the answer lines are first flushed from the caches, as the
// device's writes to them leave them (a batch sent to a line the device
// zeroed); with 0 they are where the host's last answers left them.
// With range(2) = 1 the batches are answered in the lanes' own lines
// instead (wire.h, "A batch's lines": a warp's answers to one call in one
// stretch of 256 bytes), as a thread's first batch in flight is.
// This is the host's share of a batch's round trip, which
// hostcall_bench's batch anatomy measures whole ("first get").
void BM_ServerServesBatches(benchmark::State& state) {
  using namespace gpustd::protocol;
  const std::uint32_t slots = 1024, frames_per_slot = 8, per_lane = static_cast<std::uint32_t>(state.range(0));
  const bool flushed = state.range(1) != 0, lanes = state.range(2) != 0;
  const std::uint32_t group = future_group_cells, cells = slots * 32 * group;
  gpustd::detail::plain_channel ch(slots, frames_per_slot, 1u << 20, lanes ? 0 : cells, lanes ? slots * 32 : 0);
  gpustd::detail::handler_table table;
  const gpustd::hostcall_detail::host_services hs{nullptr, ch.host.futures, ch.host.future_count, ch.host.batch_lanes,
                                                  ch.host.batch_lane_count};
  table.set(static_cast<std::uint16_t>(bench_add2::op + 1),
            gpustd::hostcall_detail::make_handler<bench_add2>(hs, [](int a, int b) { return a + b; }),
            gpustd::handler_kind::polling);
  gpustd::detail::blocking_pool pool(1);
  gpustd::detail::runtime_log log(2);
  gpustd::detail::server srv(ch.host, table, pool, log);
  const std::uint32_t rows = 1 + per_lane, total = rows * column_row_bytes;
  const std::uint32_t frames = (total + frame_body_bytes - 1) / frame_body_bytes;
  std::vector<unsigned char> stream(total);
  std::uint32_t seq = 0, round = 0;
  std::int64_t wrong = 0;
  for (auto _ : state) {
    state.PauseTiming();
    ++round;
    for (std::uint32_t s = 0; s < slots; ++s) {
      for (std::uint32_t l = 0; l < 32; ++l) {
        const async_header h{lanes ? batch_lane_flag | (s * 32 + l) : (s * 32 + l) * group,
                             batch_field(per_lane, round)};  // (round: the tag)
        std::memcpy(stream.data() + 8 * l, &h, sizeof h);
        for (std::uint32_t k = 0; k < per_lane; ++k) {
          const int ab[2] = {static_cast<int>(l), static_cast<int>(k + round)};
          std::memcpy(stream.data() + (1 + k) * column_row_bytes + 8 * l, ab, 8);
        }
      }
      for (std::uint32_t f = 0; f < frames; ++f) {
        frame_ref fr = ch.host.frame_for(s, seq + 1 + f);
        const std::uint32_t at = f * frame_body_bytes, n = std::min(frame_body_bytes, total - at);
        one_frame_request(fr, seq + 1 + f, static_cast<std::uint16_t>(bench_add2::op + 1), frame_no_reply,
                          0xffffffffu, n, rows * 8);
        fr.header.flags = static_cast<std::uint16_t>(frame_no_reply | frame_columns | (f == 0 ? frame_first : 0) |
                                                     (f + 1 == frames ? frame_last : 0));
        fr.header.total_bytes = total;
        std::memcpy(fr.body, stream.data() + at, n);
      }
      ch.doorbells[s] = seq + frames;
    }
    if (flushed && lanes)
      for (std::size_t w = 0; w < std::size_t(slots) * batch_lane_words; w += 8)  // (both lines of each lane)
        __builtin_ia32_clflush(&ch.host.batch_lanes[w]);
    else if (flushed)
      for (std::uint32_t c = 0; c < cells; c += group) {
        std::memset(&ch.host.futures[c], 0, sizeof(future_cell));  // (zeroed, as the device does)
        __builtin_ia32_clflush(&ch.host.futures[c]);
      }
    state.ResumeTiming();
    srv.poll_all();
    state.PauseTiming();
    seq += frames;
    for (std::uint32_t s = 0; s < slots; s += 97)  // (a sample of the answers: lane 5's)
      for (std::uint32_t k = 0; k < per_lane; ++k)
        wrong += batch_status(lanes ? ch.host.batch_lanes[batch_lane_answer(s * 32 + 5, k)]
                                    : batch_words(ch.host.futures[(s * 32 + 5) * group])[k]) != 5 + int(k + round) + 1;
    state.ResumeTiming();
  }
  if (wrong) state.SkipWithError("wrong answers");
  state.SetItemsProcessed(state.iterations() * slots * 32 * per_lane);
  state.counters["us_per_request"] =
      benchmark::Counter(double(state.iterations()) * slots, benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_ServerServesBatches)
    ->Args({8, 1, 0})
    ->Args({8, 0, 0})
    ->Args({1, 1, 0})
    ->Args({1, 0, 0})
    ->Args({8, 1, 1})
    ->Args({8, 0, 1})
    ->Args({1, 1, 1})
    ->Args({1, 0, 1})
    ->Unit(benchmark::kMicrosecond)
    ->UseRealTime();

// The host's formatting of one console record, as console_bench's line
// ("line %u %u\n" / "line {} {}" with two unsigned ints): the per-lane cost
// that bounds the console at full GPU. range(0): 0 printf, 1 print.
void BM_FormatRecord(benchmark::State& state) {
  using gpustd::protocol::item_tag;
  const bool print = state.range(0) != 0;
  const std::string_view format = print ? std::string_view("line {} {}") : std::string_view("line %u %u\n");
  std::string record(format);
  for (std::uint64_t v : {123456ull, 7ull}) {
    record += static_cast<char>(item_tag::u32);
    record.append(reinterpret_cast<const char*>(&v), 8);
  }
  const auto kind = print ? gpustd::protocol::record_kind::print : gpustd::protocol::record_kind::printf;
  std::vector<gpustd::detail::record_item> items;
  std::string out;
  for (auto _ : state) {
    out.clear();
    gpustd::detail::format_record(out, kind, record, static_cast<std::uint32_t>(format.size()), items);
    benchmark::DoNotOptimize(out.data());
  }
  if (out != "line 123456 7\n" && out != "line 123456 7") state.SkipWithError(("wrong text: " + out).c_str());
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_FormatRecord)->Arg(0)->Arg(1);

// A whole 32-lane console request on the host, as at full GPU in
// console_bench: validation, each lane's record formatted, the request's
// text appended to stdout's buffer (flushed to /dev/null by the flusher).
// range(0): 0 printf, 1 print. Items are lines.
void BM_ConsoleRequest(benchmark::State& state) {
  using namespace gpustd::protocol;
  const bool print = state.range(0) != 0;
  const std::string_view format = print ? std::string_view("line {} {}") : std::string_view("line %u %u\n");
  std::vector<unsigned char> bytes(lanes_per_request * cell_bytes);
  for (unsigned l = 0; l < lanes_per_request; ++l) {
    std::string record(format);
    for (std::uint64_t v : {std::uint64_t(100000 + l), std::uint64_t(7)}) {
      record += static_cast<char>(item_tag::u32);
      record.append(reinterpret_cast<const char*>(&v), 8);
    }
    request_cell c{};
    c.payload_bytes = static_cast<std::uint32_t>(record.size());
    c.arg_bytes = sizeof(console_args);
    const console_args a{1, static_cast<std::uint8_t>(print ? record_kind::print : record_kind::printf),
                         static_cast<std::uint8_t>(print ? record_newline : 0), 0,
                         static_cast<std::uint32_t>(format.size())};
    std::memcpy(c.args, &a, sizeof a);
    std::memcpy(bytes.data() + l * cell_bytes, &c, sizeof c);
    const std::size_t at = bytes.size();
    bytes.resize(at + padded_payload(c.payload_bytes));
    std::memcpy(bytes.data() + at, record.data(), record.size());
  }
  gpustd::runtime_options o = options();
  {  // (the console flushes what it holds when it ends: before its descriptor closes)
    gpustd::detail::runtime_log log(2);
    gpustd::detail::console_service console(o, log);
    gpustd::request_answers results;
    const gpustd::request_builder::origin origin{to_u16(opcode::console), 0xffffffffu, false, 0, 0};
    for (auto _ : state) {
      gpustd::request r;
      if (const char* why = gpustd::request_builder::build(r, bytes.data(), bytes.size(), origin, &results)) {
        state.SkipWithError(why);
        break;
      }
      console.handle_console(r);
    }
    if (results.status[5] != 14) state.SkipWithError("wrong result");
  }
  ::close(o.stdout_fd);
  state.SetItemsProcessed(state.iterations() * lanes_per_request);
}
BENCHMARK(BM_ConsoleRequest)->Arg(0)->Arg(1);

// Raw console writes (gpustd::write to stdout) as the server threads make
// them: range(0) threads each write 1,000 requests' text (a warp's 32-byte
// lines, 1 KiB) to /dev/null, each returning once its text is written.
// range(1): 1 the console's group commit (console_sink::append_and_write),
// 0 the earlier way, each request taking the write lock in turn (append,
// then flush). Items: requests.
void BM_ConsoleRawWrites(benchmark::State& state) {
  const unsigned threads = static_cast<unsigned>(state.range(0));
  const bool grouped = state.range(1) != 0;
  const int fd = ::open("/dev/null", O_WRONLY);
  constexpr unsigned requests = 1000;
  {
    gpustd::detail::console_sink sink(fd, [](void*) {}, nullptr);
    const std::string text(1024, 'x');
    for (auto _ : state) {
      std::vector<std::thread> ts;
      for (unsigned t = 0; t < threads; ++t)
        ts.emplace_back([&] {
          for (unsigned i = 0; i < requests; ++i) {
            if (grouped) {
              benchmark::DoNotOptimize(sink.append_and_write(text));
            } else {
              sink.append(text, false);
              benchmark::DoNotOptimize(sink.flush());
            }
          }
        });
      for (auto& th : ts) th.join();
    }
  }
  ::close(fd);
  state.SetItemsProcessed(state.iterations() * threads * requests);
}
BENCHMARK(BM_ConsoleRawWrites)
    ->Args({1, 0})
    ->Args({1, 1})
    ->Args({8, 0})
    ->Args({8, 1})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

// A scan of an idle H100-sized channel.
void BM_ServerIdleScan(benchmark::State& state) {
  gpustd::detail::plain_channel ch(8448, 4, 1u << 20);
  gpustd::detail::handler_table table;
  gpustd::detail::blocking_pool pool(1);
  gpustd::detail::runtime_log log(2);
  gpustd::detail::server srv(ch.host, table, pool, log);
  for (auto _ : state) benchmark::DoNotOptimize(srv.poll_all());
}
BENCHMARK(BM_ServerIdleScan)->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
