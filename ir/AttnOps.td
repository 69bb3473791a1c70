//===- AttnOps.td - ops of the attn dialect ------------------*- tablegen -*-===//
//
// Statically shaped tensor ops: elementwise, reductions, softmax, layer norm,
// matmul, data movement, constants and masks, plus the two fused ops the
// passes produce. Shape rules live in AttnOps.cpp (inferReturnTypes), so a
// builder never states a result type it could get wrong.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_OPS_TD
#define ATTN_OPS_TD

include "AttnDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

//===----------------------------------------------------------------------===//
// Type constraints
//===----------------------------------------------------------------------===//

def Attn_Tensor : StaticShapeTensorOf<[F16, F32, F64, I1, I32, I64]>;
def Attn_FloatTensor : StaticShapeTensorOf<[F16, F32, F64]>;
def Attn_NumericTensor : StaticShapeTensorOf<[F16, F32, F64, I32, I64]>;
def Attn_BoolTensor : StaticShapeTensorOf<[I1]>;
def Attn_IndexTensor : StaticShapeTensorOf<[I32, I64]>;
def Attn_MaskTensor : StaticShapeTensorOf<[F16, F32, F64, I1]>;

class Attn_Op<string mnemonic, list<Trait> traits = []>
    : Op<Attn_Dialect, mnemonic, !listconcat([Pure], traits)>;

class Attn_InferredOp<string mnemonic, list<Trait> traits = []>
    : Attn_Op<mnemonic,
              !listconcat([DeclareOpInterfaceMethods<InferTypeOpInterface>],
                          traits)>;

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

class Attn_BinaryOp<string mnemonic, string what>
    : Attn_InferredOp<mnemonic, [AllElementTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "elementwise " # what # " with numpy broadcasting";
  let description = [{
    Both operands broadcast to a common shape: shapes are aligned on the
    right and each dimension pair must be equal or contain a 1.
  }];
  let arguments = (ins Attn_Tensor:$lhs, Attn_Tensor:$rhs);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Attn_AddOp : Attn_BinaryOp<"add", "addition">;
def Attn_SubOp : Attn_BinaryOp<"sub", "subtraction">;
def Attn_MulOp : Attn_BinaryOp<"mul", "multiplication">;
def Attn_DivOp : Attn_BinaryOp<"div", "division">;
def Attn_PowOp : Attn_BinaryOp<"pow", "power">;
def Attn_MaxOp : Attn_BinaryOp<"max", "maximum">;
def Attn_MinOp : Attn_BinaryOp<"min", "minimum">;
def Attn_AndOp : Attn_BinaryOp<"and", "logical and (i1)">;
def Attn_OrOp : Attn_BinaryOp<"or", "logical or (i1)">;

class Attn_UnaryOp<string mnemonic, string what,
                   TypeConstraint type = Attn_FloatTensor>
    : Attn_Op<mnemonic, [SameOperandsAndResultType]> {
  let summary = "elementwise " # what;
  let arguments = (ins type:$input);
  let results = (outs type:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Attn_ExpOp : Attn_UnaryOp<"exp", "e^x">;
def Attn_LogOp : Attn_UnaryOp<"log", "natural logarithm">;
def Attn_TanhOp : Attn_UnaryOp<"tanh", "hyperbolic tangent">;
def Attn_ErfOp : Attn_UnaryOp<"erf", "error function">;
def Attn_SqrtOp : Attn_UnaryOp<"sqrt", "square root">;
def Attn_RsqrtOp : Attn_UnaryOp<"rsqrt", "reciprocal square root">;
def Attn_NegOp : Attn_UnaryOp<"neg", "negation", Attn_NumericTensor>;
def Attn_AbsOp : Attn_UnaryOp<"abs", "absolute value", Attn_NumericTensor>;
def Attn_ReluOp : Attn_UnaryOp<"relu", "max(x, 0)", Attn_NumericTensor>;
def Attn_SigmoidOp : Attn_UnaryOp<"sigmoid", "1 / (1 + e^-x)">;
def Attn_NotOp : Attn_UnaryOp<"not", "logical not", Attn_BoolTensor>;

def Attn_GeluOp : Attn_Op<"gelu", [SameOperandsAndResultType]> {
  let summary = "elementwise GELU, exact (erf) or tanh-approximated";
  let arguments = (ins Attn_FloatTensor:$input,
                   DefaultValuedAttr<Attn_GeluKindAttr,
                                     "::mlir::attn::GeluKind::erf">:$approximate);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
}

def Attn_CompareOp : Attn_InferredOp<"compare",
                                     [AllElementTypesMatch<["lhs", "rhs"]>]> {
  let summary = "elementwise comparison with broadcasting, giving i1";
  let arguments = (ins Attn_Tensor:$lhs, Attn_Tensor:$rhs,
                   Attn_CompareKindAttr:$predicate);
  let results = (outs Attn_BoolTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

def Attn_SelectOp : Attn_InferredOp<"select",
    [AllElementTypesMatch<["true_value", "false_value", "result"]>]> {
  let summary = "elementwise `condition ? true_value : false_value`";
  let description = [{
    All three operands broadcast to a common shape. A boolean attention mask
    reaches the fusion passes as `select(keep, scores, -inf)`.
  }];
  let arguments = (ins Attn_BoolTensor:$condition, Attn_Tensor:$true_value,
                   Attn_Tensor:$false_value);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$condition `,` $true_value `,` $false_value attr-dict "
                       "`:` functional-type(operands, results)";
}

def Attn_CastOp : Attn_Op<"cast"> {
  let summary = "element type conversion, same shape";
  let description = [{
    Float to float rounds to nearest; float to integer truncates toward zero;
    anything to i1 is `x != 0`; i1 to a number is 0 or 1.
  }];
  let arguments = (ins Attn_Tensor:$input);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input) `to` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

def Attn_ReduceOp : Attn_InferredOp<"reduce",
                                    [AllElementTypesMatch<["input", "result"]>]> {
  let summary = "sum / mean / max / min over a set of axes";
  let arguments = (ins Attn_Tensor:$input, Attn_ReduceKindAttr:$kind,
                   DenseI64ArrayAttr:$axes,
                   DefaultValuedAttr<BoolAttr, "false">:$keep_dims);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Attn_SoftmaxOp : Attn_Op<"softmax", [SameOperandsAndResultType]> {
  let summary = "softmax along one axis";
  let description = [{
    `exp(x - max) / sum(exp(x - max))` along `axis` (negative counts from the
    end). A slice whose entries are all -inf gives zeros, as the fused ops do.
  }];
  let arguments = (ins Attn_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The axis in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

def Attn_LogSoftmaxOp : Attn_Op<"log_softmax", [SameOperandsAndResultType]> {
  let summary = "log of softmax along one axis";
  let arguments = (ins Attn_FloatTensor:$input, I64Attr:$axis);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = "$input attr-dict `:` type($input)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The axis in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

def Attn_LayerNormOp : Attn_Op<"layer_norm", [AttrSizedOperandSegments,
    AllTypesMatch<["input", "result"]>]> {
  let summary = "layer normalisation over the trailing axes from `axis`";
  let description = [{
    `(x - mean) / sqrt(var + epsilon) * scale + bias`, mean and (biased)
    variance over dimensions `axis ..< rank`. `scale` and `bias`, when given,
    have the shape of those trailing dimensions.
  }];
  let arguments = (ins Attn_FloatTensor:$input,
                   Optional<Attn_FloatTensor>:$scale,
                   Optional<Attn_FloatTensor>:$bias,
                   DefaultValuedAttr<I64Attr, "-1">:$axis,
                   DefaultValuedAttr<F32Attr, "1e-5f">:$epsilon);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = "$input (`scale` $scale^)? (`bias` $bias^)? attr-dict "
                       "`:` functional-type(operands, results)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    /// The first normalised axis, in [0, rank).
    int64_t getNormalizedAxis();
  }];
}

//===----------------------------------------------------------------------===//
// Contraction
//===----------------------------------------------------------------------===//

def Attn_MatmulOp : Attn_InferredOp<"matmul",
                                    [AllElementTypesMatch<["lhs", "rhs", "result"]>]> {
  let summary = "batched matrix product with broadcast batch dims";
  let description = [{
    `lhs[..., M, K] · rhs[..., K, N]`, where `transpose_lhs` / `transpose_rhs`
    read the last two dims of an operand swapped. Leading (batch) dims
    broadcast as for elementwise ops; both operands have rank >= 2.
  }];
  let arguments = (ins Attn_FloatTensor:$lhs, Attn_FloatTensor:$rhs,
                   UnitAttr:$transpose_lhs, UnitAttr:$transpose_rhs);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat =
      "$lhs `,` $rhs attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

def Attn_ReshapeOp : Attn_Op<"reshape", [AllElementTypesMatch<["input", "result"]>]> {
  let summary = "same elements in row-major order, new static shape";
  let arguments = (ins Attn_Tensor:$input);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Attn_TransposeOp : Attn_InferredOp<"transpose",
                                       [AllElementTypesMatch<["input", "result"]>]> {
  let summary = "permute dimensions: result dim i is input dim perm[i]";
  let arguments = (ins Attn_Tensor:$input, DenseI64ArrayAttr:$perm);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasFolder = 1;
}

def Attn_BroadcastToOp : Attn_Op<"broadcast_to",
                                 [AllElementTypesMatch<["input", "result"]>]> {
  let summary = "numpy broadcast to the (static) result shape";
  let arguments = (ins Attn_Tensor:$input);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Attn_SliceOp : Attn_InferredOp<"slice",
                                   [AllElementTypesMatch<["input", "result"]>]> {
  let summary = "strided window: [starts, limits) with positive strides";
  let arguments = (ins Attn_Tensor:$input, DenseI64ArrayAttr:$starts,
                   DenseI64ArrayAttr:$limits, DenseI64ArrayAttr:$strides);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Attn_ConcatOp : Attn_InferredOp<"concat"> {
  let summary = "join tensors along one axis";
  let arguments = (ins Variadic<Attn_Tensor>:$inputs, I64Attr:$axis);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$inputs attr-dict `:` functional-type(operands, results)";
}

def Attn_SplitOp : Attn_InferredOp<"split"> {
  let summary = "cut a tensor into consecutive pieces along one axis";
  let arguments = (ins Attn_Tensor:$input, I64Attr:$axis,
                   DenseI64ArrayAttr:$sizes);
  let results = (outs Variadic<Attn_Tensor>:$results);
  let assemblyFormat = "$input attr-dict `:` functional-type(operands, results)";
}

def Attn_GatherOp : Attn_InferredOp<"gather",
                                    [AllElementTypesMatch<["table", "result"]>]> {
  let summary = "take slices of `table` along `axis` at `indices`";
  let description = [{
    Result shape is `table[:axis] ++ indices ++ table[axis+1:]` (ONNX
    Gather). Negative indices count from the end; an index outside
    [-n, n) is a run-time error.
  }];
  let arguments = (ins Attn_Tensor:$table, Attn_IndexTensor:$indices,
                   DefaultValuedAttr<I64Attr, "0">:$axis);
  let results = (outs Attn_Tensor:$result);
  let assemblyFormat =
      "$table `,` $indices attr-dict `:` functional-type(operands, results)";
}

//===----------------------------------------------------------------------===//
// Constants and masks
//===----------------------------------------------------------------------===//

def Attn_ConstantOp : Attn_Op<"constant", [ConstantLike]> {
  let summary = "a tensor constant (weights are dense resources)";
  let arguments = (ins ElementsAttr:$value);
  let results = (outs Attn_Tensor:$result);
  let hasCustomAssemblyFormat = 1;
  let builders = [OpBuilder<(ins "::mlir::ElementsAttr":$value), [{
    build($_builder, $_state, value.getType(), value);
  }]>];
  let hasVerifier = 1;
  let hasFolder = 1;
}

def Attn_CausalMaskOp : Attn_Op<"causal_mask"> {
  let summary = "i1 [Sq, Sk] keep-mask of a causal alignment";
  let description = [{
    `true` where query i may see key j: `j <= i` for top_left, and
    `j <= i + (Sk - Sq)` for bottom_right.
  }];
  let arguments = (ins Attn_CausalKindAttr:$causal);
  let results = (outs Attn_BoolTensor:$result);
  let assemblyFormat = "attr-dict `:` type($result)";
  let hasVerifier = 1;
}

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

def Attn_ScaledMaskedSoftmaxOp : Attn_Op<"scaled_masked_softmax",
    [AllTypesMatch<["input", "result"]>]> {
  let summary = "softmax(input · scale + mask) over the last axis";
  let description = [{
    The scores `s = input · scale + mask` (additive float mask) get -inf where
    a boolean mask is false or the causal alignment hides the key; then a
    softmax over the last axis with a running fp32 max and sum. Masked
    positions get exactly zero weight; a row with every position masked gives
    zeros. `mask` broadcasts to the input's shape; the causal alignment uses
    the last two dims as [Sq, Sk].
  }];
  let arguments = (ins Attn_FloatTensor:$input,
                   Optional<Attn_MaskTensor>:$mask, F32Attr:$scale,
                   DefaultValuedAttr<Attn_CausalKindAttr,
                                     "::mlir::attn::CausalKind::none">:$causal);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = "$input (`mask` $mask^)? attr-dict "
                       "`:` functional-type(operands, results)";
  let hasVerifier = 1;
}

def Attn_AttentionOp : Attn_InferredOp<"attention",
    [AllElementTypesMatch<["query", "key", "value", "result"]>]> {
  let summary = "softmax(Q·Kᵀ·scale + mask) · V, flash-style in every back end";
  let description = [{
    Split form: Q [B, Hq, Sq, D], K [B, Hkv, Sk, D], V [B, Hkv, Sk, Dv],
    result [B, Hq, Sq, Dv], with Hq % Hkv == 0 (query head h reads kv head
    h / (Hq / Hkv): grouped-query attention).

    Packed form (`num_heads` set): Q [B, Sq, Hq·D], K [B, Sk, Hkv·D],
    V [B, Sk, Hkv·Dv], result [B, Sq, Hq·Dv]; `num_kv_heads` defaults to
    `num_heads`. `attn-split-heads` rewrites it to the split form.

    `scale` defaults to 1/sqrt(D). `mask` is additive (float) or a keep-mask
    (i1) broadcastable to [B, Hq, Sq, Sk]. `causal` hides keys as for
    `attn.causal_mask`. Scores are `(Q·Kᵀ)·scale + mask`, masked positions get
    exactly zero weight, the softmax keeps an fp32 running max and sum, and a
    query whose keys are all masked yields zeros.
  }];
  let arguments = (ins Attn_FloatTensor:$query, Attn_FloatTensor:$key,
                   Attn_FloatTensor:$value, Optional<Attn_MaskTensor>:$mask,
                   OptionalAttr<F32Attr>:$scale,
                   DefaultValuedAttr<Attn_CausalKindAttr,
                                     "::mlir::attn::CausalKind::none">:$causal,
                   OptionalAttr<I64Attr>:$num_heads,
                   OptionalAttr<I64Attr>:$num_kv_heads);
  let results = (outs Attn_FloatTensor:$result);
  let assemblyFormat = "$query `,` $key `,` $value (`mask` $mask^)? attr-dict "
                       "`:` functional-type(operands, results)";
  let extraClassDeclaration = [{
    /// True for the packed [B, S, H·D] form.
    bool isPacked() { return getNumHeads().has_value(); }
    /// The scale to apply: the attribute, or 1/sqrt(D) when absent.
    double getEffectiveScale();
  }];
}

#endif // ATTN_OPS_TD
