// libFuzzer target: arbitrary bytes into the channel, served by a real
// runtime (CPU backend) with every built-in service and typed hostcalls of
// each argument kind. Built with AddressSanitizer and UBSan (scripts/fuzz.sh).
//
// The input is a sequence of frames: per frame, one byte picks the slot,
// 32 bytes are the header's device fields (op, flags, mask, lengths, block,
// warp, cell stride: all fuzzed), the rest (up to 2048 bytes) the body. The
// harness sets only what a device could never get wrong without breaking
// its own side of the protocol: the sequence number (the next on the slot)
// and the doorbell; then it waits for the host to mark the frame done.
// A frame not done within 10 s is a hang: the harness aborts (a finding).
//
// Device addresses inside requests (bulk file I/O, spans) may only name a
// 64 KiB arena: on the CPU backend every address is the process's own, so
// the harness installs a check (detail::set_cpu_address_check) that a GPU
// gets from the driver.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <span>
#include <string>
#include <thread>

#include "../../src/runtime/device_memory.h"
#include <gpustd/gpustd.h>

namespace {

GPUSTD_HOSTCALL(fz_add, int(int a, int b));
GPUSTD_HOSTCALL(fz_text, std::uint64_t(gpustd::string_view s, const char* c));
GPUSTD_HOSTCALL(fz_sum, double(gpustd::in_span<float> v));
GPUSTD_HOSTCALL(fz_fill, int(gpustd::out_span<int> into, int value));
GPUSTD_HOSTCALL(fz_batch, long long(int x));
GPUSTD_HOSTCALL(fz_throws, int(int x));

alignas(64) unsigned char arena[1 << 16];  // the only "device memory" a request may name

bool in_arena(std::uint64_t address, std::uint64_t n) {
  const auto base = reinterpret_cast<std::uint64_t>(arena);
  return address >= base && n <= sizeof arena && address - base <= sizeof arena - n;
}

constexpr unsigned slots = 4;
constexpr unsigned frames_per_slot = 4;
gpustd::runtime* rt = nullptr;
std::uint32_t next_seq[slots];

void start() {
  gpustd::detail::set_cpu_address_check(&in_arena);
  static std::string dir = [] {
    char tmpl[] = "/tmp/gpustd-fuzz-XXXXXX";
    return std::string(::mkdtemp(tmpl));
  }();
  const int null_out = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  const int null_in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  gpustd::runtime_options o;
  o.server_threads = 1;
  o.pool_threads = 2;
  o.io_threads = 1;
  o.bulk_chunk_bytes = 1 << 16;
  o.slots = slots;
  o.frames_per_slot = frames_per_slot;
  o.max_request_bytes = 1 << 18;
  o.reassembly_budget_bytes = 1 << 20;
  o.future_slots = 64;
  o.stdout_fd = o.stderr_fd = o.log_fd = null_out;
  o.stdin_fd = null_in;
  o.max_open_files = 32;
  o.spin_us = 100000;  // the harness waits on every frame: keep polling
  o.frame_wait_us = 200;  // a fuzzed sealed frame never matches: answer it soon
  o.sandbox.enabled = true;  // file requests stay in a scratch directory
  o.sandbox.write_dirs = {dir};
  o.sandbox.max_bytes_written = 8 << 20;
  rt = new gpustd::runtime(o);
  rt->register_hostcall<fz_add>([](int a, int b) { return a + b; });
  rt->register_hostcall<fz_text>([](std::string_view s, const char* c) { return s.size() + (c ? std::strlen(c) : 0); });
  rt->register_hostcall<fz_sum>([](std::span<const float> v) {
    double t = 0;
    for (float f : v) t += f;
    return t;
  });
  rt->register_hostcall<fz_fill>([](std::span<int> into, int value) {
    for (int& x : into) x = value;
    return static_cast<int>(into.size());
  });
  rt->register_batch<fz_batch>([](gpustd::hostcall_batch<fz_batch>& b) {
    for (unsigned i = 0; i < b.size(); ++i) b.set_result(i, static_cast<long long>(std::get<0>(b.args(i))) * 2);
  });
  rt->register_hostcall<fz_throws>([](int) -> int { throw std::runtime_error("no"); });
  for (auto& s : next_seq) s = 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!rt) start();
  const gpustd::protocol::channel_view& ch = gpustd::protocol::channel();
  std::size_t at = 0;
  while (size - at >= 1 + 32) {
    const unsigned slot = data[at] % slots;
    at += 1;
    const std::uint32_t seq = next_seq[slot]++;
    const std::uint64_t index = slot * frames_per_slot + (seq & (frames_per_slot - 1));
    const gpustd::protocol::frame_ref f{ch.headers[index], ch.bodies[index].bytes};
    // Header: the device-written fields from the input, then the sequence number.
    std::memcpy(reinterpret_cast<unsigned char*>(&f.header) + 4, data + at, 28);
    at += 32;
    f.header.seq = seq;
    const std::size_t body = std::min<std::size_t>(size - at, gpustd::protocol::frame_body_bytes);
    std::memcpy(f.body, data + at, body);
    at += body;
    std::atomic_ref<std::uint64_t>(f.header.answer).store(0, std::memory_order_relaxed);
    std::atomic_ref<std::uint32_t>(ch.doorbells[slot]).store(seq, std::memory_order_release);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    // Served: answered (a call the device waits for, or an error), or, for a
    // frame nobody waits for (fire-and-forget, a request's earlier frames),
    // released through the slot's progress word with its answer word left alone.
    std::uint32_t& progress = ch.headers[slot * frames_per_slot].progress;
    while (gpustd::protocol::answer_seq(std::atomic_ref<std::uint64_t>(f.header.answer).load(std::memory_order_acquire)) !=
               seq &&
           std::atomic_ref<std::uint32_t>(progress).load(std::memory_order_acquire) != seq) {
      if (std::chrono::steady_clock::now() > deadline) {
        std::fprintf(stderr, "channel_fuzz: frame %u on slot %u was never served (a hang)\n", seq, slot);
        std::abort();
      }
      std::this_thread::yield();
    }
  }
  return 0;
}
