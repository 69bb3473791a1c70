// RUN: attnc-opt %s -split-input-file --attn-split-heads | FileCheck %s

// Packed multi-head attention, 8 heads of 64 over [B, S, 512]: reshape +
// transpose to [B, 8, S, 64], split-form attention, and back.
// CHECK-LABEL: func.func @multi_head
// CHECK-SAME: (%[[X:.+]]: tensor<2x16x512xf32>)
// CHECK: %[[R:.+]] = attn.reshape %[[X]] : (tensor<2x16x512xf32>) -> tensor<2x16x8x64xf32>
// CHECK: %[[T:.+]] = attn.transpose %[[R]] {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x16x8x64xf32>) -> tensor<2x8x16x64xf32>
// CHECK: %[[O:.+]] = attn.attention %[[T]], %{{.+}}, %{{.+}} {causal = #attn<causal top_left>, scale = 1.250000e-01 : f32} : (tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>, tensor<2x8x16x64xf32>) -> tensor<2x8x16x64xf32>
// CHECK: %[[OT:.+]] = attn.transpose %[[O]] {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x8x16x64xf32>) -> tensor<2x16x8x64xf32>
// CHECK: %[[OR:.+]] = attn.reshape %[[OT]] : (tensor<2x16x8x64xf32>) -> tensor<2x16x512xf32>
// CHECK: return %[[OR]]
func.func @multi_head(%x: tensor<2x16x512xf32>) -> tensor<2x16x512xf32> {
  %0 = attn.attention %x, %x, %x {num_heads = 8 : i64, causal = #attn<causal top_left>} : (tensor<2x16x512xf32>, tensor<2x16x512xf32>, tensor<2x16x512xf32>) -> tensor<2x16x512xf32>
  return %0 : tensor<2x16x512xf32>
}

// -----

// Grouped-query packed form: 8 query heads, 2 kv heads of 32; the mask is
// kept as is (it already broadcasts to [B, Hq, Sq, Sk]).
// CHECK-LABEL: func.func @gqa_cross
// CHECK-SAME: %[[M:[^:]+]]: tensor<1x1x1x20xi1>
// CHECK-DAG: attn.reshape %{{.+}} : (tensor<1x20x64xf32>) -> tensor<1x20x2x32xf32>
// CHECK: attn.attention %{{.+}}, %{{.+}}, %{{.+}} mask %[[M]] {scale = 0.176776692 : f32} : (tensor<1x8x12x32xf32>, tensor<1x2x20x32xf32>, tensor<1x2x20x32xf32>, tensor<1x1x1x20xi1>) -> tensor<1x8x12x32xf32>
func.func @gqa_cross(%q: tensor<1x12x256xf32>, %kv: tensor<1x20x64xf32>, %m: tensor<1x1x1x20xi1>) -> tensor<1x12x256xf32> {
  %0 = attn.attention %q, %kv, %kv mask %m {num_heads = 8 : i64, num_kv_heads = 2 : i64} : (tensor<1x12x256xf32>, tensor<1x20x64xf32>, tensor<1x20x64xf32>, tensor<1x1x1x20xi1>) -> tensor<1x12x256xf32>
  return %0 : tensor<1x12x256xf32>
}

// -----

// Near miss: the split form is already what back ends take.
// CHECK-LABEL: func.func @already_split
// CHECK-NEXT: attn.attention
// CHECK-NEXT: return
func.func @already_split(%q: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %0 = attn.attention %q, %q, %q : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %0 : tensor<1x2x8x16xf32>
}
