//===- HostTensorTest.cpp - dtype helpers and half conversion -------------===//
//
// The f16 conversions against llvm::APFloat (every half bit pattern, ties,
// overflow, subnormals, random doubles), element access through double, and
// the dtype <-> MLIR type mapping.
//
//===----------------------------------------------------------------------===//

#include "support/HostTensor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/bit.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>

using namespace attnc;

namespace {

/// The reference: APFloat's round-to-nearest-even conversion to binary16.
uint16_t referenceHalf(double d) {
  llvm::APFloat f(d);
  bool losesInfo;
  f.convert(llvm::APFloat::IEEEhalf(), llvm::APFloat::rmNearestTiesToEven,
            &losesInfo);
  return static_cast<uint16_t>(f.bitcastToAPInt().getZExtValue());
}

TEST(HostTensorTest, EveryHalfRoundTrips) {
  for (uint32_t bits = 0; bits <= 0xffff; ++bits) {
    uint16_t h = static_cast<uint16_t>(bits);
    float f = halfToFloat(h);
    bool isNaN = (h & 0x7c00) == 0x7c00 && (h & 0x3ff);
    if (isNaN) {
      ASSERT_TRUE(std::isnan(f)) << "bits 0x" << std::hex << bits;
      ASSERT_TRUE(std::isnan(halfToFloat(floatToHalf(f))));
      continue;
    }
    llvm::APInt apBits(16, bits);
    double expected =
        llvm::APFloat(llvm::APFloat::IEEEhalf(), apBits).convertToDouble();
    ASSERT_EQ(static_cast<double>(f), expected)
        << "bits 0x" << std::hex << bits;
    ASSERT_EQ(floatToHalf(f), h) << "bits 0x" << std::hex << bits;
  }
}

TEST(HostTensorTest, HalfRoundingEdges) {
  EXPECT_EQ(doubleToHalf(1.0), 0x3c00);
  // Halfway between 1 and 1 + 2^-10 goes to the even one, 1.
  EXPECT_EQ(doubleToHalf(1.0 + std::ldexp(1.0, -11)), 0x3c00);
  EXPECT_EQ(doubleToHalf(1.0 + 3 * std::ldexp(1.0, -11)), 0x3c02);
  // A double just above the tie: going through float would land on the tie
  // and round down; one rounding goes up.
  double aboveTie = 1.0 + std::ldexp(1.0, -11) + std::ldexp(1.0, -40);
  EXPECT_EQ(doubleToHalf(aboveTie), 0x3c01);
  EXPECT_EQ(floatToHalf(static_cast<float>(aboveTie)), 0x3c00);
  EXPECT_EQ(doubleToHalf(65504.0), 0x7bff);
  EXPECT_EQ(doubleToHalf(65519.99), 0x7bff);
  EXPECT_EQ(doubleToHalf(65520.0), 0x7c00);
  EXPECT_EQ(doubleToHalf(-1e10), 0xfc00);
  EXPECT_EQ(doubleToHalf(std::ldexp(1.0, -24)), 0x0001);
  EXPECT_EQ(doubleToHalf(std::ldexp(1.0, -25)), 0x0000);
  EXPECT_EQ(doubleToHalf(std::ldexp(1.0, -25) * 1.0001), 0x0001);
  EXPECT_EQ(doubleToHalf(std::ldexp(1023.5, -24)), 0x0400);
  EXPECT_EQ(doubleToHalf(-0.0), 0x8000);
  EXPECT_EQ(doubleToHalf(std::numeric_limits<double>::infinity()), 0x7c00);
  uint16_t nan = doubleToHalf(std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(nan & 0x7c00, 0x7c00);
  EXPECT_NE(nan & 0x3ff, 0);
}

TEST(HostTensorTest, DoubleToHalfMatchesAPFloat) {
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> mantissa(-2.0, 2.0);
  std::uniform_int_distribution<int> exponent(-30, 17);
  for (int i = 0; i < 200000; ++i) {
    double d = std::ldexp(mantissa(rng), exponent(rng));
    ASSERT_EQ(doubleToHalf(d), referenceHalf(d)) << "value " << d;
    float f = static_cast<float>(d);
    ASSERT_EQ(floatToHalf(f), referenceHalf(f)) << "value " << f;
  }
}

TEST(HostTensorTest, ElementAccessConverts) {
  HostTensor i32(DTypeKind::I32, {6});
  const double in[] = {
      2.9, -2.9, 1e20, -1e20, std::numeric_limits<double>::quiet_NaN(), 7};
  const double want[] = {2, -2, 2147483647.0, -2147483648.0, 0, 7};
  for (int i = 0; i < 6; ++i)
    i32.setFromDouble(i, in[i]);
  for (int i = 0; i < 6; ++i)
    EXPECT_EQ(i32.getAsDouble(i), want[i]) << "element " << i;

  HostTensor b(DTypeKind::Bool, {3});
  b.setFromDouble(0, 0.0);
  b.setFromDouble(1, -0.5);
  b.setFromDouble(2, std::numeric_limits<double>::quiet_NaN());
  EXPECT_EQ(b.toDoubles(), (std::vector<double>{0, 1, 1}));

  HostTensor h(DTypeKind::F16, {2, 2});
  EXPECT_EQ(h.bytes.size(), 8u);
  h.setFromDouble(3, 0.1);
  EXPECT_EQ(h.getAsDouble(3), static_cast<double>(halfToFloat(0x2e66)));

  HostTensor i64(DTypeKind::I64, {});
  EXPECT_EQ(i64.numElements(), 1);
  i64.setFromDouble(0, -9007199254740992.0);
  EXPECT_EQ(i64.data<int64_t>()[0], -9007199254740992LL);
}

TEST(HostTensorTest, DtypesMapToMlirTypes) {
  mlir::MLIRContext context;
  for (DTypeKind kind : {DTypeKind::F16, DTypeKind::F32, DTypeKind::F64,
                         DTypeKind::Bool, DTypeKind::I32, DTypeKind::I64}) {
    mlir::Type type = dtypeToType(kind, &context);
    std::optional<DTypeKind> back = dtypeFromType(type);
    ASSERT_TRUE(back.has_value()) << dtypeName(kind).str();
    EXPECT_EQ(*back, kind);
  }
  mlir::Builder b(&context);
  EXPECT_FALSE(dtypeFromType(b.getBF16Type()).has_value());
  EXPECT_FALSE(dtypeFromType(b.getIntegerType(8)).has_value());
  EXPECT_EQ(dtypeSize(DTypeKind::Bool), 1u);
  EXPECT_EQ(dtypeSize(DTypeKind::F16), 2u);
  EXPECT_EQ(describeTensor({2, 16}, DTypeKind::I64), "[2, 16] (i64)");
  EXPECT_EQ(describeTensor({}, DTypeKind::Bool), "[] (bool)");
}

} // namespace
