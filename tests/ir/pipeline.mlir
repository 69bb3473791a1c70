// RUN: attnc-opt %s -split-input-file --attn-pipeline | FileCheck %s

// Causal multi-head self-attention as a model author writes it: projections,
// heads split by reshape + transpose, K permuted GPT-2 style, division by
// sqrt(D), masked_fill(-inf) with a causal mask, softmax, ·V, heads merged.
// CHECK-LABEL: func.func @gpt_attention
// CHECK-NOT: attn.softmax
// CHECK-NOT: attn.scaled_masked_softmax
// CHECK: attn.attention %{{.+}}, %{{.+}}, %{{.+}} {causal = #attn<causal top_left>, scale = 2.500000e-01 : f32} : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
// CHECK-NOT: attn.softmax
func.func @gpt_attention(%x: tensor<2x16x64xf32>, %wq: tensor<64x64xf32>, %wk: tensor<64x64xf32>, %wv: tensor<64x64xf32>) -> tensor<2x16x64xf32> {
  %q0 = attn.matmul %x, %wq {transpose_rhs} : (tensor<2x16x64xf32>, tensor<64x64xf32>) -> tensor<2x16x64xf32>
  %k0 = attn.matmul %x, %wk {transpose_rhs} : (tensor<2x16x64xf32>, tensor<64x64xf32>) -> tensor<2x16x64xf32>
  %v0 = attn.matmul %x, %wv {transpose_rhs} : (tensor<2x16x64xf32>, tensor<64x64xf32>) -> tensor<2x16x64xf32>
  %q1 = attn.reshape %q0 : (tensor<2x16x64xf32>) -> tensor<2x16x4x16xf32>
  %k1 = attn.reshape %k0 : (tensor<2x16x64xf32>) -> tensor<2x16x4x16xf32>
  %v1 = attn.reshape %v0 : (tensor<2x16x64xf32>) -> tensor<2x16x4x16xf32>
  %q = attn.transpose %q1 {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x16x4x16xf32>) -> tensor<2x4x16x16xf32>
  %kt = attn.transpose %k1 {perm = array<i64: 0, 2, 3, 1>} : (tensor<2x16x4x16xf32>) -> tensor<2x4x16x16xf32>
  %v = attn.transpose %v1 {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x16x4x16xf32>) -> tensor<2x4x16x16xf32>
  %s = attn.matmul %q, %kt : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %d = attn.constant dense<16.0> : tensor<f32>
  %sd = attn.sqrt %d : tensor<f32>
  %sc = attn.div %s, %sd : (tensor<2x4x16x16xf32>, tensor<f32>) -> tensor<2x4x16x16xf32>
  %keep = attn.causal_mask {causal = #attn<causal top_left>} : tensor<16x16xi1>
  %drop = attn.not %keep : tensor<16x16xi1>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %m = attn.select %drop, %ninf, %sc : (tensor<16x16xi1>, tensor<f32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %p = attn.softmax %m {axis = -1 : i64} : tensor<2x4x16x16xf32>
  %o = attn.matmul %p, %v : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %ot = attn.transpose %o {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x16x16xf32>) -> tensor<2x16x4x16xf32>
  %or = attn.reshape %ot : (tensor<2x16x4x16xf32>) -> tensor<2x16x64xf32>
  return %or : tensor<2x16x64xf32>
}

// -----

// BERT-style padding: an int64 attention_mask [B, S] becomes an additive
// (1 - m) * -10000 bias; the scale is folded into Q before the matmul.
// CHECK-LABEL: func.func @bert_attention
// CHECK: %[[BIAS:.+]] = attn.mul %{{.+}}, %{{.+}} : (tensor<2x1x1x8xf32>, tensor<f32>) -> tensor<2x1x1x8xf32>
// CHECK: attn.attention %{{.+}}, %{{.+}}, %{{.+}} mask %[[BIAS]] {scale = 1.250000e-01 : f32} : (tensor<2x2x8x64xf32>, tensor<2x2x8x64xf32>, tensor<2x2x8x64xf32>, tensor<2x1x1x8xf32>)
// CHECK-NOT: attn.softmax
func.func @bert_attention(%q: tensor<2x2x8x64xf32>, %k: tensor<2x2x8x64xf32>, %v: tensor<2x2x8x64xf32>, %am: tensor<2x8xi64>) -> tensor<2x2x8x64xf32> {
  %c = attn.constant dense<0.125> : tensor<f32>
  %qs = attn.mul %q, %c : (tensor<2x2x8x64xf32>, tensor<f32>) -> tensor<2x2x8x64xf32>
  %kt = attn.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x2x8x64xf32>) -> tensor<2x2x64x8xf32>
  %s = attn.matmul %qs, %kt : (tensor<2x2x8x64xf32>, tensor<2x2x64x8xf32>) -> tensor<2x2x8x8xf32>
  %m4 = attn.reshape %am : (tensor<2x8xi64>) -> tensor<2x1x1x8xi64>
  %mf = attn.cast %m4 : tensor<2x1x1x8xi64> to tensor<2x1x1x8xf32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %inv = attn.sub %one, %mf : (tensor<f32>, tensor<2x1x1x8xf32>) -> tensor<2x1x1x8xf32>
  %big = attn.constant dense<-10000.0> : tensor<f32>
  %bias = attn.mul %inv, %big : (tensor<2x1x1x8xf32>, tensor<f32>) -> tensor<2x1x1x8xf32>
  %sm = attn.add %s, %bias : (tensor<2x2x8x8xf32>, tensor<2x1x1x8xf32>) -> tensor<2x2x8x8xf32>
  %p = attn.softmax %sm {axis = 3 : i64} : tensor<2x2x8x8xf32>
  %o = attn.matmul %p, %v : (tensor<2x2x8x8xf32>, tensor<2x2x8x64xf32>) -> tensor<2x2x8x64xf32>
  return %o : tensor<2x2x8x64xf32>
}

// -----

// nn.MultiheadAttention with need_weights: the averaged weights are returned,
// so the softmax stays one fused scale + mask + softmax and is not folded into
// an attention.
// CHECK-LABEL: func.func @need_weights
// CHECK: %[[P:.+]] = attn.scaled_masked_softmax %{{.+}} {scale = 1.250000e-01 : f32}
// CHECK: attn.matmul %[[P]]
// CHECK: attn.reduce %[[P]]
// CHECK-NOT: attn.attention
func.func @need_weights(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>, %v: tensor<1x4x8x64xf32>) -> (tensor<1x4x8x64xf32>, tensor<1x8x8xf32>) {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x8xf32>
  %c = attn.constant dense<8.0> : tensor<f32>
  %sc = attn.div %s, %c : (tensor<1x4x8x8xf32>, tensor<f32>) -> tensor<1x4x8x8xf32>
  %p = attn.softmax %sc {axis = -1 : i64} : tensor<1x4x8x8xf32>
  %o = attn.matmul %p, %v : (tensor<1x4x8x8xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  %w = attn.reduce %p {kind = #attn<reduce mean>, axes = array<i64: 1>} : (tensor<1x4x8x8xf32>) -> tensor<1x8x8xf32>
  return %o, %w : tensor<1x4x8x64xf32>, tensor<1x8x8xf32>
}
