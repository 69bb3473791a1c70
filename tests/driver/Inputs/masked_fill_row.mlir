// Row 0 of the keep-mask hides every key. masked_fill(-1e4) then gives that
// query a uniform average of V; the fused op (which treats a fill <= -1e4
// as masking) gives zeros, as attn.attention's contract says.
func.func @forward(%q: tensor<1x1x4x8xf32> {attn.name = "q"}, %k: tensor<1x1x4x8xf32> {attn.name = "k"}, %v: tensor<1x1x4x8xf32> {attn.name = "v"}) -> (tensor<1x1x4x8xf32> {attn.name = "out"}) {
  %s = attn.matmul %q, %k {transpose_rhs} : (tensor<1x1x4x8xf32>, tensor<1x1x4x8xf32>) -> tensor<1x1x4x4xf32>
  %keep = attn.constant dense<[[false, false, false, false], [true, true, false, false], [true, true, true, false], [true, true, true, true]]> : tensor<4x4xi1>
  %fill = attn.constant dense<-1.0e4> : tensor<f32>
  %m = attn.select %keep, %s, %fill : (tensor<4x4xi1>, tensor<1x1x4x4xf32>, tensor<f32>) -> tensor<1x1x4x4xf32>
  %p = attn.softmax %m {axis = -1 : i64} : tensor<1x1x4x4xf32>
  %o = attn.matmul %p, %v : (tensor<1x1x4x4xf32>, tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32>
  return %o : tensor<1x1x4x8xf32>
}
