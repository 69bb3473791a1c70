//===- OnnxImporter.h - ONNX models into the attn dialect ------*- C++ -*-===//
//
// Reads an ONNX model (the onnx.proto schema, opsets 13 to 20) into a module
// with one public `func.func @forward`, following the builder's conventions:
// `attn.name` on arguments and results, a NameLoc with the node name on
// every op, initializers as dense_resource constants. Shape arithmetic is
// folded at import, so every tensor has a static shape. Errors are
// diagnostics at the node or input concerned, never an abort.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_ONNX_ONNXIMPORTER_H
#define ATTNC_FRONTENDS_ONNX_ONNXIMPORTER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace attnc {

/// Knobs of the ONNX importer.
struct OnnxImportOptions {
  /// `NAME=2x32` pins: the full shape of a graph input with dynamic dims.
  std::vector<std::string> inputShapes;
  /// The directory external data locations are relative to; when empty, a
  /// model with external data is an error.
  std::string externalDataDir;
  /// attn.model_name of the module; the graph's name when empty.
  std::string modelName;
};

/// Imports the model file at `path` (external data next to it). Emits
/// diagnostics and returns null on any error.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxFile(llvm::StringRef path, mlir::MLIRContext &context,
               const OnnxImportOptions &options = {});

/// Imports a serialized ModelProto held in memory; `sourceName` names it in
/// diagnostics. Emits diagnostics and returns null on any error, whatever
/// the bytes are.
mlir::OwningOpRef<mlir::ModuleOp>
importOnnxBuffer(llvm::StringRef bytes, llvm::StringRef sourceName,
                 mlir::MLIRContext &context,
                 const OnnxImportOptions &options = {});

} // namespace attnc

#endif // ATTNC_FRONTENDS_ONNX_ONNXIMPORTER_H
