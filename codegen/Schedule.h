//===- Schedule.h - kernels and buffers of an optimised graph --*- C++ -*-===//
//
// The target-independent half of code generation: cuts the entry function of
// an optimised module into kernels (one launch each: a root op plus the
// elementwise ops fused into it) and plans where every tensor lives (a
// caller's input or output buffer, a weight, or an offset in one arena whose
// slots are reused once their tensors are dead). The CPU and Vulkan targets
// both emit code from a Schedule.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_SCHEDULE_H
#define ATTNC_CODEGEN_SCHEDULE_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <string>
#include <vector>

namespace attnc {

/// Where a tensor's bytes are at run time.
struct BufferRef {
  enum class Kind { Input, Output, Constant, Arena };
  Kind kind = Kind::Arena;
  /// Input / output / constant number (unused for the arena).
  int index = 0;
  /// Byte offset: into the arena, or 0 (a whole input, output or constant).
  int64_t offset = 0;
  /// Byte size of the tensor.
  int64_t bytes = 0;
};

/// One launch.
struct Kernel {
  /// The op that defines the kernel's shape of work; its results are the
  /// kernel's outputs.
  mlir::Operation *root = nullptr;
  /// True when the root is elementwise (then `ops` may hold more than it).
  bool elementwise = false;
  /// The ops the kernel computes, producers before users, the root last. For
  /// elementwise kernels these form a tree whose inner values have one use
  /// and the root's shape, so they are computed per element, never stored.
  llvm::SmallVector<mlir::Operation *, 4> ops;
  /// Values the kernel reads from buffers, in first-use order. Inputs of an
  /// elementwise kernel may broadcast to the root's shape.
  llvm::SmallVector<mlir::Value, 4> inputs;
  /// Values the kernel writes (the root's results, or a copied value for a
  /// final copy kernel, whose root is the func.return).
  llvm::SmallVector<mlir::Value, 1> outputs;
  /// For a final copy kernel: the output number written.
  int copyToOutput = -1;

  /// True for a matmul kernel with an epilogue (ScheduleOptions).
  bool hasEpilogue() const { return !elementwise && ops.size() > 1; }
};

/// Choices a target makes about the schedule.
struct ScheduleOptions {
  /// Transposes that keep the last dim and only feed attn.attention's Q, K
  /// or V, or only take its result, become strided views instead of
  /// kernels: the attention reads or writes through strides (a target that
  /// sets this passes per-dim strides to its attention kernel). An
  /// attention writing through such a transpose lists the transpose's
  /// result as its kernel output.
  bool stridedAttentionViews = false;
  /// An elementwise tree (bias, activation, residual, ...) whose leaves
  /// include exactly one matmul that has no other use and the tree's shape
  /// and element type becomes that matmul's epilogue: the matmul's kernel
  /// computes the tree on each output element before storing it. Such a
  /// kernel's root is the matmul, its ops the matmul followed by the tree
  /// (producers first), its inputs the matmul's operands followed by the
  /// tree's other leaves, and its output the tree's root.
  bool matmulEpilogues = false;
  /// Bytes per element of an element type, for targets that store tensors
  /// wider on the device (Vulkan keeps every element in a 32-bit word), so
  /// buffer sizes and arena offsets match what they allocate. Unset: the C
  /// ABI's widths (tensorBytes; i1 takes one byte).
  std::function<int64_t(mlir::Type)> elementBytes;
};

/// Every kernel of the entry function and the buffer of every value they
/// read or write.
struct Schedule {
  mlir::func::FuncOp func;
  std::vector<Kernel> kernels;
  /// The buffer of each value a kernel touches (reshapes share their
  /// input's buffer: they are views).
  llvm::DenseMap<mlir::Value, BufferRef> buffers;
  /// Weights, in BufferRef::index order.
  std::vector<mlir::Value> constants;
  /// Bytes of the arena (64-byte aligned slots).
  int64_t arenaBytes = 0;
  /// Transposes that became strided views (ScheduleOptions); their results
  /// share their storage's buffer in `buffers`.
  llvm::DenseSet<mlir::Operation *> viewTransposes;

  /// The buffer of `value`; asserts that it has one.
  const BufferRef &getBuffer(mlir::Value value) const;
};

/// Byte size of a tensor type's data (i1 takes one byte per element).
int64_t tensorBytes(mlir::Type type);

/// Builds the schedule of `func` (the entry function of a module that went
/// through the graph pipeline). Fails, naming the op, on an op no target can
/// lower.
llvm::Expected<Schedule> buildSchedule(mlir::func::FuncOp func,
                                       const ScheduleOptions &options = {});

/// Prints kernels and buffers (for tests and --emit debugging).
void printSchedule(const Schedule &schedule, llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_CODEGEN_SCHEDULE_H
