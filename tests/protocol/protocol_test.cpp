// Host-only tests: the device client (called from plain CPU threads, each a
// warp of one lane) and the server, stepped by hand over plain memory.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <thread>
#include <vector>

#include "gpustd/protocol/client.h"
#include "gpustd/protocol/opcodes.h"
#include "runtime/blocking_pool.h"
#include "runtime/channel_memory.h"
#include "runtime/handler_table.h"
#include "runtime/runtime_log.h"
#include "runtime/server.h"
#include "services/services.h"

namespace gpustd::detail {
namespace {

using namespace protocol;
constexpr std::uint16_t op_echo = 0x8001;
constexpr std::uint16_t op_count = 0x8002;

// A channel in plain memory, published as the process's channel, with a
// server that the test steps.
struct bench {
  plain_channel ch;
  handler_table table;
  blocking_pool pool{1};
  runtime_log log;
  server srv;
  std::atomic<unsigned> counted{0};
  std::vector<std::uint64_t> order;  // op_count arguments, in service order

  explicit bench(std::uint32_t slots = 4, std::uint32_t frames = 2, std::uint32_t max = 1u << 20, int log_fd = 2,
                 std::uint64_t budget = 1ull << 30)
      : ch(slots, frames, max), log(log_fd), srv(ch.host, table, pool, log, budget) {
    cpu_channel = ch.view;
    srv.set_frame_wait(std::chrono::milliseconds(1));  // frames that never arrive whole: malformed soon
    table.set(op_echo, [](request& r) {
      for (unsigned i = 0; i < r.lanes(); ++i) {
        auto p = r.payload(i);
        std::uint64_t sum = 0;
        for (auto b : p) sum = sum * 31 + static_cast<unsigned char>(b);
        r.set_result(i, static_cast<std::int64_t>(p.size()), std::as_bytes(std::span(&sum, 1)));
      }
    }, handler_kind::polling);
    table.set(op_count, [this](request& r) {
      for (unsigned i = 0; i < r.lanes(); ++i) order.push_back(r.arg<std::uint64_t>(i));
      counted.fetch_add(r.lanes());
    }, handler_kind::polling);
  }
  ~bench() { cpu_channel = {}; }

  // Steps the server until `done` turns true.
  template <class Pred>
  void serve_until(Pred done) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (!done()) {
      srv.poll_all();
      ASSERT_LT(std::chrono::steady_clock::now(), until) << "client never finished";
      std::this_thread::yield();
    }
  }
};

std::uint64_t checksum(const std::vector<unsigned char>& v) {
  std::uint64_t sum = 0;
  for (auto b : v) sum = sum * 31 + b;
  return sum;
}

std::int64_t echo(const std::vector<unsigned char>& payload, std::uint64_t* sum) {
  lane_request rq;
  rq.op = op_echo;
  rq.payload = payload.data();
  rq.payload_bytes = static_cast<std::uint32_t>(payload.size());
  std::uint64_t data[7] = {};
  const std::int64_t r = hostcall(rq, data);
  *sum = data[0];
  return r;
}

// A fire-and-forget op_count call of `v` from this thread (sealed when
// self-contained).
void send_count(std::uint64_t v, bool self_contained = false) {
  lane_request rq;
  rq.op = op_count;
  rq.no_reply = true;
  rq.args = &v;
  rq.arg_bytes = sizeof v;
  rq.self_contained = self_contained;
  ASSERT_EQ(hostcall(rq), 0);
}

// An echo from a client thread while the test thread steps the server.
std::int64_t echo_served(bench& b, const std::vector<unsigned char>& payload, std::uint64_t* sum) {
  std::atomic<bool> finished{false};
  std::int64_t status = 0;
  std::thread client([&] {
    status = echo(payload, sum);
    finished = true;
  });
  b.serve_until([&] { return finished.load(); });
  client.join();
  return status;
}

TEST(Protocol, BlockingCallRoundTrip) {
  bench b;
  std::vector<unsigned char> payload{1, 2, 3, 4, 5};
  std::uint64_t sum = 0;
  EXPECT_EQ(echo_served(b, payload, &sum), 5);
  EXPECT_EQ(sum, checksum(payload));
  EXPECT_TRUE(b.srv.drained());
}

// The host leaves the progress word alone for a blocking request's answered
// frame: the device learns from the answer that its frames are free. A
// device that still waited for the progress word would wait forever below
// for the fifth send's frame (it reuses the blocking call's frame's ring
// position - 4 = the call itself).
TEST(Protocol, AnsweredFramesLeaveTheProgressWordToTheAnswer) {
  bench b(1, 4);
  for (std::uint64_t i = 0; i < 3; ++i) send_count(100 + i);
  b.srv.poll_all();
  EXPECT_EQ(b.ch.host.progress_of(0), 3u);
  std::uint64_t sum = 0;
  EXPECT_EQ(echo_served(b, {7, 8}, &sum), 2);  // seq 4, answered
  EXPECT_EQ(b.ch.host.progress_of(0), 3u);     // not moved
  EXPECT_EQ(answer_seq(b.ch.host.frame_for(0, 4).header.answer), 4u);
  std::atomic<bool> sent{false};
  std::thread client([&] {
    for (std::uint64_t i = 0; i < 4; ++i) send_count(200 + i);  // seq 5..8: frames of seq 1..4
    sent = true;
  });
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (!sent.load() && std::chrono::steady_clock::now() < until) std::this_thread::yield();
  EXPECT_TRUE(sent.load()) << "the device waited for the progress word after an answered call";
  b.serve_until([&] { return sent.load(); });  // (unblocks the client if it did)
  client.join();
  b.srv.poll_all();
  EXPECT_EQ(b.ch.host.progress_of(0), 8u);
  EXPECT_EQ(b.order, (std::vector<std::uint64_t>{100, 101, 102, 200, 201, 202, 203}));
  EXPECT_TRUE(b.srv.drained());
}

// Publishes a one-lane fire-and-forget request with an 8-byte argument as
// frame `seq` of `slot`, as the device would.
void publish_count(bench& b, std::uint32_t slot, std::uint32_t seq, std::uint16_t op, std::uint64_t arg) {
  frame_ref f = b.ch.host.frame_for(slot, seq);
  f.header.seq = seq;
  f.header.op = op;
  f.header.flags = frame_first | frame_last | frame_no_reply;
  f.header.mask = 1;
  f.header.body_bytes = f.header.total_bytes = f.header.cell_stride = 64;
  request_cell cell{};
  cell.arg_bytes = 8;
  std::memcpy(cell.args, &arg, 8);
  std::memcpy(f.body, &cell, sizeof cell);
  std::atomic_ref<std::uint32_t>(b.ch.doorbells[slot]).store(seq, std::memory_order_release);
}

// A slot served a moment ago is looked at again within the same pass over
// the slots (server.cpp, serve_recent): here slot 5's second request,
// published while slot 600 is served, is served by the same poll.
TEST(Protocol, ARecentlyServedSlotIsLookedAtAgainWithinAPass) {
  bench b(1024, 2);
  constexpr std::uint16_t op_publish = 0x8003;
  b.table.set(op_publish, [&b](request&) { publish_count(b, 5, 2, op_count, 2); }, handler_kind::polling);
  publish_count(b, 5, 1, op_count, 1);
  publish_count(b, 600, 1, op_publish, 0);
  b.srv.poll_all();
  EXPECT_EQ(b.order, (std::vector<std::uint64_t>{1, 2}));
  EXPECT_TRUE(b.srv.drained());
}

// A poll over any range of slots serves each of them once, in slot order,
// and each slot's frames in sequence order: slots before the first group
// of 16, whole groups, and a tail (server.cpp, poll), with slots holding
// several frames among them. Slots outside the range are left alone.
TEST(Protocol, PollServesEverySlotOfItsRangeOnceAndInOrder) {
  bench b(40, 4);
  std::vector<std::uint64_t> expected;
  for (std::uint32_t s = 0; s < 40; ++s) {
    publish_count(b, s, 1, op_count, s);
    if (s == 20 || s == 35)
      for (std::uint32_t seq = 2; seq <= 3; ++seq) publish_count(b, s, seq, op_count, 1000 * (seq - 1) + s);
  }
  for (std::uint32_t s = 5; s < 37; ++s) {
    expected.push_back(s);
    if (s == 20 || s == 35) expected.insert(expected.end(), {1000 + s, 2000 + s});
  }
  EXPECT_TRUE(b.srv.poll(5, 37, 0));
  EXPECT_EQ(b.order, expected);
  for (std::uint32_t s : {0u, 4u, 37u, 39u}) EXPECT_EQ(b.ch.host.progress_of(s), 0u) << "slot " << s;
  EXPECT_EQ(b.ch.host.progress_of(5), 1u);
  EXPECT_EQ(b.ch.host.progress_of(20), 3u);
  EXPECT_EQ(b.ch.host.progress_of(35), 3u);
  EXPECT_FALSE(b.srv.drained());
  EXPECT_FALSE(b.srv.poll(5, 37, 0)) << "nothing left in the range";
  EXPECT_TRUE(b.srv.poll(0, 5, 0));
  EXPECT_TRUE(b.srv.poll(37, 40, 0));
  EXPECT_EQ(b.order.size(), expected.size() + 8);
  EXPECT_TRUE(b.srv.drained());
}

TEST(Protocol, FireAndForgetIsQueuedUntilServedInOrder) {
  bench b(1, 4);
  for (std::uint64_t i = 0; i < 3; ++i) send_count(100 + i);  // fits the 4-frame window: no waiting
  EXPECT_EQ(b.ch.doorbells[0], 3u);
  EXPECT_EQ(b.counted.load(), 0u);
  EXPECT_FALSE(b.srv.drained());
  EXPECT_EQ(b.ch.host.progress_of(0), 0u);  // nothing finished yet
  b.srv.poll_all();
  EXPECT_EQ(b.counted.load(), 3u);
  EXPECT_EQ(b.ch.host.progress_of(0), 3u);  // the slot's progress word: the newest frame finished
  EXPECT_EQ(b.order, (std::vector<std::uint64_t>{100, 101, 102}));
  // Nobody waits for their answers: the answer words are left alone (one
  // store fewer a request, to a line the device writes next).
  for (std::uint32_t seq = 1; seq <= 3; ++seq) EXPECT_EQ(answer_seq(b.ch.host.frame_for(0, seq).header.answer), 0u);
  EXPECT_TRUE(b.srv.drained());
}

TEST(Protocol, ARequestWithoutArgumentsOrPayloadIsItsHeaderAlone) {
  bench b(1, 4);
  lane_request rq;
  rq.op = op_count;
  rq.no_reply = true;
  ASSERT_EQ(hostcall(rq), 0);
  const frame_header& h = b.ch.host.frame_for(0, 1).header;
  EXPECT_EQ(h.cell_stride, 0u);
  EXPECT_EQ(h.total_bytes, 0u);
  b.srv.poll_all();
  EXPECT_EQ(b.order, (std::vector<std::uint64_t>{0}));  // no arguments read as zero
}

TEST(Protocol, ArgumentsWithoutAPayloadTravelPacked) {
  bench b(1, 4);
  send_count(0x1122334455667788ull);
  const frame_ref f = b.ch.host.frame_for(0, 1);
  EXPECT_TRUE(f.header.flags & frame_packed);
  EXPECT_EQ(f.header.cell_stride, 8u);  // the lane's argument bytes
  EXPECT_EQ(f.header.total_bytes, 8u);  // no 8-byte head before them
  std::uint64_t sent = 0;
  std::memcpy(&sent, f.body, 8);
  EXPECT_EQ(sent, 0x1122334455667788ull);
  b.srv.poll_all();
  EXPECT_EQ(b.order, (std::vector<std::uint64_t>{0x1122334455667788ull}));
}

// Arguments in columns (layout.h): word w of the lane at row w, each row
// 256 bytes (a warp's 32 lanes), rows that pass a frame in the next one;
// the handler reads them as a packed request's, each lane's in one piece.
// With `head` (frame_head), the first word goes in the header, less the
// lane's number (here 0: a warp of one lane), and the rows hold the rest.
TEST(Protocol, ArgumentsInColumnsReachTheHandlerWhole) {
  for (const bool head : {false, true})
  for (const std::uint32_t n : {8u, 24u, 72u, column_max_arg_bytes}) {
    bench b(1, 4);
    std::vector<unsigned char> seen;
    b.table.set(op_echo, [&](request& r) {
      const auto a = r.args(0);
      seen.assign(reinterpret_cast<const unsigned char*>(a.data()),
                  reinterpret_cast<const unsigned char*>(a.data()) + a.size());
      EXPECT_TRUE(r.payload(0).empty());
    }, handler_kind::polling);
    std::vector<unsigned char> args(n);
    for (std::uint32_t i = 0; i < n; ++i) args[i] = static_cast<unsigned char>(i * 7 + 1);
    lane_request rq;
    rq.op = op_echo;
    rq.no_reply = true;
    rq.args = args.data();
    rq.arg_bytes = n;
    rq.columns = true;
    rq.head = head;
    ASSERT_EQ(hostcall(rq), 0);
    const std::uint32_t words = n / 8, rows = words - head;
    const frame_ref f = b.ch.host.frame_for(0, 1);
    EXPECT_TRUE(f.header.flags & frame_columns);
    EXPECT_FALSE(f.header.flags & frame_packed);
    EXPECT_EQ((f.header.flags & frame_head) != 0, head);
    EXPECT_EQ(f.header.cell_stride, words * 8);
    EXPECT_EQ(f.header.total_bytes, rows * column_row_bytes);
    EXPECT_EQ(f.header.body_bytes, std::min(rows, column_rows_per_frame) * column_row_bytes);
    if (head) {
      std::uint64_t first = 0;
      std::memcpy(&first, args.data(), 8);
      EXPECT_EQ(f.header.head, first);
    }
    for (std::uint32_t w = 0; w < rows; ++w) {  // this lane's column: rank 0
      const frame_ref fw = b.ch.host.frame_for(0, 1 + w / column_rows_per_frame);
      std::uint64_t expected = 0, got = 0;
      std::memcpy(&expected, args.data() + (w + head) * 8, 8);
      std::memcpy(&got, fw.body + (w % column_rows_per_frame) * column_row_bytes, 8);
      EXPECT_EQ(got, expected) << n << " bytes, row " << w;
    }
    b.serve_until([&] { return !seen.empty(); });
    EXPECT_EQ(seen, args) << n << " bytes" << (head ? ", head in the header" : "");
  }
}

// The seal's mix computed at run time (on x86-64 with one MUL instruction)
// is the mix computed at compile time (the portable 128-bit product), which
// is what a GPU computes; and a change of a word, or of its place, changes it.
TEST(Protocol, SealMixIsTheSameEverywhereAndSeesEveryChange) {
  constexpr std::uint64_t words[] = {0, 1, 0x9e3779b97f4a7c15ull, ~0ull, 0x0123456789abcdefull};
  constexpr std::uint64_t at_compile_time[] = {seal_mix(words[0], 0), seal_mix(words[1], 7), seal_mix(words[2], 0),
                                               seal_mix(words[3], 259), seal_mix(words[4], 36)};
  const std::uint32_t positions[] = {0, 7, 0, 259, 36};
  for (int i = 0; i < 5; ++i) {
    volatile std::uint64_t w = words[i];  // (not folded at compile time)
    EXPECT_EQ(seal_mix(w, positions[i]), at_compile_time[i]) << i;
    EXPECT_NE(seal_mix(w ^ 1, positions[i]), at_compile_time[i]) << i;
    EXPECT_NE(seal_mix(w, positions[i] + 1), at_compile_time[i]) << i;
  }
}

// The host's seal (vector code where it has it) is the XOR of every word's
// seal_mix, as the device computes it, for every length of body; and a
// change of one bit in any word, or of one half of a word to the key that
// zeroes one product, changes it.
TEST(Protocol, SealOfIsTheXorOfEveryWordsMix) {
  alignas(64) frame f{};
  std::uint64_t x = 0x0123456789abcdefull;
  auto next = [&] {  // (xorshift: any words will do)
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return x;
  };
  f.header.seq = 7;
  f.header.op = 0xC123;
  f.header.mask = ~0u;
  auto* words = reinterpret_cast<std::uint64_t*>(f.body);
  for (std::uint32_t n = 0; n <= frame_body_bytes / 8; ++n) {
    for (std::uint32_t k = 0; k < n; ++k) words[k] = next();
    f.header.body_bytes = 8 * n;
    std::uint64_t head[seal_header_words];
    std::memcpy(head, &f.header, sizeof head);
    std::uint64_t want = 0;
    for (std::uint32_t p = 0; p < seal_header_words; ++p) want ^= seal_mix(head[p], p);
    for (std::uint32_t k = 0; k < n; ++k) want ^= seal_mix(words[k], seal_header_words + k);
    ASSERT_EQ(seal_of(f.header, f.body, 8 * n), want) << n << " words";
#if GPUSTD_SEAL_VECTORS
    // (Both vector paths, whichever seal_of takes on this CPU.)
    std::uint64_t body_only = 0;
    for (std::uint32_t k = 0; k < (n & ~1u); ++k) body_only ^= seal_mix(words[k], seal_header_words + k);
    EXPECT_EQ(seal_detail::mix_words_sse2(words, n & ~1u, seal_header_words), body_only) << n << " words";
    if (seal_detail::has_avx2() && n % 4 == 0)
      EXPECT_EQ(seal_detail::mix_words_avx2(words, n, seal_header_words), body_only) << n << " words";
#endif
    // (Bytes past the last whole word are not part of it.)
    EXPECT_EQ(seal_of(f.header, f.body, 8 * n + 5), want) << n << " words";
    // With frame_head, the header's head word is in it too, at its own position.
    f.header.head = next();
    f.header.flags = frame_head;
    std::uint64_t with_head = seal_mix(f.header.head, seal_head_position);
    std::memcpy(head, &f.header, sizeof head);
    for (std::uint32_t p = 0; p < seal_header_words; ++p) with_head ^= seal_mix(head[p], p);
    for (std::uint32_t k = 0; k < n; ++k) with_head ^= seal_mix(words[k], seal_header_words + k);
    EXPECT_EQ(seal_of(f.header, f.body, 8 * n), with_head) << n << " words, with the head word";
    f.header.flags = 0;
    if (n == 0 || n % 7 != 0) continue;
    for (std::uint32_t k = 0; k < n; ++k) {
      const std::uint64_t saved = words[k];
      words[k] ^= std::uint64_t(1) << (next() % 64);
      EXPECT_NE(seal_of(f.header, f.body, 8 * n), want) << "word " << k << " of " << n;
      // A low half that zeroes the first product: the second still sees the high half.
      words[k] = (saved & ~0xffffffffull) | (0u - seal_key(0, seal_header_words + k));
      const std::uint64_t zeroed = seal_of(f.header, f.body, 8 * n);
      words[k] ^= std::uint64_t(1) << 40;
      EXPECT_NE(seal_of(f.header, f.body, 8 * n), zeroed) << "word " << k << " of " << n;
      words[k] = saved;
    }
  }
}

// A self-contained request is published without a fence (on a GPU), so the
// host may see its doorbell before its words: it is served only once its
// seal matches what the host reads.
TEST(Protocol, SelfContainedRequestsAreSealedAndServedOnlyWhenWhole) {
  bench b(1, 4);
  auto send = [](std::uint64_t v, bool self_contained) { send_count(v, self_contained); };
  send(0x1122334455667788ull, true);
  frame_ref f = b.ch.host.frame_for(0, 1);
  ASSERT_TRUE(f.header.flags & frame_sealed);
  EXPECT_TRUE(f.header.flags & frame_packed);
  EXPECT_EQ(f.header.seal, seal_of(f.header, f.body, f.header.body_bytes));

  // The argument has not landed yet: the host must wait for it.
  std::uint64_t arg;
  std::memcpy(&arg, f.body, 8);
  const std::uint64_t stale = 0xdeadbeefull;
  std::memcpy(f.body, &stale, 8);
  for (int i = 0; i < 3; ++i) b.srv.poll_all();
  EXPECT_EQ(b.counted.load(), 0u) << "served before its words arrived";
  EXPECT_FALSE(b.srv.drained());
  EXPECT_EQ(answer_seq(f.header.answer), 0u);
  std::memcpy(f.body, &arg, 8);  // now it has
  b.srv.poll_all();
  EXPECT_EQ(b.order, (std::vector<std::uint64_t>{0x1122334455667788ull}));

  // Nor is a frame served whose header is still the previous use's.
  send(7, true);
  frame_ref g = b.ch.host.frame_for(0, 2);
  g.header.seq = 2 - 4;  // (the frame's previous sequence number)
  for (int i = 0; i < 3; ++i) b.srv.poll_all();
  EXPECT_EQ(b.counted.load(), 1u);
  g.header.seq = 2;
  b.srv.poll_all();
  EXPECT_EQ(b.order, (std::vector<std::uint64_t>{0x1122334455667788ull, 7}));
  EXPECT_EQ(b.srv.stats().frames_not_yet_whole, 6u);  // each look at a frame not yet whole

  // A request that may make the host read other memory keeps the fence.
  send(8, false);
  EXPECT_FALSE(b.ch.host.frame_for(0, 3).header.flags & frame_sealed);
  b.srv.poll_all();
  EXPECT_EQ(b.counted.load(), 3u);
  EXPECT_TRUE(b.srv.drained());
}

// Several frames waiting on a slot are served as a run (server.cpp,
// serve_run), which stops at the first frame not yet whole or not for a
// direct handler; the rest are served in order all the same, and the
// slot's progress word moves only past frames served.
TEST(Protocol, ARunOfSendsStopsAtAFrameNotYetWholeAndKeepsTheOrder) {
  bench b(1, 8);
  gpustd::detail::register_null_call(b.table);  // a direct handler
  auto null_send = [] {
    lane_request rq;
    rq.op = to_u16(opcode::null_call);
    rq.no_reply = true;
    rq.self_contained = true;
    ASSERT_EQ(hostcall(rq), 0);
  };
  auto count_send = [](std::uint64_t v) { send_count(v, true); };
  for (int i = 0; i < 5; ++i) null_send();
  // Frame 3's mask has not landed (its seal does not match yet).
  frame_ref third = b.ch.host.frame_for(0, 3);
  third.header.mask ^= 1u;
  b.srv.poll_all();
  EXPECT_EQ(b.ch.host.progress_of(0), 2u) << "frames 1 and 2 served, and nothing past frame 3";
  EXPECT_EQ(b.srv.stats().frames, 2u);
  EXPECT_GE(b.srv.stats().frames_not_yet_whole, 1u);
  third.header.mask ^= 1u;  // now it has
  b.srv.poll_all();
  EXPECT_EQ(b.ch.host.progress_of(0), 5u);
  EXPECT_EQ(b.srv.stats().frames, 5u);

  // A run whose operation changes mid-way: the handler that is not direct
  // gets its frames in order after the direct ones before them.
  null_send();
  count_send(11);
  null_send();
  count_send(12);
  b.srv.poll_all();
  EXPECT_EQ(b.order, (std::vector<std::uint64_t>{11, 12}));
  EXPECT_EQ(b.ch.host.progress_of(0), 9u);
  EXPECT_EQ(b.srv.stats().frames, 9u);
  EXPECT_EQ(b.srv.stats().errors, 0u);
  EXPECT_TRUE(b.srv.drained());
}

TEST(Protocol, WriterWaitsWhenTheWindowIsFull) {
  bench b(1, 2);
  std::atomic<int> sent{0};
  std::thread client([&] {
    for (std::uint64_t i = 0; i < 6; ++i) {
      send_count(i);
      sent.fetch_add(1);
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_EQ(sent.load(), 2) << "the client must wait for the host once both frames are in flight";
  EXPECT_EQ(b.counted.load(), 0u);
  b.serve_until([&] { return sent.load() == 6 && b.counted.load() == 6; });
  client.join();
  EXPECT_EQ(b.order, (std::vector<std::uint64_t>{0, 1, 2, 3, 4, 5}));
}

TEST(Protocol, LongPayloadStreamsThroughASmallWindow) {
  bench b(1, 2);
  std::vector<unsigned char> payload(100'003);
  for (std::size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<unsigned char>(i * 13 + 7);
  std::uint64_t sum = 0;
  EXPECT_EQ(echo_served(b, payload, &sum), 100'003);
  EXPECT_EQ(sum, checksum(payload));
  // One 8-byte cell + 100,008 padded payload bytes = 49 frames of 2048.
  EXPECT_EQ(b.srv.stats().frames, 49u);
}

TEST(Protocol, SequenceNumbersWrapAround) {
  bench b(1, 2);
  const std::uint32_t start = 0xFFFFFFF0u;
  b.ch.slots[0].word = pack_slot(start, start - 1);
  b.ch.doorbells[0] = start - 1;
  for (std::uint32_t k = 0; k < 2; ++k) b.ch.headers[k].answer = make_answer(start - 2 + k, 0);
  server fresh(b.ch.host, b.table, b.pool, b.log);  // starts after the doorbell
  std::atomic<bool> finished{false};
  std::thread client([&] {
    for (std::uint64_t i = 0; i < 40; ++i) send_count(i);
    finished = true;
  });
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!(finished && fresh.drained())) {
    fresh.poll_all();
    ASSERT_LT(std::chrono::steady_clock::now(), until);
  }
  client.join();
  EXPECT_EQ(b.counted.load(), 40u);
  EXPECT_LT(slot_next_seq(b.ch.slots[0].word), 100u) << "did not wrap";
}

TEST(Protocol, NoRuntimeMeansEnodevNotAHang) {
  cpu_channel = {};
  lane_request rq;
  rq.op = 1;
  EXPECT_EQ(hostcall(rq), status_no_runtime);
}

TEST(Protocol, ClientRefusesBadArgumentsLocally) {
  bench b;
  lane_request rq;
  rq.op = op_echo;
  rq.payload_bytes = 10;  // and no payload pointer
  EXPECT_EQ(hostcall(rq), status_bad_address);
  rq.payload_bytes = 0;
  rq.arg_bytes = inline_arg_bytes + 1;
  unsigned char big[64] = {};
  rq.args = big;
  EXPECT_EQ(hostcall(rq), status_bad_argument);
  rq.columns = true;  // in columns: up to column_max_arg_bytes, and no payload
  alignas(8) unsigned char bigger[column_max_arg_bytes + 8] = {};
  rq.args = bigger;
  rq.arg_bytes = column_max_arg_bytes + 1;
  EXPECT_EQ(hostcall(rq), status_bad_argument);
  rq.arg_bytes = 20;  // (not whole words)
  EXPECT_EQ(hostcall(rq), status_bad_argument);
  rq.arg_bytes = 8;
  rq.args = bigger + 4;  // (not aligned to 8)
  EXPECT_EQ(hostcall(rq), status_bad_argument);
  rq.args = bigger;
  rq.payload = big;
  rq.payload_bytes = 8;
  EXPECT_EQ(hostcall(rq), status_bad_argument);
  EXPECT_EQ(b.ch.doorbells[0], 0u) << "nothing may reach the channel";
}

// Two-frame requests of 4000 bytes, written by hand on `slot`: one lane, an
// 8-byte cell, 3992 payload bytes.
void publish_long_request_frame(bench& b, std::uint32_t slot, std::uint32_t seq, bool first) {
  frame_ref f = b.ch.host.frame_for(slot, seq);
  f.header.seq = seq;
  f.header.op = op_echo;
  f.header.flags = first ? frame_first : frame_last;
  f.header.mask = 1;
  f.header.cell_stride = 8;
  f.header.total_bytes = 4000;
  f.header.body_bytes = first ? frame_body_bytes : 4000 - frame_body_bytes;
  std::memset(f.body, 0x5a, frame_body_bytes);
  if (first) {
    const std::uint64_t cell = 3992;  // payload_bytes; no arguments
    std::memcpy(f.body, &cell, 8);
  }
  std::atomic_ref<std::uint32_t>(b.ch.doorbells[slot]).store(seq, std::memory_order_release);
}

TEST(Protocol, LongRequestsWaitForReassemblyBudget) {
  bench small(2, 2, 4096, 2, /*budget=*/4096);
  publish_long_request_frame(small, 0, 1, true);
  small.srv.poll_all();
  EXPECT_EQ(small.srv.reassembly_bytes(), 4000u);
  publish_long_request_frame(small, 1, 1, true);  // no room for a second one
  small.srv.poll_all();
  EXPECT_EQ(small.ch.host.progress_of(1), 0u) << "must wait, unconsumed";
  publish_long_request_frame(small, 0, 2, false);  // slot 0's request completes and frees the budget
  small.srv.poll_all();
  small.srv.poll_all();
  EXPECT_EQ(answer_seq(small.ch.host.frame_for(0, 2).header.answer), 2u);
  EXPECT_EQ(small.ch.host.progress_of(1), 1u) << "slot 1 goes once there is room";  // (a first frame: released, not answered)
  EXPECT_EQ(small.srv.reassembly_bytes(), 4000u);
  publish_long_request_frame(small, 1, 2, false);
  small.srv.poll_all();
  EXPECT_EQ(small.srv.reassembly_bytes(), 0u);
  EXPECT_TRUE(small.srv.drained());
}

// ---- hostile frames, written by hand ----

struct raw_frame {
  std::uint32_t seq = 1;
  std::uint16_t op = op_echo;
  std::uint16_t flags = frame_first | frame_last;
  std::uint32_t mask = 1;
  std::uint32_t body_bytes = 64;
  std::uint32_t total_bytes = 64;
  std::uint32_t cell_stride = 64;
  request_cell cells[2] = {};
  std::uint64_t head = 0;
  bool seal_right = false;  // (with frame_sealed: the seal of what is written, else none)
  bool head_changed = false;  // (then the head word changes after the seal)
};

// Publishes `f` as slot 0's frame `at`, serves it, and returns lane 0's status.
std::int64_t serve_raw(bench& b, const raw_frame& f, std::uint32_t at) {
  frame_ref fr = b.ch.host.frame_for(0, at);
  fr.header.seq = f.seq;
  fr.header.op = f.op;
  fr.header.flags = f.flags;
  fr.header.mask = f.mask;
  fr.header.body_bytes = f.body_bytes;
  fr.header.total_bytes = f.total_bytes;
  fr.header.cell_stride = f.cell_stride;
  fr.header.head = f.head;
  std::memcpy(fr.body, f.cells, sizeof f.cells);
  // (The rest of what the header says the body holds, within the frame: zeros.)
  const std::uint32_t body = std::min(f.body_bytes, frame_body_bytes);
  if (body > sizeof f.cells) std::memset(fr.body + sizeof f.cells, 0, body - sizeof f.cells);
  fr.header.seal = f.seal_right ? seal_of(fr.header, fr.body, f.body_bytes) : 0;
  if (f.head_changed) fr.header.head ^= 1;
  std::atomic_ref<std::uint32_t>(b.ch.doorbells[0]).store(at, std::memory_order_release);
  // (A frame not yet whole is looked at again until the frame wait is over.)
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  do b.srv.poll_all();
  while (answer_seq(fr.header.answer) != at && std::chrono::steady_clock::now() < until);
  EXPECT_EQ(answer_seq(fr.header.answer), at) << "the frame must be released whatever it held";
  if (answer_status(fr.header.answer) > answer_lowest_layout) return answer_status(fr.header.answer);
  if (answer_status(fr.header.answer) == answer_words_ok) return 0;
  if (answer_status(fr.header.answer) == answer_per_lane_status32) {
    std::int32_t narrow;
    std::memcpy(&narrow, fr.body + result_status32_offset(0), sizeof narrow);
    return narrow;
  }
  std::int64_t status;
  std::memcpy(&status, fr.body + result_status_offset(0), sizeof status);
  return status;
}

TEST(Protocol, MalformedFramesGetErrorsAndServingGoesOn) {
  char name[] = "/tmp/gpustd-log-XXXXXX";
  const int log_fd = ::mkstemp(name);
  ASSERT_GE(log_fd, 0);
  {
    bench b(1, 2, 1u << 16, log_fd);
    std::uint32_t seq = 0;
    auto next = [&](raw_frame f) {
      ++seq;
      if (f.seq == 1) f.seq = seq;
      return serve_raw(b, f, seq);
    };
    raw_frame good;
    EXPECT_EQ(next(good), 0);  // echo of an empty payload: 0 bytes

    raw_frame wrong_seq;
    wrong_seq.seq = 999;
    EXPECT_EQ(next(wrong_seq), status_malformed);

    raw_frame long_body;
    long_body.body_bytes = frame_body_bytes + 1;
    EXPECT_EQ(next(long_body), status_malformed);

    raw_frame long_args;
    long_args.cells[0].arg_bytes = inline_arg_bytes + 1;
    EXPECT_EQ(next(long_args), status_malformed);

    raw_frame payload_past_end;
    payload_past_end.cells[0].payload_bytes = 1000;
    EXPECT_EQ(next(payload_past_end), status_malformed);

    raw_frame huge_payload;
    huge_payload.cells[0].payload_bytes = 0xFFFFFFF0u;
    EXPECT_EQ(next(huge_payload), status_malformed);

    raw_frame no_lanes;  // no lane to answer: released and counted as an error
    no_lanes.mask = 0;
    const auto errors_before = b.srv.stats().errors;
    next(no_lanes);
    EXPECT_EQ(b.srv.stats().errors, errors_before + 1);

    raw_frame more_lanes_than_cells;
    more_lanes_than_cells.mask = 0xffffffffu;
    EXPECT_EQ(next(more_lanes_than_cells), status_malformed);

    raw_frame over_limit;
    over_limit.total_bytes = 1u << 20;
    over_limit.flags = frame_first | frame_last;
    EXPECT_EQ(next(over_limit), status_too_large);

    raw_frame orphan;
    orphan.flags = frame_last;  // continuation without a first frame
    EXPECT_EQ(next(orphan), status_malformed);

    raw_frame odd_stride;
    odd_stride.cell_stride = 12;
    EXPECT_EQ(next(odd_stride), status_malformed);

    // In columns: argument bytes not a multiple of 8, over the most, a
    // length that is not their rows', packed too.
    raw_frame columns_odd;
    columns_odd.flags |= frame_columns;
    columns_odd.cell_stride = 12;
    columns_odd.body_bytes = columns_odd.total_bytes = 2 * column_row_bytes;
    EXPECT_EQ(next(columns_odd), status_malformed);
    raw_frame columns_long = columns_odd;
    columns_long.cell_stride = column_max_arg_bytes + 8;
    EXPECT_EQ(next(columns_long), status_malformed);
    raw_frame columns_short = columns_odd;
    columns_short.cell_stride = 16;
    columns_short.body_bytes = columns_short.total_bytes = column_row_bytes;  // one row for two words
    EXPECT_EQ(next(columns_short), status_malformed);
    raw_frame columns_packed = columns_odd;
    columns_packed.flags |= frame_packed;
    columns_packed.cell_stride = 16;
    EXPECT_EQ(next(columns_packed), status_malformed);
    raw_frame columns_good = columns_packed;
    columns_good.flags &= ~frame_packed;
    EXPECT_EQ(next(columns_good), 0) << "the same, well formed";
    // The first word in the header (frame_head): without columns, and with
    // a row too many; then well formed, sealed; and sealed, its head word
    // not the one sealed (never whole).
    raw_frame head_not_columns;
    head_not_columns.flags |= frame_head;
    EXPECT_EQ(next(head_not_columns), status_malformed);
    raw_frame head_row_too_many = columns_good;
    head_row_too_many.flags |= frame_head;
    EXPECT_EQ(next(head_row_too_many), status_malformed);
    raw_frame head_good = head_row_too_many;
    head_good.body_bytes = head_good.total_bytes = column_row_bytes;  // one row, and the head word
    head_good.head = 0x1234;
    EXPECT_EQ(next(head_good), 0) << "the same, well formed";
    raw_frame head_sealed = head_good;
    head_sealed.flags |= frame_sealed;
    head_sealed.seal_right = true;
    EXPECT_EQ(next(head_sealed), 0) << "sealed, with the head word";
    raw_frame head_not_sealed = head_sealed;
    head_not_sealed.head_changed = true;
    EXPECT_EQ(next(head_not_sealed), status_malformed);

    raw_frame bad_seal;  // sealed, and its seal (never written) does not match
    bad_seal.flags |= frame_sealed;
    EXPECT_EQ(next(bad_seal), status_malformed);

    raw_frame unknown;
    unknown.op = 0x7777;
    EXPECT_EQ(next(unknown), status_unknown_op);

    EXPECT_EQ(next(good), 0) << "the server must keep serving";
    EXPECT_TRUE(b.srv.drained());
    EXPECT_GE(b.srv.stats().errors, 10u);
  }
  std::string log;
  char buf[4096];
  ::lseek(log_fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(log_fd, buf, sizeof buf)) > 0;) log.append(buf, static_cast<std::size_t>(n));
  ::close(log_fd);
  ::unlink(name);
  EXPECT_NE(log.find("frame sequence number out of order"), std::string::npos) << log;
  EXPECT_NE(log.find("sealed frame whose seal never matched"), std::string::npos) << log;
  EXPECT_NE(log.find("unknown operation 30583"), std::string::npos) << log;
  EXPECT_NE(log.find("over the limit"), std::string::npos) << log;
}

}  // namespace
}  // namespace gpustd::detail
