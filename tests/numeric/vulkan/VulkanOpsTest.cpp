//===- VulkanOpsTest.cpp - every attn op on Vulkan vs the oracle ----------===//
//
// One module exercising every kernel kind of the Vulkan target: fused
// elementwise trees with broadcasting (float, int, bool; every unary and
// binary op, compare, select, cast), reductions, softmax on an inner axis,
// log_softmax, scaled masked softmax with keep and additive masks and causal
// alignments, layer norm, matmul with transposes and batch broadcasting,
// gather with negative indices, transpose / slice / concat / split /
// causal_mask, f16 and i64 inputs and outputs, and final copies. Compiled
// once, run in both kernel variants with validation; one TEST_P per output.
//
//===----------------------------------------------------------------------===//

#include "tests/numeric/vulkan/VulkanHarness.h"

#include "gtest/gtest.h"

using namespace attnc;
using namespace attnc::test;

namespace {

const char *kModule = R"(
func.func @forward(%x: tensor<2x3x5xf32>, %y: tensor<5xf32>, %z: tensor<3x1xf32>,
                   %i: tensor<2x3xi32>, %s: tensor<4x6x7xf32>,
                   %keep: tensor<4x1x7xi1>, %bias: tensor<1x6x7xf32>,
                   %a: tensor<2x3x65x33xf32>, %b: tensor<33x17xf32>,
                   %at: tensor<3x33x65xf32>, %bt: tensor<3x17x33xf32>,
                   %ids: tensor<2x4xi64>, %table: tensor<3x10x4xf32>,
                   %h: tensor<2x5xf16>, %x1: tensor<2x1x5xf32>,
                   %x2: tensor<2x2x5xf32>)
    -> (tensor<2x3x5xf32>, tensor<2x3x5xf32>, tensor<2x3x5xf32>,
        tensor<2x3x5xi1>, tensor<2x3x5xi32>, tensor<2x3xi32>,
        tensor<2x1x5xf32>, tensor<3xf32>, tensor<2x3xf32>, tensor<5xf32>,
        tensor<2xi32>, tensor<4x6x7xf32>, tensor<4x6x7xf32>,
        tensor<4x6x7xf32>, tensor<4x6x7xf32>, tensor<2x3x5xf32>,
        tensor<4x6x7xf32>, tensor<2x3x65x17xf32>, tensor<3x65x17xf32>,
        tensor<2x3x65x17xf32>, tensor<3x2x4x4xf32>, tensor<7x4x6xf32>,
        tensor<2x2x3xf32>, tensor<2x6x5xf32>, tensor<4x6x2xf32>,
        tensor<4x6x4xf32>, tensor<4x6x1xf32>, tensor<5x7xi1>,
        tensor<2x5xf16>, tensor<2x3xi64>, tensor<2x3x5xf32>,
        tensor<2x3x5xf32>) {
  // Elementwise trees with broadcasting.
  %e0 = attn.mul %x, %y : (tensor<2x3x5xf32>, tensor<5xf32>) -> tensor<2x3x5xf32>
  %e1 = attn.add %e0, %z : (tensor<2x3x5xf32>, tensor<3x1xf32>) -> tensor<2x3x5xf32>
  %e2 = attn.tanh %e1 : tensor<2x3x5xf32>
  %e3 = attn.sigmoid %e2 : tensor<2x3x5xf32>
  %e4 = attn.gelu %e1 {approximate = #attn<gelu tanh>} : tensor<2x3x5xf32>
  %e5 = attn.gelu %x : tensor<2x3x5xf32>
  %e6 = attn.add %e3, %e4 : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %tree = attn.add %e6, %e5 : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>

  %one = attn.constant dense<1.0> : tensor<f32>
  %two = attn.constant dense<2.0> : tensor<f32>
  %ax = attn.abs %x : tensor<2x3x5xf32>
  %u0 = attn.erf %x : tensor<2x3x5xf32>
  %u1 = attn.sqrt %ax : tensor<2x3x5xf32>
  %ax1 = attn.add %ax, %one : (tensor<2x3x5xf32>, tensor<f32>) -> tensor<2x3x5xf32>
  %u2 = attn.rsqrt %ax1 : tensor<2x3x5xf32>
  %ax2 = attn.add %ax, %one : (tensor<2x3x5xf32>, tensor<f32>) -> tensor<2x3x5xf32>
  %u3 = attn.log %ax2 : tensor<2x3x5xf32>
  %u4 = attn.neg %x : tensor<2x3x5xf32>
  %u5 = attn.relu %u4 : tensor<2x3x5xf32>
  %u6 = attn.exp %x : tensor<2x3x5xf32>
  %s01 = attn.add %u0, %u1 : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %s23 = attn.sub %u2, %u3 : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %s56 = attn.div %u5, %u6 : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %s0123 = attn.mul %s01, %s23 : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %unary = attn.add %s0123, %s56 : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>

  %ay = attn.abs %y : tensor<5xf32>
  %p0 = attn.pow %ax, %y : (tensor<2x3x5xf32>, tensor<5xf32>) -> tensor<2x3x5xf32>
  %p1 = attn.pow %x, %two : (tensor<2x3x5xf32>, tensor<f32>) -> tensor<2x3x5xf32>
  %p2 = attn.max %x, %y : (tensor<2x3x5xf32>, tensor<5xf32>) -> tensor<2x3x5xf32>
  %p3 = attn.min %x, %z : (tensor<2x3x5xf32>, tensor<3x1xf32>) -> tensor<2x3x5xf32>
  %p01 = attn.add %p0, %p1 : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %p23 = attn.sub %p2, %p3 : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>
  %binary = attn.add %p01, %p23 : (tensor<2x3x5xf32>, tensor<2x3x5xf32>) -> tensor<2x3x5xf32>

  %gt = attn.compare %x, %y {predicate = #attn<cmp gt>} : (tensor<2x3x5xf32>, tensor<5xf32>) -> tensor<2x3x5xi1>
  %le = attn.compare %x, %z {predicate = #attn<cmp le>} : (tensor<2x3x5xf32>, tensor<3x1xf32>) -> tensor<2x3x5xi1>
  %nle = attn.not %le : tensor<2x3x5xi1>
  %both = attn.and %gt, %nle : (tensor<2x3x5xi1>, tensor<2x3x5xi1>) -> tensor<2x3x5xi1>
  %bools = attn.or %both, %le : (tensor<2x3x5xi1>, tensor<2x3x5xi1>) -> tensor<2x3x5xi1>
  %scaled = attn.mul %x, %two : (tensor<2x3x5xf32>, tensor<f32>) -> tensor<2x3x5xf32>
  %ints = attn.cast %scaled : tensor<2x3x5xf32> to tensor<2x3x5xi32>

  %jc = attn.constant dense<[1, -2, 3]> : tensor<3xi32>
  %i0 = attn.mul %i, %i : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  %i1 = attn.sub %i0, %jc : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi32>
  %i2 = attn.div %i1, %jc : (tensor<2x3xi32>, tensor<3xi32>) -> tensor<2x3xi32>
  %i3 = attn.neg %i2 : tensor<2x3xi32>
  %i4 = attn.abs %i : tensor<2x3xi32>
  %i5 = attn.max %i3, %i4 : (tensor<2x3xi32>, tensor<2x3xi32>) -> tensor<2x3xi32>
  %intops = attn.relu %i5 : tensor<2x3xi32>

  // Reductions.
  %r0 = attn.reduce %x {kind = #attn<reduce sum>, axes = array<i64: 1>, keep_dims = true} : (tensor<2x3x5xf32>) -> tensor<2x1x5xf32>
  %r1 = attn.reduce %x {kind = #attn<reduce mean>, axes = array<i64: 0, 2>} : (tensor<2x3x5xf32>) -> tensor<3xf32>
  %r2 = attn.reduce %x {kind = #attn<reduce max>, axes = array<i64: -1>} : (tensor<2x3x5xf32>) -> tensor<2x3xf32>
  %r3 = attn.reduce %x {kind = #attn<reduce min>, axes = array<i64: 0, 1>} : (tensor<2x3x5xf32>) -> tensor<5xf32>
  %r4 = attn.reduce %i {kind = #attn<reduce sum>, axes = array<i64: 1>} : (tensor<2x3xi32>) -> tensor<2xi32>

  // Softmax forms and layer norm.
  %sm = attn.softmax %s {axis = 1 : i64} : tensor<4x6x7xf32>
  %lsm = attn.log_softmax %s {axis = -1 : i64} : tensor<4x6x7xf32>
  %msk = attn.scaled_masked_softmax %s mask %keep {scale = 0.5 : f32, causal = #attn<causal bottom_right>} : (tensor<4x6x7xf32>, tensor<4x1x7xi1>) -> tensor<4x6x7xf32>
  %add = attn.scaled_masked_softmax %s mask %bias {scale = 1.5 : f32, causal = #attn<causal top_left>} : (tensor<4x6x7xf32>, tensor<1x6x7xf32>) -> tensor<4x6x7xf32>
  %ln = attn.layer_norm %x scale %y bias %y : (tensor<2x3x5xf32>, tensor<5xf32>, tensor<5xf32>) -> tensor<2x3x5xf32>
  %ln2 = attn.layer_norm %s {axis = 1 : i64, epsilon = 1.0e-3 : f32} : (tensor<4x6x7xf32>) -> tensor<4x6x7xf32>

  // Matmuls.
  %mm = attn.matmul %a, %b : (tensor<2x3x65x33xf32>, tensor<33x17xf32>) -> tensor<2x3x65x17xf32>
  %mt = attn.matmul %at, %bt {transpose_lhs, transpose_rhs} : (tensor<3x33x65xf32>, tensor<3x17x33xf32>) -> tensor<3x65x17xf32>
  %mb = attn.matmul %a, %bt {transpose_rhs} : (tensor<2x3x65x33xf32>, tensor<3x17x33xf32>) -> tensor<2x3x65x17xf32>

  // Data movement.
  %g = attn.gather %table, %ids {axis = 1 : i64} : (tensor<3x10x4xf32>, tensor<2x4xi64>) -> tensor<3x2x4x4xf32>
  %t = attn.transpose %s {perm = array<i64: 2, 0, 1>} : (tensor<4x6x7xf32>) -> tensor<7x4x6xf32>
  %sl = attn.slice %s {starts = array<i64: 1, 0, 2>, limits = array<i64: 4, 6, 7>, strides = array<i64: 2, 3, 2>} : (tensor<4x6x7xf32>) -> tensor<2x2x3xf32>
  %cat = attn.concat %x, %x1, %x2 {axis = 1 : i64} : (tensor<2x3x5xf32>, tensor<2x1x5xf32>, tensor<2x2x5xf32>) -> tensor<2x6x5xf32>
  %sp:3 = attn.split %s {axis = 2 : i64, sizes = array<i64: 2, 4, 1>} : (tensor<4x6x7xf32>) -> (tensor<4x6x2xf32>, tensor<4x6x4xf32>, tensor<4x6x1xf32>)
  %cm = attn.causal_mask {causal = #attn<causal bottom_right>} : tensor<5x7xi1>

  // f16 and i64 at the boundary, and copies.
  %hh = attn.add %h, %h : (tensor<2x5xf16>, tensor<2x5xf16>) -> tensor<2x5xf16>
  %wide = attn.cast %i : tensor<2x3xi32> to tensor<2x3xi64>

  return %tree, %unary, %binary, %bools, %ints, %intops, %r0, %r1, %r2, %r3,
         %r4, %sm, %lsm, %msk, %add, %ln, %ln2, %mm, %mt, %mb, %g, %t, %sl,
         %cat, %sp#0, %sp#1, %sp#2, %cm, %hh, %wide, %x, %tree
      : tensor<2x3x5xf32>, tensor<2x3x5xf32>, tensor<2x3x5xf32>,
        tensor<2x3x5xi1>, tensor<2x3x5xi32>, tensor<2x3xi32>,
        tensor<2x1x5xf32>, tensor<3xf32>, tensor<2x3xf32>, tensor<5xf32>,
        tensor<2xi32>, tensor<4x6x7xf32>, tensor<4x6x7xf32>,
        tensor<4x6x7xf32>, tensor<4x6x7xf32>, tensor<2x3x5xf32>,
        tensor<4x6x7xf32>, tensor<2x3x65x17xf32>, tensor<3x65x17xf32>,
        tensor<2x3x65x17xf32>, tensor<3x2x4x4xf32>, tensor<7x4x6xf32>,
        tensor<2x2x3xf32>, tensor<2x6x5xf32>, tensor<4x6x2xf32>,
        tensor<4x6x4xf32>, tensor<4x6x1xf32>, tensor<5x7xi1>,
        tensor<2x5xf16>, tensor<2x3xi64>, tensor<2x3x5xf32>,
        tensor<2x3x5xf32>
}
)";

const char *kOutputNames[] = {"elementwise_tree",
                              "unary_ops",
                              "binary_ops",
                              "bool_ops",
                              "cast_to_int",
                              "int_ops",
                              "reduce_sum_keep",
                              "reduce_mean",
                              "reduce_max",
                              "reduce_min",
                              "reduce_int_sum",
                              "softmax_inner_axis",
                              "log_softmax",
                              "masked_softmax_keep_bottom_right",
                              "masked_softmax_additive_top_left",
                              "layer_norm",
                              "layer_norm_2d",
                              "matmul_batch_broadcast",
                              "matmul_transposed",
                              "matmul_batched_rhs",
                              "gather_negative",
                              "transpose",
                              "slice_strided",
                              "concat",
                              "split_0",
                              "split_1",
                              "split_2",
                              "causal_mask",
                              "f16_add",
                              "i64_cast",
                              "input_copied",
                              "tree_twice"};

std::vector<HostTensor> buildInputs(mlir::ModuleOp module) {
  std::mt19937 rng(7);
  std::vector<HostTensor> inputs = randomEntryInputs(module, rng);
  // Integers: small values, none zero where they divide.
  HostTensor &ints = inputs[3];
  for (int64_t k = 0; k < ints.numElements(); ++k)
    ints.setFromDouble(k, static_cast<double>(k * 7 % 11) - 5);
  // Keep-mask: mostly true, key 0 of each batch false to test masking.
  HostTensor &keep = inputs[5];
  for (int64_t k = 0; k < keep.numElements(); ++k)
    keep.setFromDouble(k, k % 7 != 0 || k == 7);
  // Gather indices in [-10, 10).
  HostTensor &ids = inputs[11];
  const int64_t values[] = {0, 9, -1, -10, 3, 5, -4, 2};
  for (int64_t k = 0; k < ids.numElements(); ++k)
    ids.setFromDouble(k, values[k]);
  // f16 values that double exactly.
  HostTensor &half = inputs[13];
  for (int64_t k = 0; k < half.numElements(); ++k)
    half.setFromDouble(k, (k - 4) * 0.375);
  return inputs;
}

const OutputsModule kOutputs = {kModule, kOutputNames, buildInputs};

using VulkanOps = VulkanOutputsTest<kOutputs>;

TEST_P(VulkanOps, MatchesOracle) { checkOutput(); }

// Every kernel kind with its tensors stored in f16 (--precision=f16), in
// the portable, subgroup and emulated cooperative-matrix kernels, at
// kF16Tolerance.
TEST(VulkanOpsF16, MatchesOracle) {
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = parseModule(*context, kModule);
  ASSERT_TRUE(module);
  std::vector<HostTensor> inputs = buildInputs(*module);
  std::vector<OracleTensor> expected = evaluateOracle(*module, inputs);
  const Variant variants[] = {Variant::Portable, Variant::Subgroup,
                              Variant::CoopmatEmulated};
  VulkanRun run =
      runOnVulkan(*module, inputs, variants, /*halfPrecision=*/true);
  if (!run.skip.empty())
    GTEST_SKIP() << run.skip;
  for (Variant variant : variants) {
    int v = static_cast<int>(variant);
    ASSERT_TRUE(run.error[v].empty()) << run.error[v];
    ASSERT_EQ(run.outputs[v].size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i)
      expectClose(run.outputs[v][i], expected[i], kF16Tolerance,
                  std::string(kOutputNames[i]) + " (f16, " +
                      variantName(variant) + ")");
  }
}

INSTANTIATE_TEST_SUITE_P(AllOps, VulkanOps, VulkanOps::params(),
                         VulkanOps::name);

/// Elementwise consumers the schedule runs as matmul epilogues: bias, GELU
/// and residual (odd N, scalar stores), a scale and ReLU (N a multiple of
/// 4, vec4 stores), a keep-mask select (a boolean leaf) and a sigmoid after
/// a transposed operand.
const char *kEpilogueModule = R"(
func.func @forward(%a: tensor<2x33x48xf32>, %w: tensor<48x39xf32>,
                   %bias: tensor<39xf32>, %res: tensor<2x33x39xf32>,
                   %w4: tensor<48x40xf32>, %keep: tensor<33x40xi1>,
                   %bt: tensor<40x48xf32>, %w5: tensor<48x40xf32>)
    -> (tensor<2x33x39xf32>, tensor<2x33x40xf32>, tensor<2x33x40xf32>,
        tensor<2x33x40xf32>) {
  %m0 = attn.matmul %a, %w : (tensor<2x33x48xf32>, tensor<48x39xf32>) -> tensor<2x33x39xf32>
  %b0 = attn.add %m0, %bias : (tensor<2x33x39xf32>, tensor<39xf32>) -> tensor<2x33x39xf32>
  %g0 = attn.gelu %b0 : tensor<2x33x39xf32>
  %r0 = attn.add %g0, %res : (tensor<2x33x39xf32>, tensor<2x33x39xf32>) -> tensor<2x33x39xf32>
  %m1 = attn.matmul %a, %w4 : (tensor<2x33x48xf32>, tensor<48x40xf32>) -> tensor<2x33x40xf32>
  %half = attn.constant dense<0.5> : tensor<f32>
  %s1 = attn.mul %m1, %half : (tensor<2x33x40xf32>, tensor<f32>) -> tensor<2x33x40xf32>
  %r1 = attn.relu %s1 : tensor<2x33x40xf32>
  %m2 = attn.matmul %a, %w5 : (tensor<2x33x48xf32>, tensor<48x40xf32>) -> tensor<2x33x40xf32>
  %fill = attn.constant dense<-1.0e4> : tensor<f32>
  %r2 = attn.select %keep, %m2, %fill : (tensor<33x40xi1>, tensor<2x33x40xf32>, tensor<f32>) -> tensor<2x33x40xf32>
  %m3 = attn.matmul %a, %bt {transpose_rhs} : (tensor<2x33x48xf32>, tensor<40x48xf32>) -> tensor<2x33x40xf32>
  %r3 = attn.sigmoid %m3 : tensor<2x33x40xf32>
  return %r0, %r1, %r2, %r3 : tensor<2x33x39xf32>, tensor<2x33x40xf32>, tensor<2x33x40xf32>, tensor<2x33x40xf32>
}
)";

const char *kEpilogueNames[] = {"bias_gelu_residual", "scale_relu_vec4",
                                "keep_mask_select", "transposed_sigmoid"};

std::vector<HostTensor> buildEpilogueInputs(mlir::ModuleOp module) {
  std::mt19937 rng(11);
  std::vector<HostTensor> inputs = randomEntryInputs(module, rng);
  HostTensor &keep = inputs[5];
  for (int64_t k = 0; k < keep.numElements(); ++k)
    keep.setFromDouble(k, k % 5 != 0);
  return inputs;
}

const OutputsModule kEpilogues = {kEpilogueModule, kEpilogueNames,
                                  buildEpilogueInputs};

using VulkanEpilogues = VulkanOutputsTest<kEpilogues>;

TEST_P(VulkanEpilogues, MatchesOracle) { checkOutput(); }

INSTANTIATE_TEST_SUITE_P(MatmulEpilogues, VulkanEpilogues,
                         VulkanEpilogues::params(), VulkanEpilogues::name);

} // namespace
