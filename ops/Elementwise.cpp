//===- Elementwise.cpp - the table behind ElementwiseOps.def --------------===//
//
// Names, arities and operand kinds of the entries, and which entry an attn
// op is.
//
//===----------------------------------------------------------------------===//

#include "ops/Elementwise.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace attnc;
using namespace attnc::ops;

ScalarKind ops::scalarKindOf(mlir::Type type) {
  mlir::Type element = mlir::getElementTypeOrSelf(type);
  if (element.isInteger(1))
    return ScalarKind::Bool;
  if (element.isa<mlir::IntegerType>())
    return ScalarKind::Int;
  return ScalarKind::Float;
}

const ElementwiseInfo &ops::getInfo(ElementwiseKind kind) {
  static const ElementwiseInfo table[] = {
#define ATTNC_ELEMENTWISE(Kind, AttnOp, Match, Arity, Operands, ...)           \
  {#Kind, Arity, OperandKinds::Operands},
#include "ops/ElementwiseOps.def"
  };
  return table[static_cast<size_t>(kind)];
}

std::optional<ElementwiseKind> ops::classifyElementwise(mlir::Operation *any) {
  using namespace mlir::attn;
#define ATTNC_ELEMENTWISE(Kind, AttnOp, Match, ...)                            \
  if (auto op = llvm::dyn_cast<AttnOp>(any); op && (Match))                    \
    return ElementwiseKind::Kind;
#include "ops/ElementwiseOps.def"
  return std::nullopt;
}

const char *ops::checkOperands(ElementwiseKind kind, ScalarKind operand) {
  switch (getInfo(kind).operands) {
  case OperandKinds::Any:
    return nullptr;
  case OperandKinds::Numeric:
    return operand == ScalarKind::Bool
               ? "arithmetic on booleans is not supported"
               : nullptr;
  case OperandKinds::Float:
    return operand == ScalarKind::Float ? nullptr : "needs float operands";
  case OperandKinds::Bool:
    return operand == ScalarKind::Bool ? nullptr : "needs boolean operands";
  }
  llvm_unreachable("unknown OperandKinds");
}
