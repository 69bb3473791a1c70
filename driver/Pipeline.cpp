//===- Pipeline.cpp - running the graph pipeline for the driver -----------===//

#include "driver/Pipeline.h"

#include "passes/Passes.h"

#include "mlir/Pass/PassInstrumentation.h"

using namespace mlir;

namespace {
/// Forwards "after pass" events to a callback (skipping pipeline adaptors).
class AfterPassHook : public PassInstrumentation {
public:
  explicit AfterPassHook(
      std::function<void(llvm::StringRef, Operation *)> callback)
      : callback(std::move(callback)) {}
  void runAfterPass(Pass *pass, Operation *op) override {
    if (!pass->getArgument().empty())
      callback(pass->getArgument(), op);
  }

private:
  std::function<void(llvm::StringRef, Operation *)> callback;
};
} // namespace

LogicalResult attnc::runGraphPipeline(ModuleOp module,
                                      const PipelineRunOptions &options,
                                      TimingScope *timing) {
  PassManager pm(module.getContext());
  attn::PipelineOptions pipeline;
  pipeline.reportFusion = options.reportFusion;
  pipeline.convertToF16 = options.halfPrecision;
  attn::buildAttnPipeline(pm, pipeline);
  if (failed(enableIRPrinting(pm, module, options.printing)))
    return failure();
  if (options.afterPass)
    pm.addInstrumentation(std::make_unique<AfterPassHook>(options.afterPass));
  if (timing) {
    TimingScope scope = timing->nest("graph pipeline");
    pm.enableTiming(scope);
    return pm.run(module);
  }
  return pm.run(module);
}
