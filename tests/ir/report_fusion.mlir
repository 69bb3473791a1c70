// RUN: attnc-opt %s -split-input-file --attn-pipeline --attn-report-fusion -verify-diagnostics

// expected-remark @+1 {{fusion report for @fused: 1 attention fused, 0 softmax left unfused}}
func.func @fused(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %c = attn.constant dense<4.0> : tensor<f32>
  %d = attn.div %s, %c : (tensor<1x2x8x8xf32>, tensor<f32>) -> tensor<1x2x8x8xf32>
  // expected-remark @+1 {{softmax fused into attn.attention}}
  %p = attn.softmax %d {axis = -1 : i64} : tensor<1x2x8x8xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// expected-remark @+1 {{fusion report for @weights: 0 attention fused, 1 softmax left unfused}}
func.func @weights(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> (tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>) {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  // expected-remark @+1 {{attn.scaled_masked_softmax not fused into attn.attention: its probabilities have 2 users}}
  %p = attn.softmax %s {axis = -1 : i64} : tensor<1x2x8x8xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o, %p : tensor<1x2x8x16xf32>, tensor<1x2x8x8xf32>
}

// -----

// expected-remark @+1 {{fusion report for @wrong_axis: 0 attention fused, 1 softmax left unfused}}
func.func @wrong_axis(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  // expected-remark @+1 {{attn.softmax not fused into attn.attention: softmax over axis 2, not the last axis (3), so it is not over the keys}}
  %p = attn.softmax %s {axis = 2 : i64} : tensor<1x2x8x8xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}

// -----

// expected-remark @+1 {{fusion report for @softcap: 0 attention fused, 1 softmax left unfused}}
func.func @softcap(%q: tensor<1x2x8x16xf32>, %k: tensor<1x2x8x16xf32>, %v: tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32> {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<1x2x8x16xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x8xf32>
  %t = attn.tanh %s : tensor<1x2x8x8xf32>
  // expected-remark @+1 {{attn.scaled_masked_softmax not fused into attn.attention: its scores are attn.tanh, not a Q·Kᵀ matmul}}
  %p = attn.softmax %t {axis = -1 : i64} : tensor<1x2x8x8xf32>
  %o = attn.matmul %p, %v : (tensor<1x2x8x8xf32>, tensor<1x2x8x16xf32>) -> tensor<1x2x8x16xf32>
  return %o : tensor<1x2x8x16xf32>
}
