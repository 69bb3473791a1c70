// RUN: attnc-opt %s -split-input-file --attn-canonicalize-forms | FileCheck %s

// div by a scalar constant becomes mul by its inverse.
// CHECK-LABEL: func.func @div_to_mul
// CHECK: %[[C:.+]] = attn.constant dense<1.250000e-01> : tensor<f32>
// CHECK: attn.mul %{{.+}}, %[[C]]
// CHECK-NOT: attn.div
func.func @div_to_mul(%s: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %c = attn.constant dense<8.0> : tensor<f32>
  %0 = attn.div %s, %c : (tensor<4x4xf32>, tensor<f32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// Near miss: dividing by a tensor is left alone.
// CHECK-LABEL: func.func @div_by_tensor
// CHECK: attn.div
func.func @div_by_tensor(%s: tensor<4x4xf32>, %d: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %0 = attn.div %s, %d : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// A scale on Q before the matmul (and the scalar on the left) moves onto the
// scores; two such factors (on Q and K) merge.
// CHECK-LABEL: func.func @scale_out_of_matmul
// CHECK-SAME: (%[[Q:.+]]: tensor<1x2x8x16xf32>, %[[K:.+]]: tensor<1x2x8x16xf32>)
// CHECK-DAG: %[[S:.+]] = attn.matmul %[[Q]], %[[K]] {transpose_rhs}
// CHECK-DAG: %[[C:.+]] = attn.constant dense<2.500000e-01> : tensor<f32>
// CHECK: %[[R:.+]] = attn.mul %[[S]], %[[C]]
// CHECK: return %[[R]]
func.func @scale_out_of_matmul(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32> {
  %c = attn.constant dense<0.5> : tensor<f32>
  %qs = attn.mul %c, %q : (tensor<f32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  %ks = attn.mul %k, %c : (tensor<1x2x8x16xf32>, tensor<f32>) -> tensor<1x2x8x16xf32>
  %0 = attn.matmul %qs, %ks {transpose_rhs} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  return %0 : tensor<1x2x8x8xf32>
}

// -----

// A transpose of the last two dims becomes the matmul's flag.
// CHECK-LABEL: func.func @transpose_to_flag
// CHECK-SAME: (%[[Q:.+]]: tensor<1x2x8x16xf32>, %[[K:.+]]: tensor<1x2x8x16xf32>)
// CHECK: attn.matmul %[[Q]], %[[K]] {transpose_rhs}
func.func @transpose_to_flag(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32> {
  %kt = attn.transpose %k {perm = array<i64: 0, 1, 3, 2>} : (tensor<1x2x8x16xf32>) -> tensor<1x2x16x8xf32>
  %0 = attn.matmul %q, %kt : (tensor<1x2x8x16xf32>, tensor<1x2x16x8xf32>) -> tensor<1x2x8x8xf32>
  return %0 : tensor<1x2x8x8xf32>
}

// -----

// GPT-2 style k.permute(0, 2, 3, 1) on [B, S, H, D]: the head split stays a
// transpose, the D/S swap becomes the flag.
// CHECK-LABEL: func.func @gpt2_permute
// CHECK: %[[KH:.+]] = attn.transpose %{{.+}} {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x8x2x16xf32>) -> tensor<1x2x8x16xf32>
// CHECK: attn.matmul %{{.+}}, %[[KH]] {transpose_rhs}
func.func @gpt2_permute(%q: tensor<1x2x8x16xf32>, %k: tensor<1x8x2x16xf32>) -> tensor<1x2x8x8xf32> {
  %kt = attn.transpose %k {perm = array<i64: 0, 2, 3, 1>} : (tensor<1x8x2x16xf32>) -> tensor<1x2x16x8xf32>
  %0 = attn.matmul %q, %kt : (tensor<1x2x8x16xf32>, tensor<1x2x16x8xf32>) -> tensor<1x2x8x8xf32>
  return %0 : tensor<1x2x8x8xf32>
}

// -----

// Near miss: a permutation that keeps the last dim in place (a head split)
// is not a matmul transpose.
// CHECK-LABEL: func.func @head_split_is_not_a_flag
// CHECK: attn.transpose %{{.+}} {perm = array<i64: 0, 2, 1, 3>}
// CHECK: attn.matmul %{{.+}}, %{{.+}} :
func.func @head_split_is_not_a_flag(%a: tensor<1x2x8x8xf32>, %b: tensor<1x8x2x8xf32>) -> tensor<1x2x8x8xf32> {
  %bt = attn.transpose %b {perm = array<i64: 0, 2, 1, 3>} : (tensor<1x8x2x8xf32>) -> tensor<1x2x8x8xf32>
  %0 = attn.matmul %a, %bt : (tensor<1x2x8x8xf32>, tensor<1x2x8x8xf32>) -> tensor<1x2x8x8xf32>
  return %0 : tensor<1x2x8x8xf32>
}

// -----

// The mask goes right of the scores; a subtracted mask becomes an added,
// negated one.
// CHECK-LABEL: func.func @mask_order
// CHECK: %[[S:.+]] = attn.matmul
// CHECK: attn.add %[[S]], %{{.+}} : (tensor<4x4xf32>, tensor<4x4xf32>)
// CHECK: %[[N:.+]] = attn.neg
// CHECK: attn.add %{{.+}}, %[[N]]
// CHECK-NOT: attn.sub
func.func @mask_order(%q: tensor<4x8xf32>, %k: tensor<4x8xf32>, %m: tensor<4x4xf32>, %b: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<4x8xf32>, tensor<4x8xf32>) -> tensor<4x4xf32>
  %0 = attn.add %m, %s : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %1 = attn.sub %0, %b : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %1 : tensor<4x4xf32>
}

// -----

// where(mask == 0, -inf, s), as ONNX exports masked_fill, becomes
// select(mask != 0, s, -inf).
// CHECK-LABEL: func.func @inverted_select
// CHECK: %[[KEEP:.+]] = attn.compare %{{.+}}, %{{.+}} {predicate = #attn<cmp ne>}
// CHECK: attn.select %[[KEEP]], %{{.+}}, %{{.+}} : (tensor<4x4xi1>, tensor<4x4xf32>, tensor<f32>)
func.func @inverted_select(%s: tensor<4x4xf32>, %m: tensor<4x4xi64>) -> tensor<4x4xf32> {
  %zero = attn.constant dense<0> : tensor<i64>
  %drop = attn.compare %m, %zero {predicate = #attn<cmp eq>} : (tensor<4x4xi64>, tensor<i64>) -> tensor<4x4xi1>
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %0 = attn.select %drop, %ninf, %s : (tensor<4x4xi1>, tensor<f32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %0 : tensor<4x4xf32>
}

// -----

// Near miss: not(a < b) on floats is not a >= b when NaN is possible.
// CHECK-LABEL: func.func @float_lt_not_inverted
// CHECK: attn.compare %{{.+}}, %{{.+}} {predicate = #attn<cmp lt>}
// CHECK: attn.not
func.func @float_lt_not_inverted(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xi1> {
  %0 = attn.compare %a, %b {predicate = #attn<cmp lt>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %1 = attn.not %0 : tensor<4xi1>
  return %1 : tensor<4xi1>
}
