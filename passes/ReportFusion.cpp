//===- ReportFusion.cpp - say which softmax ops were not fused, and why ---===//
//
// Algorithm:
//  1. Each attn.attention gets a remark "fused into attn.attention" at its
//     location (the location of the softmax it absorbed).
//  2. Each softmax, log_softmax and scaled_masked_softmax left in the
//     function gets a remark with the reason explainUnfusedSoftmax gives.
//  3. One summary remark per function counts both.
// The IR is not changed.
//
//===----------------------------------------------------------------------===//

#include "passes/AttentionMatch.h"
#include "passes/Passes.h"

namespace mlir::attn {
#define GEN_PASS_DEF_REPORTFUSION
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

struct ReportFusionPass : mlir::attn::impl::ReportFusionBase<ReportFusionPass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    int fused = 0, unfused = 0;
    func.walk([&](Operation *op) {
      if (isa<AttentionOp>(op)) {
        ++fused;
        op->emitRemark("softmax fused into attn.attention");
      } else if (isa<SoftmaxOp, LogSoftmaxOp, ScaledMaskedSoftmaxOp>(op)) {
        ++unfused;
        op->emitRemark() << op->getName() << " not fused into attn.attention: "
                         << explainUnfusedSoftmax(op);
      }
    });
    func.emitRemark() << "fusion report for @" << func.getSymName() << ": "
                      << fused << " attention fused, " << unfused
                      << " softmax left unfused";
    markAllAnalysesPreserved();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::attn::createReportFusionPass() {
  return std::make_unique<ReportFusionPass>();
}
