//===- LoopEmitter.cpp - strided loop nests as LLVM IR --------------------===//
//
// Algorithm (emitLoopNest):
//  1. Drop unit dims and merge neighbouring dims that are contiguous for
//     every operand, so the inner loop is as long as the layout allows.
//  2. Split the outer dims' rows into tasks of about 16K elements.
//  3. Emit rows as an outer loop (indices by div/mod of the row number) and
//     the last dim as a simple counted inner loop with constant strides,
//     the shape LLVM's loop vectoriser recognises.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/LoopEmitter.h"

#include "ir/AttnOps.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/IR/Intrinsics.h"

using namespace attnc;
using namespace attnc::cpu;
using llvm::IRBuilder;
using llvm::Value;

namespace {

constexpr int64_t kTaskElements = 16384;

llvm::Error opError(mlir::Operation *op, const llvm::Twine &message) {
  std::string text;
  llvm::raw_string_ostream os(text);
  os << op->getLoc() << ": '" << op->getName() << "' " << message;
  return llvm::createStringError(llvm::inconvertibleErrorCode(), os.str());
}

/// Drops unit dims and merges dims contiguous for every operand.
void normalizeDims(
    llvm::SmallVectorImpl<int64_t> &shape,
    llvm::SmallVectorImpl<llvm::SmallVector<int64_t, 4>> &strides) {
  llvm::SmallVector<int64_t, 4> newShape;
  llvm::SmallVector<llvm::SmallVector<int64_t, 4>, 4> newStrides(
      strides.size());
  for (size_t d = 0; d < shape.size(); ++d) {
    if (shape[d] == 1)
      continue;
    bool merge = !newShape.empty();
    for (size_t o = 0; merge && o < strides.size(); ++o)
      merge = newStrides[o].back() == strides[o][d] * shape[d];
    if (merge) {
      newShape.back() *= shape[d];
      for (size_t o = 0; o < strides.size(); ++o)
        newStrides[o].back() = strides[o][d];
      continue;
    }
    newShape.push_back(shape[d]);
    for (size_t o = 0; o < strides.size(); ++o)
      newStrides[o].push_back(strides[o][d]);
  }
  shape.assign(newShape.begin(), newShape.end());
  for (size_t o = 0; o < strides.size(); ++o)
    strides[o] = newStrides[o];
}

/// `offset + index * stride` with the trivial cases folded.
Value *addScaled(IRBuilder<> &b, Value *offset, Value *index, int64_t stride) {
  if (stride == 0)
    return offset;
  Value *scaled = stride == 1 ? index : b.CreateMul(index, b.getInt64(stride));
  return b.CreateAdd(offset, scaled);
}

} // namespace

llvm::Type *cpu::getComputeType(mlir::Type type, llvm::LLVMContext &context) {
  if (type.isF16())
    return llvm::Type::getHalfTy(context);
  if (type.isF32())
    return llvm::Type::getFloatTy(context);
  if (type.isF64())
    return llvm::Type::getDoubleTy(context);
  return llvm::IntegerType::get(context, type.getIntOrFloatBitWidth());
}

llvm::Type *cpu::getMemoryType(mlir::Type type, llvm::LLVMContext &context) {
  if (type.isInteger(1))
    return llvm::Type::getInt8Ty(context);
  return getComputeType(type, context);
}

llvm::Function *cpu::emitLoopNest(llvm::Module &module, llvm::StringRef name,
                                  const LoopNest &nest, LoopBody body,
                                  int64_t &tasks) {
  llvm::LLVMContext &context = module.getContext();
  llvm::SmallVector<int64_t, 4> shape(nest.shape.begin(), nest.shape.end());
  llvm::SmallVector<const StridedOperand *, 4> operands = {&nest.output};
  for (const StridedOperand &in : nest.inputs)
    operands.push_back(&in);
  llvm::SmallVector<llvm::SmallVector<int64_t, 4>, 4> strides;
  for (const StridedOperand *op : operands) {
    assert(op->strides.size() == shape.size() && "one stride per dim");
    strides.push_back(op->strides);
  }
  int64_t total = 1;
  for (int64_t d : shape)
    total *= d;
  if (!nest.keepDims)
    normalizeDims(shape, strides);
  if (shape.empty()) {
    shape.push_back(1);
    for (auto &s : strides)
      s.push_back(0);
  }
  const int64_t inner = shape.back();
  int64_t outerCount = 1;
  for (size_t d = 0; d + 1 < shape.size(); ++d)
    outerCount *= shape[d];
  int64_t rowsPerTask =
      std::max<int64_t>(1, kTaskElements / std::max<int64_t>(inner, 1));
  tasks = total == 0 ? 0 : (outerCount + rowsPerTask - 1) / rowsPerTask;

  auto *ptrTy = llvm::PointerType::getUnqual(context);
  auto *i64 = llvm::Type::getInt64Ty(context);
  auto *fnTy = llvm::FunctionType::get(llvm::Type::getVoidTy(context),
                                       {ptrTy, i64, i64, ptrTy}, false);
  auto *fn = llvm::Function::Create(fnTy, llvm::GlobalValue::InternalLinkage,
                                    name, module);
  fn->addFnAttr(llvm::Attribute::NoUnwind);
  auto *entry = llvm::BasicBlock::Create(context, "entry", fn);
  auto *rowBody = llvm::BasicBlock::Create(context, "row", fn);
  auto *innerBody = llvm::BasicBlock::Create(context, "inner", fn);
  auto *rowLatch = llvm::BasicBlock::Create(context, "row.latch", fn);
  auto *exit = llvm::BasicBlock::Create(context, "exit", fn);
  IRBuilder<> b(entry);
  Value *slots = fn->getArg(0);
  llvm::SmallVector<Value *, 4> bases;
  for (const StridedOperand *op : operands)
    bases.push_back(b.CreateLoad(
        ptrTy, b.CreateConstInBoundsGEP1_64(ptrTy, slots, op->slot)));
  Value *rowBegin = b.CreateMul(fn->getArg(1), b.getInt64(rowsPerTask));
  Value *rowEnd = b.CreateMul(fn->getArg(2), b.getInt64(rowsPerTask));
  rowEnd = b.CreateSelect(b.CreateICmpULT(rowEnd, b.getInt64(outerCount)),
                          rowEnd, b.getInt64(outerCount));
  b.CreateCondBr(b.CreateICmpULT(rowBegin, rowEnd), rowBody, exit);

  // Row: decompose the row number over the outer dims.
  b.SetInsertPoint(rowBody);
  llvm::PHINode *row = b.CreatePHI(i64, 2, "r");
  row->addIncoming(rowBegin, entry);
  llvm::SmallVector<Value *, 4> index(shape.size(), nullptr);
  Value *rest = row;
  for (int d = static_cast<int>(shape.size()) - 2; d >= 0; --d) {
    if (d == 0) {
      index[d] = rest;
      break;
    }
    index[d] = b.CreateURem(rest, b.getInt64(shape[d]));
    rest = b.CreateUDiv(rest, b.getInt64(shape[d]));
  }
  llvm::SmallVector<Value *, 4> rowOffsets;
  for (size_t o = 0; o < operands.size(); ++o) {
    Value *offset = b.getInt64(operands[o]->offset);
    for (size_t d = 0; d + 1 < shape.size(); ++d)
      offset = addScaled(b, offset, index[d], strides[o][d]);
    rowOffsets.push_back(offset);
  }
  b.CreateBr(innerBody);

  // Inner loop over the last dim.
  b.SetInsertPoint(innerBody);
  llvm::PHINode *j = b.CreatePHI(i64, 2, "j");
  j->addIncoming(b.getInt64(0), rowBody);
  index.back() = j;
  llvm::SmallVector<Value *, 4> loaded;
  for (size_t o = 1; o < operands.size(); ++o) {
    mlir::Type et = operands[o]->elementType;
    llvm::Type *memTy = getMemoryType(et, context);
    Value *offset = addScaled(b, rowOffsets[o], j, strides[o].back());
    Value *v =
        b.CreateLoad(memTy, b.CreateInBoundsGEP(memTy, bases[o], offset));
    if (et.isInteger(1))
      v = b.CreateICmpNE(v, b.getInt8(0));
    loaded.push_back(v);
  }
  Value *result = body(b, loaded,
                       nest.keepDims ? llvm::ArrayRef<Value *>(index)
                                     : llvm::ArrayRef<Value *>());
  mlir::Type outType = nest.output.elementType;
  llvm::Type *outMemTy = getMemoryType(outType, context);
  if (outType.isInteger(1))
    result = b.CreateZExt(result, outMemTy);
  Value *outOffset = addScaled(b, rowOffsets[0], j, strides[0].back());
  b.CreateStore(result, b.CreateInBoundsGEP(outMemTy, bases[0], outOffset));
  Value *jNext =
      b.CreateAdd(j, b.getInt64(1), "", /*HasNUW=*/true, /*HasNSW=*/true);
  j->addIncoming(jNext, b.GetInsertBlock());
  b.CreateCondBr(b.CreateICmpULT(jNext, b.getInt64(inner)), innerBody,
                 rowLatch);

  b.SetInsertPoint(rowLatch);
  Value *rowNext = b.CreateAdd(row, b.getInt64(1), "", true, true);
  row->addIncoming(rowNext, rowLatch);
  b.CreateCondBr(b.CreateICmpULT(rowNext, rowEnd), rowBody, exit);

  b.SetInsertPoint(exit);
  b.CreateRetVoid();
  return fn;
}

//===----------------------------------------------------------------------===//
// Elementwise ops
//===----------------------------------------------------------------------===//

namespace {

/// Scalar math: f32 through the bitcode library's polynomials (they inline
/// and vectorise), f16 computed in f32, f64 through LLVM intrinsics / libm.
class ScalarMath {
public:
  explicit ScalarMath(IRBuilder<> &b) : b(b) {}

  Value *call(llvm::StringRef f32Name, llvm::StringRef f64Name,
              llvm::ArrayRef<Value *> args) {
    llvm::Type *type = args[0]->getType();
    if (type->isHalfTy()) {
      llvm::SmallVector<Value *, 2> wide;
      for (Value *a : args)
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

  Value *exp(Value *x) {
    if (x->getType()->isDoubleTy())
      return b.CreateUnaryIntrinsic(llvm::Intrinsic::exp, x);
    return call("attnc_m_expf", "exp", {x});
  }
  Value *log(Value *x) {
    if (x->getType()->isDoubleTy())
      return b.CreateUnaryIntrinsic(llvm::Intrinsic::log, x);
    return call("attnc_m_logf", "log", {x});
  }
  Value *tanh(Value *x) { return call("attnc_m_tanhf", "tanh", {x}); }
  Value *erf(Value *x) { return call("attnc_m_erff", "erf", {x}); }
  Value *pow(Value *x, Value *y) {
    if (x->getType()->isDoubleTy())
      return b.CreateBinaryIntrinsic(llvm::Intrinsic::pow, x, y);
    return call("attnc_m_powf", "pow", {x, y});
  }
  Value *constant(Value *like, double v) {
    return llvm::ConstantFP::get(like->getType(), v);
  }

private:
  IRBuilder<> &b;
};

bool isFloat(Value *v) { return v->getType()->isFloatingPointTy(); }

/// A binary op on integers, with i1 operands widened (the oracle computes
/// booleans as 0/1 numbers) and the result narrowed back.
template <typename Fn>
Value *intBinary(IRBuilder<> &b, Value *x, Value *y, Fn fn) {
  if (!x->getType()->isIntegerTy(1))
    return fn(x, y);
  Value *r =
      fn(b.CreateZExt(x, b.getInt32Ty()), b.CreateZExt(y, b.getInt32Ty()));
  return b.CreateICmpNE(r, b.getInt32(0));
}

/// NaN-propagating max / min.
Value *floatMinMax(IRBuilder<> &b, Value *x, Value *y, bool isMax) {
  Value *pick = isMax ? b.CreateFCmpOGT(x, y) : b.CreateFCmpOLT(x, y);
  Value *r = b.CreateSelect(pick, x, y); // y when either is NaN
  return b.CreateSelect(b.CreateFCmpUNO(x, x), x, r);
}

/// Integer division truncating toward zero that never traps: x / 0 gives 0
/// and INT_MIN / -1 wraps.
Value *safeIntDiv(IRBuilder<> &b, Value *x, Value *y) {
  llvm::Type *t = x->getType();
  Value *zero = llvm::ConstantInt::get(t, 0),
        *one = llvm::ConstantInt::get(t, 1);
  Value *minusOne = llvm::ConstantInt::getSigned(t, -1);
  Value *isZero = b.CreateICmpEQ(y, zero),
        *isMinusOne = b.CreateICmpEQ(y, minusOne);
  Value *safe = b.CreateSelect(b.CreateOr(isZero, isMinusOne), one, y);
  Value *q = b.CreateSDiv(x, safe);
  q = b.CreateSelect(isMinusOne, b.CreateNeg(x), q);
  return b.CreateSelect(isZero, zero, q);
}

Value *compare(IRBuilder<> &b, mlir::attn::CompareKind kind, Value *x,
               Value *y) {
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
  return nullptr;
}

/// attn.cast: floats round, float to integer truncates (saturating, NaN to
/// 0, so no poison), anything to i1 is `x != 0`, i1 to a number is 0 or 1.
Value *cast(IRBuilder<> &b, Value *x, llvm::Type *to) {
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

} // namespace

llvm::Expected<Value *> cpu::lowerElementwiseOp(IRBuilder<> &b,
                                                mlir::Operation *op,
                                                llvm::ArrayRef<Value *> in) {
  using namespace mlir::attn;
  using llvm::dyn_cast;
  using llvm::isa;
  ScalarMath math(b);
  auto resultType =
      op->getResult(0).getType().cast<mlir::ShapedType>().getElementType();
  Value *x = in.empty() ? nullptr : in[0];
  Value *y = in.size() > 1 ? in[1] : nullptr;
  if (isa<AddOp>(op))
    return isFloat(x) ? b.CreateFAdd(x, y)
                      : intBinary(b, x, y, [&](Value *p, Value *q) {
                          return b.CreateAdd(p, q);
                        });
  if (isa<SubOp>(op))
    return isFloat(x) ? b.CreateFSub(x, y)
                      : intBinary(b, x, y, [&](Value *p, Value *q) {
                          return b.CreateSub(p, q);
                        });
  if (isa<MulOp>(op))
    return isFloat(x) ? b.CreateFMul(x, y)
                      : intBinary(b, x, y, [&](Value *p, Value *q) {
                          return b.CreateMul(p, q);
                        });
  if (isa<DivOp>(op))
    return isFloat(x) ? b.CreateFDiv(x, y)
                      : intBinary(b, x, y, [&](Value *p, Value *q) {
                          return safeIntDiv(b, p, q);
                        });
  if (isa<PowOp>(op)) {
    if (isFloat(x))
      return math.pow(x, y);
    // Integer powers through fp64 pow: exact while the result fits 2^53.
    return intBinary(b, x, y, [&](Value *p, Value *q) {
      Value *r = math.pow(b.CreateSIToFP(p, b.getDoubleTy()),
                          b.CreateSIToFP(q, b.getDoubleTy()));
      return cast(b, r, p->getType());
    });
  }
  if (isa<MaxOp>(op) || isa<MinOp>(op)) {
    bool isMax = isa<MaxOp>(op);
    if (isFloat(x))
      return floatMinMax(b, x, y, isMax);
    return intBinary(b, x, y, [&](Value *p, Value *q) {
      Value *pick = isMax ? b.CreateICmpSGT(p, q) : b.CreateICmpSLT(p, q);
      return b.CreateSelect(pick, p, q);
    });
  }
  if (isa<AndOp>(op))
    return b.CreateAnd(x, y);
  if (isa<OrOp>(op))
    return b.CreateOr(x, y);
  if (isa<ExpOp>(op))
    return math.exp(x);
  if (isa<LogOp>(op))
    return math.log(x);
  if (isa<TanhOp>(op))
    return math.tanh(x);
  if (isa<ErfOp>(op))
    return math.erf(x);
  if (isa<SqrtOp>(op))
    return b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x);
  if (isa<RsqrtOp>(op))
    return b.CreateFDiv(math.constant(x, 1.0),
                        b.CreateUnaryIntrinsic(llvm::Intrinsic::sqrt, x));
  if (isa<NegOp>(op))
    return isFloat(x) ? b.CreateFNeg(x) : b.CreateNeg(x);
  if (isa<AbsOp>(op)) {
    if (isFloat(x))
      return b.CreateUnaryIntrinsic(llvm::Intrinsic::fabs, x);
    return b.CreateSelect(
        b.CreateICmpSLT(x, llvm::ConstantInt::get(x->getType(), 0)),
        b.CreateNeg(x), x);
  }
  if (isa<ReluOp>(op)) {
    if (isFloat(x)) // NaN stays NaN, as in the oracle
      return b.CreateSelect(
          b.CreateFCmpULE(x, math.constant(x, 0.0)),
          b.CreateSelect(b.CreateFCmpUNO(x, x), x, math.constant(x, 0.0)), x);
    Value *zero = llvm::ConstantInt::get(x->getType(), 0);
    return b.CreateSelect(b.CreateICmpSGT(x, zero), x, zero);
  }
  if (isa<SigmoidOp>(op)) {
    Value *one = math.constant(x, 1.0);
    return b.CreateFDiv(one, b.CreateFAdd(one, math.exp(b.CreateFNeg(x))));
  }
  if (isa<NotOp>(op))
    return b.CreateNot(x);
  if (auto gelu = dyn_cast<GeluOp>(op)) {
    Value *half = math.constant(x, 0.5), *one = math.constant(x, 1.0);
    Value *inner;
    if (gelu.getApproximate() == GeluKind::tanh) {
      Value *cube = b.CreateFMul(b.CreateFMul(x, x), x);
      Value *poly =
          b.CreateFAdd(x, b.CreateFMul(math.constant(x, 0.044715), cube));
      inner =
          math.tanh(b.CreateFMul(math.constant(x, 0.7978845608028654), poly));
    } else {
      inner = math.erf(b.CreateFMul(x, math.constant(x, 0.7071067811865476)));
    }
    return b.CreateFMul(b.CreateFMul(half, x), b.CreateFAdd(one, inner));
  }
  if (auto cmp = dyn_cast<CompareOp>(op))
    return compare(b, cmp.getPredicate(), x, y);
  if (isa<SelectOp>(op))
    return b.CreateSelect(in[0], in[1], in[2]);
  if (isa<CastOp>(op))
    return cast(b, x, getComputeType(resultType, b.getContext()));
  if (isa<BroadcastToOp>(op))
    return x;
  return opError(op, "is not an elementwise op the cpu target can compute");
}
