// The server's validation of a request stream.
#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "runtime/request_builder.h"

namespace gpustd {
namespace {

using namespace protocol;

struct stream {
  std::vector<unsigned char> bytes;
  // Lanes with the given payload sizes; payload bytes count up from `fill`.
  stream(const std::vector<std::uint32_t>& payloads, unsigned char fill = 0) {
    std::uint64_t total = payloads.size() * cell_bytes;
    for (auto p : payloads) total += padded_payload(p);
    bytes.assign(total, 0);
    std::uint64_t off = payloads.size() * cell_bytes;
    for (std::size_t r = 0; r < payloads.size(); ++r) {
      request_cell c{};
      c.payload_bytes = payloads[r];
      c.arg_bytes = 4;
      const std::uint32_t arg = 1000 + static_cast<std::uint32_t>(r);
      std::memcpy(c.args, &arg, 4);
      std::memcpy(bytes.data() + r * cell_bytes, &c, sizeof c);
      for (std::uint32_t i = 0; i < payloads[r]; ++i) bytes[off + i] = static_cast<unsigned char>(fill + i);
      off += padded_payload(payloads[r]);
    }
  }
};

TEST(RequestBuilder, LanesArgsAndPayloadsLineUp) {
  stream s({3, 0, 17});
  request r;
  request_answers results;
  const request_builder::origin o{0x8000, 0b10100010u, false, 5, 2};
  ASSERT_EQ(request_builder::build(r, s.bytes.data(), s.bytes.size(), o, &results), nullptr);
  ASSERT_EQ(r.lanes(), 3u);
  EXPECT_EQ(r.lane_of(0), 1u);
  EXPECT_EQ(r.lane_of(1), 5u);
  EXPECT_EQ(r.lane_of(2), 7u);
  EXPECT_EQ(r.arg<std::uint32_t>(2), 1002u);
  EXPECT_EQ(r.payload(0).size(), 3u);
  EXPECT_EQ(r.payload(1).size(), 0u);
  ASSERT_EQ(r.payload(2).size(), 17u);
  EXPECT_EQ(static_cast<unsigned char>(r.payload(2)[16]), 16);
  EXPECT_EQ(r.block(), 5u);
  r.set_result(1, -5);
  EXPECT_EQ(results.status[1], -5);
}

TEST(RequestBuilder, RejectsStreamsThatDoNotAddUp) {
  request r;
  request_answers results;
  const request_builder::origin one{0x8000, 1u, false, 0, 0};
  stream s({8});
  EXPECT_NE(request_builder::build(r, s.bytes.data(), s.bytes.size() - 8, one, &results), nullptr);
  EXPECT_NE(request_builder::build(r, s.bytes.data(), s.bytes.size() + 8, one, &results), nullptr);
  EXPECT_NE(request_builder::build(r, s.bytes.data(), 10, one, &results), nullptr);
  const request_builder::origin none{0x8000, 0u, false, 0, 0};
  EXPECT_NE(request_builder::build(r, s.bytes.data(), s.bytes.size(), none, &results), nullptr);
  const request_builder::origin two{0x8000, 3u, false, 0, 0};
  EXPECT_NE(request_builder::build(r, s.bytes.data(), s.bytes.size(), two, &results), nullptr);
}

TEST(RequestBuilder, CelllessRequestsMustBeEmpty) {
  request r;
  request_answers results;
  request_builder::origin bare{0x8000, 0xffu, false, 0, 0, 0};
  ASSERT_EQ(request_builder::build(r, nullptr, 0, bare, &results), nullptr);
  EXPECT_EQ(r.lanes(), 8u);
  EXPECT_EQ(r.args(7).size(), 0u);
  EXPECT_EQ(r.payload(3).size(), 0u);
  EXPECT_EQ(r.arg<std::uint64_t>(2), 0u);
  unsigned char junk[64] = {};
  EXPECT_NE(request_builder::build(r, junk, 8, bare, &results), nullptr);
  request_builder::origin odd{0x8000, 1u, false, 0, 0, 12};
  EXPECT_NE(request_builder::build(r, junk, 12, odd, &results), nullptr);
}

// A packed request (layout.h): every lane's arguments, padded to 8, with no
// heads; the header's cell_stride is their length.
TEST(RequestBuilder, PackedRequestsGiveEachLaneItsArgumentsAndNoPayload) {
  request r;
  request_answers results;
  std::vector<unsigned char> bytes(3 * 16, 0xee);  // 12 argument bytes a lane, padded to 16
  for (unsigned rank = 0; rank < 3; ++rank)
    for (unsigned i = 0; i < 12; ++i) bytes[rank * 16 + i] = static_cast<unsigned char>(10 * rank + i);
  request_builder::origin o{0x8000, 0b1011u, false, 0, 0, 12};
  o.packed = true;
  ASSERT_EQ(request_builder::build(r, bytes.data(), bytes.size(), o, &results), nullptr);
  ASSERT_EQ(r.lanes(), 3u);
  EXPECT_EQ(r.lane_of(2), 3u);
  for (unsigned rank = 0; rank < 3; ++rank) {
    ASSERT_EQ(r.args(rank).size(), 12u);  // exactly the lane's bytes, not the padding
    EXPECT_EQ(static_cast<unsigned char>(r.args(rank)[0]), 10 * rank);
    EXPECT_EQ(static_cast<unsigned char>(r.args(rank)[11]), 10 * rank + 11);
    EXPECT_EQ(r.payload(rank).size(), 0u);
    EXPECT_EQ(r.status(rank), 0);
  }
  EXPECT_EQ(r.arg<std::uint32_t>(1), 0x0d0c0b0au);
}

TEST(RequestBuilder, RejectsPackedRequestsThatDoNotAddUp) {
  request r;
  request_answers results;
  unsigned char junk[2048] = {};
  request_builder::origin o{0x8000, 0b11u, false, 0, 0, 8};
  o.packed = true;
  EXPECT_EQ(request_builder::build(r, junk, 16, o, &results), nullptr);
  EXPECT_NE(request_builder::build(r, junk, 8, o, &results), nullptr);   // short
  EXPECT_NE(request_builder::build(r, junk, 24, o, &results), nullptr);  // long
  o.cell_stride = 0;  // no arguments: not a packed request
  EXPECT_NE(request_builder::build(r, junk, 0, o, &results), nullptr);
  o.cell_stride = inline_arg_bytes + 1;  // more than a cell holds
  EXPECT_NE(request_builder::build(r, junk, 2 * packed_stride(inline_arg_bytes + 1), o, &results), nullptr);
  o.cell_stride = 5;  // padded to 8
  EXPECT_EQ(request_builder::build(r, junk, 16, o, &results), nullptr);
  EXPECT_EQ(r.args(1).size(), 5u);
}

}  // namespace
}  // namespace gpustd
