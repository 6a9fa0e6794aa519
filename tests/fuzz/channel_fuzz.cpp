// libFuzzer target: arbitrary bytes into the channel, served by a real
// runtime (CPU backend) with every built-in service and typed hostcalls of
// each argument kind. Built with AddressSanitizer and UBSan (scripts/fuzz.sh).
//
// The input is a sequence of frames: per frame, one byte picks the slot
// (and whether the frame is sealed as a device seals it, whether its
// doorbell waits for the slot's next frames, and whether 8 more bytes are
// its head word, protocol/layout.h frame_head), 32 bytes are the header's
// device fields (op, flags, mask, lengths, block, warp, cell stride: all
// fuzzed), then the head word if picked (else 0), then as many body bytes
// as its body_bytes says (up to 2048). The
// harness sets only what a device could never get wrong without breaking
// its own side of the protocol: the sequence number (the next on the slot),
// the seal when asked, and the doorbell; then it waits for the host to mark
// the frame (the newest of a run) done.
// A frame not done within 10 s is a hang: the harness aborts (a finding).
//
// Device addresses inside requests (bulk file I/O, spans) may only name a
// 64 KiB arena: on the CPU backend every address is the process's own, so
// the harness installs a check (detail::set_cpu_address_check) that a GPU
// gets from the driver.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
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
#include "gpustd/protocol/seal.h"

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

// Rings the slot's doorbell for frame `seq` (the newest of those written)
// and waits until the host has served it, and with it those before: answered
// (a call the device waits for, or an error), or, for a frame nobody waits
// for (fire-and-forget, a request's earlier frames), released through the
// slot's progress word with its answer word left alone.
void publish_and_wait(unsigned slot, std::uint32_t seq, const gpustd::protocol::frame_ref& f) {
  const gpustd::protocol::channel_view& ch = gpustd::protocol::channel();
  std::atomic_ref<std::uint32_t>(ch.doorbells[slot]).store(seq, std::memory_order_release);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
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

}  // namespace

// Per frame: a byte whose bits 0-1 pick the slot, bit 5 takes the head
// word from the input, bit 6 asks for the frame to be sealed as a device
// seals it (protocol/seal.h: the seal of the header, its head word and
// the body written, so that a sealed frame gets past its seal), and bit 7
// holds the doorbell back, so that the host finds the slot's next frames
// waiting together (up to its window: a run, server::serve_run); then the
// header's 32 bytes, then the head word's 8 if bit 5 says so, then as many
// body bytes as the header's body_bytes says (at most a frame's body;
// zeros past the end of the input).
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (!rt) start();
  const gpustd::protocol::channel_view& ch = gpustd::protocol::channel();
  std::size_t at = 0;
  unsigned held = 0, held_slot = 0;  // frames written and not yet published, all on held_slot
  std::uint32_t held_seq = 0;
  std::uint64_t held_index = 0;
  auto frame_at = [&](std::uint64_t index) {
    return gpustd::protocol::frame_ref{ch.headers[index], ch.bodies[index].bytes};
  };
  while (size - at >= 1 + 32) {
    const std::uint8_t pick = data[at];
    const unsigned slot = pick % slots;
    at += 1;
    if (held != 0 && slot != held_slot) {
      publish_and_wait(held_slot, held_seq, frame_at(held_index));
      held = 0;
    }
    const std::uint32_t seq = next_seq[slot]++;
    const std::uint64_t index = slot * frames_per_slot + (seq & (frames_per_slot - 1));
    const gpustd::protocol::frame_ref f = frame_at(index);
    // Header: the device-written fields from the input, then the sequence number.
    std::memcpy(reinterpret_cast<unsigned char*>(&f.header) + 4, data + at, 28);
    at += 32;
    f.header.seq = seq;
    f.header.head = 0;
    if ((pick & 0x20) && size - at >= 8) {
      std::memcpy(&f.header.head, data + at, 8);
      at += 8;
    }
    const std::size_t said = std::min<std::size_t>(gpustd::protocol::frame_body_bytes, f.header.body_bytes);
    const std::size_t body = std::min(size - at, said);
    std::memcpy(f.body, data + at, body);
    std::memset(f.body + body, 0, said - body);  // (past the input: zeros, not an earlier input's bytes)
    at += body;
    if (pick & 0x40) f.header.seal = gpustd::protocol::seal_of(f.header, f.body, f.header.body_bytes);
    std::atomic_ref<std::uint64_t>(f.header.answer).store(0, std::memory_order_relaxed);
    if ((pick & 0x80) && held + 1 < frames_per_slot) {
      held_slot = slot;
      held_seq = seq;
      held_index = index;
      ++held;
      continue;
    }
    publish_and_wait(slot, seq, f);
    held = 0;
  }
  if (held != 0) publish_and_wait(held_slot, held_seq, frame_at(held_index));
  return 0;
}
