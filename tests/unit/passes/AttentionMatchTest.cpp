//===- AttentionMatchTest.cpp - the matchers the fusion passes share -----===//

#include "passes/AttentionMatch.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

namespace {

class AttentionMatchTest : public ::testing::Test {
protected:
  AttentionMatchTest() { context.loadDialect<AttnDialect, func::FuncDialect>(); }

  /// Parses `body` as the body of @f and returns the value returned first.
  Value parseReturned(llvm::StringRef source) {
    module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module);
    auto func = *module->getOps<func::FuncOp>().begin();
    return func.getBody().front().getTerminator()->getOperand(0);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

TEST_F(AttentionMatchTest, ScalarConstantThroughReshapeAndBroadcast) {
  Value v = parseReturned(R"mlir(
    func.func @f() -> tensor<2x4xf32> {
      %c = attn.constant dense<0.125> : tensor<1x1xf32>
      %r = attn.reshape %c : (tensor<1x1xf32>) -> tensor<1xf32>
      %b = attn.broadcast_to %r : (tensor<1xf32>) -> tensor<2x4xf32>
      return %b : tensor<2x4xf32>
    })mlir");
  std::optional<double> c = getScalarConstant(v);
  ASSERT_TRUE(c.has_value());
  EXPECT_EQ(*c, 0.125);
}

TEST_F(AttentionMatchTest, NonSplatIsNotScalar) {
  Value v = parseReturned(R"mlir(
    func.func @f() -> tensor<2xf32> {
      %c = attn.constant dense<[1.0, 2.0]> : tensor<2xf32>
      return %c : tensor<2xf32>
    })mlir");
  EXPECT_FALSE(getScalarConstant(v).has_value());
}

TEST_F(AttentionMatchTest, MaskFills) {
  EXPECT_TRUE(isMaskFill(-INFINITY));
  EXPECT_TRUE(isMaskFill(-1e4));
  EXPECT_TRUE(isMaskFill(-3.4028234663852886e38));
  EXPECT_FALSE(isMaskFill(-9999.0));
  EXPECT_FALSE(isMaskFill(0.0));
}

// A keep-mask from attn.causal_mask, evaluated through a not/not pair, is
// causal for square scores of any leading shape.
TEST_F(AttentionMatchTest, ClassifiesGeneratedCausalMask) {
  Value v = parseReturned(R"mlir(
    func.func @f() -> tensor<5x5xi1> {
      %m = attn.causal_mask {causal = #attn<causal top_left>} : tensor<5x5xi1>
      %n = attn.not %m : tensor<5x5xi1>
      %k = attn.not %n : tensor<5x5xi1>
      return %k : tensor<5x5xi1>
    })mlir");
  std::optional<ConstantMaskInfo> info =
      classifyConstantMask(v, {2, 3, 5, 5}, /*isKeepMask=*/true);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->pattern, ConstantMaskInfo::Pattern::Causal);
  EXPECT_EQ(info->causal, CausalKind::top_left);
}

// An additive 0 / -1e9 mask for 2 queries over 3 keys, last query aligned
// with the last key: bottom_right.
TEST_F(AttentionMatchTest, ClassifiesAdditiveBottomRight) {
  Value v = parseReturned(R"mlir(
    func.func @f() -> tensor<1x2x3xf32> {
      %m = attn.constant dense<[[[0.0, 0.0, -1.0e9], [0.0, 0.0, 0.0]]]> : tensor<1x2x3xf32>
      return %m : tensor<1x2x3xf32>
    })mlir");
  std::optional<ConstantMaskInfo> info =
      classifyConstantMask(v, {4, 2, 3}, /*isKeepMask=*/false);
  ASSERT_TRUE(info.has_value());
  EXPECT_EQ(info->pattern, ConstantMaskInfo::Pattern::Causal);
  EXPECT_EQ(info->causal, CausalKind::bottom_right);
}

// A real bias (not 0 / large negative), a mask that differs per batch and a
// non-causal pattern are all "other"; an all-keep mask is "keep all".
TEST_F(AttentionMatchTest, ClassifiesOtherMasks) {
  Value bias = parseReturned(R"mlir(
    func.func @f() -> tensor<2x2xf32> {
      %m = attn.constant dense<[[0.0, -1.0], [0.0, 0.0]]> : tensor<2x2xf32>
      return %m : tensor<2x2xf32>
    })mlir");
  EXPECT_EQ(classifyConstantMask(bias, {2, 2}, false)->pattern,
            ConstantMaskInfo::Pattern::Other);
  Value perBatch = parseReturned(R"mlir(
    func.func @f() -> tensor<2x2x2xi1> {
      %m = attn.constant dense<[[[true, false], [true, true]], [[true, false], [true, true]]]> : tensor<2x2x2xi1>
      return %m : tensor<2x2x2xi1>
    })mlir");
  EXPECT_EQ(classifyConstantMask(perBatch, {2, 2, 2}, true)->pattern,
            ConstantMaskInfo::Pattern::Other);
  Value antiCausal = parseReturned(R"mlir(
    func.func @f() -> tensor<2x2xi1> {
      %m = attn.constant dense<[[true, true], [false, true]]> : tensor<2x2xi1>
      return %m : tensor<2x2xi1>
    })mlir");
  EXPECT_EQ(classifyConstantMask(antiCausal, {2, 2}, true)->pattern,
            ConstantMaskInfo::Pattern::Other);
  Value all = parseReturned(R"mlir(
    func.func @f() -> tensor<2x2xi1> {
      %m = attn.constant dense<true> : tensor<2x2xi1>
      return %m : tensor<2x2xi1>
    })mlir");
  EXPECT_EQ(classifyConstantMask(all, {2, 2}, true)->pattern,
            ConstantMaskInfo::Pattern::KeepAll);
}

TEST_F(AttentionMatchTest, NonConstantMaskIsNotClassified) {
  module = parseSourceString<ModuleOp>(R"mlir(
    func.func @f(%m: tensor<2x2xi1>) -> tensor<2x2xi1> {
      return %m : tensor<2x2xi1>
    })mlir", &context);
  auto func = *module->getOps<func::FuncOp>().begin();
  EXPECT_FALSE(classifyConstantMask(func.getArgument(0), {2, 2}, true));
}

// The chain select(keep, add(mul(s, c), m), -inf) peels into scale, one
// additive and one keep mask, down to the matmul.
TEST_F(AttentionMatchTest, PeelsScaleAndMasks) {
  Value v = parseReturned(R"mlir(
    func.func @f(%q: tensor<4x8xf32>, %k: tensor<4x8xf32>, %m: tensor<4x4xf32>, %keep: tensor<4x4xi1>) -> tensor<4x4xf32> {
      %s = attn.matmul %q, %k {transpose_rhs} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x4xf32>
      %c = attn.constant dense<0.5> : tensor<f32>
      %0 = attn.mul %s, %c : (tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
      %1 = attn.add %0, %m : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
      %ninf = attn.constant dense<0xFF800000> : tensor<f32>
      %2 = attn.select %keep, %1, %ninf : (tensor<4x4xi1>, tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
      return %2 : tensor<4x4xf32>
    })mlir");
  SoftmaxChain chain = peelSoftmaxChain(v);
  EXPECT_EQ(chain.scale, 0.5);
  EXPECT_EQ(chain.keepMasks.size(), 1u);
  EXPECT_EQ(chain.additiveMasks.size(), 1u);
  EXPECT_TRUE(chain.scores.getDefiningOp<MatmulOp>());
}

// Repeating heads by concatenation maps head h to kv head h % Hkv, not
// h / G: it is not grouped-query attention and must not match.
TEST_F(AttentionMatchTest, ConcatenatedHeadsAreNotRepeatKv) {
  Value v = parseReturned(R"mlir(
    func.func @f(%k: tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32> {
      %r = attn.concat %k, %k {axis = 1 : i64} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x4x8x16xf32>
      return %r : tensor<1x4x8x16xf32>
    })mlir");
  EXPECT_FALSE(matchRepeatedHeads(v));
}

} // namespace
