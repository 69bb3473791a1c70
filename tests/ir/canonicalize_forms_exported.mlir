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

// -----

// Old LLaMA code clamps the masked scores at float32's lowest before the
// softmax: only -inf scores change, so the floor goes.
// CHECK-LABEL: func.func @lowest_floor_before_softmax
// CHECK-SAME: (%[[Q:[^:]+]]: {{.+}}, %[[K:[^:]+]]: {{.+}}, %[[M:[^:]+]]: tensor<6x6xf32>)
// CHECK: %[[S:.+]] = attn.matmul %[[Q]], %[[K]] {transpose_rhs}
// CHECK: %[[ADD:.+]] = attn.add %[[S]], %[[M]]
// CHECK-NOT: attn.max
// CHECK: attn.softmax %[[ADD]]
func.func @lowest_floor_before_softmax(%q: tensor<8x6x2xf32>, %k: tensor<8x6x2xf32>, %m: tensor<6x6xf32>) -> tensor<8x6x6xf32> {
  %lowest = attn.constant dense<-3.40282347E+38> : tensor<f32>
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<8x6x2xf32>, tensor<8x6x2xf32>) -> tensor<8x6x6xf32>
  %0 = attn.add %s, %m : (tensor<8x6x6xf32>, tensor<6x6xf32>) -> tensor<8x6x6xf32>
  %1 = attn.max %0, %lowest : (tensor<8x6x6xf32>, tensor<f32>) -> tensor<8x6x6xf32>
  %2 = attn.softmax %1 {axis = -1 : i64} : tensor<8x6x6xf32>
  return %2 : tensor<8x6x6xf32>
}

// -----

// Near misses: a floor above the lowest value (-1e4 could clip real
// scores), a floor whose result is also returned, and a softmax over
// another axis keep their max.
// CHECK-LABEL: func.func @floor_near_misses
// CHECK-COUNT-3: attn.max
func.func @floor_near_misses(%s: tensor<8x6x6xf32>) -> (tensor<8x6x6xf32>, tensor<8x6x6xf32>, tensor<8x6x6xf32>, tensor<8x6x6xf32>) {
  %floor = attn.constant dense<-1.0e+04> : tensor<f32>
  %lowest = attn.constant dense<-3.40282347E+38> : tensor<f32>
  %0 = attn.max %s, %floor : (tensor<8x6x6xf32>, tensor<f32>) -> tensor<8x6x6xf32>
  %1 = attn.softmax %0 {axis = -1 : i64} : tensor<8x6x6xf32>
  %2 = attn.max %s, %lowest : (tensor<8x6x6xf32>, tensor<f32>) -> tensor<8x6x6xf32>
  %3 = attn.softmax %2 {axis = -1 : i64} : tensor<8x6x6xf32>
  %4 = attn.max %s, %lowest : (tensor<8x6x6xf32>, tensor<f32>) -> tensor<8x6x6xf32>
  %5 = attn.softmax %4 {axis = 1 : i64} : tensor<8x6x6xf32>
  return %1, %2, %3, %5 : tensor<8x6x6xf32>, tensor<8x6x6xf32>, tensor<8x6x6xf32>, tensor<8x6x6xf32>
}

// -----

// BLOOM: the [B·H, 1, S] alibi bias is added to the [B·H, S, S] scores
// before they are viewed as [B, H, S, S]; the view moves onto scores and
// bias, so the matmul and the mask reach the fusion in the split form.
// CHECK-LABEL: func.func @alibi_before_split
// CHECK-SAME: (%[[Q:[^:]+]]: {{.+}}, %[[K:[^:]+]]: {{.+}}, %[[B:[^:]+]]: tensor<8x1x6xf32>)
// CHECK-DAG: %[[S:.+]] = attn.matmul %{{.+}}, %{{.+}} {transpose_rhs} : (tensor<2x4x6x2xf32>, tensor<2x4x6x2xf32>) -> tensor<2x4x6x6xf32>
// CHECK-DAG: %[[SB:.+]] = attn.reshape %[[B]] : (tensor<8x1x6xf32>) -> tensor<2x4x1x6xf32>
// CHECK: %[[ADD:.+]] = attn.add %[[S]], %[[SB]]
// CHECK: attn.softmax %[[ADD]] {axis = 3 : i64} : tensor<2x4x6x6xf32>
func.func @alibi_before_split(%q: tensor<8x6x2xf32>, %k: tensor<8x6x2xf32>, %bias: tensor<8x1x6xf32>) -> tensor<2x4x6x6xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<8x6x2xf32>, tensor<8x6x2xf32>) -> tensor<8x6x6xf32>
  %0 = attn.add %s, %bias : (tensor<8x6x6xf32>, tensor<8x1x6xf32>) -> tensor<8x6x6xf32>
  %1 = attn.reshape %0 : (tensor<8x6x6xf32>) -> tensor<2x4x6x6xf32>
  %2 = attn.softmax %1 {axis = 3 : i64} : tensor<2x4x6x6xf32>
  return %2 : tensor<2x4x6x6xf32>
}

// -----

// Near misses: a mask with part of the batch dims, and a reshape that
// changes the last two dims, stay after the add.
// CHECK-LABEL: func.func @split_through_add_near_misses
// CHECK: %[[A:.+]] = attn.add %{{.+}}, %{{.+}} : (tensor<2x4x6x6xf32>, tensor<2x1x6x6xf32>) -> tensor<2x4x6x6xf32>
// CHECK: attn.reshape %[[A]] : (tensor<2x4x6x6xf32>) -> tensor<2x2x2x6x6xf32>
// CHECK: %[[B:.+]] = attn.add %{{.+}}, %{{.+}} : (tensor<8x6x6xf32>, tensor<8x1x6xf32>) -> tensor<8x6x6xf32>
// CHECK: attn.reshape %[[B]] : (tensor<8x6x6xf32>) -> tensor<2x4x3x2x6xf32>
func.func @split_through_add_near_misses(%q: tensor<2x4x6x2xf32>, %k: tensor<2x4x6x2xf32>, %m: tensor<2x1x6x6xf32>, %q3: tensor<8x6x2xf32>, %k3: tensor<8x6x2xf32>, %bias: tensor<8x1x6xf32>) -> (tensor<2x2x2x6x6xf32>, tensor<2x4x3x2x6xf32>) {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<2x4x6x2xf32>, tensor<2x4x6x2xf32>) -> tensor<2x4x6x6xf32>
  %0 = attn.add %s, %m : (tensor<2x4x6x6xf32>, tensor<2x1x6x6xf32>) -> tensor<2x4x6x6xf32>
  %1 = attn.reshape %0 : (tensor<2x4x6x6xf32>) -> tensor<2x2x2x6x6xf32>
  %s3 = attn.matmul %q3, %k3 {transpose_rhs} : (tensor<8x6x2xf32>, tensor<8x6x2xf32>) -> tensor<8x6x6xf32>
  %2 = attn.add %s3, %bias : (tensor<8x6x6xf32>, tensor<8x1x6xf32>) -> tensor<8x6x6xf32>
  %3 = attn.reshape %2 : (tensor<8x6x6xf32>) -> tensor<2x4x3x2x6xf32>
  return %1, %3 : tensor<2x2x2x6x6xf32>, tensor<2x4x3x2x6xf32>
}

// -----

// LLaMA bakes its finfo.min causal mask expanded to the batch
// ([B, 1, S, S]); every batch holds the same block, which replaces it
// (with leading dims 1), and a keep-mask expanded the same way too.
// CHECK-LABEL: func.func @mask_repeated_over_batch
// CHECK-DAG: %[[M:.+]] = attn.constant dense<{{\[\[\[}}[0.000000e+00, -3.40282347E+38], [0.000000e+00, 0.000000e+00]]]]> : tensor<1x1x2x2xf32>
// CHECK-DAG: %[[K:.+]] = attn.constant dense<{{\[\[\[}}[true, false], [true, true]]]]> : tensor<1x1x2x2xi1>
// CHECK: %[[S:.+]] = attn.matmul
// CHECK: %[[A:.+]] = attn.add %[[S]], %[[M]] : (tensor<2x2x2x2xf32>, tensor<1x1x2x2xf32>)
// CHECK: attn.select %[[K]], %[[A]], %{{.+}} : (tensor<1x1x2x2xi1>, tensor<2x2x2x2xf32>, tensor<f32>)
func.func @mask_repeated_over_batch(%q: tensor<2x2x2x4xf32>, %k: tensor<2x2x2x4xf32>) -> tensor<2x2x2x2xf32> {
  %m = attn.constant dense<[[[[0.0, -3.40282347E+38], [0.0, 0.0]]], [[[0.0, -3.40282347E+38], [0.0, 0.0]]]]> : tensor<2x1x2x2xf32>
  %keep = attn.constant dense<[[[[true, false], [true, true]]], [[[true, false], [true, true]]]]> : tensor<2x1x2x2xi1>
  %fill = attn.constant dense<0xFF800000> : tensor<f32>
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<2x2x2x4xf32>, tensor<2x2x2x4xf32>) -> tensor<2x2x2x2xf32>
  %0 = attn.add %s, %m : (tensor<2x2x2x2xf32>, tensor<2x1x2x2xf32>) -> tensor<2x2x2x2xf32>
  %1 = attn.select %keep, %0, %fill : (tensor<2x1x2x2xi1>, tensor<2x2x2x2xf32>, tensor<f32>) -> tensor<2x2x2x2xf32>
  return %1 : tensor<2x2x2x2xf32>
}

// -----

// Near miss: batches whose masks differ (the second hides one more key)
// keep the whole mask.
// CHECK-LABEL: func.func @mask_differs_per_batch
// CHECK: attn.add %{{.+}}, %{{.+}} : (tensor<2x2x2x2xf32>, tensor<2x1x2x2xf32>)
func.func @mask_differs_per_batch(%q: tensor<2x2x2x4xf32>, %k: tensor<2x2x2x4xf32>) -> tensor<2x2x2x2xf32> {
  %m = attn.constant dense<[[[[0.0, -3.40282347E+38], [0.0, 0.0]]], [[[0.0, -3.40282347E+38], [0.0, -3.40282347E+38]]]]> : tensor<2x1x2x2xf32>
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<2x2x2x4xf32>, tensor<2x2x2x4xf32>) -> tensor<2x2x2x2xf32>
  %0 = attn.add %s, %m : (tensor<2x2x2x2xf32>, tensor<2x1x2x2xf32>) -> tensor<2x2x2x2xf32>
  return %0 : tensor<2x2x2x2xf32>
}

// -----

// torch 2's SDPA decomposition guards fully masked rows with
// where(isnan(p), 0, p); attn's softmax gives such rows zeros already.
// CHECK-LABEL: func.func @nan_guard_after_softmax
// CHECK-SAME: (%[[S:.+]]: tensor<2x4x6x6xf32>)
// CHECK-NEXT: %[[P:.+]] = attn.softmax %[[S]]
// CHECK-NEXT: return %[[P]]
func.func @nan_guard_after_softmax(%s: tensor<2x4x6x6xf32>) -> tensor<2x4x6x6xf32> {
  %zero = attn.constant dense<0.0> : tensor<f32>
  %p = attn.softmax %s {axis = 3 : i64} : tensor<2x4x6x6xf32>
  %nan = attn.compare %p, %p {predicate = #attn<cmp ne>} : (tensor<2x4x6x6xf32>, tensor<2x4x6x6xf32>) -> tensor<2x4x6x6xi1>
  %0 = attn.select %nan, %zero, %p : (tensor<2x4x6x6xi1>, tensor<f32>, tensor<2x4x6x6xf32>) -> tensor<2x4x6x6xf32>
  return %0 : tensor<2x4x6x6xf32>
}

// -----

// Near miss: the same guard on a value that is not a softmax (it may hold
// NaN), and a guard that fills 1 instead of 0, stay.
// CHECK-LABEL: func.func @nan_guard_not_after_softmax
// CHECK-COUNT-2: attn.select
func.func @nan_guard_not_after_softmax(%s: tensor<2x6xf32>) -> (tensor<2x6xf32>, tensor<2x6xf32>) {
  %zero = attn.constant dense<0.0> : tensor<f32>
  %one = attn.constant dense<1.0> : tensor<f32>
  %nan = attn.compare %s, %s {predicate = #attn<cmp ne>} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x6xi1>
  %0 = attn.select %nan, %zero, %s : (tensor<2x6xi1>, tensor<f32>, tensor<2x6xf32>) -> tensor<2x6xf32>
  %p = attn.softmax %s {axis = 1 : i64} : tensor<2x6xf32>
  %pnan = attn.compare %p, %p {predicate = #attn<cmp ne>} : (tensor<2x6xf32>, tensor<2x6xf32>) -> tensor<2x6xi1>
  %1 = attn.select %pnan, %one, %p : (tensor<2x6xi1>, tensor<f32>, tensor<2x6xf32>) -> tensor<2x6xf32>
  return %0, %1 : tensor<2x6xf32>, tensor<2x6xf32>
}

// -----

// torch 2's SDPA decomposition transposes K on [B·H, S, D] and views the
// result back to [B, H, D, S]: the view moves before the transpose, which
// then folds with the next one.
// CHECK-LABEL: func.func @split_batch_before_transpose
// CHECK-SAME: (%[[K:.+]]: tensor<8x8x4xf32>)
// CHECK-NEXT: %[[R:.+]] = attn.reshape %[[K]] : (tensor<8x8x4xf32>) -> tensor<2x4x8x4xf32>
// CHECK-NEXT: return %[[R]]
func.func @split_batch_before_transpose(%k: tensor<8x8x4xf32>) -> tensor<2x4x8x4xf32> {
  %0 = attn.transpose %k {perm = array<i64: 0, 2, 1>} : (tensor<8x8x4xf32>) -> tensor<8x4x8xf32>
  %1 = attn.reshape %0 : (tensor<8x4x8xf32>) -> tensor<2x4x4x8xf32>
  %2 = attn.transpose %1 {perm = array<i64: 0, 1, 3, 2>} : (tensor<2x4x4x8xf32>) -> tensor<2x4x8x4xf32>
  return %2 : tensor<2x4x8x4xf32>
}

// -----

// Near miss: a reshape that regroups the transposed dims, and a transpose
// that is not of the last two dims, stay.
// CHECK-LABEL: func.func @split_batch_before_transpose_near_miss
// CHECK: attn.transpose %{{.+}} {perm = array<i64: 0, 2, 1>}
// CHECK-NEXT: attn.reshape %{{.+}} : (tensor<8x4x8xf32>) -> tensor<8x2x2x8xf32>
// CHECK: attn.transpose %{{.+}} {perm = array<i64: 1, 0, 2>}
// CHECK-NEXT: attn.reshape %{{.+}} : (tensor<8x8x4xf32>) -> tensor<2x4x8x4xf32>
func.func @split_batch_before_transpose_near_miss(%k: tensor<8x8x4xf32>) -> (tensor<8x2x2x8xf32>, tensor<2x4x8x4xf32>) {
  %0 = attn.transpose %k {perm = array<i64: 0, 2, 1>} : (tensor<8x8x4xf32>) -> tensor<8x4x8xf32>
  %1 = attn.reshape %0 : (tensor<8x4x8xf32>) -> tensor<8x2x2x8xf32>
  %2 = attn.transpose %k {perm = array<i64: 1, 0, 2>} : (tensor<8x8x4xf32>) -> tensor<8x8x4xf32>
  %3 = attn.reshape %2 : (tensor<8x8x4xf32>) -> tensor<2x4x8x4xf32>
  return %1, %3 : tensor<8x2x2x8xf32>, tensor<2x4x8x4xf32>
}
