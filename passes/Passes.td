//===- Passes.td - attn graph passes -------------------------*- tablegen -*-===//
//
// Every graph pass of attnc, with a summary and a before/after sketch. The
// order they run in is decided in Pipeline.cpp, nowhere else.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_PASSES_TD
#define ATTN_PASSES_TD

include "mlir/Pass/PassBase.td"

def FoldConstants : Pass<"attn-fold-constants", "func::FuncOp"> {
  let summary = "Evaluate ops whose operands are all constants";
  let description = [{
    Runs the reference interpreter on every op whose operands are constants
    (a transposed weight, a mask built from `attn.causal_mask`, shape
    arithmetic left by an importer) and replaces it with an `attn.constant`,
    so the fusion patterns see through it. Results larger than
    `max-elements` are left alone.

    Before: `%t = attn.transpose %w {perm = array<i64: 1, 0>}` with `%w` a
    constant. After: `%t = attn.constant dense<...>`.
  }];
  let constructor = "mlir::attn::createFoldConstantsPass()";
  let options = [
    Option<"maxElements", "max-elements", "int64_t", /*default=*/"1 << 24",
           "largest result (in elements) to fold">
  ];
  let dependentDialects = ["mlir::attn::AttnDialect"];
}

def CanonicalizeForms : Pass<"attn-canonicalize-forms", "func::FuncOp"> {
  let summary = "Give each attention idiom one spelling";
  let description = [{
    Rewrites the equivalent ways models write attention into one form the
    fusion passes match:
      - `div(s, c)` with a scalar constant c becomes `mul(s, 1/c)`; a scalar
        factor on the left moves right; nested scalar factors multiply.
      - a scalar factor on Q or K before `matmul` moves onto the scores.
      - `matmul(a, transpose(b))` swapping the last two dims becomes
        `matmul(a, b) {transpose_rhs}` (likewise for lhs).
      - `add(mask, s)` becomes `add(s, mask)` when `s` comes from a matmul.
      - `select(keep, s, fill)` with `fill` a scalar -inf or <= -1e4 keeps
        its form; `select(drop, fill, s)` becomes `select(not(drop), s, fill)`.
      - `mul(x, 1)` and `add(x, 0)` (baddbmm's alpha and beta) go.
      - `add(s, select(c, m, -inf))` becomes `select(c, add(s, m), -inf)`
        (an exported padding mask reaches the fusion as a keep-mask), and
        `not(or(a, b))` becomes `and(not(a), not(b))`.
      - a scalar factor moves past reshape and transpose toward its matmul.
      - reshapes that only regroup batch dims move so that matmul and
        softmax run on [B, H, S, S] rather than [B·H, S, S] (BART's view
        between bmm and the mask add).

    Before: `%s = attn.div %qk, %c8` with `%c8 = dense<8.0>`.
    After:  `%s = attn.mul %qk, %c` with `%c = dense<0.125>`.
  }];
  let constructor = "mlir::attn::createCanonicalizeFormsPass()";
  let dependentDialects = ["mlir::attn::AttnDialect"];
}

def FuseScaleMaskSoftmax : Pass<"attn-fuse-scale-mask-softmax", "func::FuncOp"> {
  let summary = "Fuse scale, mask and softmax into attn.scaled_masked_softmax";
  let description = [{
    Matches `softmax(axis = last)` over scores that were optionally scaled by
    a scalar constant, had an additive mask added, and/or were filled by
    `select(keep, s, -inf)`; a constant or `attn.causal_mask` keep-mask with
    a causal pattern becomes the `causal` attribute.

    Before:
      %s = attn.mul %qk, %c   (scalar 0.125)
      %m = attn.add %s, %mask
      %p = attn.softmax %m {axis = -1}
    After:
      %p = attn.scaled_masked_softmax %qk mask %mask {scale = 0.125}
  }];
  let constructor = "mlir::attn::createFuseScaleMaskSoftmaxPass()";
  let dependentDialects = ["mlir::attn::AttnDialect"];
}

def FuseAttention : Pass<"attn-fuse-attention", "func::FuncOp"> {
  let summary = "Fuse matmul · scaled_masked_softmax · matmul into attn.attention";
  let description = [{
    Matches `matmul(scaled_masked_softmax(matmul(Q, K, transpose_rhs)), V)`
    over [B, H, S, D] or [B, S, D] (one head) operands, including K/V heads
    repeated for grouped-query attention, and replaces it with
    `attn.attention`. It does not fire when the probabilities have another
    user (they would need the score matrix anyway) or the softmax is not
    over the key axis.

    Before:
      %s = attn.matmul %q, %k {transpose_rhs}
      %p = attn.scaled_masked_softmax %s {scale = 0.125, causal = top_left}
      %o = attn.matmul %p, %v
    After:
      %o = attn.attention %q, %k, %v {scale = 0.125, causal = top_left}
  }];
  let constructor = "mlir::attn::createFuseAttentionPass()";
  let dependentDialects = ["mlir::attn::AttnDialect"];
}

def SplitHeads : Pass<"attn-split-heads", "func::FuncOp"> {
  let summary = "Rewrite packed [B, S, H·D] attention to [B, H, S, D]";
  let description = [{
    A packed `attn.attention` (`num_heads` set) becomes reshape + transpose of
    Q, K and V into [B, H, S, D], a split-form attention, and the inverse
    transpose + reshape of its result, so back ends see one layout.

    Before: `%o = attn.attention %q, %k, %v {num_heads = 8}` on [1, 128, 512].
    After:  reshapes to [1, 128, 8, 64], transposes to [1, 8, 128, 64], the
            attention, and the way back.
  }];
  let constructor = "mlir::attn::createSplitHeadsPass()";
  let dependentDialects = ["mlir::attn::AttnDialect"];
}

def ReportFusion : Pass<"attn-report-fusion", "func::FuncOp"> {
  let summary = "Remark on every softmax left unfused, and why";
  let description = [{
    Changes nothing. Emits a remark at each `attn.softmax` and
    `attn.scaled_masked_softmax` that did not become part of an
    `attn.attention`, saying which pattern step failed, and one summary
    remark per function.
  }];
  let constructor = "mlir::attn::createReportFusionPass()";
}

def ConvertFloatStorage : Pass<"attn-convert-float-storage", "func::FuncOp"> {
  let summary = "Store a function's f32 tensors as f16, or its f16 ones as f32";
  let description = [{
    With `to=f16` (what `--precision=f16` appends to the pipeline): every
    f32 tensor of the function becomes f16 -- what is stored between
    kernels -- while each kernel still accumulates and keeps its statistics
    in f32. f32 constants are rounded to f16, finite values beyond its
    range saturating to +-65504 (so `finfo(float32).min` masks stay
    finite). With `to=f32` (how the CPU target runs an f16 model): every
    f16 tensor becomes f32, exactly. Either way arguments are cast on entry
    and results cast back before the return, so the function type -- the
    library's C ABI -- does not change. Other element types are left alone.

    Before: `%y = attn.matmul %x, %w : (tensor<2x8xf32>, tensor<8x8xf32>)`.
    After (to=f16): `%x16 = attn.cast %x : ... to tensor<2x8xf16>` and
            `%y = attn.matmul %x16, %w16 : ... -> tensor<2x8xf16>`.
  }];
  let constructor = "mlir::attn::createConvertFloatStoragePass()";
  let options = [
    Option<"to", "to", "std::string", /*default=*/"\"f16\"",
           "the element type to store: f16 or f32">
  ];
  let dependentDialects = ["mlir::attn::AttnDialect"];
}

#endif // ATTN_PASSES_TD
