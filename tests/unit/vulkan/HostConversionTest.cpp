//===- HostConversionTest.cpp - C ABI dtypes to device words and back ----===//

#include "runtime/vulkan/HostConversion.h"
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

TEST(HostConversionTest, F16RoundTripsExactlyAndRoundsToNearestEven) {
  // 1.0, -2.5, 65504 (max), 2^-24 (min subnormal), inf.
  uint16_t in[5] = {0x3C00, 0xC100, 0x7BFF, 0x0001, 0x7C00}, back[5];
  uint32_t words[5];
  toDeviceWords(ATTNC_F16, in, 5, words);
  EXPECT_EQ(asFloat(words[0]), 1.0f);
  EXPECT_EQ(asFloat(words[1]), -2.5f);
  EXPECT_EQ(asFloat(words[2]), 65504.0f);
  EXPECT_EQ(asFloat(words[3]), std::ldexp(1.0f, -24));
  EXPECT_TRUE(std::isinf(asFloat(words[4])));
  fromDeviceWords(ATTNC_F16, words, 5, back);
  EXPECT_EQ(std::memcmp(in, back, sizeof(in)), 0);
  // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to even (1.0).
  float tie = 1.0f + std::ldexp(1.0f, -11);
  uint32_t word;
  std::memcpy(&word, &tie, 4);
  uint16_t half;
  fromDeviceWords(ATTNC_F16, &word, 1, &half);
  EXPECT_EQ(half, 0x3C00);
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
