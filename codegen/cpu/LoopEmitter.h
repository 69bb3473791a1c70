//===- LoopEmitter.h - strided loop nests as LLVM IR -----------*- C++ -*-===//
//
// The CPU target's generated kernels: a loop nest over an output shape that
// reads strided (possibly broadcast) inputs and writes one strided output,
// with the per-element computation supplied by the caller; and the scalar
// lowering of every elementwise attn op used inside such nests.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CPU_LOOPEMITTER_H
#define ATTNC_CODEGEN_CPU_LOOPEMITTER_H

#include "mlir/IR/Operation.h"
#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

namespace attnc::cpu {

/// One operand of a loop nest: the slot of its base pointer in the kernel's
/// pointer array, an element offset and one element stride per loop dim
/// (0 where it broadcasts).
struct StridedOperand {
  unsigned slot = 0;
  int64_t offset = 0;
  llvm::SmallVector<int64_t, 4> strides;
  mlir::Type elementType;
};

/// A loop nest over `shape` computing `output` from `inputs`.
struct LoopNest {
  llvm::SmallVector<int64_t, 4> shape;
  StridedOperand output;
  llvm::SmallVector<StridedOperand, 4> inputs;
  /// Keep every dim, because the body reads the indices; otherwise dims
  /// that are contiguous for every operand merge into longer inner loops.
  bool keepDims = false;
};

/// Computes one element from the inputs loaded at that point (in their
/// computation types, i1 for booleans) and its index per dim of the shape
/// (given only with keepDims).
using LoopBody = llvm::function_ref<llvm::Value *(
    llvm::IRBuilder<> &, llvm::ArrayRef<llvm::Value *>,
    llvm::ArrayRef<llvm::Value *>)>;

/// Emits `internal void name(ptr slots, i64 begin, i64 end, ptr scratch)`,
/// a task function for attnc_cpu_parallel that computes rows of the nest,
/// and sets `tasks` to its task count. The innermost loop is unit-stride in
/// the output so LLVM's loop vectoriser takes it.
llvm::Function *emitLoopNest(llvm::Module &module, llvm::StringRef name,
                             const LoopNest &nest, LoopBody body,
                             int64_t &tasks);

/// The LLVM type values of `type` are computed in (i1 for booleans).
llvm::Type *getComputeType(mlir::Type type, llvm::LLVMContext &context);
/// The LLVM type of `type` in memory (a byte for booleans).
llvm::Type *getMemoryType(mlir::Type type, llvm::LLVMContext &context);

/// Lowers one elementwise attn op on its operands' scalar values (already
/// in computation types); fails, naming the op, on anything else.
llvm::Expected<llvm::Value *>
lowerElementwiseOp(llvm::IRBuilder<> &builder, mlir::Operation *op,
                   llvm::ArrayRef<llvm::Value *> operands);

} // namespace attnc::cpu

#endif // ATTNC_CODEGEN_CPU_LOOPEMITTER_H
