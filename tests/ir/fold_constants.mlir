// RUN: attnc-opt %s -split-input-file --attn-fold-constants | FileCheck %s

// A transposed constant weight becomes a constant.
// CHECK-LABEL: func.func @transpose_weight
// CHECK: %[[W:.+]] = attn.constant dense<{{\[}}[1.000000e+00, 3.000000e+00], [2.000000e+00, 4.000000e+00]]> : tensor<2x2xf32>
// CHECK: attn.matmul %{{.+}}, %[[W]]
// CHECK-NOT: attn.transpose
func.func @transpose_weight(%x: tensor<3x2xf32>) -> tensor<3x2xf32> {
  %w = attn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %wt = attn.transpose %w {perm = array<i64: 1, 0>} : (tensor<2x2xf32>) -> tensor<2x2xf32>
  %0 = attn.matmul %x, %wt : (tensor<3x2xf32>, tensor<2x2xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

// A chain of constant ops collapses in one walk: sqrt(64) then 1 / 8.
// CHECK-LABEL: func.func @chain
// CHECK: %[[C:.+]] = attn.constant dense<1.250000e-01> : tensor<f32>
// CHECK: attn.mul %{{.+}}, %[[C]]
func.func @chain(%x: tensor<4xf32>) -> tensor<4xf32> {
  %d = attn.constant dense<64.0> : tensor<f32>
  %s = attn.sqrt %d : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %inv = attn.div %one, %s : (tensor<f32>, tensor<f32>) -> tensor<f32>
  %0 = attn.mul %x, %inv : (tensor<4xf32>, tensor<f32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Near miss: an op with a non-constant operand stays.
// CHECK-LABEL: func.func @not_constant
// CHECK: attn.add
func.func @not_constant(%x: tensor<4xf32>) -> tensor<4xf32> {
  %c = attn.constant dense<1.0> : tensor<4xf32>
  %0 = attn.add %x, %c : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

// Near miss: folding would grow the data (a broadcast, a generated mask), so
// those stay ops.
// CHECK-LABEL: func.func @no_growth
// CHECK: attn.broadcast_to
// CHECK: attn.causal_mask
func.func @no_growth() -> (tensor<64x64xf32>, tensor<8x8xi1>) {
  %c = attn.constant dense<2.0> : tensor<1x64xf32>
  %0 = attn.broadcast_to %c : (tensor<1x64xf32>) -> tensor<64x64xf32>
  %1 = attn.causal_mask {causal = #attn<causal top_left>} : tensor<8x8xi1>
  return %0, %1 : tensor<64x64xf32>, tensor<8x8xi1>
}

// -----

// An index out of range is a run-time error; the op is left for run time.
// CHECK-LABEL: func.func @bad_gather
// CHECK: attn.gather
func.func @bad_gather() -> tensor<1x2xf32> {
  %t = attn.constant dense<[[1.0, 2.0], [3.0, 4.0]]> : tensor<2x2xf32>
  %i = attn.constant dense<[5]> : tensor<1xi64>
  %0 = attn.gather %t, %i : (tensor<2x2xf32>, tensor<1xi64>) -> tensor<1x2xf32>
  return %0 : tensor<1x2xf32>
}
