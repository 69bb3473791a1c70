// RUN: attnc-opt %s -split-input-file --attn-fuse-attention | FileCheck %s

// Fires: [B, H, S, D] with K read through the transpose flag.
// CHECK-LABEL: func.func @fires
// CHECK-SAME: (%[[Q:.+]]: tensor<2x4x16x32xf32>, %[[K:.+]]: tensor<2x4x16x32xf32>, %[[V:.+]]: tensor<2x4x16x32xf32>)
// CHECK-NEXT: %[[O:.+]] = attn.attention %[[Q]], %[[K]], %[[V]] {scale = 0.176776692 : f32}
// CHECK-NEXT: return %[[O]]
func.func @fires(%q: tensor<2x4x16x32xf32>, %k: tensor<2x4x16x32xf32>, %v: tensor<2x4x16x32xf32>) -> tensor<2x4x16x32xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<2x4x16x32xf32>, tensor<2x4x16x32xf32>) -> tensor<2x4x16x16xf32>
  %p = attn.scaled_masked_softmax %s {scale = 0.176776692 : f32} : (tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %o = attn.matmul %p, %v : (tensor<2x4x16x16xf32>, tensor<2x4x16x32xf32>) -> tensor<2x4x16x32xf32>
  return %o : tensor<2x4x16x32xf32>
}

// -----

// Near miss: the probabilities are also returned (attention weights), so the
// score matrix must exist; nothing is fused.
// CHECK-LABEL: func.func @weights_returned
// CHECK: attn.matmul
// CHECK: attn.scaled_masked_softmax
// CHECK: attn.matmul
// CHECK-NOT: attn.attention
func.func @weights_returned(%q: tensor<2x4x16x32xf32>, %k: tensor<2x4x16x32xf32>, %v: tensor<2x4x16x32xf32>) -> (tensor<2x4x16x32xf32>, tensor<2x4x16x16xf32>) {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<2x4x16x32xf32>, tensor<2x4x16x32xf32>) -> tensor<2x4x16x16xf32>
  %p = attn.scaled_masked_softmax %s {scale = 0.176776692 : f32} : (tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %o = attn.matmul %p, %v : (tensor<2x4x16x16xf32>, tensor<2x4x16x32xf32>) -> tensor<2x4x16x32xf32>
  return %o, %p : tensor<2x4x16x32xf32>, tensor<2x4x16x16xf32>
}

// -----

// Near miss: the scores go through an op that is neither a scale nor a mask
// (tanh soft-capping), so the softmax input is not the Q·Kᵀ matmul.
// CHECK-LABEL: func.func @softcapped
// CHECK-NOT: attn.attention
func.func @softcapped(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %t = attn.tanh %s : tensor<1x2x8x8xf32>
  %p = attn.scaled_masked_softmax %t {scale = 1.0 : f32} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// One head per batch entry, [N, S, D] (heads already merged into the batch):
// normalised to [N, 1, S, D] and back.
// CHECK-LABEL: func.func @rank3
// CHECK-DAG: %[[Q4:.+]] = attn.reshape %{{.+}} : (tensor<8x16x32xf32>) -> tensor<8x1x16x32xf32>
// CHECK-DAG: %[[M4:.+]] = attn.reshape %{{.+}} : (tensor<8x16x16xf32>) -> tensor<8x1x16x16xf32>
// CHECK: %[[O4:.+]] = attn.attention %[[Q4]], %{{.+}}, %{{.+}} mask %[[M4]] {scale = 1.250000e-01 : f32} : (tensor<8x1x16x32xf32>, tensor<8x1x16x32xf32>, tensor<8x1x16x32xf32>, tensor<8x1x16x16xf32>) -> tensor<8x1x16x32xf32>
// CHECK: attn.reshape %[[O4]] : (tensor<8x1x16x32xf32>) -> tensor<8x16x32xf32>
func.func @rank3(%q: tensor<8x16x32xf32>, %k: tensor<8x16x32xf32>, %v: tensor<8x16x32xf32>, %m: tensor<8x16x16xf32>) -> tensor<8x16x32xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<8x16x32xf32>, tensor<8x16x32xf32>) -> tensor<8x16x16xf32>
  %p = attn.scaled_masked_softmax %s mask %m {scale = 0.125 : f32} : (tensor<8x16x16xf32>, tensor<8x16x16xf32>) -> tensor<8x16x16xf32>
  %o = attn.matmul %p, %v : (tensor<8x16x16xf32>, tensor<8x16x32xf32>) -> tensor<8x16x32xf32>
  return %o : tensor<8x16x32xf32>
}

// -----

// Causal: the alignment travels from the softmax to the attention.
// CHECK-LABEL: func.func @causal
// CHECK: attn.attention %{{.+}}, %{{.+}}, %{{.+}} {causal = #attn<causal bottom_right>, scale = 1.250000e-01 : f32}
func.func @causal(%q: tensor<1x8x4x64xf32>, %k: tensor<1x8x32x64xf32>, %v: tensor<1x8x32x64xf32>) -> tensor<1x8x4x64xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<1x8x4x64xf32>, tensor<1x8x32x64xf32>) -> tensor<1x8x4x32xf32>
  %p = attn.scaled_masked_softmax %s {scale = 0.125 : f32, causal = #attn<causal bottom_right>} : (tensor<1x8x4x32xf32>) -> tensor<1x8x4x32xf32>
  %o = attn.matmul %p, %v : (tensor<1x8x4x32xf32>, tensor<1x8x32x64xf32>) -> tensor<1x8x4x64xf32>
  return %o : tensor<1x8x4x64xf32>
}

// -----

// Grouped-query attention: K/V heads repeated the repeat_kv way are read
// unrepeated, 8 query heads over 2 kv heads.
// CHECK-LABEL: func.func @gqa
// CHECK-SAME: (%[[Q:.+]]: tensor<1x8x16x32xf32>, %[[K:.+]]: tensor<1x2x16x32xf32>, %[[V:.+]]: tensor<1x2x16x32xf32>)
// CHECK: attn.attention %[[Q]], %[[K]], %[[V]] {{.+}} : (tensor<1x8x16x32xf32>, tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32>) -> tensor<1x8x16x32xf32>
func.func @gqa(%q: tensor<1x8x16x32xf32>, %k: tensor<1x2x16x32xf32>, %v: tensor<1x2x16x32xf32>) -> tensor<1x8x16x32xf32> {
  %k5 = attn.reshape %k : (tensor<1x2x16x32xf32>) -> tensor<1x2x1x16x32xf32>
  %kb = attn.broadcast_to %k5 : (tensor<1x2x1x16x32xf32>) -> tensor<1x2x4x16x32xf32>
  %kr = attn.reshape %kb : (tensor<1x2x4x16x32xf32>) -> tensor<1x8x16x32xf32>
  %v5 = attn.reshape %v : (tensor<1x2x16x32xf32>) -> tensor<1x2x1x16x32xf32>
  %vb = attn.broadcast_to %v5 : (tensor<1x2x1x16x32xf32>) -> tensor<1x2x4x16x32xf32>
  %vr = attn.reshape %vb : (tensor<1x2x4x16x32xf32>) -> tensor<1x8x16x32xf32>
  %s = attn.matmul %q, %kr {transpose_rhs} : (tensor<1x8x16x32xf32>, tensor<1x8x16x32xf32>) -> tensor<1x8x16x16xf32>
  %p = attn.scaled_masked_softmax %s {scale = 0.176776692 : f32} : (tensor<1x8x16x16xf32>) -> tensor<1x8x16x16xf32>
  %o = attn.matmul %p, %vr : (tensor<1x8x16x16xf32>, tensor<1x8x16x32xf32>) -> tensor<1x8x16x32xf32>
  return %o : tensor<1x8x16x32xf32>
}

// -----

// Multi-query attention written with matmul broadcasting (one kv head).
// CHECK-LABEL: func.func @mqa
// CHECK: attn.attention {{.+}} : (tensor<2x8x16x32xf32>, tensor<2x1x16x32xf32>, tensor<2x1x16x32xf32>) -> tensor<2x8x16x32xf32>
func.func @mqa(%q: tensor<2x8x16x32xf32>, %k: tensor<2x1x16x32xf32>, %v: tensor<2x1x16x32xf32>) -> tensor<2x8x16x32xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<2x8x16x32xf32>, tensor<2x1x16x32xf32>) -> tensor<2x8x16x16xf32>
  %p = attn.scaled_masked_softmax %s {scale = 0.176776692 : f32} : (tensor<2x8x16x16xf32>) -> tensor<2x8x16x16xf32>
  %o = attn.matmul %p, %v : (tensor<2x8x16x16xf32>, tensor<2x1x16x32xf32>) -> tensor<2x8x16x32xf32>
  return %o : tensor<2x8x16x32xf32>
}

// -----

// Cross-attention: queries from the decoder (Sq = 12), keys and values from
// the encoder memory (Sk = 20) with a key padding mask.
// CHECK-LABEL: func.func @cross
// CHECK-SAME: %[[MASK:[^:]+]]: tensor<2x1x1x20xi1>
// CHECK: attn.attention %{{.+}}, %{{.+}}, %{{.+}} mask %[[MASK]] {scale = 1.250000e-01 : f32} : (tensor<2x4x12x64xf32>, tensor<2x4x20x64xf32>, tensor<2x4x20x64xf32>, tensor<2x1x1x20xi1>) -> tensor<2x4x12x64xf32>
func.func @cross(%q: tensor<2x4x12x64xf32>, %k: tensor<2x4x20x64xf32>, %v: tensor<2x4x20x64xf32>, %m: tensor<2x1x1x20xi1>) -> tensor<2x4x12x64xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<2x4x12x64xf32>, tensor<2x4x20x64xf32>) -> tensor<2x4x12x20xf32>
  %p = attn.scaled_masked_softmax %s mask %m {scale = 0.125 : f32} : (tensor<2x4x12x20xf32>, tensor<2x1x1x20xi1>) -> tensor<2x4x12x20xf32>
  %o = attn.matmul %p, %v : (tensor<2x4x12x20xf32>, tensor<2x4x20x64xf32>) -> tensor<2x4x12x64xf32>
  return %o : tensor<2x4x12x64xf32>
}

// -----

// K stored as [B, H, D, S] (no transpose flag): a transpose op gives the
// attention its [B, H, S, D] key.
// CHECK-LABEL: func.func @key_not_transposed
// CHECK: %[[KT:.+]] = attn.transpose %{{.+}} {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x32x8xf32>) -> tensor<1x2x8x32xf32>
// CHECK: attn.attention %{{.+}}, %[[KT]], %{{.+}}
func.func @key_not_transposed(%q: tensor<1x2x8x32xf32>, %kt: tensor<1x2x32x8xf32>, %v: tensor<1x2x8x32xf32>) -> tensor<1x2x8x32xf32> {
  %s = attn.matmul %q, %kt : (tensor<1x2x8x32xf32>, tensor<1x2x32x8xf32>) -> tensor<1x2x8x8xf32>
  %p = attn.scaled_masked_softmax %s {scale = 0.176776692 : f32} : (tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x32xf32>) -> tensor<1x2x8x32xf32>
  return %o : tensor<1x2x8x32xf32>
}

// -----

// An attn.attention given repeated K/V heads (ONNX Attention after
// repeat_kv) reads the two unrepeated heads.
// CHECK-LABEL: func.func @attention_of_repeated_heads
// CHECK-SAME: (%[[Q:.+]]: tensor<1x8x16x32xf32>, %[[K:.+]]: tensor<1x2x16x32xf32>, %[[V:.+]]: tensor<1x2x16x32xf32>)
// CHECK: attn.attention %[[Q]], %[[K]], %[[V]] {causal = #attn<causal top_left>} : (tensor<1x8x16x32xf32>, tensor<1x2x16x32xf32>, tensor<1x2x16x32xf32>) -> tensor<1x8x16x32xf32>
func.func @attention_of_repeated_heads(%q: tensor<1x8x16x32xf32>, %k: tensor<1x2x16x32xf32>, %v: tensor<1x2x16x32xf32>) -> tensor<1x8x16x32xf32> {
  %k5 = attn.reshape %k : (tensor<1x2x16x32xf32>) -> tensor<1x2x1x16x32xf32>
  %kb = attn.broadcast_to %k5 : (tensor<1x2x1x16x32xf32>) -> tensor<1x2x4x16x32xf32>
  %kr = attn.reshape %kb : (tensor<1x2x4x16x32xf32>) -> tensor<1x8x16x32xf32>
  %v5 = attn.reshape %v : (tensor<1x2x16x32xf32>) -> tensor<1x2x1x16x32xf32>
  %vb = attn.broadcast_to %v5 : (tensor<1x2x1x16x32xf32>) -> tensor<1x2x4x16x32xf32>
  %vr = attn.reshape %vb : (tensor<1x2x4x16x32xf32>) -> tensor<1x8x16x32xf32>
  %0 = attn.attention %q, %kr, %vr {causal = #attn<causal top_left>} : (tensor<1x8x16x32xf32>, tensor<1x8x16x32xf32>, tensor<1x8x16x32xf32>) -> tensor<1x8x16x32xf32>
  return %0 : tensor<1x8x16x32xf32>
}

// -----

// Near miss: only K is repeated; V has eight heads of its own.
// CHECK-LABEL: func.func @attention_of_repeated_key_only
// CHECK: attn.attention %{{.+}}, %{{.+}}, %{{.+}} : (tensor<1x8x16x32xf32>, tensor<1x8x16x32xf32>, tensor<1x8x16x32xf32>)
func.func @attention_of_repeated_key_only(%q: tensor<1x8x16x32xf32>, %k: tensor<1x2x16x32xf32>, %v: tensor<1x8x16x32xf32>) -> tensor<1x8x16x32xf32> {
  %k5 = attn.reshape %k : (tensor<1x2x16x32xf32>) -> tensor<1x2x1x16x32xf32>
  %kb = attn.broadcast_to %k5 : (tensor<1x2x1x16x32xf32>) -> tensor<1x2x4x16x32xf32>
  %kr = attn.reshape %kb : (tensor<1x2x4x16x32xf32>) -> tensor<1x8x16x32xf32>
  %0 = attn.attention %q, %kr, %v : (tensor<1x8x16x32xf32>, tensor<1x8x16x32xf32>, tensor<1x8x16x32xf32>) -> tensor<1x8x16x32xf32>
  return %0 : tensor<1x8x16x32xf32>
}

// -----

// An attn.attention given a constant causal keep-mask, the same block for
// both batches (ONNX Attention after a mask built from Ranges), takes the
// causal attribute instead.
// CHECK-LABEL: func.func @attention_constant_causal_mask
// CHECK: attn.attention %{{.+}}, %{{.+}}, %{{.+}} {causal = #attn<causal top_left>} : (tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>) -> tensor<2x2x3x8xf32>
func.func @attention_constant_causal_mask(%q: tensor<2x2x3x8xf32>, %k: tensor<2x2x3x8xf32>, %v: tensor<2x2x3x8xf32>) -> tensor<2x2x3x8xf32> {
  %m = attn.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]], [[[true, false, false], [true, true, false], [true, true, true]]]]> : tensor<2x1x3x3xi1>
  %0 = attn.attention %q, %k, %v mask %m : (tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>, tensor<2x1x3x3xi1>) -> tensor<2x2x3x8xf32>
  return %0 : tensor<2x2x3x8xf32>
}

// -----

// Near miss: the second batch hides another key (padding), so the mask
// stays.
// CHECK-LABEL: func.func @attention_constant_mask_per_batch
// CHECK: attn.attention %{{.+}}, %{{.+}}, %{{.+}} mask %{{.+}} :
func.func @attention_constant_mask_per_batch(%q: tensor<2x2x3x8xf32>, %k: tensor<2x2x3x8xf32>, %v: tensor<2x2x3x8xf32>) -> tensor<2x2x3x8xf32> {
  %m = attn.constant dense<[[[[true, false, false], [true, true, false], [true, true, true]]], [[[true, false, false], [true, true, false], [true, true, false]]]]> : tensor<2x1x3x3xi1>
  %0 = attn.attention %q, %k, %v mask %m : (tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>, tensor<2x2x3x8xf32>, tensor<2x1x3x3xi1>) -> tensor<2x2x3x8xf32>
  return %0 : tensor<2x2x3x8xf32>
}
