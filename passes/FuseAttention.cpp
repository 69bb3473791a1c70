//===- FuseAttention.cpp - matmul · softmax · matmul into attn.attention --===//
//
// Algorithm:
//  1. Root at a matmul P·V whose lhs is an attn.scaled_masked_softmax of a
//     matmul Q·K (matchAttention: single users, no transposed Q or P).
//  2. Bring K to [.., Sk, D] and V to [.., Sk, Dv] (a transpose op replaces
//     a missing or extra transpose flag); when K and V are heads repeated
//     for grouped-query attention, read the unrepeated heads instead.
//  3. Normalise every operand to [B, H, S, D]: rank 3 [N, S, D] becomes
//     [N, 1, S, D], rank 2 becomes [1, 1, S, D]; a batch or head dim of 1
//     that the matmuls broadcast is broadcast explicitly (K/V heads of 1
//     stay: that is multi-query attention). The mask gets the same leading
//     layout.
//  4. Emit attn.attention with the softmax's scale and causal alignment and
//     reshape its result back to the P·V matmul's shape.
//  5. An attn.attention already there (ONNX's Attention op) whose K and V
//     are repeated heads reads the unrepeated heads too; its constant
//     mask, when it only keeps everything or hides what a causal alignment
//     hides (the same block for every batch and head), becomes the causal
//     attribute.
//
//===----------------------------------------------------------------------===//

#include "ir/AttnBuilders.h"
#include "passes/AttentionMatch.h"
#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::attn {
#define GEN_PASS_DEF_FUSEATTENTION
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// `v` as `shape` through a ReshapeOp or BroadcastToOp (nothing if it has it).
template <typename OpTy>
Value toShape(PatternRewriter &rewriter, Location loc, Value v,
              ArrayRef<int64_t> shape) {
  if (shapeOf(v) == shape)
    return v;
  return rewriter.create<OpTy>(
      loc, RankedTensorType::get(shape, elementTypeOf(v)), v);
}

Value swapLastTwo(PatternRewriter &rewriter, Location loc, Value v) {
  int64_t rank = shapeOf(v).size();
  SmallVector<int64_t> perm = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  std::swap(perm[rank - 1], perm[rank - 2]);
  return createChecked<TransposeOp>(
      rewriter, loc, {v},
      {rewriter.getNamedAttr("perm", rewriter.getDenseI64ArrayAttr(perm))});
}

/// The [b, h] leading dims of a value of any rank <= `rank` in a graph whose
/// attention has `rank` dims: missing leading dims are 1, and rank 3 maps
/// its single leading dim to the batch.
std::pair<int64_t, int64_t> leadingDims(ArrayRef<int64_t> shape, int64_t rank,
                                        int64_t trailing) {
  SmallVector<int64_t> lead(rank - 2, 1);
  ArrayRef<int64_t> own = shape.drop_back(trailing);
  std::copy(own.begin(), own.end(), lead.end() - own.size());
  if (rank == 4)
    return {lead[0], lead[1]};
  if (rank == 3)
    return {lead[0], 1};
  return {1, 1};
}

/// Reshapes an operand [.., S, D] to [b, h, S, D] per leadingDims.
Value toFourDims(PatternRewriter &rewriter, Location loc, Value v,
                 int64_t rank) {
  ArrayRef<int64_t> shape = shapeOf(v);
  auto [b, h] = leadingDims(shape, rank, 2);
  SmallVector<int64_t> target = {b, h, shape[shape.size() - 2], shape.back()};
  return toShape<ReshapeOp>(rewriter, loc, v, target);
}

/// Reshapes a mask broadcastable to [.., Sq, Sk] (with `rank` dims) so that
/// it broadcasts to [B, H, Sq, Sk].
Value maskToFourDims(PatternRewriter &rewriter, Location loc, Value mask,
                     int64_t rank) {
  ArrayRef<int64_t> shape = shapeOf(mask);
  SmallVector<int64_t> tail(2, 1);
  for (size_t i = 0; i < std::min<size_t>(2, shape.size()); ++i)
    tail[1 - i] = shape[shape.size() - 1 - i];
  int64_t trailing = std::min<int64_t>(2, shape.size());
  auto [b, h] = leadingDims(shape, rank, trailing);
  return toShape<ReshapeOp>(rewriter, loc, mask, {b, h, tail[0], tail[1]});
}

struct FuseAttentionPattern : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    AttentionMatch match;
    if (std::optional<std::string> reason = matchAttention(op, match))
      return rewriter.notifyMatchFailure(op, *reason);
    Location loc = match.softmax.getLoc();
    int64_t rank = std::max({shapeOf(match.query).size(),
                             shapeOf(match.key).size(),
                             shapeOf(match.value).size()});

    // Grouped-query heads are only recognised on operands already in
    // [B, H, S, D] layout, where no op stands between them and the matmuls.
    Value k = match.key, v = match.value;
    if (rank == 4 && match.keyTransposed && !match.valueTransposed &&
        shapeOf(k).size() == 4 && shapeOf(v).size() == 4) {
      Value kBase = matchRepeatedHeads(k), vBase = matchRepeatedHeads(v);
      if (kBase && vBase && shapeOf(kBase)[1] == shapeOf(vBase)[1]) {
        k = kBase;
        v = vBase;
      }
    }
    // Every check is done before the first op is created.
    auto [qb, qh] = leadingDims(shapeOf(match.query), rank, 2);
    auto [kb, kh] = leadingDims(shapeOf(k), rank, 2);
    auto [vb, vh] = leadingDims(shapeOf(v), rank, 2);
    int64_t batch = std::max({qb, kb, vb});
    int64_t heads = std::max({qh, kh, vh});
    int64_t kvHeads = std::max(kh, vh);
    if (heads % kvHeads != 0 || (qh != 1 && qh != heads))
      return rewriter.notifyMatchFailure(op, "heads do not divide");

    if (!match.keyTransposed)
      k = swapLastTwo(rewriter, loc, k);
    if (match.valueTransposed)
      v = swapLastTwo(rewriter, loc, v);
    Value q = toFourDims(rewriter, loc, match.query, rank);
    k = toFourDims(rewriter, loc, k, rank);
    v = toFourDims(rewriter, loc, v, rank);
    // Broadcast the batch and the heads the matmuls broadcast implicitly.
    ArrayRef<int64_t> qs = shapeOf(q), ks = shapeOf(k), vs = shapeOf(v);
    q = toShape<BroadcastToOp>(rewriter, loc, q, {batch, heads, qs[2], qs[3]});
    k = toShape<BroadcastToOp>(rewriter, loc, k, {batch, kvHeads, ks[2], ks[3]});
    v = toShape<BroadcastToOp>(rewriter, loc, v, {batch, kvHeads, vs[2], vs[3]});

    SmallVector<Value> operands = {q, k, v};
    if (Value mask = match.softmax.getMask())
      operands.push_back(maskToFourDims(rewriter, loc, mask, rank));
    SmallVector<NamedAttribute> attrs = {
        rewriter.getNamedAttr("scale", match.softmax.getScaleAttr()),
        rewriter.getNamedAttr("causal", match.softmax.getCausalAttr())};
    auto attention = createChecked<AttentionOp>(rewriter, loc, operands, attrs);
    assert(attention && "normalised operands must form a valid attention");
    rewriter.replaceOp(op, toShape<ReshapeOp>(rewriter, loc, attention.getResult(),
                                     shapeOf(op.getResult())));
    return success();
  }
};

/// attn.attention over K/V heads repeated for grouped-query attention (an
/// exporter's repeat_kv in front of ONNX Attention) reads them unrepeated:
/// query head h reads kv head h / G either way.
struct UnrepeatAttentionHeads : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    if (op.isPacked())
      return failure();
    Value kBase = matchRepeatedHeads(op.getKey()),
          vBase = matchRepeatedHeads(op.getValue());
    if (!kBase || !vBase || shapeOf(kBase)[1] != shapeOf(vBase)[1])
      return failure();
    rewriter.updateRootInPlace(op, [&] {
      op.getKeyMutable().assign(kBase);
      op.getValueMutable().assign(vBase);
    });
    return success();
  }
};

/// attn.attention with a constant causal (or keep-all) mask: the mask goes
/// and the causal attribute says what it hid.
struct ConstantMaskToCausal : OpRewritePattern<AttentionOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AttentionOp op,
                                PatternRewriter &rewriter) const override {
    Value mask = op.getMask();
    if (!mask || op.isPacked())
      return failure();
    ArrayRef<int64_t> q = shapeOf(op.getQuery()), k = shapeOf(op.getKey());
    SmallVector<int64_t> scores = {q[0], q[1], q[2], k[2]};
    std::optional<ConstantMaskInfo> info = classifyConstantMask(
        mask, scores, elementTypeOf(mask).isInteger(1),
        /*repeatedBlocks=*/true);
    if (!info || info->pattern == ConstantMaskInfo::Pattern::Other)
      return failure();
    CausalKind causal = op.getCausal();
    if (info->pattern == ConstantMaskInfo::Pattern::Causal) {
      // Both alignments coincide when Sq == Sk.
      if (causal != CausalKind::none && causal != info->causal &&
          q[2] != k[2])
        return failure();
      if (causal == CausalKind::none)
        causal = info->causal;
    }
    rewriter.updateRootInPlace(op, [&] {
      op.getMaskMutable().clear();
      op.setCausal(causal);
    });
    return success();
  }
};

struct FuseAttentionPass : mlir::attn::impl::FuseAttentionBase<FuseAttentionPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<FuseAttentionPattern, UnrepeatAttentionHeads,
                 ConstantMaskToCausal>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::attn::createFuseAttentionPass() {
  return std::make_unique<FuseAttentionPass>();
}
