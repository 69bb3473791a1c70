//===- VulkanLayoutsTest.cpp - kernel layouts on Vulkan vs the oracle -----===//
//
// The operand layouts the matmul and row kernels specialise on, which the
// odd shapes of VulkanOpsTest do not reach: matmul operands read as float4
// texels along k (A, and B with contiguous columns) or along n (B with
// contiguous rows), vec4 outputs, partial register blocks at the M and N
// edges, one-row and few-row blocks, batch broadcasting; softmax,
// log_softmax, masked softmax, layer norm and reductions over contiguous
// rows read as float4 texels, over more rows than one workgroup holds;
// concat, split and gather with a negative axis.
// Compiled once, run in both kernel variants with validation; one TEST_P per
// output.
//
//===----------------------------------------------------------------------===//

#include "tests/numeric/vulkan/VulkanHarness.h"

#include "gtest/gtest.h"

using namespace attnc;
using namespace attnc::test;

namespace {

const char *kModule = R"(
func.func @forward(%a: tensor<2x37x64xf32>, %bt: tensor<72x64xf32>,
                   %bn: tensor<64x72xf32>, %ab: tensor<3x2x20x32xf32>,
                   %bb: tensor<2x32x24xf32>, %row: tensor<1x64xf32>,
                   %few: tensor<3x16xf32>, %fewt: tensor<5x16xf32>,
                   %at: tensor<16x20xf32>, %s: tensor<130x8xf32>,
                   %t: tensor<2x6x12xf32>, %keep: tensor<2x1x12xi1>,
                   %bias: tensor<1x6x12xf32>, %x: tensor<70x32xf32>,
                   %g: tensor<32xf32>, %r: tensor<4x3x8xf32>,
                   %i: tensor<3x8xi32>)
    -> (tensor<2x37x72xf32>, tensor<2x37x72xf32>, tensor<3x2x20x24xf32>,
        tensor<1x12xf32>, tensor<3x5xf32>, tensor<20x72xf32>,
        tensor<130x8xf32>, tensor<2x6x12xf32>, tensor<2x6x12xf32>,
        tensor<2x6x12xf32>, tensor<70x32xf32>, tensor<70x32xf32>,
        tensor<70xf32>, tensor<3xf32>, tensor<4x1x8xf32>, tensor<3xi32>,
        tensor<8x16xf32>, tensor<70x12xf32>, tensor<70x20xf32>,
        tensor<4x3x3x8xf32>) {
  %mk = attn.matmul %a, %bt {transpose_rhs} : (tensor<2x37x64xf32>, tensor<72x64xf32>) -> tensor<2x37x72xf32>
  %mn = attn.matmul %a, %bn : (tensor<2x37x64xf32>, tensor<64x72xf32>) -> tensor<2x37x72xf32>
  %mb = attn.matmul %ab, %bb : (tensor<3x2x20x32xf32>, tensor<2x32x24xf32>) -> tensor<3x2x20x24xf32>
  %bn12 = attn.slice %bn {starts = array<i64: 0, 0>, limits = array<i64: 64, 12>, strides = array<i64: 1, 1>} : (tensor<64x72xf32>) -> tensor<64x12xf32>
  %m1 = attn.matmul %row, %bn12 : (tensor<1x64xf32>, tensor<64x12xf32>) -> tensor<1x12xf32>
  %m3 = attn.matmul %few, %fewt {transpose_rhs} : (tensor<3x16xf32>, tensor<5x16xf32>) -> tensor<3x5xf32>
  %bn16 = attn.slice %bn {starts = array<i64: 0, 0>, limits = array<i64: 16, 72>, strides = array<i64: 1, 1>} : (tensor<64x72xf32>) -> tensor<16x72xf32>
  %ml = attn.matmul %at, %bn16 {transpose_lhs} : (tensor<16x20xf32>, tensor<16x72xf32>) -> tensor<20x72xf32>

  %sm = attn.softmax %s {axis = -1 : i64} : tensor<130x8xf32>
  %lsm = attn.log_softmax %t {axis = 2 : i64} : tensor<2x6x12xf32>
  %msk = attn.scaled_masked_softmax %t mask %keep {scale = 0.5 : f32, causal = #attn<causal bottom_right>} : (tensor<2x6x12xf32>, tensor<2x1x12xi1>) -> tensor<2x6x12xf32>
  %add = attn.scaled_masked_softmax %t mask %bias {scale = 1.5 : f32, causal = #attn<causal top_left>} : (tensor<2x6x12xf32>, tensor<1x6x12xf32>) -> tensor<2x6x12xf32>
  %ln = attn.layer_norm %x scale %g bias %g : (tensor<70x32xf32>, tensor<32xf32>, tensor<32xf32>) -> tensor<70x32xf32>
  %ln0 = attn.layer_norm %x : (tensor<70x32xf32>) -> tensor<70x32xf32>

  %rs = attn.reduce %x {kind = #attn<reduce sum>, axes = array<i64: 1>} : (tensor<70x32xf32>) -> tensor<70xf32>
  %rm = attn.reduce %r {kind = #attn<reduce max>, axes = array<i64: 0, 2>} : (tensor<4x3x8xf32>) -> tensor<3xf32>
  %ra = attn.reduce %r {kind = #attn<reduce mean>, axes = array<i64: 1>, keep_dims = true} : (tensor<4x3x8xf32>) -> tensor<4x1x8xf32>
  %ri = attn.reduce %i {kind = #attn<reduce min>, axes = array<i64: 1>} : (tensor<3x8xi32>) -> tensor<3xi32>

  %catn = attn.concat %few, %fewt {axis = -2 : i64} : (tensor<3x16xf32>, tensor<5x16xf32>) -> tensor<8x16xf32>
  %spn:2 = attn.split %x {axis = -1 : i64, sizes = array<i64: 12, 20>} : (tensor<70x32xf32>) -> (tensor<70x12xf32>, tensor<70x20xf32>)
  %gn = attn.gather %r, %i {axis = -1 : i64} : (tensor<4x3x8xf32>, tensor<3x8xi32>) -> tensor<4x3x3x8xf32>

  return %mk, %mn, %mb, %m1, %m3, %ml, %sm, %lsm, %msk, %add, %ln, %ln0, %rs,
         %rm, %ra, %ri, %catn, %spn#0, %spn#1, %gn
      : tensor<2x37x72xf32>, tensor<2x37x72xf32>, tensor<3x2x20x24xf32>,
        tensor<1x12xf32>, tensor<3x5xf32>, tensor<20x72xf32>,
        tensor<130x8xf32>, tensor<2x6x12xf32>, tensor<2x6x12xf32>,
        tensor<2x6x12xf32>, tensor<70x32xf32>, tensor<70x32xf32>,
        tensor<70xf32>, tensor<3xf32>, tensor<4x1x8xf32>, tensor<3xi32>,
        tensor<8x16xf32>, tensor<70x12xf32>, tensor<70x20xf32>,
        tensor<4x3x3x8xf32>
}
)";

const char *kOutputNames[] = {"matmul_vec4_k_columns",
                              "matmul_vec4_n_rows",
                              "matmul_vec4_batch_broadcast",
                              "matmul_one_row",
                              "matmul_few_rows_scalar_output",
                              "matmul_transposed_lhs",
                              "softmax_vec4_many_rows",
                              "log_softmax_vec4",
                              "masked_softmax_vec4_keep_bottom_right",
                              "masked_softmax_vec4_additive_top_left",
                              "layer_norm_vec4",
                              "layer_norm_vec4_no_affine",
                              "reduce_sum_vec4",
                              "reduce_max_vec4_two_axes",
                              "reduce_mean_strided",
                              "reduce_int_min",
                              "concat_negative_axis",
                              "split_negative_axis_0",
                              "split_negative_axis_1",
                              "gather_negative_axis"};

std::vector<HostTensor> buildInputs(mlir::ModuleOp module) {
  std::mt19937 rng(11);
  std::vector<HostTensor> inputs = randomEntryInputs(module, rng);
  // Keep-mask: mostly true, key 0 of each batch false.
  HostTensor &keep = inputs[11];
  for (int64_t k = 0; k < keep.numElements(); ++k)
    keep.setFromDouble(k, k % 5 != 0);
  HostTensor &ints = inputs[16];
  for (int64_t k = 0; k < ints.numElements(); ++k)
    ints.setFromDouble(k, static_cast<double>(k * 7 % 13) - 6);
  return inputs;
}

const OutputsModule kOutputs = {kModule, kOutputNames, buildInputs};

using VulkanLayouts = VulkanOutputsTest<kOutputs>;

TEST_P(VulkanLayouts, MatchesOracle) { checkOutput(); }

INSTANTIATE_TEST_SUITE_P(AllLayouts, VulkanLayouts, VulkanLayouts::params(),
                         VulkanLayouts::name);

} // namespace
