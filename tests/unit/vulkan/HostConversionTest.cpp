//===- HostConversionTest.cpp - C ABI dtypes to device words and back ----===//

#include "runtime/vulkan/HostConversion.h"
#include "codegen/vulkan/KernelAbi.h"
#include "runtime/Model.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace attnc::vk;

namespace {

float asFloat(uint32_t w) {
  float f;
  std::memcpy(&f, &w, 4);
  return f;
}

TEST(HostConversionTest, F32AndI32AreCopied) {
  float in[3] = {1.5f, -2.0f, 3.25f}, back[3];
  uint32_t words[3];
  toDeviceWords(ATTNC_F32, in, 3, words);
  EXPECT_EQ(asFloat(words[1]), -2.0f);
  fromDeviceWords(ATTNC_F32, words, 3, back);
  EXPECT_EQ(std::memcmp(in, back, sizeof(in)), 0);
}

TEST(HostConversionTest, F16StaysHalfOnTheDevice) {
  // 1.0, -2.5, 65504 (max), 2^-24 (min subnormal), inf, NaN: 16-bit device
  // elements, bit for bit, both ways.
  uint16_t in[6] = {0x3C00, 0xC100, 0x7BFF, 0x0001, 0x7C00, 0x7E01}, back[6];
  uint16_t device[6] = {};
  toDeviceWords(ATTNC_F16, in, 6, device);
  EXPECT_EQ(std::memcmp(in, device, sizeof(in)), 0);
  fromDeviceWords(ATTNC_F16, device, 6, back);
  EXPECT_EQ(std::memcmp(in, back, sizeof(in)), 0);
  EXPECT_EQ(deviceElementBytes(ATTNC_F16), 2);
  EXPECT_EQ(deviceElementBytes(ATTNC_F32), 4);
  EXPECT_EQ(deviceElementBytes(ATTNC_BOOL), 4);
}

TEST(HostConversionTest, I64SaturatesToInt32) {
  int64_t in[4] = {5, -7, int64_t(1) << 40, -(int64_t(1) << 40)}, back[4];
  uint32_t words[4];
  toDeviceWords(ATTNC_I64, in, 4, words);
  int32_t narrow[4];
  std::memcpy(narrow, words, sizeof(narrow));
  EXPECT_EQ(narrow[0], 5);
  EXPECT_EQ(narrow[1], -7);
  EXPECT_EQ(narrow[2], std::numeric_limits<int32_t>::max());
  EXPECT_EQ(narrow[3], std::numeric_limits<int32_t>::min());
  fromDeviceWords(ATTNC_I64, words, 4, back);
  EXPECT_EQ(back[1], -7);
}

TEST(HostConversionTest, BoolsAreZeroOrOneWords) {
  uint8_t in[3] = {0, 1, 7}, back[3];
  uint32_t words[3];
  toDeviceWords(ATTNC_BOOL, in, 3, words);
  EXPECT_EQ(words[0], 0u);
  EXPECT_EQ(words[1], 1u);
  EXPECT_EQ(words[2], 1u);
  fromDeviceWords(ATTNC_BOOL, words, 3, back);
  EXPECT_EQ(back[2], 1);
}

TEST(HostConversionTest, F64IsNarrowedToF32) {
  double in[2] = {0.1, -1e300}, back[2];
  uint32_t words[2];
  toDeviceWords(ATTNC_F64, in, 2, words);
  EXPECT_EQ(asFloat(words[0]), 0.1f);
  EXPECT_TRUE(std::isinf(asFloat(words[1])));
  fromDeviceWords(ATTNC_F64, words, 2, back);
  EXPECT_EQ(back[0], double(0.1f));
}

} // namespace
