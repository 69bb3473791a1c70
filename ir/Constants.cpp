//===- Constants.cpp - building tensor constant attributes ----------------===//

#include "ir/Constants.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinDialect.h"
#include "mlir/IR/DialectResourceBlobManager.h"

using namespace mlir;

ElementsAttr mlir::attn::createElementsAttr(RankedTensorType type,
                                            ArrayRef<char> bytes,
                                            StringRef blobName) {
  Type elementType = type.getElementType();
  int64_t count = type.getNumElements();
  if (elementType.isInteger(1)) {
    SmallVector<bool> values(count);
    for (int64_t i = 0; i < count; ++i)
      values[i] = bytes[i] != 0;
    return DenseElementsAttr::get(type, values);
  }
  if (count <= kInlineConstantLimit)
    return DenseElementsAttr::getFromRawBuffer(type, bytes);
  size_t alignment = elementType.getIntOrFloatBitWidth() / 8;
  // allocateAndCopyWithAlign copies through getMutableData(), which asserts
  // on a blob declared immutable: the blob is mutable, attnc never mutates it.
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyWithAlign(
      bytes, alignment, /*dataIsMutable=*/true);
  // The builtin dialect's blob manager makes `blobName` unique.
  DenseResourceElementsHandle handle =
      DenseResourceElementsHandle::getManagerInterface(type.getContext())
          .insert(blobName, std::move(blob));
  return DenseResourceElementsAttr::get(type, handle);
}
