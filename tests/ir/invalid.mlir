// RUN: attnc-opt %s -split-input-file -verify-diagnostics

func.func @matmul_contraction(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{contraction dims differ: lhs dim 1 is 3, rhs dim 0 is 4}}
  %0 = attn.matmul %a, %b : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @matmul_wrong_result(%a: tensor<2x3xf32>, %b: tensor<3x5xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{inferred type(s) 'tensor<2x5xf32>' are incompatible with return type(s) of operation 'tensor<2x4xf32>'}}
  %0 = attn.matmul %a, %b : (tensor<2x3xf32>, tensor<3x5xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @add_broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{cannot broadcast lhs [2, 3] with rhs [4]: lhs dim 1 is 3, rhs dim 0 is 4 (expected equal or 1)}}
  %0 = attn.add %a, %b : (tensor<2x3xf32>, tensor<4xf32>) -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @add_bool(%a: tensor<2xi1>, %b: tensor<2xi1>) -> tensor<2xi1> {
  // expected-error @+1 {{expects numeric operands, got i1}}
  %0 = attn.add %a, %b : (tensor<2xi1>, tensor<2xi1>) -> tensor<2xi1>
  return %0 : tensor<2xi1>
}

// -----

func.func @dynamic_shape(%a: tensor<?x3xf32>) -> tensor<?x3xf32> {
  // expected-error @+1 {{operand #0 must be statically shaped tensor}}
  %0 = attn.exp %a : tensor<?x3xf32>
  return %0 : tensor<?x3xf32>
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{axis 2 is out of range for an input of rank 2 (expected -2 <= axis < 2)}}
  %0 = attn.softmax %a {axis = 2 : i64} : tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @reshape_count(%a: tensor<2x3xf32>) -> tensor<7xf32> {
  // expected-error @+1 {{cannot reshape [2, 3] (6 elements) to [7] (7 elements)}}
  %0 = attn.reshape %a : (tensor<2x3xf32>) -> tensor<7xf32>
  return %0 : tensor<7xf32>
}

// -----

func.func @transpose_perm(%a: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{perm [0, 0] is not a permutation of [0, 2)}}
  %0 = attn.transpose %a {perm = array<i64: 0, 0>} : (tensor<2x3xf32>) -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @layer_norm_scale(%x: tensor<2x8xf32>, %g: tensor<4xf32>) -> tensor<2x8xf32> {
  // expected-error @+1 {{scale has shape [4], expected [8] (the normalised dims of the input)}}
  %0 = attn.layer_norm %x scale %g : (tensor<2x8xf32>, tensor<4xf32>) -> tensor<2x8xf32>
  return %0 : tensor<2x8xf32>
}

// -----

func.func @attention_head_dim(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x32xf32>, %v: tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32> {
  // expected-error @+1 {{key dim 3 (D) is 32, expected 64 (the query's head size)}}
  %0 = attn.attention %q, %k, %v : (tensor<1x4x8x64xf32>, tensor<1x4x8x32xf32>, tensor<1x4x8x64xf32>) -> tensor<1x4x8x64xf32>
  return %0 : tensor<1x4x8x64xf32>
}

// -----

func.func @attention_gqa(%q: tensor<1x6x8x64xf32>, %k: tensor<1x4x8x64xf32>, %v: tensor<1x4x8x64xf32>) -> tensor<1x6x8x64xf32> {
  // expected-error @+1 {{query heads (6) must be a multiple of key/value heads (4)}}
  %0 = attn.attention %q, %k, %v : (tensor<1x6x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>) -> tensor<1x6x8x64xf32>
  return %0 : tensor<1x6x8x64xf32>
}

// -----

func.func @attention_value_len(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>, %v: tensor<1x4x9x64xf32>) -> tensor<1x4x8x64xf32> {
  // expected-error @+1 {{value dim 2 (S) is 9, expected 8 (the key's sequence length)}}
  %0 = attn.attention %q, %k, %v : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x9x64xf32>) -> tensor<1x4x8x64xf32>
  return %0 : tensor<1x4x8x64xf32>
}

// -----

func.func @attention_mask(%q: tensor<1x4x8x64xf32>, %k: tensor<1x4x8x64xf32>, %v: tensor<1x4x8x64xf32>, %m: tensor<1x1x8x7xi1>) -> tensor<1x4x8x64xf32> {
  // expected-error @+1 {{mask shape [1, 1, 8, 7] does not broadcast to the scores [B, Hq, Sq, Sk] = [1, 4, 8, 8]}}
  %0 = attn.attention %q, %k, %v mask %m : (tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x4x8x64xf32>, tensor<1x1x8x7xi1>) -> tensor<1x4x8x64xf32>
  return %0 : tensor<1x4x8x64xf32>
}

// -----

func.func @attention_packed(%q: tensor<1x8x100xf32>, %k: tensor<1x8x100xf32>, %v: tensor<1x8x100xf32>) -> tensor<1x8x100xf32> {
  // expected-error @+1 {{query dim 2 is 100, not a multiple of its 8 heads}}
  %0 = attn.attention %q, %k, %v {num_heads = 8 : i64} : (tensor<1x8x100xf32>, tensor<1x8x100xf32>, tensor<1x8x100xf32>) -> tensor<1x8x100xf32>
  return %0 : tensor<1x8x100xf32>
}

// -----

func.func @sms_mask(%s: tensor<2x8x8xf32>, %m: tensor<3x8x8xf32>) -> tensor<2x8x8xf32> {
  // expected-error @+1 {{mask shape [3, 8, 8] does not broadcast to the input [2, 8, 8]}}
  %0 = attn.scaled_masked_softmax %s mask %m {scale = 1.0 : f32} : (tensor<2x8x8xf32>, tensor<3x8x8xf32>) -> tensor<2x8x8xf32>
  return %0 : tensor<2x8x8xf32>
}

// -----

func.func @causal_mask_none() -> tensor<4x4xi1> {
  // expected-error @+1 {{causal must be top_left or bottom_right}}
  %0 = attn.causal_mask {causal = #attn<causal none>} : tensor<4x4xi1>
  return %0 : tensor<4x4xi1>
}

// -----

func.func @gather_axis(%t: tensor<10x4xf32>, %i: tensor<3xi64>) -> tensor<3x4xf32> {
  // expected-error @+1 {{axis 2 is out of range for a table of rank 2}}
  %0 = attn.gather %t, %i {axis = 2 : i64} : (tensor<10x4xf32>, tensor<3xi64>) -> tensor<3x4xf32>
  return %0 : tensor<3x4xf32>
}

// -----

func.func @slice_window(%a: tensor<4x4xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{dim 0 window [3, 5) is not inside [0, 4]}}
  %0 = attn.slice %a {starts = array<i64: 3, 0>, limits = array<i64: 5, 4>, strides = array<i64: 1, 1>} : (tensor<4x4xf32>) -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @unknown_op(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{custom op 'attn.frobnicate' is unknown}}
  %0 = attn.frobnicate %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}
