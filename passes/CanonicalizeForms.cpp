//===- CanonicalizeForms.cpp - one spelling per attention idiom -----------===//
//
// Algorithm (greedy patterns, each a local rewrite that keeps the numbers):
//  1. div(x, c) -> mul(x, 1/c) for a scalar float constant c; mul(c, x) ->
//     mul(x, c); mul(mul(x, c1), c2) -> mul(x, c1·c2).
//  2. A scalar factor on a matmul operand moves onto its result:
//     matmul(mul(q, c), k) -> mul(matmul(q, k), c).
//  3. A transpose feeding a matmul whose permutation swaps the last two dims
//     (possibly after other moves) becomes the transpose flag:
//     matmul(a, transpose(b, [0,1,3,2])) -> matmul(a, b) {transpose_rhs}.
//  4. Masks go right of the scores: add(m, s) -> add(s, m); sub(s, m) ->
//     add(s, neg(m)); select(drop, fill, s) -> select(not(drop), s, fill)
//     for a -inf / large negative fill; not(compare) inverts the predicate.
//  5. Neutral scalars go: mul(x, 1) -> x and add(x, 0) -> x (what baddbmm's
//     alpha and beta and a zero mask merged with a padding mask leave).
//  6. An additive -inf mask made by a select becomes a select of the scores:
//     add(s, select(c, m, -inf)) -> select(c, add(s, m), -inf) (fill on
//     either side), so padding masks reach the fusion as keep-masks;
//     not(or(a, b)) -> and(not(a), not(b)) splits joined keep-masks.
//  7. A scalar factor moves past reshape and transpose, toward the matmul
//     it scales: reshape(mul(x, c)) -> mul(reshape(x), c).
//  8. A floor at the type's lowest value in front of a softmax goes:
//     softmax(max(s, finfo.min)) -> softmax(s) (old LLaMA code clamps the
//     masked scores); it changes only -inf scores, which the softmax gives
//     zero weight either way.
//  9. A constant mask that repeats one [S, S] block over its leading dims
//     (exporters expand masks to the batch, [B, 1, S, S]) keeps that block
//     with leading dims 1, so a causal one is seen as causal:
//     add(s, expand(m)) -> add(s, m), select(expand(k), s, f) ->
//     select(k, s, f).
// 10. Reshapes that only regroup batch dims move so that matmul and softmax
//     run on the split form ([B, H, S, S] rather than [B·H, S, S]):
//     reshape(matmul(a, b)) splitting batch dims -> matmul of reshaped
//     operands; softmax(reshape(x)) merging batch dims -> reshape(softmax(x));
//     matmul(reshape(p), v) merging batch dims -> reshape(matmul(p,
//     reshape(v))); reshape(add(s, m)) splitting batch dims -> add of the
//     reshaped scores and mask, when the mask has the scores' batch dims or
//     none (BLOOM adds its [B·H, 1, S] alibi before the view to [B, H, S, S]).
//     Only toward the higher rank, so they cannot cycle.
// 11. torch 2's SDPA decomposition zeroes the NaN a fully masked row gives:
//     select(compare_ne(p, p), 0, p) -> p for a softmax p, which attn
//     defines to give zeros there (and never NaN from finite scores).
//
//===----------------------------------------------------------------------===//

#include "ir/AttnBuilders.h"
#include "ir/Constants.h"
#include "ir/ShapeUtils.h"
#include "passes/AttentionMatch.h"
#include "passes/Passes.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <algorithm>

namespace mlir::attn {
#define GEN_PASS_DEF_CANONICALIZEFORMS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// A scalar float constant factor that does not change `x`'s shape.
std::optional<double> scalarFactorOf(Value factor, Value x) {
  if (!elementTypeOf(factor).isa<FloatType>())
    return std::nullopt;
  if (shapeOf(factor).size() > shapeOf(x).size())
    return std::nullopt;
  return getScalarConstant(factor);
}

struct DivByScalarToMul : OpRewritePattern<DivOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(DivOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<double> c = scalarFactorOf(op.getRhs(), op.getLhs());
    if (!c || *c == 0.0)
      return failure();
    Value inverse = createScalarConstant(rewriter, op.getLoc(),
                                         elementTypeOf(op.getRhs()), 1.0 / *c);
    rewriter.replaceOpWithNewOp<MulOp>(op, op.getType(), op.getLhs(), inverse);
    return success();
  }
};

struct ScalarFactorToRhs : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    if (!getScalarConstant(op.getLhs()) || getScalarConstant(op.getRhs()))
      return failure();
    rewriter.replaceOpWithNewOp<MulOp>(op, op.getType(), op.getRhs(),
                                       op.getLhs());
    return success();
  }
};

struct MergeScalarFactors : OpRewritePattern<MulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MulOp op,
                                PatternRewriter &rewriter) const override {
    auto inner = op.getLhs().getDefiningOp<MulOp>();
    if (!inner || !inner->hasOneUse())
      return failure();
    std::optional<double> c2 = scalarFactorOf(op.getRhs(), op.getLhs());
    std::optional<double> c1 = scalarFactorOf(inner.getRhs(), inner.getLhs());
    if (!c1 || !c2 || shapeOf(inner) != shapeOf(inner.getLhs()))
      return failure();
    Value factor = createScalarConstant(rewriter, op.getLoc(),
                                        elementTypeOf(op.getRhs()), *c1 * *c2);
    rewriter.replaceOpWithNewOp<MulOp>(op, op.getType(), inner.getLhs(),
                                       factor);
    return success();
  }
};

struct ScaleOutOfMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    for (unsigned i = 0; i < 2; ++i) {
      auto mul = op->getOperand(i).getDefiningOp<MulOp>();
      if (!mul || !mul->hasOneUse() ||
          shapeOf(mul) != shapeOf(mul.getLhs()))
        continue;
      std::optional<double> c = scalarFactorOf(mul.getRhs(), mul.getLhs());
      if (!c)
        continue;
      Value factor = createScalarConstant(rewriter, op.getLoc(),
                                          elementTypeOf(mul.getRhs()), *c);
      rewriter.updateRootInPlace(
          op, [&] { op->setOperand(i, mul.getLhs()); });
      rewriter.setInsertionPointAfter(op);
      auto scaled = rewriter.create<MulOp>(op.getLoc(), op.getType(),
                                           op.getResult(), factor);
      rewriter.replaceAllUsesExcept(op.getResult(), scaled.getResult(),
                                    scaled);
      return success();
    }
    return failure();
  }
};

struct TransposeIntoMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    for (unsigned i = 0; i < 2; ++i) {
      auto transpose = op->getOperand(i).getDefiningOp<TransposeOp>();
      if (!transpose)
        continue;
      SmallVector<int64_t> perm(transpose.getPerm());
      int64_t rank = perm.size();
      // Only when swapping brings the last dim home: the flag then does the
      // swap and what remains is a cheaper (or no) permutation.
      if (perm[rank - 1] == rank - 1 || perm[rank - 2] != rank - 1)
        continue;
      std::swap(perm[rank - 1], perm[rank - 2]);
      Value input = transpose.getInput();
      bool identity = llvm::equal(perm, llvm::seq<int64_t>(0, rank));
      if (!identity)
        input = createChecked<TransposeOp>(
            rewriter, transpose.getLoc(), {input},
            {rewriter.getNamedAttr("perm",
                                   rewriter.getDenseI64ArrayAttr(perm))});
      StringAttr flag = i == 0 ? op.getTransposeLhsAttrName()
                               : op.getTransposeRhsAttrName();
      bool was = op->hasAttr(flag);
      rewriter.updateRootInPlace(op, [&] {
        op->setOperand(i, input);
        if (was)
          op->removeAttr(flag);
        else
          op->setAttr(flag, rewriter.getUnitAttr());
      });
      return success();
    }
    return failure();
  }
};

struct MaskAfterScores : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    if (!isScoreLike(op.getRhs()) || isScoreLike(op.getLhs()))
      return failure();
    rewriter.replaceOpWithNewOp<AddOp>(op, op.getType(), op.getRhs(),
                                       op.getLhs());
    return success();
  }
};

struct SubtractedMaskToAdd : OpRewritePattern<SubOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SubOp op,
                                PatternRewriter &rewriter) const override {
    if (!isScoreLike(op.getLhs()) || isScoreLike(op.getRhs()) ||
        !elementTypeOf(op.getRhs()).isa<FloatType>())
      return failure();
    Value negated = rewriter.create<NegOp>(op.getLoc(), op.getRhs());
    rewriter.replaceOpWithNewOp<AddOp>(op, op.getType(), op.getLhs(), negated);
    return success();
  }
};

struct InvertedSelect : OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectOp op,
                                PatternRewriter &rewriter) const override {
    std::optional<double> fill = getScalarConstant(op.getTrueValue());
    if (!fill || !isMaskFill(*fill) || getScalarConstant(op.getFalseValue()))
      return failure();
    Value keep = rewriter.create<NotOp>(op.getLoc(), op.getCondition());
    rewriter.replaceOpWithNewOp<SelectOp>(op, op.getType(), keep,
                                          op.getFalseValue(), op.getTrueValue());
    return success();
  }
};

CompareKind invert(CompareKind kind) {
  switch (kind) {
  case CompareKind::eq: return CompareKind::ne;
  case CompareKind::ne: return CompareKind::eq;
  case CompareKind::lt: return CompareKind::ge;
  case CompareKind::le: return CompareKind::gt;
  case CompareKind::gt: return CompareKind::le;
  case CompareKind::ge: return CompareKind::lt;
  }
  llvm_unreachable("unknown comparison");
}

struct NotOfCompare : OpRewritePattern<NotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NotOp op,
                                PatternRewriter &rewriter) const override {
    if (auto inner = op.getInput().getDefiningOp<NotOp>()) {
      rewriter.replaceOp(op, inner.getInput());
      return success();
    }
    auto compare = op.getInput().getDefiningOp<CompareOp>();
    if (!compare)
      return failure();
    // not(a < b) is a >= b only without NaN: invert ordered float
    // comparisons never, eq / ne always (NaN compares unequal either way).
    CompareKind kind = compare.getPredicate();
    bool ordered = kind != CompareKind::eq && kind != CompareKind::ne;
    if (ordered && elementTypeOf(compare.getLhs()).isa<FloatType>())
      return failure();
    auto inverted = rewriter.create<CompareOp>(
        op.getLoc(), op.getType(), compare.getLhs(), compare.getRhs(),
        CompareKindAttr::get(getContext(), invert(compare.getPredicate())));
    rewriter.replaceOp(op, inverted.getResult());
    return success();
  }
};

/// Drops `OpTy(x, neutral)` for a scalar constant that leaves x's shape.
template <typename OpTy, int Neutral>
struct DropNeutralScalar : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    for (unsigned i = 0; i < 2; ++i) {
      Value x = op->getOperand(1 - i), c = op->getOperand(i);
      std::optional<double> v = scalarFactorOf(c, x);
      if (!v || *v != Neutral || x.getType() != op.getType())
        continue;
      rewriter.replaceOp(op, x);
      return success();
    }
    return failure();
  }
};

struct AdditiveSelectToSelect : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (unsigned i = 0; i < 2; ++i) {
      Value scores = op->getOperand(1 - i);
      auto select = op->getOperand(i).getDefiningOp<SelectOp>();
      if (!select || !select->hasOneUse() || !isScoreLike(scores))
        continue;
      bool fillIsTrue = isNegativeInfinity(select.getTrueValue());
      if (!fillIsTrue && !isNegativeInfinity(select.getFalseValue()))
        continue;
      Value fill = fillIsTrue ? select.getTrueValue() : select.getFalseValue();
      Value rest = fillIsTrue ? select.getFalseValue() : select.getTrueValue();
      // Same result shape: scores + rest, selected against the fill.
      SmallVector<int64_t> sum, withFill, all;
      if (broadcastShapes(shapeOf(scores), shapeOf(rest), sum) ||
          broadcastShapes(sum, shapeOf(fill), withFill) ||
          broadcastShapes(shapeOf(select.getCondition()), withFill, all) ||
          ArrayRef<int64_t>(all) != shapeOf(op))
        continue;
      Value added = createChecked<AddOp>(rewriter, op.getLoc(), {scores, rest});
      assert(added && "shapes were checked to broadcast");
      Value trueValue = fillIsTrue ? fill : added;
      Value falseValue = fillIsTrue ? added : fill;
      rewriter.replaceOpWithNewOp<SelectOp>(
          op, op.getType(), select.getCondition(), trueValue, falseValue);
      return success();
    }
    return failure();
  }
};

struct NotOfOr : OpRewritePattern<NotOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(NotOp op,
                                PatternRewriter &rewriter) const override {
    auto disjunction = op.getInput().getDefiningOp<OrOp>();
    if (!disjunction || !disjunction->hasOneUse())
      return failure();
    Value lhs = rewriter.create<NotOp>(op.getLoc(), disjunction.getLhs());
    Value rhs = rewriter.create<NotOp>(op.getLoc(), disjunction.getRhs());
    rewriter.replaceOpWithNewOp<AndOp>(op, op.getType(), lhs, rhs);
    return success();
  }
};

/// Moves a scalar factor from the input of a reshape or transpose to its
/// result.
template <typename OpTy> struct ScaleThroughLayout : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    auto mul = op.getInput().template getDefiningOp<MulOp>();
    if (!mul || !mul->hasOneUse() || shapeOf(mul) != shapeOf(mul.getLhs()))
      return failure();
    std::optional<double> c = scalarFactorOf(mul.getRhs(), mul.getLhs());
    if (!c)
      return failure();
    Operation *moved = rewriter.clone(*op);
    moved->setOperand(0, mul.getLhs());
    // A rank-0 factor broadcasts to any layout.
    Value factor = createScalarConstant(rewriter, op.getLoc(),
                                        elementTypeOf(mul.getRhs()), *c);
    rewriter.replaceOpWithNewOp<MulOp>(op, op.getType(), moved->getResult(0),
                                       factor);
    return success();
  }
};

/// True when every user of `value` is a softmax over its last axis.
bool onlyFeedsLastAxisSoftmax(Value value) {
  int64_t rank = shapeOf(value).size();
  return !value.use_empty() &&
         llvm::all_of(value.getUsers(), [&](Operation *u) {
           auto softmax = dyn_cast<SoftmaxOp>(u);
           return softmax && softmax.getNormalizedAxis() == rank - 1;
         });
}

/// Drops max(s, c) feeding only last-axis softmaxes when no finite value of
/// s's type is below c (c is -inf or the type's lowest): only -inf scores
/// change, to c, and a softmax row with a finite score gives both zero
/// weight. A row with every score -inf goes from uniform weights to the
/// attention contract's zeros, as with every mask the fusion takes in. A
/// higher floor (max(s, -1e4)) could clip real scores and stays.
struct LowestFloorBeforeSoftmax : OpRewritePattern<MaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MaxOp op,
                                PatternRewriter &rewriter) const override {
    auto floatType = elementTypeOf(op).dyn_cast<FloatType>();
    if (!floatType || !onlyFeedsLastAxisSoftmax(op.getResult()))
      return failure();
    double lowest =
        APFloat::getLargest(floatType.getFloatSemantics(), /*Negative=*/true)
            .convertToDouble();
    for (unsigned i = 0; i < 2; ++i) {
      Value x = op->getOperand(1 - i);
      std::optional<double> c = scalarFactorOf(op->getOperand(i), x);
      if (!c || *c > lowest || x.getType() != op.getType())
        continue;
      rewriter.replaceOp(op, x);
      return success();
    }
    return failure();
  }
};

/// The first [.., S, S] block of the constant `mask` as a constant with
/// leading dims 1, when every leading index holds that same block; else
/// null.
Value firstOfRepeatedBlocks(PatternRewriter &rewriter, Location loc,
                            Value mask) {
  ArrayRef<int64_t> shape = shapeOf(mask);
  if (shape.size() <= 2 ||
      llvm::all_of(shape.drop_back(2), [](int64_t d) { return d == 1; }))
    return {};
  std::optional<attnc::OracleTensor> value = evaluateConstantSubgraph(mask);
  std::optional<attnc::DTypeKind> dtype =
      attnc::dtypeFromType(elementTypeOf(mask));
  size_t block = shape[shape.size() - 2] * shape.back();
  if (!value || !dtype || block == 0)
    return {};
  const std::vector<double> &data = value->data;
  for (size_t start = block; start < data.size(); start += block)
    if (!std::equal(data.begin(), data.begin() + block, data.begin() + start))
      return {};
  attnc::OracleTensor first;
  first.shape.assign(shape.size() - 2, 1);
  first.shape.append({shape[shape.size() - 2], shape.back()});
  first.data.assign(data.begin(), data.begin() + block);
  attnc::HostTensor host = attnc::fromOracle(first, *dtype);
  auto type = RankedTensorType::get(first.shape, elementTypeOf(mask));
  ArrayRef<char> bytes(reinterpret_cast<const char *>(host.bytes.data()),
                       host.bytes.size());
  return rewriter.create<ConstantOp>(loc,
                                     createElementsAttr(type, bytes, "mask"));
}

struct RepeatedAdditiveMask : OpRewritePattern<AddOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(AddOp op,
                                PatternRewriter &rewriter) const override {
    for (unsigned i = 0; i < 2; ++i) {
      Value scores = op->getOperand(1 - i);
      if (!isScoreLike(scores) || shapeOf(scores) != shapeOf(op))
        continue;
      Value block =
          firstOfRepeatedBlocks(rewriter, op.getLoc(), op->getOperand(i));
      if (!block)
        continue;
      rewriter.replaceOpWithNewOp<AddOp>(op, op.getType(), scores, block);
      return success();
    }
    return failure();
  }
};

struct RepeatedKeepMask : OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectOp op,
                                PatternRewriter &rewriter) const override {
    Value scores = op.getTrueValue();
    if (!isScoreLike(scores) || shapeOf(scores) != shapeOf(op))
      return failure();
    Value block =
        firstOfRepeatedBlocks(rewriter, op.getLoc(), op.getCondition());
    if (!block)
      return failure();
    rewriter.replaceOpWithNewOp<SelectOp>(op, op.getType(), block, scores,
                                          op.getFalseValue());
    return success();
  }
};

/// The batch dims of a matmul operand or result (all but the last two).
ArrayRef<int64_t> batchOf(Value v) { return shapeOf(v).drop_back(2); }

/// `shape` with its batch dims replaced by `batch`.
RankedTensorType withBatch(Value v, ArrayRef<int64_t> batch) {
  SmallVector<int64_t> shape(batch);
  llvm::append_range(shape, shapeOf(v).take_back(2));
  return RankedTensorType::get(shape, elementTypeOf(v));
}

/// True when both operands of `matmul` carry its full batch dims (no
/// broadcasting), so regrouping them regroups the product.
bool hasUnbroadcastBatch(MatmulOp matmul) {
  ArrayRef<int64_t> batch = batchOf(matmul);
  return batchOf(matmul.getLhs()) == batch && batchOf(matmul.getRhs()) == batch;
}

MatmulOp cloneMatmul(PatternRewriter &rewriter, MatmulOp matmul, Value lhs,
                     Value rhs) {
  auto created = createChecked<MatmulOp>(rewriter, matmul.getLoc(), {lhs, rhs},
                                         matmul->getAttrs());
  assert(created && "regrouped batch dims keep the matmul valid");
  return created;
}

struct SplitBatchIntoMatmul : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto matmul = op.getInput().getDefiningOp<MatmulOp>();
    if (!matmul || !matmul->hasOneUse() ||
        shapeOf(op).size() <= shapeOf(matmul).size() ||
        !regroupsLeadingDims(shapeOf(matmul), shapeOf(op), 2) ||
        !hasUnbroadcastBatch(matmul))
      return failure();
    ArrayRef<int64_t> batch = batchOf(op);
    Value lhs = rewriter.create<ReshapeOp>(
        op.getLoc(), withBatch(matmul.getLhs(), batch), matmul.getLhs());
    Value rhs = rewriter.create<ReshapeOp>(
        op.getLoc(), withBatch(matmul.getRhs(), batch), matmul.getRhs());
    rewriter.replaceOp(op, cloneMatmul(rewriter, matmul, lhs, rhs).getResult());
    return success();
  }
};

struct SplitBatchThroughAdd : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto add = op.getInput().getDefiningOp<AddOp>();
    if (!add || !add->hasOneUse() ||
        shapeOf(op).size() <= shapeOf(add).size() ||
        !regroupsLeadingDims(shapeOf(add), shapeOf(op), 2))
      return failure();
    Value scores = add.getLhs(), mask = add.getRhs();
    if (!isScoreLike(scores))
      std::swap(scores, mask);
    if (!isScoreLike(scores) || shapeOf(scores) != shapeOf(add))
      return failure();
    // The mask regroups with the scores when it has all their batch dims,
    // and broadcasts unchanged when it has none; a partial batch would not
    // split the same way.
    ArrayRef<int64_t> maskShape = shapeOf(mask);
    size_t batchRank = shapeOf(add).size() - 2;
    bool noBatch =
        maskShape.size() <= 2 ||
        llvm::all_of(maskShape.drop_back(2), [](int64_t d) { return d == 1; });
    bool fullBatch =
        maskShape.size() == shapeOf(add).size() &&
        maskShape.take_front(batchRank) == shapeOf(add).take_front(batchRank);
    if (!noBatch && !fullBatch)
      return failure();
    Value splitScores = rewriter.create<ReshapeOp>(
        op.getLoc(), withBatch(scores, batchOf(op)), scores);
    Value splitMask =
        noBatch ? mask
                : rewriter.create<ReshapeOp>(
                      op.getLoc(), withBatch(mask, batchOf(op)), mask);
    rewriter.replaceOpWithNewOp<AddOp>(op, op.getType(), splitScores,
                                       splitMask);
    return success();
  }
};

struct SoftmaxBeforeMerge : OpRewritePattern<SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    auto merge = op.getInput().getDefiningOp<ReshapeOp>();
    int64_t rank = shapeOf(op).size();
    if (!merge || op.getNormalizedAxis() != rank - 1 ||
        shapeOf(merge.getInput()).size() <= static_cast<size_t>(rank) ||
        !regroupsLeadingDims(shapeOf(merge.getInput()), shapeOf(op), 1))
      return failure();
    Value input = merge.getInput();
    // The softmax keeps its location: it is the node fusion reports name.
    auto softmax = rewriter.create<SoftmaxOp>(
        op.getLoc(), input.getType(), input,
        rewriter.getI64IntegerAttr(shapeOf(input).size() - 1));
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), softmax);
    return success();
  }
};

struct MergedBatchOutOfMatmul : OpRewritePattern<MatmulOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(MatmulOp op,
                                PatternRewriter &rewriter) const override {
    auto merge = op.getLhs().getDefiningOp<ReshapeOp>();
    if (!merge || !hasUnbroadcastBatch(op))
      return failure();
    Value lhs = merge.getInput();
    if (shapeOf(lhs).size() <= shapeOf(op).size() ||
        !regroupsLeadingDims(shapeOf(lhs), shapeOf(merge), 2))
      return failure();
    Value rhs = rewriter.create<ReshapeOp>(
        op.getLoc(), withBatch(op.getRhs(), batchOf(lhs)), op.getRhs());
    MatmulOp split = cloneMatmul(rewriter, op, lhs, rhs);
    rewriter.replaceOpWithNewOp<ReshapeOp>(op, op.getType(), split.getResult());
    return success();
  }
};

/// True for a permutation that swaps the last two dims and keeps the rest.
bool swapsLastTwo(ArrayRef<int64_t> perm) {
  int64_t rank = perm.size();
  if (rank < 2 || perm[rank - 2] != rank - 1 || perm[rank - 1] != rank - 2)
    return false;
  for (int64_t i = 0; i + 2 < rank; ++i)
    if (perm[i] != i)
      return false;
  return true;
}

struct SplitBatchBeforeTranspose : OpRewritePattern<ReshapeOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(ReshapeOp op,
                                PatternRewriter &rewriter) const override {
    auto transpose = op.getInput().getDefiningOp<TransposeOp>();
    if (!transpose || !transpose->hasOneUse() ||
        !swapsLastTwo(transpose.getPerm()) ||
        shapeOf(op).size() <= shapeOf(transpose).size() ||
        !regroupsLeadingDims(shapeOf(transpose), shapeOf(op), 2))
      return failure();
    Value input = transpose.getInput();
    ArrayRef<int64_t> in = shapeOf(input);
    SmallVector<int64_t> split(shapeOf(op).drop_back(2));
    split.append({in[in.size() - 2], in.back()});
    Value reshaped = rewriter.create<ReshapeOp>(
        op.getLoc(), RankedTensorType::get(split, elementTypeOf(input)), input);
    SmallVector<int64_t> perm =
        llvm::to_vector(llvm::seq<int64_t>(0, split.size()));
    std::swap(perm[split.size() - 2], perm[split.size() - 1]);
    rewriter.replaceOpWithNewOp<TransposeOp>(op, op.getType(), reshaped,
                                             rewriter.getDenseI64ArrayAttr(perm));
    return success();
  }
};

/// Drops select(p != p, 0, p) after a softmax: attn.softmax and the fused
/// forms give a fully masked row zeros, not NaN, so the guard is the
/// identity on every row the softmax can produce from non-NaN scores.
struct NaNGuardAfterSoftmax : OpRewritePattern<SelectOp> {
  using OpRewritePattern::OpRewritePattern;
  LogicalResult matchAndRewrite(SelectOp op,
                                PatternRewriter &rewriter) const override {
    Value p = op.getFalseValue();
    auto isNaN = op.getCondition().getDefiningOp<CompareOp>();
    if (!isNaN || isNaN.getPredicate() != CompareKind::ne ||
        isNaN.getLhs() != p || isNaN.getRhs() != p ||
        p.getType() != op.getType())
      return failure();
    std::optional<double> zero = getScalarConstant(op.getTrueValue());
    if (!zero || *zero != 0.0)
      return failure();
    if (!p.getDefiningOp<SoftmaxOp>() && !p.getDefiningOp<ScaledMaskedSoftmaxOp>())
      return failure();
    rewriter.replaceOp(op, p);
    return success();
  }
};

struct CanonicalizeFormsPass
    : mlir::attn::impl::CanonicalizeFormsBase<CanonicalizeFormsPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    patterns.add<DivByScalarToMul, ScalarFactorToRhs, MergeScalarFactors,
                 ScaleOutOfMatmul, TransposeIntoMatmul, MaskAfterScores,
                 SubtractedMaskToAdd, InvertedSelect, NotOfCompare,
                 DropNeutralScalar<MulOp, 1>, DropNeutralScalar<AddOp, 0>,
                 AdditiveSelectToSelect, NotOfOr, LowestFloorBeforeSoftmax,
                 RepeatedAdditiveMask, RepeatedKeepMask,
                 ScaleThroughLayout<ReshapeOp>, ScaleThroughLayout<TransposeOp>,
                 SplitBatchIntoMatmul, SplitBatchThroughAdd, SoftmaxBeforeMerge,
                 MergedBatchOutOfMatmul, SplitBatchBeforeTranspose,
                 NaNGuardAfterSoftmax>(&getContext());
    if (failed(applyPatternsAndFoldGreedily(getOperation(), std::move(patterns))))
      signalPassFailure();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::attn::createCanonicalizeFormsPass() {
  return std::make_unique<CanonicalizeFormsPass>();
}
