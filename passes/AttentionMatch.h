//===- AttentionMatch.h - matchers shared by the attention passes -*- C++ -*-===//
//
// Recognisers the canonicalisation, fusion and report passes share: scalar
// constants, large-negative fills, constant masks with a causal pattern, the
// scale/mask chain in front of a softmax, and the whole attention pattern
// (with a reason when it does not match, for --report-fusion).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_PASSES_ATTENTIONMATCH_H
#define ATTNC_PASSES_ATTENTIONMATCH_H

#include "ir/AttnOps.h"
#include "oracle/Interpreter.h"

#include <optional>
#include <string>

namespace mlir::attn {

/// The static shape of a ranked tensor value.
inline ArrayRef<int64_t> shapeOf(Value value) {
  return value.getType().cast<RankedTensorType>().getShape();
}

/// The element type of a ranked tensor value.
inline Type elementTypeOf(Value value) {
  return value.getType().cast<RankedTensorType>().getElementType();
}

/// The value of a constant with one distinct element (a splat or a
/// one-element tensor, possibly through reshape / broadcast_to).
std::optional<double> getScalarConstant(Value value);

/// True for -inf and for the finite "large negative" fills models use in
/// place of it (-1e4, -1e9, float32 lowest): anything <= -1e4.
bool isMaskFill(double value);

/// True when `value` is a scalar constant equal to -inf: the one fill for
/// which adding a mask and selecting it give the same scores.
bool isNegativeInfinity(Value value);

/// True when reshaping `from` to `to` only regroups leading (batch) dims:
/// both have more than `kept` dims and the last `kept` are the same, so every
/// trailing block moves whole ([B·H, S, D] <-> [B, H, S, D] for kept = 2).
bool regroupsLeadingDims(ArrayRef<int64_t> from, ArrayRef<int64_t> to,
                         unsigned kept);

/// True when `value` is computed from a matmul through at most a few
/// elementwise steps on its first operand (scores, not a mask).
bool isScoreLike(Value value);

/// The value of `value` when it is computed from constants alone by a few
/// attn ops (a mask built from attn.causal_mask, say), via the interpreter.
std::optional<attnc::OracleTensor> evaluateConstantSubgraph(Value value);

/// What a compile-time constant mask does to [.., Sq, Sk] scores.
struct ConstantMaskInfo {
  enum class Pattern { KeepAll, Causal, Other };
  Pattern pattern = Pattern::Other;
  CausalKind causal = CausalKind::none;
};

/// Classifies `mask` when it is a constant: a keep-mask (i1, true = keep)
/// when `isKeepMask`, else an additive mask (0 = keep, -inf or <= -1e4 =
/// masked). Causal means it hides exactly the keys that top_left or
/// bottom_right alignment hides for scores of shape `scoreShape`, the same
/// for every leading index: leading dims of 1, or (`repeatedBlocks`) any
/// leading dims holding one [.., Sq, Sk] block repeated. Returns nullopt
/// when `mask` is not a constant.
std::optional<ConstantMaskInfo>
classifyConstantMask(Value mask, ArrayRef<int64_t> scoreShape, bool isKeepMask,
                     bool repeatedBlocks = false);

/// The scale / mask chain in front of a softmax, peeled from the outside in:
/// `select(keep, s, fill)`, `add(s, mask)` and `mul(s, scalar)`.
struct SoftmaxChain {
  Value scores;
  double scale = 1.0;
  SmallVector<Value> keepMasks;
  SmallVector<Value> additiveMasks;
};

/// Peels `select` / `add` / `mul` steps off `input` as long as they are a
/// mask or a scalar scale applied to the scores.
SoftmaxChain peelSoftmaxChain(Value input);

/// The operands of a matched attention, before rank normalisation.
struct AttentionMatch {
  MatmulOp scoresMatmul;           ///< Q · Kᵀ
  ScaledMaskedSoftmaxOp softmax;   ///< the probabilities
  MatmulOp valueMatmul;            ///< P · V
  Value query, key, value;         ///< as the matmuls read them
  bool keyTransposed = false;      ///< key is [.., Sk, D] (transpose_rhs)
  bool valueTransposed = false;    ///< value is [.., Dv, Sk]
};

/// Matches `matmul(scaled_masked_softmax(matmul(Q, K)), V)` rooted at the
/// P·V matmul. Returns the reason when it does not match.
std::optional<std::string> matchAttention(MatmulOp valueMatmul,
                                          AttentionMatch &match);

/// Why a softmax or scaled_masked_softmax left in the IR was not fused into
/// an attn.attention.
std::string explainUnfusedSoftmax(Operation *softmax);

/// If `value` is K/V heads repeated for grouped-query attention the way
/// `repeat_kv` writes it (reshape [B,Hkv,S,D] -> [B,Hkv,1,S,D],
/// broadcast_to [B,Hkv,G,S,D], reshape [B,Hkv·G,S,D]), the unrepeated
/// [B,Hkv,S,D] value; else null.
Value matchRepeatedHeads(Value value);

} // namespace mlir::attn

#endif // ATTNC_PASSES_ATTENTIONMATCH_H
