// RUN: attnc-opt %s -split-input-file --attn-convert-float-storage | FileCheck %s
// RUN: attnc-opt %s -split-input-file --attn-convert-float-storage=to=f32 | FileCheck %s --check-prefix=WIDE
// RUN: not attnc-opt %s -split-input-file --attn-convert-float-storage=to=bf16 2>&1 | FileCheck %s --check-prefix=BAD

// f32 arguments are cast to f16 on entry, every op stores f16, constants
// are rounded (finite values beyond f16 saturate, -inf stays), and the
// result is cast back: the signature does not change. Integer and boolean
// tensors are left alone.
// CHECK-LABEL: func.func @layer(%{{.+}}: tensor<2x4xf32>, %{{.+}}: tensor<2x4xi1>) -> tensor<2x4xf32>
// CHECK: %[[X:.+]] = attn.cast %{{.+}} : tensor<2x4xf32> to tensor<2x4xf16>
// CHECK-DAG: attn.constant dense<[-6.550400e+04, 6.550400e+04, 0xFC00, 1.000980e+00]> : tensor<4xf16>
// CHECK-DAG: attn.constant dense<3.332520e-01> : tensor<f16>
// CHECK: %[[M:.+]] = attn.matmul %[[X]], %{{.+}} : (tensor<2x4xf16>, tensor<4x4xf16>) -> tensor<2x4xf16>
// CHECK: attn.select %{{.+}}, %{{.+}}, %{{.+}} : (tensor<2x4xi1>, tensor<2x4xf16>, tensor<f16>) -> tensor<2x4xf16>
// CHECK: %[[R:.+]] = attn.cast %{{.+}} : tensor<2x4xf16> to tensor<2x4xf32>
// CHECK: return %[[R]] : tensor<2x4xf32>
func.func @layer(%x: tensor<2x4xf32>, %keep: tensor<2x4xi1>) -> tensor<2x4xf32> {
  %w = attn.constant dense<1.0> : tensor<4x4xf32>
  %b = attn.constant dense<[-3.4e38, 1.0e5, 0xFF800000, 1.001]> : tensor<4xf32>
  %third = attn.constant dense<0.333333343> : tensor<f32>
  %0 = attn.matmul %x, %w : (tensor<2x4xf32>, tensor<4x4xf32>) -> tensor<2x4xf32>
  %1 = attn.add %0, %b : (tensor<2x4xf32>, tensor<4xf32>) -> tensor<2x4xf32>
  %2 = attn.select %keep, %1, %third : (tensor<2x4xi1>, tensor<2x4xf32>, tensor<f32>) -> tensor<2x4xf32>
  return %2 : tensor<2x4xf32>
}

// -----

// An f16 model with to=f32: everything inside becomes f32, exactly, behind
// the same f16 signature.
// WIDE-LABEL: func.func @half(%{{.+}}: tensor<3xf16>) -> tensor<3xf16>
// WIDE: %[[X:.+]] = attn.cast %{{.+}} : tensor<3xf16> to tensor<3xf32>
// WIDE: attn.constant dense<[1.000000e+00, 5.000000e-01, 6.550400e+04]> : tensor<3xf32>
// WIDE: %[[Y:.+]] = attn.mul %[[X]], %{{.+}} : (tensor<3xf32>, tensor<3xf32>) -> tensor<3xf32>
// WIDE: %[[R:.+]] = attn.cast %[[Y]] : tensor<3xf32> to tensor<3xf16>
// WIDE: return %[[R]] : tensor<3xf16>
func.func @half(%x: tensor<3xf16>) -> tensor<3xf16> {
  %c = attn.constant dense<[1.0, 0.5, 65504.0]> : tensor<3xf16>
  %0 = attn.mul %x, %c : (tensor<3xf16>, tensor<3xf16>) -> tensor<3xf16>
  return %0 : tensor<3xf16>
}

// BAD: attn-convert-float-storage: to must be f16 or f32, got 'bf16'
