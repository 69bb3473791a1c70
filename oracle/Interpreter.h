//===- Interpreter.h - the fp64 reference interpreter ----------*- C++ -*-===//
//
// Evaluates any attn function, fused or not, op by op in double precision.
// It is the oracle every test and `attnc verify` compare against, and the
// constant folder's evaluator.
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
///
/// The oracle computes every op in fp64 whatever the declared element type:
/// it does not model storage precision, so an f16 or f32 tensor holds the
/// exact fp64 result and `attn.cast` between float types keeps the double.
/// Integer arithmetic is exact while values stay within ±2^53; overflow of
/// i32/i64 is not modelled.
struct OracleTensor {
  llvm::SmallVector<int64_t, 4> shape;
  std::vector<double> data;
};

/// Converts a HostTensor to an OracleTensor (exact for every dtype, i64 up
/// to ±2^53).
OracleTensor toOracle(const HostTensor &t);
/// Converts back, rounding to `dtype` (see HostTensor::setFromDouble).
HostTensor fromOracle(const OracleTensor &t, DTypeKind dtype);

/// Called after each op with its results; return false to stop.
using OracleObserver =
    std::function<bool(mlir::Operation *, llvm::ArrayRef<OracleTensor>)>;

/// Evaluates one attn op given its operand values (one per operand, in
/// order, shapes equal to the operand types'). Works on an op in isolation,
/// as constant folding needs. Errors name the op and its location: an
/// out-of-range gather index, an integer division by zero, an unsupported
/// op (anything outside the attn dialect), an elided dense_resource.
///
/// Semantics beyond the op descriptions: masked keys of attn.attention
/// contribute nothing to the output (so `0 · inf` at a masked position does
/// not give NaN), and a query or softmax slice with every position masked
/// (or all -inf) gives zeros, never NaN; log_softmax gives -inf there.
llvm::Expected<std::vector<OracleTensor>>
evaluateOp(mlir::Operation *op, llvm::ArrayRef<OracleTensor> operands);

/// Evaluates `func` on `inputs` (one per argument; count, shapes and dtypes
/// are checked against the argument types, naming an argument by its
/// `attn.name` attribute when present) and returns one tensor per result.
/// `observer`, if set, sees every op's results; when it returns false the
/// evaluation stops and an empty vector is returned.
llvm::Expected<std::vector<OracleTensor>>
evaluateFunction(mlir::func::FuncOp func, llvm::ArrayRef<HostTensor> inputs,
                 const OracleObserver &observer = nullptr);

} // namespace attnc

#endif // ATTNC_ORACLE_INTERPRETER_H
