//===- FuseScaleMaskSoftmax.cpp - scale + mask + softmax in one op --------===//
//
// Algorithm:
//  1. For each attn.softmax over the last axis, peel the chain in front of it
//     from the outside in: select(keep, s, fill) with fill -inf or <= -1e4,
//     add(s, mask), mul(s, scalar constant).
//  2. Classify each mask: a constant that hides exactly the keys of a causal
//     alignment becomes the `causal` attribute; a constant that hides nothing
//     is dropped; the rest stay (keep-masks joined with attn.and, additive
//     masks with attn.add; when both kinds remain the keep-mask becomes an
//     additive 0 / -inf mask).
//  3. Replace the softmax with attn.scaled_masked_softmax(s, mask).
// A softmax over another axis is left alone (attn-report-fusion says so).
//
//===----------------------------------------------------------------------===//

#include "ir/AttnBuilders.h"
#include "passes/AttentionMatch.h"
#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <limits>

namespace mlir::attn {
#define GEN_PASS_DEF_FUSESCALEMASKSOFTMAX
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Splits `and(a, b)` trees of keep-masks into their leaves.
void flattenAnd(Value mask, SmallVectorImpl<Value> &leaves) {
  if (auto conj = mask.getDefiningOp<AndOp>()) {
    flattenAnd(conj.getLhs(), leaves);
    flattenAnd(conj.getRhs(), leaves);
    return;
  }
  leaves.push_back(mask);
}

/// Drops constant masks that hide nothing and turns causal ones into `causal`.
/// Fails when two different causal alignments meet.
LogicalResult absorbConstantMasks(SmallVectorImpl<Value> &masks,
                                  ArrayRef<int64_t> scoreShape, bool keep,
                                  CausalKind &causal) {
  SmallVector<Value> rest;
  for (Value mask : masks) {
    std::optional<ConstantMaskInfo> info =
        classifyConstantMask(mask, scoreShape, keep);
    if (!info || info->pattern == ConstantMaskInfo::Pattern::Other) {
      rest.push_back(mask);
      continue;
    }
    if (info->pattern == ConstantMaskInfo::Pattern::KeepAll)
      continue;
    if (causal != CausalKind::none && causal != info->causal)
      return failure();
    causal = info->causal;
  }
  masks.assign(rest.begin(), rest.end());
  return success();
}

template <typename OpTy>
Value combine(PatternRewriter &rewriter, Location loc, ArrayRef<Value> values) {
  if (values.empty())
    return nullptr;
  Value result = values.front();
  for (Value v : values.drop_front()) {
    // Each mask broadcasts to the scores, so their combination does too.
    result = createChecked<OpTy>(rewriter, loc, {result, v});
    assert(result && "masks that broadcast to the scores must combine");
  }
  return result;
}

struct FuseSoftmaxChain : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    auto type = op.getType().cast<RankedTensorType>();
    if (op.getNormalizedAxis() != type.getRank() - 1)
      return rewriter.notifyMatchFailure(op, "softmax is not over the last axis");
    SoftmaxChain chain = peelSoftmaxChain(op.getInput());
    SmallVector<Value> keep, additive;
    for (Value mask : chain.keepMasks)
      flattenAnd(mask, keep);
    additive.assign(chain.additiveMasks.begin(), chain.additiveMasks.end());
    CausalKind causal = CausalKind::none;
    if (failed(absorbConstantMasks(keep, type.getShape(), true, causal)) ||
        failed(absorbConstantMasks(additive, type.getShape(), false, causal)))
      return rewriter.notifyMatchFailure(op, "two different causal masks");

    Location loc = op.getLoc();
    Value mask = combine<AndOp>(rewriter, loc, keep);
    Value extra = combine<AddOp>(rewriter, loc, additive);
    Type elementType = type.getElementType();
    if (mask && extra) {
      // Both kinds remain: express the keep-mask additively.
      Value zero = createScalarConstant(rewriter, loc, elementType, 0.0);
      Value fill = createScalarConstant(rewriter, loc, elementType,
                                  -std::numeric_limits<double>::infinity());
      Value asAdditive =
          createChecked<SelectOp>(rewriter, loc, {mask, zero, fill});
      mask = createChecked<AddOp>(rewriter, loc, {asAdditive, extra});
      assert(mask && "masks that broadcast to the scores must combine");
    } else if (extra) {
      mask = extra;
    }
    SmallVector<Value> operands = {chain.scores};
    if (mask)
      operands.push_back(mask);
    auto fused = rewriter.create<ScaledMaskedSoftmaxOp>(
        loc, TypeRange{type}, operands,
        ArrayRef<NamedAttribute>{
            rewriter.getNamedAttr("scale",
                                  rewriter.getF32FloatAttr(chain.scale)),
            rewriter.getNamedAttr(
                "causal", CausalKindAttr::get(rewriter.getContext(), causal))});
    rewriter.replaceOp(op, fused.getResult());
    return success();
  }
};

struct FuseScaleMaskSoftmaxPass
    : mlir::attn::impl::FuseScaleMaskSoftmaxBase<FuseScaleMaskSoftmaxPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseSoftmaxChain>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::attn::createFuseScaleMaskSoftmaxPass() {
  return std::make_unique<FuseScaleMaskSoftmaxPass>();
}
