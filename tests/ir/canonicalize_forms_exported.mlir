// RUN: attnc-opt %s -split-input-file --attn-canonicalize-forms | FileCheck %s

// Attention idioms as torch.onnx.export writes them (see docs/onnx.md).

// baddbmm's alpha and beta leave mul by 1; a zeros mask adds 0.
// CHECK-LABEL: func.func @drop_neutral_scalars
// CHECK-SAME: (%[[S:.+]]: tensor<8x4x6xf32>)
// CHECK-NEXT: return %[[S]]
func.func @drop_neutral_scalars(%s: tensor<8x4x6xf32>) -> tensor<8x4x6xf32> {
  %one = attn.constant dense<1.0> : tensor<f32>
  %zeros = attn.constant dense<0.0> : tensor<8x1x6xf32>
  %0 = attn.mul %s, %one : (tensor<8x4x6xf32>, tensor<f32>) -> tensor<8x4x6xf32>
  %1 = attn.add %zeros, %0 : (tensor<8x1x6xf32>, tensor<8x4x6xf32>) -> tensor<8x4x6xf32>
  return %1 : tensor<8x4x6xf32>
}

// -----

// Near miss: a 1 that broadcasts the operand to a larger shape, and a
// non-neutral scalar, stay.
// CHECK-LABEL: func.func @neutral_scalar_broadcasts
// CHECK: attn.mul
// CHECK: attn.add
func.func @neutral_scalar_broadcasts(%s: tensor<6xf32>) -> tensor<4x6xf32> {
  %ones = attn.constant dense<1.0> : tensor<4x6xf32>
  %half = attn.constant dense<0.5> : tensor<f32>
  %0 = attn.mul %s, %ones : (tensor<6xf32>, tensor<4x6xf32>) -> tensor<4x6xf32>
  %1 = attn.add %0, %half : (tensor<4x6xf32>, tensor<f32>) -> tensor<4x6xf32>
  return %1 : tensor<4x6xf32>
}

// -----

// nn.MultiheadAttention's key padding mask: where(pad, -inf, 0) added to the
// scores becomes a select of the scores, keeping not(pad).
// CHECK-LABEL: func.func @additive_select_mask
// CHECK-SAME: (%[[Q:[^:]+]]: {{.+}}, %[[K:[^:]+]]: {{.+}}, %[[PAD:[^:]+]]: tensor<8x1x6xi1>)
// CHECK-DAG: %[[S:.+]] = attn.matmul %[[Q]], %[[K]] {transpose_rhs}
// CHECK-DAG: %[[KEEP:.+]] = attn.not %[[PAD]]
// CHECK: %[[R:.+]] = attn.select %[[KEEP]], %[[S]], %{{.+}} : (tensor<8x1x6xi1>, tensor<8x4x6xf32>, tensor<f32>) -> tensor<8x4x6xf32>
// CHECK: return %[[R]]
func.func @additive_select_mask(%q: tensor<8x4x2xf32>, %k: tensor<8x6x2xf32>, %pad: tensor<8x1x6xi1>) -> tensor<8x4x6xf32> {
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %zeros = attn.constant dense<0.0> : tensor<8x1x6xf32>
  %m = attn.select %pad, %ninf, %zeros : (tensor<8x1x6xi1>, tensor<f32>, tensor<8x1x6xf32>) -> tensor<8x1x6xf32>
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<8x4x2xf32>, tensor<8x6x2xf32>) -> tensor<8x4x6xf32>
  %0 = attn.add %s, %m : (tensor<8x4x6xf32>, tensor<8x1x6xf32>) -> tensor<8x4x6xf32>
  return %0 : tensor<8x4x6xf32>
}

// -----

// A float causal mask merged with a padding mask (masked_fill(pad, -inf)):
// the causal part stays additive, the padding part becomes a select.
// CHECK-LABEL: func.func @merged_masks
// CHECK-SAME: %[[CAUSAL:[^:]+]]: tensor<6x6xf32>, %[[KEEP:[^:]+]]: tensor<8x1x6xi1>
// CHECK: %[[S:.+]] = attn.matmul
// CHECK: %[[ADD:.+]] = attn.add %[[S]], %[[CAUSAL]]
// CHECK: attn.select %[[KEEP]], %[[ADD]], %{{.+}} : (tensor<8x1x6xi1>, tensor<8x6x6xf32>, tensor<f32>)
func.func @merged_masks(%q: tensor<8x6x2xf32>, %k: tensor<8x6x2xf32>, %causal: tensor<6x6xf32>, %keep: tensor<8x1x6xi1>) -> tensor<8x6x6xf32> {
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %m = attn.select %keep, %causal, %ninf : (tensor<8x1x6xi1>, tensor<6x6xf32>, tensor<f32>) -> tensor<8x6x6xf32>
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<8x6x2xf32>, tensor<8x6x2xf32>) -> tensor<8x6x6xf32>
  %0 = attn.add %s, %m : (tensor<8x6x6xf32>, tensor<8x6x6xf32>) -> tensor<8x6x6xf32>
  return %0 : tensor<8x6x6xf32>
}

// -----

// Near miss: with a finite fill (-1e9) adding and selecting differ (a row
// with every key masked), so the add stays.
// CHECK-LABEL: func.func @additive_select_finite_fill
// CHECK: %[[M:.+]] = attn.select
// CHECK: attn.add %{{.+}}, %[[M]]
func.func @additive_select_finite_fill(%q: tensor<8x4x2xf32>, %k: tensor<8x6x2xf32>, %pad: tensor<8x1x6xi1>) -> tensor<8x4x6xf32> {
  %fill = attn.constant dense<-1.0e9> : tensor<f32>
  %zero = attn.constant dense<0.0> : tensor<f32>
  %m = attn.select %pad, %fill, %zero : (tensor<8x1x6xi1>, tensor<f32>, tensor<f32>) -> tensor<8x1x6xf32>
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<8x4x2xf32>, tensor<8x6x2xf32>) -> tensor<8x4x6xf32>
  %0 = attn.add %s, %m : (tensor<8x4x6xf32>, tensor<8x1x6xf32>) -> tensor<8x4x6xf32>
  return %0 : tensor<8x4x6xf32>
}

// -----

// Near miss: the other addend is not a score (no matmul behind it).
// CHECK-LABEL: func.func @additive_select_not_scores
// CHECK: attn.add
func.func @additive_select_not_scores(%x: tensor<8x4x6xf32>, %pad: tensor<8x1x6xi1>) -> tensor<8x4x6xf32> {
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %zero = attn.constant dense<0.0> : tensor<f32>
  %m = attn.select %pad, %ninf, %zero : (tensor<8x1x6xi1>, tensor<f32>, tensor<f32>) -> tensor<8x1x6xf32>
  %0 = attn.add %x, %m : (tensor<8x4x6xf32>, tensor<8x1x6xf32>) -> tensor<8x4x6xf32>
  return %0 : tensor<8x4x6xf32>
}

// -----

// A boolean causal mask or-ed with a padding mask: the drop-mask's negation
// splits into two keep-masks.
// CHECK-LABEL: func.func @not_of_or
// CHECK-SAME: (%[[A:[^:]+]]: tensor<1x6x6xi1>, %[[B:[^:]+]]: tensor<8x1x6xi1>)
// CHECK-DAG: %[[NA:.+]] = attn.not %[[A]]
// CHECK-DAG: %[[NB:.+]] = attn.not %[[B]]
// CHECK: attn.and %[[NA]], %[[NB]]
// CHECK-NOT: attn.or
func.func @not_of_or(%a: tensor<1x6x6xi1>, %b: tensor<8x1x6xi1>) -> tensor<8x6x6xi1> {
  %0 = attn.or %a, %b : (tensor<1x6x6xi1>, tensor<8x1x6xi1>) -> tensor<8x6x6xi1>
  %1 = attn.not %0 : tensor<8x6x6xi1>
  return %1 : tensor<8x6x6xi1>
}

// -----

// Near miss: the disjunction is used elsewhere too, so it stays.
// CHECK-LABEL: func.func @not_of_shared_or
// CHECK: attn.or
// CHECK: attn.not
func.func @not_of_shared_or(%a: tensor<6xi1>, %b: tensor<6xi1>) -> (tensor<6xi1>, tensor<6xi1>) {
  %0 = attn.or %a, %b : (tensor<6xi1>, tensor<6xi1>) -> tensor<6xi1>
  %1 = attn.not %0 : tensor<6xi1>
  return %0, %1 : tensor<6xi1>, tensor<6xi1>
}

// -----

// BART scales Q on [B, S, E] before splitting heads: the factor moves past
// the reshape and transpose onto the scores.
// CHECK-LABEL: func.func @scale_through_layout
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<2x6x8xf32>, %[[K:[^:]+]]: tensor<2x4x6x2xf32>)
// CHECK: %[[R:.+]] = attn.reshape %[[Q]]
// CHECK: %[[T:.+]] = attn.transpose %[[R]]
// CHECK: %[[S:.+]] = attn.matmul %[[T]], %[[K]] {transpose_rhs}
// CHECK: attn.mul %[[S]], %{{.+}}
func.func @scale_through_layout(%q: tensor<2x6x8xf32>, %k: tensor<2x4x6x2xf32>) -> tensor<2x4x6x6xf32> {
  %c = attn.constant dense<0.707106769> : tensor<f32>
  %0 = attn.mul %q, %c : (tensor<2x6x8xf32>, tensor<f32>) -> tensor<2x6x8xf32>
  %1 = attn.reshape %0 : (tensor<2x6x8xf32>) -> tensor<2x6x4x2xf32>
  %2 = attn.transpose %1 {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x6x4x2xf32>) -> tensor<2x4x6x2xf32>
  %3 = attn.matmul %2, %k {transpose_rhs} : (tensor<2x4x6x2xf32>, tensor<2x4x6x2xf32>) -> tensor<2x4x6x6xf32>
  return %3 : tensor<2x4x6x6xf32>
}

// -----

// Near miss: a per-channel factor is not a scalar; it stays before the
// reshape.
// CHECK-LABEL: func.func @tensor_factor_stays
// CHECK: %[[M:.+]] = attn.mul
// CHECK: attn.reshape %[[M]]
func.func @tensor_factor_stays(%q: tensor<2x6x8xf32>, %w: tensor<8xf32>) -> tensor<2x6x4x2xf32> {
  %0 = attn.mul %q, %w : (tensor<2x6x8xf32>, tensor<8xf32>) -> tensor<2x6x8xf32>
  %1 = attn.reshape %0 : (tensor<2x6x8xf32>) -> tensor<2x6x4x2xf32>
  return %1 : tensor<2x6x4x2xf32>
}

// -----

// The BART score dance: bmm on [B*H, S, D], a view to [B, H, S, S] to add
// the mask, a view back, softmax and bmm with V. The matmuls and the softmax
// move to the [B, H, ...] form.
// CHECK-LABEL: func.func @batch_regrouping
// CHECK-SAME: (%[[Q:[^:]+]]: tensor<8x6x2xf32>, %[[K:[^:]+]]: tensor<8x6x2xf32>, %[[V:[^:]+]]: tensor<8x6x2xf32>, %[[M:[^:]+]]: tensor<2x1x6x6xf32>)
// CHECK-DAG: %[[Q4:.+]] = attn.reshape %[[Q]] : (tensor<8x6x2xf32>) -> tensor<2x4x6x2xf32>
// CHECK-DAG: %[[K4:.+]] = attn.reshape %[[K]] : (tensor<8x6x2xf32>) -> tensor<2x4x6x2xf32>
// CHECK: %[[S:.+]] = attn.matmul %[[Q4]], %[[K4]] {transpose_rhs} : (tensor<2x4x6x2xf32>, tensor<2x4x6x2xf32>) -> tensor<2x4x6x6xf32>
// CHECK: %[[A:.+]] = attn.add %[[S]], %[[M]]
// CHECK: %[[P:.+]] = attn.softmax %[[A]] {axis = 3 : i64} : tensor<2x4x6x6xf32>
// CHECK: %[[V4:.+]] = attn.reshape %[[V]] : (tensor<8x6x2xf32>) -> tensor<2x4x6x2xf32>
// CHECK: %[[O:.+]] = attn.matmul %[[P]], %[[V4]] : (tensor<2x4x6x6xf32>, tensor<2x4x6x2xf32>) -> tensor<2x4x6x2xf32>
// CHECK: attn.reshape %[[O]] : (tensor<2x4x6x2xf32>) -> tensor<8x6x2xf32>
func.func @batch_regrouping(%q: tensor<8x6x2xf32>, %k: tensor<8x6x2xf32>, %v: tensor<8x6x2xf32>, %m: tensor<2x1x6x6xf32>) -> tensor<8x6x2xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<8x6x2xf32>, tensor<8x6x2xf32>) -> tensor<8x6x6xf32>
  %s4 = attn.reshape %s : (tensor<8x6x6xf32>) -> tensor<2x4x6x6xf32>
  %a = attn.add %s4, %m : (tensor<2x4x6x6xf32>, tensor<2x1x6x6xf32>) -> tensor<2x4x6x6xf32>
  %a3 = attn.reshape %a : (tensor<2x4x6x6xf32>) -> tensor<8x6x6xf32>
  %p = attn.softmax %a3 {axis = -1 : i64} : tensor<8x6x6xf32>
  %o = attn.matmul %p, %v : (tensor<8x6x6xf32>, tensor<8x6x2xf32>) -> tensor<8x6x2xf32>
  return %o : tensor<8x6x2xf32>
}

// -----

// Near misses: a matmul that broadcasts a weight over the batch, a reshape
// that changes the matrix dims, and a softmax whose reshape splits rather
// than merges are left as they are.
// CHECK-LABEL: func.func @batch_regrouping_near_misses
// CHECK: %[[MM:.+]] = attn.matmul %{{.+}}, %{{.+}} : (tensor<8x6x2xf32>, tensor<2x6xf32>) -> tensor<8x6x6xf32>
// CHECK: attn.reshape %[[MM]] : (tensor<8x6x6xf32>) -> tensor<2x4x6x6xf32>
// CHECK: %[[MM2:.+]] = attn.matmul %{{.+}}, %{{.+}} : (tensor<8x6x2xf32>, tensor<8x2x6xf32>) -> tensor<8x6x6xf32>
// CHECK: attn.reshape %[[MM2]] : (tensor<8x6x6xf32>) -> tensor<8x36xf32>
// CHECK: %[[R:.+]] = attn.reshape %{{.+}} : (tensor<8x6x6xf32>) -> tensor<2x4x6x6xf32>
// CHECK: attn.softmax %[[R]] {axis = -1 : i64} : tensor<2x4x6x6xf32>
func.func @batch_regrouping_near_misses(%x: tensor<8x6x2xf32>, %w: tensor<2x6xf32>, %y: tensor<8x2x6xf32>, %z: tensor<8x6x6xf32>) -> (tensor<2x4x6x6xf32>, tensor<8x36xf32>, tensor<2x4x6x6xf32>) {
  %0 = attn.matmul %x, %w : (tensor<8x6x2xf32>, tensor<2x6xf32>) -> tensor<8x6x6xf32>
  %1 = attn.reshape %0 : (tensor<8x6x6xf32>) -> tensor<2x4x6x6xf32>
  %2 = attn.matmul %x, %y : (tensor<8x6x2xf32>, tensor<8x2x6xf32>) -> tensor<8x6x6xf32>
  %3 = attn.reshape %2 : (tensor<8x6x6xf32>) -> tensor<8x36xf32>
  %4 = attn.reshape %z : (tensor<8x6x6xf32>) -> tensor<2x4x6x6xf32>
  %5 = attn.softmax %4 {axis = -1 : i64} : tensor<2x4x6x6xf32>
  return %1, %3, %5 : tensor<2x4x6x6xf32>, tensor<8x36xf32>, tensor<2x4x6x6xf32>
}
