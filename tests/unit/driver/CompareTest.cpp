//===- CompareTest.cpp - error statistics against a reference -------------===//

#include "driver/Compare.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace attnc;

namespace {

TEST(CompareTest, WithinAndBeyondTolerance) {
  Tolerance t = {1e-3, 1e-3};
  // |d| <= atol + rtol * |e|: 1e-3 + 1e-3 * 10 = 0.011.
  EXPECT_TRUE(compareValues({10.0105}, {10.0}, t).passed);
  ErrorStats bad = compareValues({1.0, 10.02}, {1.0, 10.0}, t);
  EXPECT_FALSE(bad.passed);
  EXPECT_EQ(bad.worst, 1);
  EXPECT_NEAR(bad.maxAbs, 0.02, 1e-12);
  EXPECT_EQ(bad.worstGot, 10.02);
  EXPECT_EQ(bad.worstExpected, 10.0);
}

TEST(CompareTest, NanNeverPassesButEqualInfinitiesDo) {
  Tolerance t = {1, 1};
  EXPECT_FALSE(compareValues({NAN}, {0.0}, t).passed);
  EXPECT_FALSE(compareValues({0.0}, {NAN}, t).passed);
  EXPECT_FALSE(compareValues({INFINITY}, {1e30}, t).passed);
  EXPECT_TRUE(compareValues({-INFINITY}, {-INFINITY}, t).passed);
}

TEST(CompareTest, SizeMismatchFails) {
  ErrorStats s = compareValues({1.0, 2.0}, {1.0}, {1, 1});
  EXPECT_TRUE(s.sizeMismatch);
  EXPECT_FALSE(s.passed);
}

// The relative error has a floor (1e-3 of the largest reference element)
// so that an element near zero does not dominate it.
TEST(CompareTest, RelativeErrorFloor) {
  ErrorStats s = compareValues({100.0, 1e-9}, {100.0, 0.0}, {1e-6, 1e-6});
  EXPECT_DOUBLE_EQ(s.maxRel, 1e-9 / 0.1);
}

} // namespace
