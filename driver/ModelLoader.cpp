//===- ModelLoader.cpp - reading a model file into the attn dialect -------===//

#include "driver/ModelLoader.h"

#include "frontends/onnx/OnnxImporter.h"
#include "frontends/spec/ModelSpec.h"
#include "ir/AttnOps.h"
#include "ir/ModelConventions.h"

#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

using namespace mlir;

void attnc::registerModelDialects(MLIRContext &context) {
  context.loadDialect<attn::AttnDialect, func::FuncDialect>();
}

OwningOpRef<ModuleOp> attnc::loadModel(llvm::StringRef path,
                                       MLIRContext &context,
                                       const LoadOptions &options) {
  registerModelDialects(context);
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  llvm::StringRef ext = llvm::sys::path::extension(path);
  if (!llvm::sys::fs::exists(path)) {
    emitError(fileLoc) << "no such file";
    return nullptr;
  }
  if (ext != ".onnx" && !options.inputShapes.empty()) {
    emitError(fileLoc) << "--input-shape pins dynamic dims of ONNX inputs; a '"
                       << ext << "' model has static shapes";
    return nullptr;
  }
  OwningOpRef<ModuleOp> module;
  if (ext == ".json") {
    module = importModelSpec(path, context);
  } else if (ext == ".mlir") {
    module = parseSourceFile<ModuleOp>(path, &context);
  } else if (ext == ".onnx") {
    OnnxImportOptions onnxOptions;
    onnxOptions.inputShapes = options.inputShapes;
    module = importOnnxFile(path, context, onnxOptions);
  } else {
    emitError(fileLoc) << "unknown model file type '" << ext
                       << "' (expected .json, .mlir or .onnx)";
    return nullptr;
  }
  if (!module)
    return nullptr;
  if (failed(verify(*module)) || !attn::getEntryFunction(*module))
    return nullptr;
  return module;
}
