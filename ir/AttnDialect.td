//===- AttnDialect.td - the attn dialect and its attributes --*- tablegen -*-===//
//
// The dialect definition, the enums its ops carry (causal alignment, reduction
// and comparison kinds, GELU form) and their attribute wrappers.
//
//===----------------------------------------------------------------------===//

#ifndef ATTN_DIALECT_TD
#define ATTN_DIALECT_TD

include "mlir/IR/OpBase.td"
include "mlir/IR/AttrTypeBase.td"
include "mlir/IR/EnumAttr.td"

def Attn_Dialect : Dialect {
  let name = "attn";
  let cppNamespace = "::mlir::attn";
  let summary = "Tensor-level ops of Transformer models, unfused and fused";
  let description = [{
    The `attn` dialect describes a Transformer as a dataflow graph of
    statically shaped tensor ops. Front ends emit the unfused primitives a
    model author writes (matmul, softmax, reshape, ...); the passes rewrite
    them into `attn.scaled_masked_softmax` and `attn.attention`, which every
    back end and the fp64 reference interpreter implement with one contract.
  }];
  let hasConstantMaterializer = 1;
  let useDefaultAttributePrinterParser = 1;
  let useFoldAPI = kEmitFoldAdaptorFolder;
}

//===----------------------------------------------------------------------===//
// Enums
//===----------------------------------------------------------------------===//

def Attn_CausalNone : I32EnumAttrCase<"none", 0>;
def Attn_CausalTopLeft : I32EnumAttrCase<"top_left", 1>;
def Attn_CausalBottomRight : I32EnumAttrCase<"bottom_right", 2>;
def Attn_CausalKind : I32EnumAttr<"CausalKind",
    "which keys a query may see: all, j <= i, or j <= i + (Sk - Sq)",
    [Attn_CausalNone, Attn_CausalTopLeft, Attn_CausalBottomRight]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_CausalKindAttr : EnumAttr<Attn_Dialect, Attn_CausalKind, "causal">;

def Attn_ReduceSum : I32EnumAttrCase<"sum", 0>;
def Attn_ReduceMean : I32EnumAttrCase<"mean", 1>;
def Attn_ReduceMax : I32EnumAttrCase<"max", 2>;
def Attn_ReduceMin : I32EnumAttrCase<"min", 3>;
def Attn_ReduceKind : I32EnumAttr<"ReduceKind", "reduction combiner",
    [Attn_ReduceSum, Attn_ReduceMean, Attn_ReduceMax, Attn_ReduceMin]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_ReduceKindAttr : EnumAttr<Attn_Dialect, Attn_ReduceKind, "reduce">;

def Attn_CmpEq : I32EnumAttrCase<"eq", 0>;
def Attn_CmpNe : I32EnumAttrCase<"ne", 1>;
def Attn_CmpLt : I32EnumAttrCase<"lt", 2>;
def Attn_CmpLe : I32EnumAttrCase<"le", 3>;
def Attn_CmpGt : I32EnumAttrCase<"gt", 4>;
def Attn_CmpGe : I32EnumAttrCase<"ge", 5>;
def Attn_CompareKind : I32EnumAttr<"CompareKind", "element comparison",
    [Attn_CmpEq, Attn_CmpNe, Attn_CmpLt, Attn_CmpLe, Attn_CmpGt, Attn_CmpGe]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_CompareKindAttr : EnumAttr<Attn_Dialect, Attn_CompareKind, "cmp">;

def Attn_GeluErf : I32EnumAttrCase<"erf", 0>;
def Attn_GeluTanh : I32EnumAttrCase<"tanh", 1>;
def Attn_GeluKind : I32EnumAttr<"GeluKind",
    "GELU form: exact (erf) or the tanh approximation",
    [Attn_GeluErf, Attn_GeluTanh]> {
  let genSpecializedAttr = 0;
  let cppNamespace = "::mlir::attn";
}
def Attn_GeluKindAttr : EnumAttr<Attn_Dialect, Attn_GeluKind, "gelu">;

#endif // ATTN_DIALECT_TD
