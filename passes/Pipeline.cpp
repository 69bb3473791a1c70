//===- Pipeline.cpp - the one place the pass order is decided -------------===//
//
// buildAttnPipeline assembles the graph pipeline every driver runs; each
// addPass says why it sits where it does.
//
//===----------------------------------------------------------------------===//

#include "passes/Passes.h"

#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"

using namespace mlir;

void mlir::attn::buildAttnPipeline(OpPassManager &pm,
                                   const PipelineOptions &options) {
  OpPassManager &fn = pm.nest<func::FuncOp>();
  // Op folders first: identity reshapes/transposes would hide patterns.
  fn.addPass(createCanonicalizerPass());
  // Weight transposes and mask construction become constants the
  // recognisers can read.
  fn.addPass(createFoldConstantsPass());
  // One spelling per idiom, so each fusion matches one form.
  fn.addPass(createCanonicalizeFormsPass());
  // Shared subexpressions (K read by two matmuls) would block single-use checks.
  fn.addPass(createCSEPass());
  // Scale and masks join the softmax before the attention is matched.
  fn.addPass(createFuseScaleMaskSoftmaxPass());
  fn.addPass(createFuseAttentionPass());
  // Packed multi-head attention goes to the one layout back ends implement.
  fn.addPass(createSplitHeadsPass());
  // Remove what fusion left dead and merge the reshapes it introduced.
  fn.addPass(createCanonicalizerPass());
  fn.addPass(createCSEPass());
  if (options.reportFusion)
    fn.addPass(createReportFusionPass());
  // Last, so that every fusion sees the f32 graph the model was written as.
  if (options.convertToF16)
    fn.addPass(createConvertFloatStoragePass(/*toHalf=*/true));
}

void mlir::attn::registerAttnPipeline() {
  PassPipelineRegistration<>(
      "attn-pipeline", "the attnc graph pipeline (canonicalise, fold, fuse, "
                       "split heads)",
      [](OpPassManager &pm) { buildAttnPipeline(pm); });
}
