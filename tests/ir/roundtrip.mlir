// RUN: attnc-opt %s | attnc-opt | FileCheck %s

// Every op prints in a form that parses back to the same op.

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %c: tensor<2x3xi1>) -> tensor<2x3xf32> {
  // CHECK: attn.add %{{.*}}, %{{.*}} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %0 = attn.add %a, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: attn.sub
  %1 = attn.sub %0, %b : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: attn.mul
  %2 = attn.mul %1, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: attn.div
  %3 = attn.div %2, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: attn.pow
  %4 = attn.pow %3, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: attn.max
  %5 = attn.max %4, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: attn.min
  %6 = attn.min %5, %a : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  // CHECK: attn.exp %{{.*}} : tensor<2x3xf32>
  %7 = attn.exp %6 : tensor<2x3xf32>
  %8 = attn.log %7 : tensor<2x3xf32>
  %9 = attn.tanh %8 : tensor<2x3xf32>
  %10 = attn.erf %9 : tensor<2x3xf32>
  %11 = attn.sqrt %10 : tensor<2x3xf32>
  %12 = attn.rsqrt %11 : tensor<2x3xf32>
  %13 = attn.neg %12 : tensor<2x3xf32>
  %14 = attn.abs %13 : tensor<2x3xf32>
  %15 = attn.relu %14 : tensor<2x3xf32>
  %16 = attn.sigmoid %15 : tensor<2x3xf32>
  // CHECK: attn.gelu %{{.*}} {approximate = #attn<gelu tanh>} : tensor<2x3xf32>
  %17 = attn.gelu %16 {approximate = #attn<gelu tanh>} : tensor<2x3xf32>
  // CHECK: attn.compare %{{.*}}, %{{.*}} {predicate = #attn<cmp gt>} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %18 = attn.compare %17, %b {predicate = #attn<cmp gt>} : (tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xi1>
  %19 = attn.and %18, %c : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %20 = attn.or %19, %c : (tensor<2x3xi1>, tensor<2x3xi1>) -> tensor<2x3xi1>
  %21 = attn.not %20 : tensor<2x3xi1>
  // CHECK: attn.select %{{.*}}, %{{.*}}, %{{.*}} : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  %22 = attn.select %21, %17, %b : (tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32>) -> tensor<2x3xf32>
  // CHECK: attn.cast %{{.*}} : tensor<2x3xi1> to tensor<2x3xf32>
  %23 = attn.cast %21 : tensor<2x3xi1> to tensor<2x3xf32>
  %24 = attn.add %22, %23 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<2x3xf32>
  return %24 : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @normalisations
func.func @normalisations(%x: tensor<2x4x8xf32>, %g: tensor<8xf32>, %b: tensor<8xf32>) -> (tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>) {
  // CHECK: attn.reduce %{{.*}} {axes = array<i64: 1>, kind = #attn<reduce mean>} : (tensor<2x4x8xf32>) -> tensor<2x8xf32>
  %0 = attn.reduce %x {kind = #attn<reduce mean>, axes = array<i64: 1>} : (tensor<2x4x8xf32>) -> tensor<2x8xf32>
  // CHECK: attn.softmax %{{.*}} {axis = -1 : i64} : tensor<2x4x8xf32>
  %1 = attn.softmax %x {axis = -1 : i64} : tensor<2x4x8xf32>
  // CHECK: attn.log_softmax %{{.*}} {axis = 1 : i64} : tensor<2x4x8xf32>
  %2 = attn.log_softmax %x {axis = 1 : i64} : tensor<2x4x8xf32>
  // CHECK: attn.layer_norm %{{.*}} scale %{{.*}} bias %{{.*}} {epsilon = 9.99999997E-7 : f32} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  %3 = attn.layer_norm %x scale %g bias %b {epsilon = 1.0e-6 : f32} : (tensor<2x4x8xf32>, tensor<8xf32>, tensor<8xf32>) -> tensor<2x4x8xf32>
  return %0, %1, %2, %3 : tensor<2x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>, tensor<2x4x8xf32>
}

// CHECK-LABEL: func.func @movement
func.func @movement(%x: tensor<2x4x8xf32>, %ids: tensor<2x3xi64>, %table: tensor<10x8xf32>) -> (tensor<8x4x2xf32>, tensor<4x8x2xf32>, tensor<2x2x8xf32>, tensor<2x8x8xf32>, tensor<2x1x8xf32>, tensor<2x3x8xf32>) {
  // CHECK: attn.transpose %{{.*}} {perm = array<i64: 2, 1, 0>}
  %0 = attn.transpose %x {perm = array<i64: 2, 1, 0>} : (tensor<2x4x8xf32>) -> tensor<8x4x2xf32>
  // CHECK: attn.reshape %{{.*}} : (tensor<2x4x8xf32>) -> tensor<4x8x2xf32>
  %1 = attn.reshape %x : (tensor<2x4x8xf32>) -> tensor<4x8x2xf32>
  // CHECK: attn.slice %{{.*}} {limits = array<i64: 2, 4, 8>, starts = array<i64: 0, 0, 0>, strides = array<i64: 1, 2, 1>}
  %2 = attn.slice %x {starts = array<i64: 0, 0, 0>, limits = array<i64: 2, 4, 8>, strides = array<i64: 1, 2, 1>} : (tensor<2x4x8xf32>) -> tensor<2x2x8xf32>
  // CHECK: attn.concat %{{.*}}, %{{.*}} {axis = 1 : i64} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x8x8xf32>
  %3 = attn.concat %x, %x {axis = 1 : i64} : (tensor<2x4x8xf32>, tensor<2x4x8xf32>) -> tensor<2x8x8xf32>
  // CHECK: attn.split %{{.*}} {axis = 1 : i64, sizes = array<i64: 1, 3>} : (tensor<2x4x8xf32>) -> (tensor<2x1x8xf32>, tensor<2x3x8xf32>)
  %4:2 = attn.split %x {axis = 1 : i64, sizes = array<i64: 1, 3>} : (tensor<2x4x8xf32>) -> (tensor<2x1x8xf32>, tensor<2x3x8xf32>)
  // CHECK: attn.gather %{{.*}}, %{{.*}} : (tensor<10x8xf32>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
  %5 = attn.gather %table, %ids : (tensor<10x8xf32>, tensor<2x3xi64>) -> tensor<2x3x8xf32>
  %6 = attn.add %4#1, %5 : (tensor<2x3x8xf32>, tensor<2x3x8xf32>) -> tensor<2x3x8xf32>
  return %0, %1, %2, %3, %4#0, %6 : tensor<8x4x2xf32>, tensor<4x8x2xf32>, tensor<2x2x8xf32>, tensor<2x8x8xf32>, tensor<2x1x8xf32>, tensor<2x3x8xf32>
}

// CHECK-LABEL: func.func @fused
func.func @fused(%q: tensor<1x8x16x64xf32>, %k: tensor<1x2x32x64xf32>, %v: tensor<1x2x32x64xf32>, %m: tensor<1x1x16x32xi1>, %p: tensor<1x16x512xf32>, %k8: tensor<1x8x32x64xf32>) -> (tensor<1x8x16x64xf32>, tensor<1x16x512xf32>, tensor<1x8x16x32xf32>, tensor<16x32xi1>) {
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} mask %{{.*}} {causal = #attn<causal bottom_right>, scale = 1.250000e-01 : f32}
  %0 = attn.attention %q, %k, %v mask %m {causal = #attn<causal bottom_right>, scale = 0.125 : f32} : (tensor<1x8x16x64xf32>, tensor<1x2x32x64xf32>, tensor<1x2x32x64xf32>, tensor<1x1x16x32xi1>) -> tensor<1x8x16x64xf32>
  // CHECK: attn.attention %{{.*}}, %{{.*}}, %{{.*}} {num_heads = 8 : i64} : (tensor<1x16x512xf32>
  %1 = attn.attention %p, %p, %p {num_heads = 8 : i64} : (tensor<1x16x512xf32>, tensor<1x16x512xf32>, tensor<1x16x512xf32>) -> tensor<1x16x512xf32>
  %s = attn.matmul %q, %k8 {transpose_rhs} : (tensor<1x8x16x64xf32>, tensor<1x8x32x64xf32>) -> tensor<1x8x16x32xf32>
  // CHECK: attn.scaled_masked_softmax %{{.*}} mask %{{.*}} {causal = #attn<causal top_left>, scale = 5.000000e-01 : f32}
  %2 = attn.scaled_masked_softmax %s mask %m {scale = 0.5 : f32, causal = #attn<causal top_left>} : (tensor<1x8x16x32xf32>, tensor<1x1x16x32xi1>) -> tensor<1x8x16x32xf32>
  // CHECK: attn.causal_mask {causal = #attn<causal top_left>} : tensor<16x32xi1>
  %3 = attn.causal_mask {causal = #attn<causal top_left>} : tensor<16x32xi1>
  return %0, %1, %2, %3 : tensor<1x8x16x64xf32>, tensor<1x16x512xf32>, tensor<1x8x16x32xf32>, tensor<16x32xi1>
}

// CHECK-LABEL: func.func @constants
func.func @constants() -> (tensor<2xf32>, tensor<4xf16>) {
  // CHECK: attn.constant dense<[1.000000e+00, 2.000000e+00]> : tensor<2xf32>
  %0 = attn.constant dense<[1.0, 2.0]> : tensor<2xf32>
  // CHECK: attn.constant dense_resource<w> : tensor<4xf16>
  %1 = attn.constant dense_resource<w> : tensor<4xf16>
  return %0, %1 : tensor<2xf32>, tensor<4xf16>
}

{-#
  dialect_resources: {
    builtin: {
      w: "0x02000000003C003C00400044"
    }
  }
#-}
