//===- ScheduleTest.cpp - kernel grouping and buffer planning -------------===//

#include "codegen/Schedule.h"
#include "ir/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace attnc;

namespace {

class ScheduleTest : public ::testing::Test {
protected:
  ScheduleTest() { context.loadDialect<attn::AttnDialect, func::FuncDialect>(); }

  Schedule build(llvm::StringRef source, ScheduleOptions options = {}) {
    module = parseSourceString<ModuleOp>(source, &context);
    EXPECT_TRUE(module);
    auto func = *module->getOps<func::FuncOp>().begin();
    llvm::Expected<Schedule> schedule = buildSchedule(func, options);
    EXPECT_TRUE(static_cast<bool>(schedule));
    return std::move(*schedule);
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
};

// bias add + GELU + residual add are computed in one elementwise kernel; the
// matmul is its own kernel; the result goes straight to output 0.
TEST_F(ScheduleTest, FusesElementwiseChain) {
  Schedule s = build(R"mlir(
    func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
      %0 = attn.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
      %1 = attn.add %0, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
      %2 = attn.gelu %1 : tensor<4x8xf32>
      %3 = attn.add %2, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
      return %3 : tensor<4x8xf32>
    })mlir");
  ASSERT_EQ(s.kernels.size(), 2u);
  EXPECT_FALSE(s.kernels[0].elementwise);
  EXPECT_TRUE(s.kernels[1].elementwise);
  EXPECT_EQ(s.kernels[1].ops.size(), 3u);
  // The elementwise kernel reads the matmul result, the bias and x.
  EXPECT_EQ(s.kernels[1].inputs.size(), 3u);
  const BufferRef &out = s.getBuffer(s.kernels[1].outputs[0]);
  EXPECT_EQ(out.kind, BufferRef::Kind::Output);
  EXPECT_EQ(s.getBuffer(s.kernels[0].outputs[0]).kind, BufferRef::Kind::Arena);
  EXPECT_EQ(s.arenaBytes, 4 * 8 * 4);
}

// With matmulEpilogues the same chain runs inside the matmul's kernel: one
// kernel, rooted at the matmul, reading x, w, the bias and x again (the
// residual), writing the chain's result; nothing goes through the arena.
TEST_F(ScheduleTest, FusesTheChainIntoTheMatmulEpilogue) {
  ScheduleOptions options;
  options.matmulEpilogues = true;
  Schedule s = build(R"mlir(
    func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %b: tensor<8xf32>) -> tensor<4x8xf32> {
      %0 = attn.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
      %1 = attn.add %0, %b : (tensor<4x8xf32>, tensor<8xf32>) -> tensor<4x8xf32>
      %2 = attn.gelu %1 : tensor<4x8xf32>
      %3 = attn.add %2, %x : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
      return %3 : tensor<4x8xf32>
    })mlir",
                     options);
  ASSERT_EQ(s.kernels.size(), 1u);
  const Kernel &k = s.kernels[0];
  EXPECT_TRUE(isa<attn::MatmulOp>(k.root));
  EXPECT_TRUE(k.hasEpilogue());
  ASSERT_EQ(k.ops.size(), 4u);
  EXPECT_EQ(k.ops.front(), k.root);
  EXPECT_TRUE(isa<attn::AddOp>(k.ops.back()));
  // x and w for the product, then the bias (x is read once as a value).
  ASSERT_EQ(k.inputs.size(), 3u);
  EXPECT_EQ(k.outputs[0], k.ops.back()->getResult(0));
  EXPECT_EQ(s.getBuffer(k.outputs[0]).kind, BufferRef::Kind::Output);
  EXPECT_EQ(s.arenaBytes, 0);
}

// A product with a second use, two products in one tree, or a tree of
// another shape keep their own kernels.
TEST_F(ScheduleTest, EpilogueNeedsOneSingleUseProductOfTheTreeShape) {
  ScheduleOptions options;
  options.matmulEpilogues = true;
  Schedule s = build(R"mlir(
    func.func @f(%x: tensor<4x8xf32>, %w: tensor<8x8xf32>, %v: tensor<8x8xf32>) -> (tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>) {
      %0 = attn.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
      %1 = attn.matmul %x, %v : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
      %2 = attn.mul %0, %1 : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x8xf32>
      %3 = attn.matmul %x, %w : (tensor<4x8xf32>, tensor<8x8xf32>) -> tensor<4x8xf32>
      %4 = attn.exp %3 : tensor<4x8xf32>
      return %2, %3, %4 : tensor<4x8xf32>, tensor<4x8xf32>, tensor<4x8xf32>
    })mlir",
                     options);
  ASSERT_EQ(s.kernels.size(), 5u);
  for (const Kernel &k : s.kernels)
    EXPECT_FALSE(k.hasEpilogue());
}

// A value with two users is stored, not recomputed.
TEST_F(ScheduleTest, SharedValueIsStored) {
  Schedule s = build(R"mlir(
    func.func @f(%x: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
      %0 = attn.exp %x : tensor<16xf32>
      %1 = attn.neg %0 : tensor<16xf32>
      %2 = attn.tanh %0 : tensor<16xf32>
      return %1, %2 : tensor<16xf32>, tensor<16xf32>
    })mlir");
  ASSERT_EQ(s.kernels.size(), 3u);
  EXPECT_EQ(s.kernels[0].ops.size(), 1u);
}

// Dead slots are reused: a chain of four same-sized kernels needs two slots.
TEST_F(ScheduleTest, ArenaReusesDeadSlots) {
  Schedule s = build(R"mlir(
    func.func @f(%x: tensor<2x64xf32>) -> tensor<2x64xf32> {
      %0 = attn.softmax %x {axis = -1 : i64} : tensor<2x64xf32>
      %1 = attn.softmax %0 {axis = -1 : i64} : tensor<2x64xf32>
      %2 = attn.softmax %1 {axis = -1 : i64} : tensor<2x64xf32>
      %3 = attn.softmax %2 {axis = -1 : i64} : tensor<2x64xf32>
      return %3 : tensor<2x64xf32>
    })mlir");
  ASSERT_EQ(s.kernels.size(), 4u);
  EXPECT_EQ(s.arenaBytes, 2 * 2 * 64 * 4);
  EXPECT_NE(s.getBuffer(s.kernels[0].outputs[0]).offset,
            s.getBuffer(s.kernels[1].outputs[0]).offset);
  EXPECT_EQ(s.getBuffer(s.kernels[0].outputs[0]).offset,
            s.getBuffer(s.kernels[2].outputs[0]).offset);
}

// Reshapes are views; an input returned as is gets a copy kernel; a value
// returned twice is copied the second time.
TEST_F(ScheduleTest, ViewsAndCopies) {
  Schedule s = build(R"mlir(
    func.func @f(%x: tensor<2x8xf32>) -> (tensor<16xf32>, tensor<2x8xf32>, tensor<16xf32>, tensor<16xf32>) {
      %0 = attn.exp %x : tensor<2x8xf32>
      %1 = attn.reshape %0 : (tensor<2x8xf32>) -> tensor<16xf32>
      %2 = attn.reshape %x : (tensor<2x8xf32>) -> tensor<16xf32>
      return %1, %x, %1, %2 : tensor<16xf32>, tensor<2x8xf32>, tensor<16xf32>, tensor<16xf32>
    })mlir");
  ASSERT_EQ(s.kernels.size(), 4u);
  EXPECT_EQ(s.getBuffer(s.kernels[0].outputs[0]).kind, BufferRef::Kind::Output);
  EXPECT_EQ(s.kernels[1].copyToOutput, 1);
  EXPECT_EQ(s.kernels[2].copyToOutput, 2);
  EXPECT_EQ(s.kernels[3].copyToOutput, 3);
  EXPECT_EQ(s.getBuffer(s.kernels[3].inputs[0]).kind, BufferRef::Kind::Input);
  EXPECT_EQ(s.arenaBytes, 0);
}

TEST_F(ScheduleTest, RejectsForeignOps) {
  module = parseSourceString<ModuleOp>(R"mlir(
    func.func private @g(tensor<4xf32>) -> tensor<4xf32>
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      %0 = func.call @g(%x) : (tensor<4xf32>) -> tensor<4xf32>
      return %0 : tensor<4xf32>
    })mlir", &context);
  ASSERT_TRUE(module);
  auto func = *std::next(module->getOps<func::FuncOp>().begin());
  llvm::Expected<Schedule> s = buildSchedule(func);
  ASSERT_FALSE(static_cast<bool>(s));
  EXPECT_NE(llvm::toString(s.takeError()).find("'func.call' cannot be compiled"),
            std::string::npos);
}

} // namespace
