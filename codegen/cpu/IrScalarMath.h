//===- IrScalarMath.h - the CPU target's scalar primitives -----*- C++ -*-===//
//
// The scalar math ops::evaluate() lowers elementwise ops to LLVM IR with:
// values in their computation types (i1 for booleans), f32 transcendentals
// through the kernel library's polynomials, f16 computed in f32, f64
// through LLVM intrinsics and libm.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CPU_IRSCALARMATH_H
#define ATTNC_CODEGEN_CPU_IRSCALARMATH_H

#include "ir/AttnOps.h"

#include "llvm/IR/IRBuilder.h"

namespace attnc::cpu {

/// Emits each primitive at the builder's insertion point. Integer and
/// boolean arithmetic follows the oracle: booleans compute as 0/1 numbers,
/// integer division truncates and never traps (x / 0 gives 0).
class IrScalarMath {
public:
  using Value = llvm::Value *;

  /// `resultType` is what convert() produces.
  IrScalarMath(llvm::IRBuilder<> &b, llvm::Type *resultType)
      : b(b), resultType(resultType) {}

  Value constant(Value like, double v);
  Value add(Value x, Value y);
  Value sub(Value x, Value y);
  Value mul(Value x, Value y);
  Value div(Value x, Value y);
  Value pow(Value x, Value y);
  Value max(Value x, Value y) { return minMax(x, y, /*isMax=*/true); }
  Value min(Value x, Value y) { return minMax(x, y, /*isMax=*/false); }
  Value neg(Value x);
  Value abs(Value x);
  Value exp(Value x);
  Value log(Value x);
  Value tanh(Value x) { return call("attnc_m_tanhf", "tanh", {x}); }
  Value erf(Value x) { return call("attnc_m_erff", "erf", {x}); }
  Value sqrt(Value x);
  Value logicalAnd(Value x, Value y) { return b.CreateAnd(x, y); }
  Value logicalOr(Value x, Value y) { return b.CreateOr(x, y); }
  Value logicalNot(Value x) { return b.CreateNot(x); }
  Value compare(mlir::attn::CompareKind kind, Value x, Value y);
  Value isNaN(Value x);
  Value select(Value cond, Value t, Value f) {
    return b.CreateSelect(cond, t, f);
  }
  Value convert(Value x) { return convertTo(x, resultType); }

private:
  Value call(llvm::StringRef f32Name, llvm::StringRef f64Name,
             llvm::ArrayRef<Value> args);
  Value minMax(Value x, Value y, bool isMax);
  Value convertTo(Value x, llvm::Type *to);
  /// `fn` on integers, with i1 operands widened and the result narrowed.
  Value intBinary(Value x, Value y, llvm::function_ref<Value(Value, Value)> fn);

  llvm::IRBuilder<> &b;
  llvm::Type *resultType;
};

} // namespace attnc::cpu

#endif // ATTNC_CODEGEN_CPU_IRSCALARMATH_H
