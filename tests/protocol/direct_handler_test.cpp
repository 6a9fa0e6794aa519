// Direct handlers (runtime/direct.h): one-frame requests served in place by
// the server, without a request object; requests a direct handler declines
// go to the operation's handler as before. Frames are written by hand, as a
// warp of 32 lanes sends them, and the answers read as the device reads them.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <gpustd/gpustd.h>

#include "gpustd/protocol/opcodes.h"
#include "gpustd/protocol/seal.h"
#include "runtime/blocking_pool.h"
#include "runtime/channel_memory.h"
#include "runtime/handler_table.h"
#include "runtime/runtime_log.h"
#include "runtime/server.h"
#include "runtime/tracer.h"
#include "services/services.h"

GPUSTD_HOSTCALL(direct_scale, std::int32_t(std::int32_t value, std::int32_t factor));
GPUSTD_HOSTCALL(direct_note, void(std::int32_t value));

namespace gpustd::detail {
namespace {

using namespace protocol;

struct fixture {
  plain_channel ch{1, 4, 1u << 16};
  runtime_log log{-1};
  handler_table table;
  blocking_pool pool{1};
  server srv{ch.host, table, pool, log};
  std::uint32_t seq = 0;

  // A one-frame packed request of `lanes` lanes, lane i's arguments
  // args(i) (8 bytes), sealed as the device seals it; served by one poll.
  template <class Args>
  frame_ref send(std::uint16_t op, unsigned lanes, Args args, bool no_reply = false) {
    frame_ref f = publish(op, lanes, args, no_reply);
    srv.poll_all();
    EXPECT_EQ(answer_seq(f.header.answer), no_reply ? 0u : seq) << "not answered";
    return f;
  }
  // The same request, published (doorbell rung) but not yet served.
  template <class Args>
  frame_ref publish(std::uint16_t op, unsigned lanes, Args args, bool no_reply = false) {
    frame_ref f = ch.host.frame_for(0, ++seq);
    std::memset(&f.header, 0, sizeof f.header);
    f.header.seq = seq;
    f.header.op = op;
    f.header.flags = static_cast<std::uint16_t>(frame_first | frame_last | frame_packed | frame_sealed |
                                                (no_reply ? frame_no_reply : 0));
    f.header.mask = lanes == 32 ? ~0u : (1u << lanes) - 1u;
    f.header.body_bytes = f.header.total_bytes = 8 * lanes;
    f.header.cell_stride = 8;
    for (unsigned i = 0; i < lanes; ++i) {
      const std::uint64_t a = args(i);
      std::memcpy(f.body + 8 * i, &a, 8);
    }
    f.header.seal = seal_of(f.header, f.body, f.header.body_bytes);
    ch.doorbells[0] = seq;
    return f;
  }
  // Lane i's status and 8 data bytes, as the device reads the answer.
  static std::int64_t status(const frame_ref& f, unsigned i, std::uint64_t* word = nullptr) {
    const std::int32_t a = answer_status(f.header.answer);
    std::uint64_t w = 0;
    std::int64_t st = a;
    if (a == answer_words_ok) {
      st = 0;
      std::memcpy(&w, f.body + result_ok_word_offset(i), 8);
    } else if (a == answer_per_lane_status32) {
      std::int32_t narrow;
      std::memcpy(&narrow, f.body + result_status32_offset(i), 4);
      st = narrow;
    } else if (a == answer_per_lane_word || a == answer_per_lane_status) {
      std::memcpy(&st, f.body + result_status_offset(i), 8);
      if (a == answer_per_lane_word) std::memcpy(&w, f.body + result_word_offset(i), 8);
    }
    if (word) *word = w;
    return st;
  }
};

std::uint64_t pair(std::int32_t a, std::int32_t b) {
  const std::int32_t v[2] = {a, b};
  std::uint64_t w;
  std::memcpy(&w, v, 8);
  return w;
}

// An operation with a direct handler: requests of the shape it expects are
// served by it, others by the operation's handler.
TEST(DirectHandler, ServesWhatItTakesAndLeavesTheRestToTheHandler) {
  fixture x;
  static int direct_calls, handler_calls;
  direct_calls = handler_calls = 0;
  direct_handler d;
  d.fn = [](const void*, const direct_request& q, direct_answers&) noexcept -> std::int64_t {
    if (q.lanes() != 32) return direct_declined;  // declines anything but a whole warp
    ++direct_calls;
    return 7;
  };
  x.table.set(0x8101, [](request& r) {
    ++handler_calls;
    for (unsigned i = 0; i < r.lanes(); ++i) r.set_result(i, 9);
  }, handler_kind::polling, {}, std::move(d));

  frame_ref f = x.send(0x8101, 32, [](unsigned i) { return std::uint64_t(i); });
  EXPECT_EQ(answer_status(f.header.answer), 7);
  EXPECT_EQ(direct_calls, 1);
  EXPECT_EQ(handler_calls, 0);

  frame_ref g = x.send(0x8101, 5, [](unsigned i) { return std::uint64_t(i); });
  EXPECT_EQ(answer_status(g.header.answer), 9);  // the handler's answer
  EXPECT_EQ(direct_calls, 1);
  EXPECT_EQ(handler_calls, 1);
  EXPECT_EQ(x.srv.stats().requests, 2u);
  EXPECT_TRUE(x.srv.drained());
}

// Per-lane statuses without data go out as 32-bit words when every one of
// them fits (answer_per_lane_status32), else as 64-bit words. A direct
// handler's per-lane statuses are 32 bits; one it gives every lane may be
// any 64-bit value.
TEST(DirectHandler, PerLaneStatusesNarrowOnlyWhenEveryOneFits) {
  fixture x;
  static std::int64_t big;
  x.table.set(0x8102, [](request& r) {
    for (unsigned i = 0; i < r.lanes(); ++i) r.set_result(i, i == 3 ? big : -std::int64_t(i));
  }, handler_kind::polling);
  direct_handler d;
  d.fn = [](const void*, const direct_request& q, direct_answers& out) noexcept -> std::int64_t {
    if (big == static_cast<std::int32_t>(big)) {
      for (unsigned i = 0; i < q.lanes(); ++i) out.status[i] = i == 3 ? static_cast<std::int32_t>(big) : INT32_MIN + int(i);
      out.has_words = false;
      return direct_per_lane;
    }
    return big;  // every lane's
  };
  x.table.set(0x8103, [](request&) {}, handler_kind::polling, {}, std::move(d));
  for (const std::int64_t b : {std::int64_t(INT32_MAX), std::int64_t(INT32_MAX) + 1, std::int64_t(INT32_MIN),
                               std::int64_t(INT32_MIN) - 1, std::int64_t(1) << 40}) {
    big = b;
    const bool fits = b == static_cast<std::int32_t>(b);
    for (const std::uint16_t op : {std::uint16_t(0x8102), std::uint16_t(0x8103)}) {
      frame_ref f = x.send(op, 32, [](unsigned i) { return std::uint64_t(i); });
      EXPECT_EQ(answer_status(f.header.answer), fits ? answer_per_lane_status32 : answer_per_lane_status) << b;
      for (unsigned i = 0; i < 32; ++i) {
        const std::int64_t want = i == 3 || (op == 0x8103 && !fits) ? b
                                  : op == 0x8102                    ? -std::int64_t(i)
                                                                    : INT32_MIN + std::int64_t(i);
        EXPECT_EQ(fixture::status(f, i), want) << "lane " << i << ", op " << op << ", big " << b;
      }
    }
  }
}

// Fire-and-forget frames a direct handler serves move the slot's progress
// word once per visit, after the last of them; before anything else on the
// slot is answered or handed to a handler, so that the word only moves
// forward and a handler never runs with its slot's earlier sends unreleased.
TEST(DirectHandler, DirectSendsMoveTheProgressWordBeforeAnythingElse) {
  fixture x;
  direct_handler d;
  d.fn = [](const void*, const direct_request& q, direct_answers&) noexcept -> std::int64_t {
    return q.lanes() == 32 ? 0 : direct_declined;
  };
  x.table.set(0x8104, [](request& r) {
    for (unsigned i = 0; i < r.lanes(); ++i) r.set_result(i, 9);
  }, handler_kind::polling, {}, std::move(d));
  static std::uint32_t progress_seen;
  static const std::uint32_t* progress;
  progress = &x.ch.host.progress_of(0);
  progress_seen = ~0u;
  x.table.set(0x8105, [](request&) { progress_seen = *progress; }, handler_kind::polling);
  auto lane = [](unsigned i) { return std::uint64_t(i); };

  // Three sends served directly, then one the handler serves: it sees them released.
  for (int k = 0; k < 3; ++k) x.publish(0x8104, 32, lane, true);
  x.publish(0x8105, 1, lane, true);
  EXPECT_EQ(x.ch.host.progress_of(0), 0u);
  x.srv.poll_all();
  EXPECT_EQ(progress_seen, 3u) << "the direct sends' progress was not settled before the handler ran";
  EXPECT_EQ(x.ch.host.progress_of(0), 4u);

  // Two sends and then a blocking call, all served directly: the progress
  // word covers the sends, the answer the call.
  x.publish(0x8104, 32, lane, true);
  x.publish(0x8104, 32, lane, true);
  frame_ref call = x.publish(0x8104, 32, lane);
  x.srv.poll_all();
  EXPECT_EQ(x.ch.host.progress_of(0), 6u);
  EXPECT_EQ(answer_seq(call.header.answer), 7u);
  EXPECT_EQ(answer_status(call.header.answer), 0);

  // Sends alone: the word moves to the last of them.
  x.publish(0x8104, 32, lane, true);
  x.publish(0x8104, 32, lane, true);
  x.srv.poll_all();
  EXPECT_EQ(x.ch.host.progress_of(0), 9u);
  EXPECT_EQ(x.srv.stats().requests, 9u);
  EXPECT_TRUE(x.srv.drained());
}

// A run of sends on one slot (server.cpp, serve_run): each is checked
// whole, its body's words among them, before its direct handler sees it,
// in order; a send the direct handler declines goes to the operation's
// handler in its place in the order; a send that fails is logged, and the
// run goes on past it.
TEST(DirectHandler, ARunOfSendsIsCheckedFrameByFrameAndKeepsItsOrder) {
  char name[] = "/tmp/gpustd-run-log-XXXXXX";
  const int log_fd = ::mkstemp(name);
  ASSERT_GE(log_fd, 0);
  ::unlink(name);
  {
    fixture x;
    runtime_log log(log_fd);
    server srv{x.ch.host, x.table, x.pool, log};
    static std::vector<std::uint64_t> seen;  // lane 0's argument of each send, as served
    seen.clear();
    direct_handler d;
    d.fn = [](const void*, const direct_request& q, direct_answers&) noexcept -> std::int64_t {
      std::uint64_t first;
      std::memcpy(&first, q.body, 8);
      if (first == 99) return direct_declined;
      seen.push_back(first);
      return first == 7 ? -EINVAL : 0;
    };
    x.table.set(0x8106, [](request& r) { seen.push_back(1000 + r.arg<std::uint64_t>(0)); }, handler_kind::polling,
                {}, std::move(d));
    auto send = [&](std::uint64_t v, unsigned lanes = 4) {
      return x.publish(0x8106, lanes, [v](unsigned i) { return v + 100 * i; }, true);
    };
    // Four sends in the ring; the second one's fails (EINVAL); all served.
    send(5), send(7), send(8), send(9);
    srv.poll_all();
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{5, 7, 8, 9}));
    EXPECT_EQ(x.ch.host.progress_of(0), 4u);

    // A body word of the third not landed yet: the first two are served,
    // then nothing until it has.
    seen.clear();
    send(10), send(11);
    frame_ref third = send(12);
    send(13, 2);  // (other lanes: its header words differ from the sends before it)
    third.body[9] ^= 1;
    srv.poll_all();
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{10, 11}));
    EXPECT_EQ(x.ch.host.progress_of(0), 6u);
    third.body[9] ^= 1;
    srv.poll_all();
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{10, 11, 12, 13}));
    EXPECT_EQ(x.ch.host.progress_of(0), 8u);

    // One the direct handler declines, between two it serves: the
    // operation's handler serves it, in its place.
    seen.clear();
    send(20), send(99), send(21);
    srv.poll_all();
    EXPECT_EQ(seen, (std::vector<std::uint64_t>{20, 1099, 21}));
    EXPECT_EQ(x.ch.host.progress_of(0), 11u);
    EXPECT_EQ(srv.stats().requests, 11u);
    EXPECT_EQ(srv.stats().frames, 11u);
    EXPECT_TRUE(srv.drained());
  }
  std::string text;
  char buf[4096];
  ::lseek(log_fd, 0, SEEK_SET);
  for (ssize_t n; (n = ::read(log_fd, buf, sizeof buf)) > 0;) text.append(buf, static_cast<std::size_t>(n));
  ::close(log_fd);
  EXPECT_NE(text.find("fire-and-forget op " + std::to_string(0x8106)), std::string::npos) << text;
  EXPECT_NE(text.find(std::strerror(EINVAL)), std::string::npos) << text;
}

// The send path keeps its handler from one slot's run to the next within a
// poll, and looks it up again at each run: a handler registered meanwhile
// (here by the old one, while it serves) takes the next slot's sends.
TEST(DirectHandler, ARunOfSendsTakesAHandlerRegisteredSinceTheRunBefore) {
  plain_channel ch{2, 4, 1u << 16};
  runtime_log log{-1};
  handler_table table;
  blocking_pool pool{1};
  server srv{ch.host, table, pool, log};
  constexpr std::uint16_t op = 0x8107;
  static int old_calls, new_calls;
  static handler_table* registry;
  old_calls = new_calls = 0;
  registry = &table;
  auto direct_of = [](direct_fn fn) {
    direct_handler d;
    d.fn = fn;
    return d;
  };
  auto new_handler = [](const void*, const direct_request&, direct_answers&) noexcept -> std::int64_t {
    ++new_calls;
    return 0;
  };
  static const direct_fn new_fn = new_handler;
  table.set(op, [](request&) {}, handler_kind::polling, {},
            direct_of([](const void*, const direct_request&, direct_answers&) noexcept -> std::int64_t {
              if (old_calls++ == 0) {  // the first send: the operation gets a new handler
                direct_handler d;
                d.fn = new_fn;
                registry->set(op, [](request&) {}, handler_kind::polling, {}, std::move(d));
              }
              return 0;
            }));
  std::uint32_t seq[2] = {0, 0};
  auto publish = [&](std::uint32_t slot) {
    frame_ref f = ch.host.frame_for(slot, ++seq[slot]);
    std::memset(&f.header, 0, sizeof f.header);
    f.header.seq = seq[slot];
    f.header.op = op;
    f.header.flags = static_cast<std::uint16_t>(frame_first | frame_last | frame_sealed | frame_no_reply);
    f.header.mask = 1;
    f.header.seal = seal_of(f.header, f.body, 0);
    ch.doorbells[slot] = seq[slot];
  };
  publish(0), publish(0), publish(1), publish(1);
  srv.poll_all();
  EXPECT_EQ(old_calls, 2) << "slot 0's run keeps the handler it started with";
  EXPECT_EQ(new_calls, 2) << "slot 1's run takes the handler registered since";
  EXPECT_EQ(ch.host.progress_of(0), 2u);
  EXPECT_EQ(ch.host.progress_of(1), 2u);
  EXPECT_TRUE(srv.drained());
}

// A blocking handler has no direct handler: its requests go to the pool.
TEST(DirectHandler, NoneForBlockingHandlers) {
  fixture x;
  direct_handler d;
  d.fn = [](const void*, const direct_request&, direct_answers&) noexcept -> std::int64_t { return 1; };
  x.table.set(0x8102, [](request&) {}, handler_kind::blocking, {}, std::move(d));
  EXPECT_FALSE(x.table.find(0x8102)->direct);
}

// A typed hostcall's direct handler: per-lane results in the status where
// they fit, as data where they do not, and EIO for a lane whose callable
// threw; answers laid out as a handler's are.
TEST(DirectHandler, TypedHostcallAnswersEachLane) {
  fixture x;
  hostcall_detail::host_services hs{nullptr, nullptr, 0};
  auto scale = std::make_shared<std::function<std::int32_t(std::int32_t, std::int32_t)>>(
      [](std::int32_t v, std::int32_t f) -> std::int32_t {
        if (f == 0) throw std::runtime_error("no factor");
        return v * f;
      });
  ASSERT_TRUE(hostcall_detail::direct_servable<direct_scale>());
  x.table.set(direct_scale::op, hostcall_detail::request_handler(std::make_shared<const hostcall_detail::site_handler>(
                                    hostcall_detail::make_site_handler<direct_scale>(hs, scale))),
              handler_kind::polling, {}, hostcall_detail::make_direct_handler<direct_scale>(scale));

  // Every value small and positive: in the statuses (value + 1), 32 bits each.
  frame_ref f = x.send(direct_scale::op, 32, [](unsigned i) { return pair(static_cast<std::int32_t>(i), 3); });
  EXPECT_EQ(answer_status(f.header.answer), answer_per_lane_status32);
  for (unsigned i = 0; i < 32; ++i) EXPECT_EQ(fixture::status(f, i), 3 * i + 1) << i;

  // Every value negative: status 0 and the value as data, statuses left out.
  frame_ref g = x.send(direct_scale::op, 32, [](unsigned i) { return pair(-static_cast<std::int32_t>(i) - 1, 1000); });
  EXPECT_EQ(answer_status(g.header.answer), answer_words_ok);
  for (unsigned i = 0; i < 32; ++i) {
    std::uint64_t w = 0;
    EXPECT_EQ(fixture::status(g, i, &w), 0) << i;
    EXPECT_EQ(static_cast<std::int32_t>(w), -1000 * (static_cast<std::int32_t>(i) + 1)) << i;
  }

  // A whole warp in which two lanes throw: the others are answered all the same.
  frame_ref t = x.send(direct_scale::op, 32, [](unsigned i) {
    return pair(static_cast<std::int32_t>(i), i == 5 || i == 31 ? 0 : 2);
  });
  EXPECT_EQ(answer_status(t.header.answer), answer_per_lane_status32);
  for (unsigned i = 0; i < 32; ++i) EXPECT_EQ(fixture::status(t, i), i == 5 || i == 31 ? std::int64_t(-EIO) : std::int64_t(2 * i + 1)) << i;

  // Mixed, with a lane that throws.
  frame_ref h = x.send(direct_scale::op, 3, [](unsigned i) {
    return i == 0 ? pair(5, 2) : i == 1 ? pair(-5, 2) : pair(5, 0);
  });
  EXPECT_EQ(answer_status(h.header.answer), answer_per_lane_word);
  std::uint64_t w = 0;
  EXPECT_EQ(fixture::status(h, 0), 11);
  EXPECT_EQ(fixture::status(h, 1, &w), 0);
  EXPECT_EQ(static_cast<std::int32_t>(w), -10);
  EXPECT_EQ(fixture::status(h, 2), -EIO);
}

// Void results; and a shape the direct handler does not take, which the
// hostcall's site handler serves all the same.
TEST(DirectHandler, VoidResultsAndDeclinedShapes) {
  fixture x;
  hostcall_detail::host_services hs{nullptr, nullptr, 0};
  static int noted;
  noted = 0;
  auto note = std::make_shared<std::function<void(std::int32_t)>>([](std::int32_t v) { noted += v; });
  x.table.set(direct_note::op, hostcall_detail::request_handler(std::make_shared<const hostcall_detail::site_handler>(
                                   hostcall_detail::make_site_handler<direct_note>(hs, note))),
              handler_kind::polling, {}, hostcall_detail::make_direct_handler<direct_note>(note));
  // (direct_note's 4 argument bytes: cell_stride 4 is what the device sends;
  // 8 is a shape the direct handler declines.)
  frame_ref f = x.ch.host.frame_for(0, ++x.seq);
  std::memset(&f.header, 0, sizeof f.header);
  f.header.seq = x.seq;
  f.header.op = direct_note::op;
  f.header.flags = frame_first | frame_last | frame_packed;
  f.header.mask = 0xf;
  f.header.body_bytes = f.header.total_bytes = 32;
  f.header.cell_stride = 4;
  for (std::int32_t i = 0; i < 4; ++i) std::memcpy(f.body + 8 * i, &i, 4);
  x.ch.doorbells[0] = x.seq;
  x.srv.poll_all();
  EXPECT_EQ(answer_seq(f.header.answer), x.seq);
  EXPECT_EQ(answer_status(f.header.answer), 0);
  EXPECT_EQ(noted, 0 + 1 + 2 + 3);

  frame_ref g = x.send(direct_note::op, 2, [](unsigned) { return std::uint64_t(10); });  // cell_stride 8: declined
  EXPECT_EQ(answer_status(g.header.answer), 0);
  EXPECT_EQ(noted, 6 + 10 + 10);
}

// The null call is answered in place, and through its handler while a
// tracer records requests (a direct handler builds no request to record).
TEST(DirectHandler, NullCallInPlaceAndTracedWhenTracing) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  tracer t(fileno(out), true, false, [](std::uint16_t) { return std::string("null_call"); });
  for (const bool tracing : {false, true}) {
    fixture x;
    register_null_call(x.table);
    ASSERT_TRUE(x.table.find(to_u16(opcode::null_call))->direct);
    if (tracing) x.srv.set_tracer(&t);
    frame_ref f = x.ch.host.frame_for(0, ++x.seq);
    std::memset(&f.header, 0, sizeof f.header);
    f.header.seq = x.seq;
    f.header.op = to_u16(opcode::null_call);
    f.header.flags = frame_first | frame_last | frame_sealed;
    f.header.mask = ~0u;
    f.header.seal = seal_of(f.header, f.body, 0);
    x.ch.doorbells[0] = x.seq;
    x.srv.poll_all();
    EXPECT_EQ(f.header.answer, make_answer(x.seq, 0));
    EXPECT_EQ(x.srv.stats().requests, 1u);
    std::fflush(out);
    EXPECT_EQ(std::ftell(out) > 0, tracing) << "a traced request is recorded; an untraced one leaves no line";
  }
  std::fclose(out);
}

}  // namespace
}  // namespace gpustd::detail
