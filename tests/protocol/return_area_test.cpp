// The return area (src/runtime/return_area.h): regions reserved by device
// code, and the checks that keep a device-sent address inside one.
#include "runtime/return_area.h"

#include <gtest/gtest.h>

#include <cerrno>

namespace gpustd::detail {
namespace {

TEST(ReturnArea, ReservesReleasesAndReusesRegions) {
  auto memory = make_device_memory();
  return_area area(*memory, 256);
  int error = 0;
  const std::uint64_t a = area.reserve(100, error);  // 128 bytes
  const std::uint64_t b = area.reserve(64, error);
  ASSERT_NE(a, 0u);
  ASSERT_NE(b, 0u);
  EXPECT_EQ(b, a + 128);
  EXPECT_EQ(area.reserve(128, error), 0u);
  EXPECT_EQ(error, ENOSPC);
  EXPECT_TRUE(area.release(a));
  EXPECT_FALSE(area.release(a)) << "released twice";
  EXPECT_EQ(area.reserve(128, error), a) << "the freed gap is used again";
  EXPECT_EQ(area.reserve(0, error), 0u);
  EXPECT_EQ(error, EINVAL);
  EXPECT_EQ(area.reserve(1000, error), 0u);
  EXPECT_EQ(error, ENOSPC);
}

TEST(ReturnArea, AnAddressMustLieInsideOneReservedRegion) {
  auto memory = make_device_memory();
  return_area area(*memory, 1024);
  int error = 0;
  const std::uint64_t a = area.reserve(64, error);
  const std::uint64_t b = area.reserve(64, error);
  ASSERT_NE(area.region(a, 64), nullptr);
  EXPECT_EQ(area.region(a + 8, 56), area.region(a, 64) + 8);
  EXPECT_EQ(area.region(a + 8, 57), nullptr) << "runs past its region";
  EXPECT_EQ(area.region(a, 128), nullptr) << "spans two regions";
  EXPECT_EQ(area.region(b + 64, 8), nullptr) << "not reserved";
  EXPECT_EQ(area.region(a - 8, 8), nullptr) << "before the area";
  EXPECT_EQ(area.region(~std::uint64_t(0) - 4, 8), nullptr);
  EXPECT_TRUE(area.release(b));
  EXPECT_EQ(area.region(b, 8), nullptr) << "given back";
  EXPECT_FALSE(area.release(a + 8)) << "not the start of a region";
}

TEST(ReturnArea, NoAreaRefusesEveryRegion) {
  auto memory = make_device_memory();
  return_area area(*memory, 0);
  int error = 0;
  EXPECT_EQ(area.reserve(8, error), 0u);
  EXPECT_EQ(error, ENOSYS);
  EXPECT_EQ(area.region(64, 8), nullptr);
  EXPECT_FALSE(area.release(64));
}

}  // namespace
}  // namespace gpustd::detail
