//===- ModelLoader.cpp - reading a model file into the attn dialect -------===//

#include "driver/ModelLoader.h"

#include "frontends/onnx/OnnxImporter.h"
#include "frontends/spec/ModelSpec.h"
#include "ir/AttnOps.h"

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
  if (failed(verify(*module)) || !getEntryFunction(*module))
    return nullptr;
  return module;
}

func::FuncOp attnc::getEntryFunction(ModuleOp module) {
  func::FuncOp found;
  int publicCount = 0;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.getSymName() == "forward")
      return func;
    if (func.isPublic() && !func.isExternal()) {
      ++publicCount;
      found = func;
    }
  }
  if (publicCount == 1)
    return found;
  emitError(module.getLoc())
      << (publicCount == 0 ? "the module has no public function with a body"
                           : "the module has several public functions")
      << "; name the entry function @forward";
  return nullptr;
}

static std::string nameAttrOr(DictionaryAttr attrs, llvm::StringRef fallback,
                              unsigned index) {
  if (attrs)
    if (auto name = attrs.getAs<StringAttr>("attn.name"))
      return name.str();
  return (fallback + llvm::Twine(index)).str();
}

std::string attnc::getInputName(func::FuncOp func, unsigned index) {
  return nameAttrOr(func.getArgAttrDict(index), "input", index);
}

std::string attnc::getOutputName(func::FuncOp func, unsigned index) {
  return nameAttrOr(func.getResultAttrDict(index), "output", index);
}
