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

#include "codegen/cpu/IrScalarMath.h"
#include "ir/AttnOps.h"
#include "ops/Elementwise.h"

#include "mlir/IR/BuiltinTypes.h"

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

llvm::Expected<Value *> cpu::lowerElementwiseOp(IRBuilder<> &b,
                                                mlir::Operation *op,
                                                llvm::ArrayRef<Value *> in) {
  // Inside a fused tree a broadcast is the identity on the scalar.
  if (llvm::isa<mlir::attn::BroadcastToOp>(op))
    return in[0];
  std::optional<ops::ElementwiseKind> kind = ops::classifyElementwise(op);
  if (!kind)
    return opError(op, "is not an elementwise op the cpu target can compute");
  if (const char *why = ops::checkOperands(
          *kind, ops::scalarKindOf(op->getOperand(0).getType())))
    return opError(op, why);
  auto resultType =
      op->getResult(0).getType().cast<mlir::ShapedType>().getElementType();
  IrScalarMath math(b, getComputeType(resultType, b.getContext()));
  return ops::evaluate(*kind, math, in);
}
