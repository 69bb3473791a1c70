//===- AttentionMatch.cpp - matchers shared by the attention passes -------===//
//
// Recognisers for scalar constants, mask fills, constant causal masks, the
// softmax scale/mask chain and the matmul-softmax-matmul attention pattern.
// The attention matcher returns a reason on failure so the fusion pass and
// the report pass agree on what was and was not fused.
//
//===----------------------------------------------------------------------===//

#include "passes/AttentionMatch.h"

#include <algorithm>

#include "ir/ShapeUtils.h"
#include "oracle/Interpreter.h"

#include "llvm/Support/FormatVariadic.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

namespace {
constexpr double kMaskFillThreshold = -1e4;
constexpr int64_t kMaxMaskElements = int64_t(1) << 24;

std::string opName(Value v) {
  if (Operation *def = v.getDefiningOp())
    return def->getName().getStringRef().str();
  return "a function argument";
}
} // namespace

std::optional<double> mlir::attn::getScalarConstant(Value value) {
  while (Operation *def = value.getDefiningOp()) {
    if (isa<ReshapeOp, BroadcastToOp>(def)) {
      value = def->getOperand(0);
      continue;
    }
    auto constant = dyn_cast<ConstantOp>(def);
    if (!constant)
      return std::nullopt;
    ElementsAttr attr = constant.getValue();
    auto dense = attr.dyn_cast<DenseElementsAttr>();
    if (!dense || !(dense.isSplat() || dense.getNumElements() == 1))
      return std::nullopt;
    Type elementType = dense.getElementType();
    if (elementType.isa<FloatType>())
      return (*dense.value_begin<APFloat>()).convertToDouble();
    if (elementType.isInteger(1))
      return *dense.value_begin<bool>() ? 1.0 : 0.0;
    if (elementType.isa<IntegerType>())
      return static_cast<double>((*dense.value_begin<APInt>()).getSExtValue());
    return std::nullopt;
  }
  return std::nullopt;
}

bool mlir::attn::isMaskFill(double value) {
  return value <= kMaskFillThreshold;
}

bool mlir::attn::isNegativeInfinity(Value value) {
  std::optional<double> v = getScalarConstant(value);
  return v && std::isinf(*v) && *v < 0;
}

bool mlir::attn::regroupsLeadingDims(ArrayRef<int64_t> from,
                                     ArrayRef<int64_t> to, unsigned kept) {
  return from.size() > kept && to.size() > kept &&
         from.take_back(kept) == to.take_back(kept);
}

bool mlir::attn::isScoreLike(Value value) {
  for (int depth = 0; depth < 8; ++depth) {
    Operation *def = value.getDefiningOp();
    if (!def)
      return false;
    if (isa<MatmulOp>(def))
      return true;
    if (auto select = dyn_cast<SelectOp>(def)) {
      value = select.getTrueValue();
      continue;
    }
    if (!isa<MulOp, DivOp, AddOp, SubOp>(def))
      return false;
    value = def->getOperand(0);
  }
  return false;
}

//===----------------------------------------------------------------------===//
// Constant masks
//===----------------------------------------------------------------------===//

namespace {
/// Evaluates `value` when it depends on constants only, within `budget` ops.
std::optional<attnc::OracleTensor> evaluateWithin(Value value, int &budget) {
  Operation *def = value.getDefiningOp();
  if (!def || def->getNumResults() != 1 || --budget < 0 ||
      !isa<AttnDialect>(def->getDialect()) ||
      value.getType().cast<RankedTensorType>().getNumElements() >
          kMaxMaskElements)
    return std::nullopt;
  SmallVector<attnc::OracleTensor> operands;
  for (Value operand : def->getOperands()) {
    std::optional<attnc::OracleTensor> t = evaluateWithin(operand, budget);
    if (!t)
      return std::nullopt;
    operands.push_back(std::move(*t));
  }
  llvm::Expected<std::vector<attnc::OracleTensor>> results =
      attnc::evaluateOp(def, operands);
  if (!results) {
    llvm::consumeError(results.takeError());
    return std::nullopt;
  }
  return std::move((*results)[0]);
}
} // namespace

std::optional<attnc::OracleTensor>
mlir::attn::evaluateConstantSubgraph(Value value) {
  int budget = 32;
  return evaluateWithin(value, budget);
}

std::optional<ConstantMaskInfo>
mlir::attn::classifyConstantMask(Value mask, ArrayRef<int64_t> scoreShape,
                                 bool isKeepMask, bool repeatedBlocks) {
  std::optional<attnc::OracleTensor> value = evaluateConstantSubgraph(mask);
  if (!value)
    return std::nullopt;
  ConstantMaskInfo info;
  ArrayRef<int64_t> shape = shapeOf(mask);
  if (scoreShape.size() < 2 || !isBroadcastableTo(shape, scoreShape) ||
      numElements(shape) > kMaxMaskElements)
    return info;
  const std::vector<double> &data = value->data;
  int64_t sq = scoreShape[scoreShape.size() - 2], sk = scoreShape.back();
  int64_t mq = shape.size() >= 2 ? shape[shape.size() - 2] : 1;
  int64_t mk = shape.empty() ? 1 : shape.back();
  // The same mask for every leading index: only the last two dims vary.
  for (size_t i = 0; i + 2 < shape.size(); ++i)
    if (shape[i] != 1 && !repeatedBlocks)
      return info;
  size_t block = mq * mk;
  for (size_t start = block; start < data.size(); start += block)
    if (!std::equal(data.begin(), data.begin() + block, data.begin() + start))
      return info;
  bool anyMasked = false, topLeft = true, bottomRight = true;
  for (int64_t i = 0; i < sq; ++i) {
    for (int64_t j = 0; j < sk; ++j) {
      double v = data[(mq == 1 ? 0 : i) * mk + (mk == 1 ? 0 : j)];
      bool masked;
      if (isKeepMask) {
        masked = v == 0.0;
      } else {
        if (v != 0.0 && !isMaskFill(v))
          return info; // a real additive bias, not a pure mask
        masked = v != 0.0;
      }
      anyMasked |= masked;
      topLeft &= masked == (j > i);
      bottomRight &= masked == (j > i + (sk - sq));
    }
  }
  if (!anyMasked) {
    info.pattern = ConstantMaskInfo::Pattern::KeepAll;
  } else if (topLeft || bottomRight) {
    info.pattern = ConstantMaskInfo::Pattern::Causal;
    info.causal = topLeft ? CausalKind::top_left : CausalKind::bottom_right;
  }
  return info;
}

//===----------------------------------------------------------------------===//
// The scale / mask chain
//===----------------------------------------------------------------------===//

SoftmaxChain mlir::attn::peelSoftmaxChain(Value input) {
  SoftmaxChain chain;
  Value v = input;
  bool scaled = false;
  while (Operation *def = v.getDefiningOp()) {
    ArrayRef<int64_t> shape = shapeOf(v);
    if (auto select = dyn_cast<SelectOp>(def)) {
      std::optional<double> fill = getScalarConstant(select.getFalseValue());
      Value scores = select.getTrueValue();
      if (scaled || !fill || !isMaskFill(*fill) ||
          shapeOf(scores) != shape ||
          !isBroadcastableTo(shapeOf(select.getCondition()),
                             shape))
        break;
      chain.keepMasks.push_back(select.getCondition());
      v = scores;
      continue;
    }
    if (auto add = dyn_cast<AddOp>(def)) {
      Value scores = add.getLhs(), mask = add.getRhs();
      if (!isScoreLike(scores) && isScoreLike(mask))
        std::swap(scores, mask);
      if (scaled || shapeOf(scores) != shape ||
          !isBroadcastableTo(shapeOf(mask), shape))
        break;
      chain.additiveMasks.push_back(mask);
      v = scores;
      continue;
    }
    if (auto mul = dyn_cast<MulOp>(def)) {
      std::optional<double> factor = getScalarConstant(mul.getRhs());
      if (!factor || shapeOf(mul.getLhs()) != shape)
        break;
      chain.scale *= *factor;
      scaled = true;
      v = mul.getLhs();
      continue;
    }
    break;
  }
  chain.scores = v;
  return chain;
}

//===----------------------------------------------------------------------===//
// The attention pattern
//===----------------------------------------------------------------------===//

Value mlir::attn::matchRepeatedHeads(Value value) {
  auto merge = value.getDefiningOp<ReshapeOp>();
  if (!merge)
    return nullptr;
  auto expand = merge.getInput().getDefiningOp<BroadcastToOp>();
  if (!expand)
    return nullptr;
  auto unsqueeze = expand.getInput().getDefiningOp<ReshapeOp>();
  if (!unsqueeze)
    return nullptr;
  Value base = unsqueeze.getInput();
  ArrayRef<int64_t> b = shapeOf(base);
  ArrayRef<int64_t> u = shapeOf(unsqueeze);
  ArrayRef<int64_t> e = shapeOf(expand);
  ArrayRef<int64_t> m = shapeOf(merge);
  if (b.size() != 4 || u.size() != 5 || e.size() != 5 || m.size() != 4)
    return nullptr;
  bool ok = u[0] == b[0] && u[1] == b[1] && u[2] == 1 && u[3] == b[2] &&
            u[4] == b[3] && e[0] == b[0] && e[1] == b[1] && e[3] == b[2] &&
            e[4] == b[3] && m[0] == b[0] && m[1] == b[1] * e[2] &&
            m[2] == b[2] && m[3] == b[3];
  return ok ? base : nullptr;
}

std::optional<std::string>
mlir::attn::matchAttention(MatmulOp valueMatmul, AttentionMatch &match) {
  auto softmax =
      valueMatmul.getLhs().getDefiningOp<ScaledMaskedSoftmaxOp>();
  if (!softmax)
    return "the P·V matmul's lhs is " + opName(valueMatmul.getLhs()) +
           ", not a softmax";
  if (valueMatmul.getTransposeLhs())
    return std::string("the P·V matmul reads the probabilities transposed");
  if (!softmax->hasOneUse())
    return llvm::formatv("its probabilities have {0} users (they are also "
                         "read elsewhere, e.g. returned as attention weights)",
                         std::distance(softmax->use_begin(),
                                       softmax->use_end()))
        .str();
  auto scores = softmax.getInput().getDefiningOp<MatmulOp>();
  if (!scores)
    return "its scores are " + opName(softmax.getInput()) +
           ", not a Q·Kᵀ matmul (a step between them was not recognised as "
           "a scalar scale or a mask)";
  if (scores.getTransposeLhs())
    return std::string("the Q·Kᵀ matmul reads Q transposed");
  if (!scores->hasOneUse())
    return std::string("the raw scores Q·Kᵀ have other users");
  match.scoresMatmul = scores;
  match.softmax = softmax;
  match.valueMatmul = valueMatmul;
  match.query = scores.getLhs();
  match.key = scores.getRhs();
  match.keyTransposed = scores.getTransposeRhs();
  match.value = valueMatmul.getRhs();
  match.valueTransposed = valueMatmul.getTransposeRhs();
  for (Value v : {match.query, match.key, match.value})
    if (static_cast<int64_t>(shapeOf(v).size()) > 4)
      return llvm::formatv("an operand has rank {0}; attention takes rank 2 "
                           "to 4 ([B, H, S, D])",
                           static_cast<int64_t>(shapeOf(v).size()))
          .str();
  return std::nullopt;
}

std::string mlir::attn::explainUnfusedSoftmax(Operation *op) {
  if (auto softmax = dyn_cast<SoftmaxOp>(op)) {
    int64_t rank = softmax.getType().cast<ShapedType>().getRank();
    if (softmax.getNormalizedAxis() != rank - 1)
      return llvm::formatv("softmax over axis {0}, not the last axis ({1}), "
                           "so it is not over the keys",
                           softmax.getAxis(), rank - 1)
          .str();
    return "softmax was not recognised as scale + mask + softmax";
  }
  if (isa<LogSoftmaxOp>(op))
    return "log_softmax is not an attention softmax";
  auto fused = dyn_cast<ScaledMaskedSoftmaxOp>(op);
  if (!fused)
    return "not a softmax";
  if (fused->use_empty())
    return "its result is unused";
  if (!fused->hasOneUse())
    return llvm::formatv("its probabilities have {0} users (they are also "
                         "read elsewhere, e.g. returned as attention weights)",
                         std::distance(fused->use_begin(), fused->use_end()))
        .str();
  OpOperand &use = *fused->use_begin();
  auto matmul = dyn_cast<MatmulOp>(use.getOwner());
  if (!matmul)
    return "its probabilities feed " +
           use.getOwner()->getName().getStringRef().str() +
           ", not a matmul with V";
  if (use.getOperandNumber() != 0)
    return std::string("its probabilities are the rhs of a matmul, not P·V");
  AttentionMatch match;
  if (std::optional<std::string> reason = matchAttention(matmul, match))
    return *reason;
  return "the pattern matched but the rewrite did not apply";
}
