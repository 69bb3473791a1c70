//===- IRPrinting.h - showing the IR between passes ------------*- C++ -*-===//
//
// A pass instrumentation behind --print-ir-after-all, --print-ir-after=PASS
// and --dump-ir=DIR: the whole module after each pass, headed by the pass's
// flag name and "(unchanged)" when the pass did nothing.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DRIVER_IRPRINTING_H
#define ATTNC_DRIVER_IRPRINTING_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"

#include <string>
#include <vector>

namespace attnc {

/// What to show after which passes.
struct IRPrintingOptions {
  /// Print after every pass (to stderr).
  bool printAfterAll = false;
  /// Print after the passes with these flag names (e.g. attn-fuse-attention).
  std::vector<std::string> printAfter;
  /// Write NN-<pass>.mlir files here (full weights, re-parsable).
  std::string dumpDir;
};

/// Prints `module`; with `elideWeights` the dense_resource blob section is
/// replaced by a one-line note (the text then parses, but without weights).
void printModule(mlir::ModuleOp module, llvm::raw_ostream &os,
                 bool elideWeights);

/// Adds the instrumentation to `pm`. `dumpDir` is created if needed; the
/// input IR is written as 00-input.mlir before the first pass.
mlir::LogicalResult enableIRPrinting(mlir::PassManager &pm,
                                     mlir::ModuleOp module,
                                     const IRPrintingOptions &options);

} // namespace attnc

#endif // ATTNC_DRIVER_IRPRINTING_H
