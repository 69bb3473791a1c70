//===- ShapeUtils.h - static shape arithmetic ------------------*- C++ -*-===//
//
// Broadcasting, axis normalisation and shape printing, shared by the op
// verifiers, the reference interpreter and the passes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_IR_SHAPEUTILS_H
#define ATTNC_IR_SHAPEUTILS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include <cstdint>
#include <optional>
#include <string>

namespace mlir::attn {

/// Numpy-broadcasts `a` and `b` into `out`. On failure returns the index,
/// counted from the right (0 = last dim), of the first incompatible pair.
std::optional<int64_t> broadcastShapes(llvm::ArrayRef<int64_t> a,
                                       llvm::ArrayRef<int64_t> b,
                                       llvm::SmallVectorImpl<int64_t> &out);

/// True when `from` broadcasts to exactly `to`.
bool isBroadcastableTo(llvm::ArrayRef<int64_t> from, llvm::ArrayRef<int64_t> to);

/// Maps an axis in [-rank, rank) to [0, rank); nullopt when out of range.
std::optional<int64_t> normalizeAxis(int64_t axis, int64_t rank);

/// Number of elements of a static shape.
int64_t numElements(llvm::ArrayRef<int64_t> shape);

/// Row-major strides of a static shape.
llvm::SmallVector<int64_t> rowMajorStrides(llvm::ArrayRef<int64_t> shape);

/// "[2, 3, 4]".
std::string formatShape(llvm::ArrayRef<int64_t> shape);

} // namespace mlir::attn

#endif // ATTNC_IR_SHAPEUTILS_H
