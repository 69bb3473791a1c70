// RUN: attnc-opt %s -split-input-file --attn-fuse-scale-mask-softmax | FileCheck %s

// Fires: scalar scale, then an additive mask, then softmax over the keys.
// CHECK-LABEL: func.func @scale_and_mask
// CHECK-SAME: (%[[S:.+]]: tensor<2x4x8x8xf32>, %[[M:.+]]: tensor<2x1x1x8xf32>)
// CHECK-NEXT: %[[P:.+]] = attn.scaled_masked_softmax %[[S]] mask %[[M]] {scale = 1.250000e-01 : f32}
// CHECK-NEXT: return %[[P]]
func.func @scale_and_mask(%s: tensor<2x4x8x8xf32>, %m: tensor<2x1x1x8xf32>) -> tensor<2x4x8x8xf32> {
  %c = attn.constant dense<0.125> : tensor<f32>
  %0 = attn.mul %s, %c : (tensor<2x4x8x8xf32>, tensor<f32>) -> tensor<2x4x8x8xf32>
  %1 = attn.add %0, %m : (tensor<2x4x8x8xf32>, tensor<2x1x1x8xf32>) -> tensor<2x4x8x8xf32>
  %2 = attn.softmax %1 {axis = -1 : i64} : tensor<2x4x8x8xf32>
  return %2 : tensor<2x4x8x8xf32>
}

// -----

// A keep-mask from attn.causal_mask applied with select(-inf) becomes the
// causal attribute; no mask operand is left.
// CHECK-LABEL: func.func @causal_select
// CHECK: attn.scaled_masked_softmax %{{[^ ]+}} {causal = #attn<causal top_left>, scale = 1.000000e+00 : f32} : (tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32>
func.func @causal_select(%s: tensor<1x2x6x6xf32>) -> tensor<1x2x6x6xf32> {
  %keep = attn.causal_mask {causal = #attn<causal top_left>} : tensor<6x6xi1>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %0 = attn.select %keep, %s, %ninf : (tensor<6x6xi1>, tensor<1x2x6x6xf32>, tensor<f32>) -> tensor<1x2x6x6xf32>
  %1 = attn.softmax %0 {axis = 3 : i64} : tensor<1x2x6x6xf32>
  return %1 : tensor<1x2x6x6xf32>
}

// -----

// A baked additive constant (0 on and below the diagonal, -inf above) is a
// causal mask too.
// CHECK-LABEL: func.func @causal_additive_constant
// CHECK: attn.scaled_masked_softmax %{{[^ ]+}} {causal = #attn<causal top_left>, scale = 1.000000e+00 : f32} : (tensor<3x3xf32>) -> tensor<3x3xf32>
func.func @causal_additive_constant(%s: tensor<3x3xf32>) -> tensor<3x3xf32> {
  %m = attn.constant dense<[[0.0, 0xFF800000, 0xFF800000], [0.0, 0.0, 0xFF800000], [0.0, 0.0, 0.0]]> : tensor<3x3xf32>
  %0 = attn.add %s, %m : (tensor<3x3xf32>, tensor<3x3xf32>) -> tensor<3x3xf32>
  %1 = attn.softmax %0 {axis = 1 : i64} : tensor<3x3xf32>
  return %1 : tensor<3x3xf32>
}

// -----

// Sq = 2 queries over Sk = 4 keys, the last queries aligned with the last
// keys: bottom_right.
// CHECK-LABEL: func.func @causal_bottom_right
// CHECK: {causal = #attn<causal bottom_right>, scale = 1.000000e+00 : f32}
func.func @causal_bottom_right(%s: tensor<2x4xf32>) -> tensor<2x4xf32> {
  %keep = attn.constant dense<[[true, true, true, false], [true, true, true, true]]> : tensor<2x4xi1>
  %fill = attn.constant dense<-1.0e9> : tensor<f32>
  %0 = attn.select %keep, %s, %fill : (tensor<2x4xi1>, tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  %1 = attn.softmax %0 {axis = -1 : i64} : tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
}

// -----

// A causal mask and a padding mask joined with `and`: the causal part
// becomes the attribute, the padding mask stays an operand.
// CHECK-LABEL: func.func @causal_and_padding
// CHECK-SAME: %[[PAD:[^:]+]]: tensor<2x1x1x5xi1>
// CHECK: attn.scaled_masked_softmax %{{[^ ]+}} mask %[[PAD]] {causal = #attn<causal top_left>, scale = 1.000000e+00 : f32}
func.func @causal_and_padding(%s: tensor<2x3x5x5xf32>, %pad: tensor<2x1x1x5xi1>) -> tensor<2x3x5x5xf32> {
  %causal = attn.causal_mask {causal = #attn<causal top_left>} : tensor<5x5xi1>
  %keep = attn.and %causal, %pad : (tensor<5x5xi1>, tensor<2x1x1x5xi1>) -> tensor<2x1x5x5xi1>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %0 = attn.select %keep, %s, %ninf : (tensor<2x1x5x5xi1>, tensor<2x3x5x5xf32>, tensor<f32>) -> tensor<2x3x5x5xf32>
  %1 = attn.softmax %0 {axis = -1 : i64} : tensor<2x3x5x5xf32>
  return %1 : tensor<2x3x5x5xf32>
}

// -----

// A keep-mask and an additive bias both remain: the keep-mask is turned into
// 0 / -inf and added to the bias, one additive mask.
// CHECK-LABEL: func.func @keep_and_bias
// CHECK: %[[ADD:.+]] = attn.select %{{.+}}, %{{.+}}, %{{.+}} : (tensor<4x4xi1>, tensor<f32>, tensor<f32>) -> tensor<4x4xf32>
// CHECK: %[[MASK:.+]] = attn.add %[[ADD]], %{{.+}} : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
// CHECK: attn.scaled_masked_softmax %{{[^ ]+}} mask %[[MASK]] {scale = 1.000000e+00 : f32}
func.func @keep_and_bias(%s: tensor<4x4xf32>, %keep: tensor<4x4xi1>, %bias: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = attn.add %s, %bias : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %1 = attn.select %keep, %0, %ninf : (tensor<4x4xi1>, tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
  %2 = attn.softmax %1 {axis = -1 : i64} : tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}

// -----

// Near miss: a softmax over the query axis is not an attention softmax.
// CHECK-LABEL: func.func @wrong_axis
// CHECK: attn.softmax %{{.+}} {axis = 2 : i64}
// CHECK-NOT: attn.scaled_masked_softmax
func.func @wrong_axis(%s: tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32> {
  %0 = attn.softmax %s {axis = 2 : i64} : tensor<1x2x8x8xf32>
  return %0 : tensor<1x2x8x8xf32>
}

// -----

// Near miss: select with a fill of 0 is not a mask; it stays in front of the
// fused softmax.
// CHECK-LABEL: func.func @fill_zero
// CHECK: %[[SEL:.+]] = attn.select
// CHECK: attn.scaled_masked_softmax %[[SEL]] {scale = 1.000000e+00 : f32}
func.func @fill_zero(%s: tensor<4x4xf32>, %keep: tensor<4x4xi1>) -> tensor<4x4xf32> {
  %zero = attn.constant dense<0.0> : tensor<f32>
  %0 = attn.select %keep, %s, %zero : (tensor<4x4xi1>, tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
  %1 = attn.softmax %0 {axis = -1 : i64} : tensor<4x4xf32>
  return %1 : tensor<4x4xf32>
}

// -----

// Near miss: a scale applied after the mask would scale the mask too; only
// the outer scale is absorbed and the add stays.
// CHECK-LABEL: func.func @scale_after_mask
// CHECK: %[[ADD:.+]] = attn.add
// CHECK: attn.scaled_masked_softmax %[[ADD]] {scale = 5.000000e-01 : f32}
func.func @scale_after_mask(%s: tensor<4x4xf32>, %m: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = attn.add %s, %m : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %c = attn.constant dense<0.5> : tensor<f32>
  %1 = attn.mul %0, %c : (tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
  %2 = attn.softmax %1 {axis = -1 : i64} : tensor<4x4xf32>
  return %2 : tensor<4x4xf32>
}
