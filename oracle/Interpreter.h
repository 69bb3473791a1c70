//===- Interpreter.h - the fp64 reference interpreter ----------*- C++ -*-===//
//
// Evaluates any attn function, fused or not, op by op in double precision.
// It is the oracle every test and `attnc verify` compare against.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_ORACLE_INTERPRETER_H
#define ATTNC_ORACLE_INTERPRETER_H

#include "support/HostTensor.h"

#include "mlir/IR/Operation.h"
#include "mlir/IR/Value.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/Support/Error.h"

#include <functional>
#include <vector>

namespace mlir::func {
class FuncOp;
} // namespace mlir::func

namespace attnc {

/// A value inside the interpreter: a shape and fp64 elements (booleans and
/// integers are held exactly as 0/1 and whole numbers).
struct OracleTensor {
  llvm::SmallVector<int64_t, 4> shape;
  std::vector<double> data;
};

/// Converts a HostTensor to an OracleTensor (every dtype is exact in fp64).
OracleTensor toOracle(const HostTensor &t);
/// Converts back, rounding to `dtype`.
HostTensor fromOracle(const OracleTensor &t, DTypeKind dtype);

/// Called after each op with its results; return false to stop.
using OracleObserver =
    std::function<bool(mlir::Operation *, llvm::ArrayRef<OracleTensor>)>;

/// Evaluates one attn op given its operand values. Errors name the op and
/// its location (for example an out-of-range gather index).
llvm::Expected<std::vector<OracleTensor>>
evaluateOp(mlir::Operation *op, llvm::ArrayRef<OracleTensor> operands);

/// Evaluates `func` on `inputs` (one per argument, shapes checked) and
/// returns one tensor per result.
llvm::Expected<std::vector<OracleTensor>>
evaluateFunction(mlir::func::FuncOp func, llvm::ArrayRef<HostTensor> inputs,
                 const OracleObserver &observer = nullptr);

} // namespace attnc

#endif // ATTNC_ORACLE_INTERPRETER_H
