//===- IrScalarMath.cpp - the CPU target's scalar primitives --------------===//
//
// One LLVM IR sequence per primitive of ops/Elementwise.h, chosen by the
// operands' LLVM type.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/IrScalarMath.h"

#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Module.h"

using namespace attnc;
using namespace attnc::cpu;

namespace {
bool isFloat(llvm::Value *v) { return v->getType()->isFloatingPointTy(); }
} // namespace

llvm::Value *IrScalarMath::call(llvm::StringRef f32Name,
                                llvm::StringRef f64Name,
                                llvm::ArrayRef<llvm::Value *> args) {
  llvm::Type *type = args[0]->getType();
  if (type->isHalfTy()) {
    llvm::SmallVector<llvm::Value *, 2> wide;
    for (llvm::Value *a : args)
      wide.push_back(b.CreateFPExt(a, b.getFloatTy()));
    return b.CreateFPTrunc(call(f32Name, f64Name, wide), type);
  }
  llvm::StringRef name = type->isFloatTy() ? f32Name : f64Name;
  llvm::SmallVector<llvm::Type *, 2> types(args.size(), type);
  llvm::Module *module = b.GetInsertBlock()->getModule();
  llvm::FunctionCallee callee = module->getOrInsertFunction(
      name, llvm::FunctionType::get(type, types, false));
  if (auto *fn = llvm::dyn_cast<llvm::Function>(callee.getCallee())) {
    fn->setDoesNotThrow();
    fn->setDoesNotAccessMemory();
    fn->setWillReturn();
  }
  return b.CreateCall(callee, args);
}

llvm::Value *IrScalarMath::intBinary(
    llvm::Value *x, llvm::Value *y,
    llvm::function_ref<llvm::Value *(llvm::Value *, llvm::Value *)> fn) {
  if (!x->getType()->isIntegerTy(1))
    return fn(x, y);
  llvm::Value *r =
      fn(b.CreateZExt(x, b.getInt32Ty()), b.CreateZExt(y, b.getInt32Ty()));
  return b.CreateICmpNE(r, b.getInt32(0));
}

llvm::Value *IrScalarMath::constant(llvm::Value *like, double v) {
  llvm::Type *type = like->getType();
  if (type->isFloatingPointTy())
    return llvm::ConstantFP::get(type, v);
  return llvm::ConstantInt::getSigned(type, static_cast<int64_t>(v));
}

llvm::Value *IrScalarMath::add(llvm::Value *x, llvm::Value *y) {
  if (isFloat(x))
    return b.CreateFAdd(x, y);
  return intBinary(
      x, y, [&](llvm::Value *p, llvm::Value *q) { return b.CreateAdd(p, q); });
}

llvm::Value *IrScalarMath::sub(llvm::Value *x, llvm::Value *y) {
  if (isFloat(x))
    return b.CreateFSub(x, y);
  return intBinary(
      x, y, [&](llvm::Value *p, llvm::Value *q) { return b.CreateSub(p, q); });
}

llvm::Value *IrScalarMath::mul(llvm::Value *x, llvm::Value *y) {
  if (isFloat(x))
    return b.CreateFMul(x, y);
  return intBinary(
      x, y, [&](llvm::Value *p, llvm::Value *q) { return b.CreateMul(p, q); });
}

llvm::Value *IrScalarMath::div(llvm::Value *x, llvm::Value *y) {
  if (isFloat(x))
    return b.CreateFDiv(x, y);
  // Truncating toward zero without trapping: x / 0 gives 0 and
  // INT_MIN / -1 wraps.
  return intBinary(x, y, [&](llvm::Value *p, llvm::Value *q) {
    llvm::Type *t = p->getType();
    llvm::Value *zero = llvm::ConstantInt::get(t, 0),
                *one = llvm::ConstantInt::get(t, 1);
    llvm::Value *isZero = b.CreateICmpEQ(q, zero),
                *isMinusOne =
                    b.CreateICmpEQ(q, llvm::ConstantInt::getSigned(t, -1));
    llvm::Value *safe = b.CreateSelect(b.CreateOr(isZero, isMinusOne), one, q);
    llvm::Value *r = b.CreateSDiv(p, safe);
    r = b.CreateSelect(isMinusOne, b.CreateNeg(p), r);
    return b.CreateSelect(isZero, zero, r);
  });
}

llvm::Value *IrScalarMath::pow(llvm::Value *x, llvm::Value *y) {
  if (x->getType()->isDoubleTy())
    return b.CreateBinaryIntrinsic(llvm::Intrinsic::pow, x, y);
  if (isFloat(x))
    return call("attnc_m_powf", "pow", {x, y});
  // Integer powers through fp64 pow: exact while the result fits 2^53.
  return intBinary(x, y, [&](llvm::Value *p, llvm::Value *q) {
    llvm::Value *r = pow(b.CreateSIToFP(p, b.getDoubleTy()),
                         b.CreateSIToFP(q, b.getDoubleTy()));
    return convertTo(r, p->getType());
  });
}

llvm::Value *IrScalarMath::minMax(llvm::Value *x, llvm::Value *y, bool isMax) {
  if (isFloat(x)) {
    // y when either is NaN, then x when x is: NaN propagates.
    llvm::Value *pick = isMax ? b.CreateFCmpOGT(x, y) : b.CreateFCmpOLT(x, y);
    llvm::Value *r = b.CreateSelect(pick, x, y);
    return b.CreateSelect(b.CreateFCmpUNO(x, x), x, r);
  }
  return intBinary(x, y, [&](llvm::Value *p, llvm::Value *q) {
    llvm::Value *pick = isMax ? b.CreateICmpSGT(p, q) : b.CreateICmpSLT(p, q);
    return b.CreateSelect(pick, p, q);
  });
}

llvm::Value *IrScalarMath::neg(llvm::Value *x) {
  return isFloat(x) ? b.CreateFNeg(x) : b.CreateNeg(x);
}

llvm::Value *IrScalarMath::abs(llvm::Value *x) {
  if (isFloat(x))
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
  return b.CreateSelect(
      b.CreateICmpSLT(x, llvm::ConstantInt::get(x->getType(), 0)),
      b.CreateNeg(x), x);
}

llvm::Value *IrScalarMath::exp(llvm::Value *x) {
  if (x->getType()->isDoubleTy())
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::exp, x);
  return call("attnc_m_expf", "exp", {x});
}

llvm::Value *IrScalarMath::log(llvm::Value *x) {
  if (x->getType()->isDoubleTy())
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::log, x);
  return call("attnc_m_logf", "log", {x});
}

llvm::Value *IrScalarMath::sqrt(llvm::Value *x) {
  return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x);
}

llvm::Value *IrScalarMath::compare(mlir::attn::CompareKind kind, llvm::Value *x,
                                   llvm::Value *y) {
  using K = mlir::attn::CompareKind;
  if (isFloat(x)) {
    switch (kind) {
    case K::eq:
      return b.CreateFCmpOEQ(x, y);
    case K::ne:
      return b.CreateFCmpUNE(x, y);
    case K::lt:
      return b.CreateFCmpOLT(x, y);
    case K::le:
      return b.CreateFCmpOLE(x, y);
    case K::gt:
      return b.CreateFCmpOGT(x, y);
    case K::ge:
      return b.CreateFCmpOGE(x, y);
    }
  }
  if (x->getType()->isIntegerTy(1)) {
    x = b.CreateZExt(x, b.getInt32Ty());
    y = b.CreateZExt(y, b.getInt32Ty());
  }
  switch (kind) {
  case K::eq:
    return b.CreateICmpEQ(x, y);
  case K::ne:
    return b.CreateICmpNE(x, y);
  case K::lt:
    return b.CreateICmpSLT(x, y);
  case K::le:
    return b.CreateICmpSLE(x, y);
  case K::gt:
    return b.CreateICmpSGT(x, y);
  case K::ge:
    return b.CreateICmpSGE(x, y);
  }
  llvm_unreachable("unknown CompareKind");
}

llvm::Value *IrScalarMath::isNaN(llvm::Value *x) {
  return isFloat(x) ? b.CreateFCmpUNO(x, x) : b.getFalse();
}

// Floats round, float to integer truncates (saturating, NaN to 0, so no
// poison), anything to i1 is `x != 0`, i1 to a number is 0 or 1.
llvm::Value *IrScalarMath::convertTo(llvm::Value *x, llvm::Type *to) {
  llvm::Type *from = x->getType();
  if (from == to)
    return x;
  if (to->isIntegerTy(1))
    return from->isFloatingPointTy()
               ? b.CreateFCmpUNE(x, llvm::ConstantFP::get(from, 0.0))
               : b.CreateICmpNE(x, llvm::ConstantInt::get(from, 0));
  if (from->isIntegerTy(1))
    return to->isFloatingPointTy() ? b.CreateUIToFP(x, to)
                                   : b.CreateZExt(x, to);
  if (from->isFloatingPointTy() && to->isFloatingPointTy())
    return b.CreateFPCast(x, to);
  if (from->isFloatingPointTy())
    return b.CreateIntrinsic(llvm::Intrinsic::fptosi_sat, {to, from}, {x});
  if (to->isFloatingPointTy())
    return b.CreateSIToFP(x, to);
  return b.CreateSExtOrTrunc(x, to);
}
