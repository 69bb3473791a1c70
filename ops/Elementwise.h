//===- Elementwise.h - the elementwise ops and their scalar meaning -*- C++
//-*-//
//
// ElementwiseOps.def defines every elementwise op once, as an expression
// over a few scalar primitives. The oracle, the CPU target and the Vulkan
// target each implement those primitives once (a "scalar math") and call
// evaluate(), which builds an op's result from them: a double, an LLVM
// value or a GLSL expression.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_OPS_ELEMENTWISE_H
#define ATTNC_OPS_ELEMENTWISE_H

#include "ir/AttnOps.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/ErrorHandling.h"

#include <optional>

namespace attnc::ops {

/// One entry of ElementwiseOps.def.
enum class ElementwiseKind {
#define ATTNC_ELEMENTWISE(Kind, ...) Kind,
#include "ops/ElementwiseOps.def"
};

/// What an element is computed as.
enum class ScalarKind { Float, Int, Bool };

/// The scalar kind of an element type or of a tensor type's elements.
ScalarKind scalarKindOf(mlir::Type type);

/// The scalar kinds an entry's first operand may have.
enum class OperandKinds { Float, Numeric, Bool, Any };

/// An entry's name, arity and operand kinds.
struct ElementwiseInfo {
  const char *name;
  unsigned arity;
  OperandKinds operands;
};
const ElementwiseInfo &getInfo(ElementwiseKind kind);

/// The entry that defines `op`, or none when it is not elementwise.
std::optional<ElementwiseKind> classifyElementwise(mlir::Operation *op);

/// Why `kind` cannot take a first operand of `operand`'s kind ("needs float
/// operands"), or null when it can.
const char *checkOperands(ElementwiseKind kind, ScalarKind operand);

/// The result of `kind` on `x` (getInfo(kind).arity values), built with the
/// scalar math `m`. Math::Value is what the consumer computes with; a Math
/// provides, each with the semantics of the operands' type:
///   constant(like, v)    v in the type of `like`
///   add sub mul div pow max min (a, b); neg abs exp log tanh erf sqrt (a)
///   logicalAnd logicalOr (a, b); logicalNot (a)        booleans
///   compare(CompareKind, a, b) -> boolean; isNaN(a) -> boolean (false for
///   integers); select(cond, t, f); convert(a) -> the op's result type.
template <typename Math>
typename Math::Value evaluate(ElementwiseKind kind, Math &m,
                              llvm::ArrayRef<typename Math::Value> x) {
  using mlir::attn::CompareKind;
  assert(x.size() == getInfo(kind).arity && "wrong operand count");
  auto c = [&](double v) { return m.constant(x[0], v); };
  switch (kind) {
#define ATTNC_ELEMENTWISE(Kind, AttnOp, Match, Arity, Operands, ...)           \
  case ElementwiseKind::Kind:                                                  \
    return __VA_ARGS__;
#include "ops/ElementwiseOps.def"
  }
  llvm_unreachable("unknown ElementwiseKind");
}

} // namespace attnc::ops

#endif // ATTNC_OPS_ELEMENTWISE_H
