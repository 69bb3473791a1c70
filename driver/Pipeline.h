//===- Pipeline.h - running the graph pipeline for the driver --*- C++ -*-===//
//
// Runs passes/Pipeline.cpp's pipeline on a module with the driver's
// observability options: IR printing and dumps, timing, fusion report and
// an optional per-pass hook (used by verify --bisect).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DRIVER_PIPELINE_H
#define ATTNC_DRIVER_PIPELINE_H

#include "driver/IRPrinting.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/Timing.h"

#include <functional>

namespace attnc {

struct PipelineRunOptions {
  IRPrintingOptions printing;
  bool reportFusion = false;
  /// --precision=f16: store every f32 tensor as f16 (attn-convert-f16).
  bool halfPrecision = false;
  /// Called after each pass with its flag name and the op it ran on.
  std::function<void(llvm::StringRef, mlir::Operation *)> afterPass;
};

/// Runs the graph pipeline on `module`, timed under `timing` when given.
mlir::LogicalResult runGraphPipeline(mlir::ModuleOp module,
                                     const PipelineRunOptions &options,
                                     mlir::TimingScope *timing = nullptr);

} // namespace attnc

#endif // ATTNC_DRIVER_PIPELINE_H
