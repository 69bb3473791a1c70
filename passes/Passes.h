//===- Passes.h - attn graph passes and the pipeline -----------*- C++ -*-===//
//
// Factories for each pass declared in Passes.td, their registration for
// attnc-opt, and the one function that decides the pipeline order.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_PASSES_H
#define ATTNC_PASSES_PASSES_H

#include "ir/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

#include <memory>

namespace mlir::attn {

/// Folds ops whose operands are all constants, using the fp64 interpreter.
std::unique_ptr<Pass> createFoldConstantsPass();
/// Rewrites attention idioms to the one spelling the fusions match.
std::unique_ptr<Pass> createCanonicalizeFormsPass();
/// Fuses scale + mask + softmax into attn.scaled_masked_softmax.
std::unique_ptr<Pass> createFuseScaleMaskSoftmaxPass();
/// Fuses matmul · scaled_masked_softmax · matmul into attn.attention.
std::unique_ptr<Pass> createFuseAttentionPass();
/// Rewrites packed-heads attention into the [B, H, S, D] form.
std::unique_ptr<Pass> createSplitHeadsPass();
/// Emits a remark for each softmax that was not fused, saying why.
std::unique_ptr<Pass> createReportFusionPass();
/// Makes every f32 tensor f16 inside the function, keeping its signature.
std::unique_ptr<Pass> createConvertFloatStoragePass();
/// The same, storing in `to` (f16 or f32).
std::unique_ptr<Pass> createConvertFloatStoragePass(bool toHalf);
/// True when an op under `root` reads or writes an f16 tensor.
bool hasHalfTensors(Operation *root);
/// Runs attn-convert-float-storage{to=f32} on every function of `module`
/// that has f16 tensors (targets that compute and store in f32).
LogicalResult storeHalfAsFloat(ModuleOp module);

#define GEN_PASS_DECL
#include "passes/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "passes/Passes.h.inc"

/// Knobs of the optimisation pipeline.
struct PipelineOptions {
  /// Append attn-report-fusion after the fusions.
  bool reportFusion = false;
  /// Append attn-convert-f16 last (--precision=f16).
  bool convertToF16 = false;
};

/// Adds the attnc graph pipeline to a module-level pass manager.
void buildAttnPipeline(OpPassManager &pm, const PipelineOptions &options = {});

/// Registers `attn-pipeline` (the whole pipeline) for attnc-opt.
void registerAttnPipeline();

} // namespace mlir::attn

#endif // ATTNC_PASSES_PASSES_H
