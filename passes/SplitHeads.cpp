//===- SplitHeads.cpp - packed [B, S, H·D] attention to [B, H, S, D] ------===//
//
// Algorithm:
//  1. For each attn.attention with `num_heads` (the packed form), reshape
//     Q [B, Sq, Hq·D] to [B, Sq, Hq, D] and transpose to [B, Hq, Sq, D];
//     likewise K and V with the kv heads.
//  2. Emit the split-form attention with the same mask (it already
//     broadcasts to [B, Hq, Sq, Sk]), scale (made explicit) and causal.
//  3. Transpose the result back to [B, Sq, Hq, Dv] and reshape it to
//     [B, Sq, Hq·Dv].
//
//===----------------------------------------------------------------------===//

#include "ir/AttnBuilders.h"
#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_SPLITHEADS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// Swaps dims 1 and 2 of a rank-4 value.
Value swapSeqAndHeads(PatternRewriter &rewriter, Location loc, Value v) {
  return createChecked<TransposeOp>(
      rewriter, loc, {v},
      {rewriter.getNamedAttr("perm",
                             rewriter.getDenseI64ArrayAttr({0, 2, 1, 3}))});
}

/// [B, S, H·D] -> [B, H, S, D].
Value splitHeads(PatternRewriter &rewriter, Location loc, Value v,
                 int64_t heads) {
  auto type = v.getType().cast<RankedTensorType>();
  ArrayRef<int64_t> s = type.getShape();
  auto split = RankedTensorType::get({s[0], s[1], heads, s[2] / heads},
                                     type.getElementType());
  Value reshaped = rewriter.create<ReshapeOp>(loc, split, v);
  return swapSeqAndHeads(rewriter, loc, reshaped);
}

struct SplitPackedAttention : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (!op.isPacked())
      return rewriter.notifyMatchFailure(op, "already in [B, H, S, D] form");
    Location loc = op.getLoc();
    int64_t heads = *op.getNumHeads();
    int64_t kvHeads = op.getNumKvHeads().value_or(heads);
    SmallVector<Value> operands = {
        splitHeads(rewriter, loc, op.getQuery(), heads),
        splitHeads(rewriter, loc, op.getKey(), kvHeads),
        splitHeads(rewriter, loc, op.getValue(), kvHeads)};
    if (Value mask = op.getMask())
      operands.push_back(mask);
    SmallVector<NamedAttribute> attrs = {
        rewriter.getNamedAttr(
            "scale", rewriter.getF32FloatAttr(op.getEffectiveScale())),
        rewriter.getNamedAttr("causal", op.getCausalAttr())};
    auto split = createChecked<AttentionOp>(rewriter, loc, operands, attrs);
    assert(split && "a verified packed attention splits into a valid one");
    Value merged = swapSeqAndHeads(rewriter, loc, split.getResult());
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), merged);
    return success();
  }
};

struct SplitHeadsPass : mlir::attn::impl::SplitHeadsBase<SplitHeadsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<SplitPackedAttention>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::attn::createSplitHeadsPass() {
  return std::make_unique<SplitHeadsPass>();
}
