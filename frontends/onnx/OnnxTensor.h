//===- OnnxTensor.h - ONNX tensors and element types for attn ---*- C++ -*-===//
//
// Decoding an onnx::TensorProto (typed fields, raw_data or an external data
// file) into row-major bytes of an attn element type, and the mapping from
// ONNX element types to attn ones. Every size and offset read from the file
// is checked before it is used.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_ONNX_ONNXTENSOR_H
#define ATTNC_FRONTENDS_ONNX_ONNXTENSOR_H

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/Support/Error.h"

#include <onnx/onnx_pb.h>

#include <string>
#include <vector>

namespace attnc::onnx_import {

/// The most elements one tensor of an imported model may have.
constexpr int64_t kMaxTensorElements = int64_t(1) << 31;

/// The attn element type of ONNX element type `dataType` (a
/// TensorProto::DataType): float16/32/64, int32/64 and bool as themselves;
/// the narrow integers widened to i32 (uint32 to i64), bfloat16 to f32.
/// Null for types attnc cannot hold (string, complex, uint64, ...).
mlir::Type importElementType(mlir::MLIRContext *context, int32_t dataType);

/// True when `dataType` imports as itself, not widened: what a graph input
/// may be.
bool isNativeElementType(int32_t dataType);

/// The ONNX name of an element type ("float", "int64", ...).
llvm::StringRef elementTypeName(int32_t dataType);

/// Multiplies `shape` out, or returns nullopt when a dim is negative or the
/// product exceeds kMaxTensorElements.
std::optional<int64_t> checkedElementCount(llvm::ArrayRef<int64_t> shape);

/// A decoded tensor: its attn type and row-major bytes in that type's
/// layout (i1: one byte 0 or 1 per element).
struct DecodedTensor {
  mlir::RankedTensorType type;
  std::vector<char> bytes;
};

/// Decodes `tensor`. External data is read from `externalDataDir` (a
/// location must be relative and stay inside it); with an empty directory
/// external data is an error. Errors name the tensor.
llvm::Expected<DecodedTensor> decodeTensor(const onnx::TensorProto &tensor,
                                           mlir::MLIRContext *context,
                                           llvm::StringRef externalDataDir);

} // namespace attnc::onnx_import

#endif // ATTNC_FRONTENDS_ONNX_ONNXTENSOR_H
