//===- Constants.h - building tensor constant attributes -------*- C++ -*-===//
//
// One way to turn row-major element bytes into the value of an attn.constant:
// small tensors inline (dense<...>), large ones as dense_resource blobs so
// that printed IR stays readable and re-parsable.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_IR_CONSTANTS_H
#define ATTNC_IR_CONSTANTS_H

#include "mlir/IR/BuiltinAttributeInterfaces.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::attn {

/// Tensors with more elements than this become dense_resource blobs.
constexpr int64_t kInlineConstantLimit = 16;

/// The value of a constant of `type` from row-major element bytes (i1: one
/// byte per element, 0 or 1). Large tensors become a dense_resource blob
/// registered under `blobName` (made unique by MLIR).
ElementsAttr createElementsAttr(RankedTensorType type, ArrayRef<char> bytes,
                                StringRef blobName);

} // namespace mlir::attn

#endif // ATTNC_IR_CONSTANTS_H
