//===- IRPrinting.cpp - showing the IR between passes ---------------------===//

#include "driver/IRPrinting.h"

#include "mlir/IR/OperationSupport.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassInstrumentation.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;

void attnc::printModule(ModuleOp module, llvm::raw_ostream &os,
                        bool elideWeights) {
  OpPrintingFlags flags;
  if (!elideWeights) {
    module->print(os, flags);
    os << "\n";
    return;
  }
  std::string text;
  llvm::raw_string_ostream buffer(text);
  module->print(buffer, flags);
  size_t resources = text.find("\n{-#");
  os << llvm::StringRef(text).take_front(resources) << "\n";
  if (resources != std::string::npos)
    os << "// (weight blobs elided)\n";
}

namespace {

/// The module that holds `op` (or `op` itself).
ModuleOp topModule(Operation *op) {
  if (auto module = dyn_cast<ModuleOp>(op))
    return module;
  return op->getParentOfType<ModuleOp>();
}

class IRPrinterInstrumentation : public PassInstrumentation {
public:
  explicit IRPrinterInstrumentation(attnc::IRPrintingOptions options)
      : options(std::move(options)) {}

  void runBeforePass(Pass *pass, Operation *op) override {
    if (isPipelinePass(pass))
      return;
    before.erase({pass, op});
    before.try_emplace({pass, op}, OperationFingerPrint(op));
  }

  void runAfterPass(Pass *pass, Operation *op) override {
    if (isPipelinePass(pass))
      return;
    ++count;
    auto it = before.find({pass, op});
    bool unchanged = it != before.end() && it->second == OperationFingerPrint(op);
    if (it != before.end())
      before.erase(it);
    std::string name = pass->getArgument().str();
    std::string header =
        llvm::formatv("// -----// IR after pass {0}: {1} ({2}){3} //----- //",
                      count, name, pass->getName(),
                      unchanged ? " (unchanged)" : "");
    ModuleOp module = topModule(op);
    if (options.printAfterAll || llvm::is_contained(options.printAfter, name)) {
      llvm::errs() << header << "\n";
      attnc::printModule(module, llvm::errs(), /*elideWeights=*/true);
    }
    if (!options.dumpDir.empty())
      dump(llvm::formatv("{0:d2}-{1}.mlir", count, name).str(), header, module);
  }

  /// Writes `module` to dumpDir/file, reporting a write failure once.
  void dump(const std::string &file, llvm::StringRef header, ModuleOp module) {
    llvm::SmallString<256> path(options.dumpDir);
    llvm::sys::path::append(path, file);
    std::string error;
    auto out = mlir::openOutputFile(path, &error);
    if (!out) {
      if (!reported)
        llvm::errs() << "attnc: warning: cannot write " << path << ": " << error
                     << "\n";
      reported = true;
      return;
    }
    out->os() << header << "\n";
    attnc::printModule(module, out->os(), /*elideWeights=*/false);
    out->keep();
  }

private:
  /// The adaptors that run nested pass managers have no flag name.
  static bool isPipelinePass(Pass *pass) { return pass->getArgument().empty(); }

  attnc::IRPrintingOptions options;
  llvm::DenseMap<std::pair<Pass *, Operation *>, OperationFingerPrint> before;
  unsigned count = 0;
  bool reported = false;
};

} // namespace

LogicalResult attnc::enableIRPrinting(PassManager &pm, ModuleOp module,
                                      const IRPrintingOptions &options) {
  if (!options.printAfterAll && options.printAfter.empty() &&
      options.dumpDir.empty())
    return success();
  if (!options.dumpDir.empty()) {
    if (std::error_code ec = llvm::sys::fs::create_directories(options.dumpDir)) {
      emitError(module.getLoc())
          << "cannot create --dump-ir directory '" << options.dumpDir
          << "': " << ec.message();
      return failure();
    }
    IRPrinterInstrumentation writer(options);
    writer.dump("00-input.mlir", "// -----// IR before the pipeline //----- //",
                module);
  }
  pm.addInstrumentation(std::make_unique<IRPrinterInstrumentation>(options));
  return success();
}
