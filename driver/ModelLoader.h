//===- ModelLoader.h - reading a model file into the attn dialect -*- C++ -*-===//
//
// One entry point for every front end: picks the importer by file extension
// (.json model spec, .mlir, .onnx), verifies the result and checks that it
// has an entry function (ir/ModelConventions.h). Errors are diagnostics
// with a location, never an abort.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DRIVER_MODELLOADER_H
#define ATTNC_DRIVER_MODELLOADER_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace attnc {

/// Options of the importers that need them.
struct LoadOptions {
  /// `name=2x32` pins for dynamic dims of ONNX inputs.
  std::vector<std::string> inputShapes;
};

/// Registers every dialect a model file may use.
void registerModelDialects(mlir::MLIRContext &context);

/// Reads `path` into a verified module, or emits diagnostics and returns null.
mlir::OwningOpRef<mlir::ModuleOp> loadModel(llvm::StringRef path,
                                            mlir::MLIRContext &context,
                                            const LoadOptions &options = {});

} // namespace attnc

#endif // ATTNC_DRIVER_MODELLOADER_H
