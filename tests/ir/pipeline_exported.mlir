// RUN: attnc-opt %s -split-input-file --attn-pipeline | FileCheck %s

// Whole attention blocks in the forms torch.onnx.export gives (after the
// ONNX importer folded their shape arithmetic).

// nn.MultiheadAttention with a key padding mask: heads merged into the batch
// ([B·H, S, D]), Q divided by sqrt(D) before Q·Kᵀ, baddbmm's mul-by-1 on
// scores and mask, the mask as where(pad, -inf, 0). One attention, with the
// padding as a keep-mask.
// CHECK-LABEL: func.func @mha_key_padding
// CHECK: %[[KEEP:.+]] = attn.not %{{.+}} : tensor<8x1x6xi1>
// CHECK: %[[K4:.+]] = attn.reshape %[[KEEP]] : (tensor<8x1x6xi1>) -> tensor<8x1x1x6xi1>
// CHECK: attn.attention %{{.+}}, %{{.+}}, %{{.+}} mask %[[K4]] {scale = 0.707106769 : f32} : (tensor<8x1x4x2xf32>, tensor<8x1x6x2xf32>, tensor<8x1x6x2xf32>, tensor<8x1x1x6xi1>) -> tensor<8x1x4x2xf32>
// CHECK-NOT: attn.softmax
func.func @mha_key_padding(%q: tensor<8x4x2xf32>, %k: tensor<6x8x2xf32>, %v: tensor<8x6x2xf32>, %pad: tensor<8x1x6xi1>) -> tensor<8x4x2xf32> {
  %sqrt = attn.constant dense<1.41421354> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %zeros = attn.constant dense<0.0> : tensor<8x1x6xf32>
  %m = attn.select %pad, %ninf, %zeros : (tensor<8x1x6xi1>, tensor<f32>, tensor<8x1x6xf32>) -> tensor<8x1x6xf32>
  %qs = attn.div %q, %sqrt : (tensor<8x4x2xf32>, tensor<f32>) -> tensor<8x4x2xf32>
  %kt = attn.transpose %k {perm = array<i64: 1, 2, 0>} : (tensor<6x8x2xf32>) -> tensor<8x2x6xf32>
  %s = attn.matmul %qs, %kt : (tensor<8x4x2xf32>, tensor<8x2x6xf32>) -> tensor<8x4x6xf32>
  %s1 = attn.mul %s, %one : (tensor<8x4x6xf32>, tensor<f32>) -> tensor<8x4x6xf32>
  %m1 = attn.mul %m, %one : (tensor<8x1x6xf32>, tensor<f32>) -> tensor<8x1x6xf32>
  %a = attn.add %s1, %m1 : (tensor<8x4x6xf32>, tensor<8x1x6xf32>) -> tensor<8x4x6xf32>
  %p = attn.softmax %a {axis = -1 : i64} : tensor<8x4x6xf32>
  %o = attn.matmul %p, %v : (tensor<8x4x6xf32>, tensor<8x6x2xf32>) -> tensor<8x4x2xf32>
  return %o : tensor<8x4x2xf32>
}

// -----

// A boolean causal mask or-ed with the key padding mask, turned into
// where(mask, -inf, 0): the causal part becomes the attribute and the
// padding stays a keep-mask.
// CHECK-LABEL: func.func @mha_causal_or_padding
// CHECK: %[[KEEP:.+]] = attn.not %{{.+}} : tensor<8x1x6xi1>
// CHECK: %[[K4:.+]] = attn.reshape %[[KEEP]]
// CHECK: attn.attention %{{.+}}, %{{.+}}, %{{.+}} mask %[[K4]] {causal = #attn<causal top_left>, scale = 0.707106769 : f32}
func.func @mha_causal_or_padding(%q: tensor<8x6x2xf32>, %k: tensor<8x6x2xf32>, %v: tensor<8x6x2xf32>, %pad: tensor<8x1x6xi1>) -> tensor<8x6x2xf32> {
  %future = attn.constant dense<[[[false, true, true, true, true, true], [false, false, true, true, true, true], [false, false, false, true, true, true], [false, false, false, false, true, true], [false, false, false, false, false, true], [false, false, false, false, false, false]]]> : tensor<1x6x6xi1>
  %c = attn.constant dense<0.707106769> : tensor<f32>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %zero = attn.constant dense<0.0> : tensor<f32>
  %drop = attn.or %future, %pad : (tensor<1x6x6xi1>, tensor<8x1x6xi1>) -> tensor<8x6x6xi1>
  %m = attn.select %drop, %ninf, %zero : (tensor<8x6x6xi1>, tensor<f32>, tensor<f32>) -> tensor<8x6x6xf32>
  %qs = attn.mul %q, %c : (tensor<8x6x2xf32>, tensor<f32>) -> tensor<8x6x2xf32>
  %s = attn.matmul %qs, %k {transpose_rhs} : (tensor<8x6x2xf32>, tensor<8x6x2xf32>) -> tensor<8x6x6xf32>
  %a = attn.add %s, %m : (tensor<8x6x6xf32>, tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  %p = attn.softmax %a {axis = -1 : i64} : tensor<8x6x6xf32>
  %o = attn.matmul %p, %v : (tensor<8x6x6xf32>, tensor<8x6x2xf32>) -> tensor<8x6x2xf32>
  return %o : tensor<8x6x2xf32>
}

// -----

// BART: Q scaled on [B, S, E] before the heads are split, bmm on [B·H, S, D],
// the scores viewed as [B, H, S, S] to add the mask. One [B, H, S, D]
// attention.
// CHECK-LABEL: func.func @bart_self_attention
// CHECK-SAME: %[[M:[^:]+]]: tensor<2x1x6x6xf32>
// CHECK: attn.attention %{{.+}}, %{{.+}}, %{{.+}} mask %[[M]] {scale = 0.707106769 : f32} : (tensor<2x4x6x2xf32>, tensor<2x4x6x2xf32>, tensor<2x4x6x2xf32>, tensor<2x1x6x6xf32>) -> tensor<2x4x6x2xf32>
// CHECK-NOT: attn.softmax
func.func @bart_self_attention(%x: tensor<2x6x8xf32>, %k: tensor<8x6x2xf32>, %v: tensor<8x6x2xf32>, %m: tensor<2x1x6x6xf32>) -> tensor<8x6x2xf32> {
  %c = attn.constant dense<0.707106769> : tensor<f32>
  %xs = attn.mul %x, %c : (tensor<2x6x8xf32>, tensor<f32>) -> tensor<2x6x8xf32>
  %x4 = attn.reshape %xs : (tensor<2x6x8xf32>) -> tensor<2x6x4x2xf32>
  %xt = attn.transpose %x4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x6x4x2xf32>) -> tensor<2x4x6x2xf32>
  %q = attn.reshape %xt : (tensor<2x4x6x2xf32>) -> tensor<8x6x2xf32>
  %kt = attn.transpose %k {perm = array<i64: 0, 2, 1>} : (tensor<8x6x2xf32>) -> tensor<8x2x6xf32>
  %s = attn.matmul %q, %kt : (tensor<8x6x2xf32>, tensor<8x2x6xf32>) -> tensor<8x6x6xf32>
  %s4 = attn.reshape %s : (tensor<8x6x6xf32>) -> tensor<2x4x6x6xf32>
  %a = attn.add %s4, %m : (tensor<2x4x6x6xf32>, tensor<2x1x6x6xf32>) -> tensor<2x4x6x6xf32>
  %a3 = attn.reshape %a : (tensor<2x4x6x6xf32>) -> tensor<8x6x6xf32>
  %p = attn.softmax %a3 {axis = -1 : i64} : tensor<8x6x6xf32>
  %o = attn.matmul %p, %v : (tensor<8x6x6xf32>, tensor<8x6x2xf32>) -> tensor<8x6x2xf32>
  return %o : tensor<8x6x2xf32>
}

// -----

// Near miss: need_weights=True also returns the probabilities (averaged over
// heads), so the score matrix must exist: scale and softmax fuse, the
// attention does not.
// CHECK-LABEL: func.func @mha_need_weights
// CHECK: %[[P:.+]] = attn.scaled_masked_softmax %{{.+}} {scale = 0.707106769 : f32} : (tensor<8x4x6xf32>) -> tensor<8x4x6xf32>
// CHECK: attn.matmul %[[P]], %{{.+}}
// CHECK-NOT: attn.attention
func.func @mha_need_weights(%q: tensor<8x4x2xf32>, %k: tensor<8x6x2xf32>, %v: tensor<8x6x2xf32>) -> (tensor<8x4x2xf32>, tensor<2x4x6xf32>) {
  %sqrt = attn.constant dense<1.41421354> : tensor<f32>
  %heads = attn.constant dense<4.0> : tensor<f32>
  %qs = attn.div %q, %sqrt : (tensor<8x4x2xf32>, tensor<f32>) -> tensor<8x4x2xf32>
  %s = attn.matmul %qs, %k {transpose_rhs} : (tensor<8x4x2xf32>, tensor<8x6x2xf32>) -> tensor<8x4x6xf32>
  %p = attn.softmax %s {axis = -1 : i64} : tensor<8x4x6xf32>
  %o = attn.matmul %p, %v : (tensor<8x4x6xf32>, tensor<8x6x2xf32>) -> tensor<8x4x2xf32>
  %p4 = attn.reshape %p : (tensor<8x4x6xf32>) -> tensor<2x4x4x6xf32>
  %sum = attn.reduce %p4 {axes = array<i64: 1>, kind = #attn<reduce sum>} : (tensor<2x4x4x6xf32>) -> tensor<2x4x6xf32>
  %w = attn.div %sum, %heads : (tensor<2x4x6xf32>, tensor<f32>) -> tensor<2x4x6xf32>
  return %o, %w : tensor<8x4x2xf32>, tensor<2x4x6xf32>
}
