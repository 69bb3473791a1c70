//===- TransformerAttention.cpp - attention as a model author writes it ---===//
//
// Q/K/V projections, head split by reshape + transpose, HF-style repeat_kv for
// grouped-query attention, scaled scores, causal and padding masks, softmax,
// the value product, head merge and the output projection. The forms of the
// scale, masks and Kᵀ follow the block's AttentionStyle.
//
//===----------------------------------------------------------------------===//

#include "frontends/builder/TransformerBuilder.h"

#include <cmath>
#include <limits>

using namespace mlir;
using namespace attnc;

Value TransformerBuilder::attention(Value xq, Value xkv,
                                    const AttentionMasks &masks,
                                    StringRef name) {
  GraphBuilder::Scope scope(graph, name);
  int64_t heads = block.heads, kvHeads = block.kvHeads;
  if (heads < 1 || kvHeads < 1 || heads % kvHeads != 0 ||
      block.dModel % heads != 0) {
    graph.emitError("", "heads (" + Twine(heads) + ") must divide d_model (" +
                            Twine(block.dModel) +
                            ") and be a multiple of "
                            "kv_heads (" +
                            Twine(kvHeads) + ")");
    return {};
  }
  int64_t d = headDim();
  Value q = splitHeads(linear(xq, heads * d, true, "q_proj"), heads, "q");
  Value k = splitHeads(linear(xkv, kvHeads * d, true, "k_proj"), kvHeads, "k");
  Value v = splitHeads(linear(xkv, kvHeads * d, true, "v_proj"), kvHeads, "v");
  if (heads != kvHeads) {
    k = repeatKv(k, heads / kvHeads, "k");
    v = repeatKv(v, heads / kvHeads, "v");
  }
  Value s = scores(q, k);
  s = applyMask(s, masks.causal, "causal");
  s = applyMask(s, masks.padding, "padding");
  Value p = graph.softmax(s, /*axis=*/-1);
  Value context = graph.matmul(p, v, /*transposeRhs=*/false, "context");
  return linear(mergeHeads(context), block.dModel, true, "out_proj");
}

/// [B, S, H·D] → [B, S, H, D] → [B, H, S, D].
Value TransformerBuilder::splitHeads(Value x, int64_t heads, StringRef prefix) {
  if (!x)
    return {};
  ArrayRef<int64_t> shape = GraphBuilder::shapeOf(x);
  if (shape.size() != 3) {
    graph.emitError((prefix + "_split").str(),
                    "attention inputs must be [B, S, d_model], got rank " +
                        Twine(shape.size()));
    return {};
  }
  Value split = graph.reshape(x, {shape[0], shape[1], heads, headDim()},
                              (prefix + "_split").str());
  return graph.transpose(split, {0, 2, 1, 3}, (prefix + "_heads").str());
}

/// HF Llama's repeat_kv: [B, Hkv, S, D] → [B, Hkv, 1, S, D] → broadcast
/// [B, Hkv, G, S, D] → [B, Hkv·G, S, D], so kv head h serves query heads
/// h·G ..< (h+1)·G.
Value TransformerBuilder::repeatKv(Value x, int64_t groups, StringRef prefix) {
  if (!x)
    return {};
  ArrayRef<int64_t> s = GraphBuilder::shapeOf(x);
  int64_t b = s[0], h = s[1], seq = s[2], d = s[3];
  Value expanded =
      graph.reshape(x, {b, h, 1, seq, d}, (prefix + "_expand").str());
  Value repeated = graph.broadcastTo(expanded, {b, h, groups, seq, d},
                                     (prefix + "_broadcast").str());
  return graph.reshape(repeated, {b, h * groups, seq, d},
                       (prefix + "_repeat").str());
}

/// [B, H, S, D] → [B, S, H, D] → [B, S, H·D].
Value TransformerBuilder::mergeHeads(Value x) {
  Value t = graph.transpose(x, {0, 2, 1, 3}, "merge_transpose");
  if (!t)
    return {};
  ArrayRef<int64_t> s = GraphBuilder::shapeOf(t);
  return graph.reshape(t, {s[0], s[1], s[2] * s[3]}, "merge_reshape");
}

/// Q·Kᵀ scaled by 1/sqrt(D) in the style's form.
Value TransformerBuilder::scores(Value q, Value k) {
  double root = std::sqrt(double(headDim()));
  const AttentionStyle &style = block.style;
  if (style.scale == ScaleKind::MulQuery)
    q = graph.mul(q, graph.scalar("scale", 1.0 / root, graph.f32()), "q_scale");
  Value s;
  if (style.kTranspose == KTransposeKind::Op) {
    Value kt = graph.transpose(k, {0, 1, 3, 2}, "k_transpose");
    s = graph.matmul(q, kt, /*transposeRhs=*/false, "scores");
  } else {
    s = graph.matmul(q, k, /*transposeRhs=*/true, "scores");
  }
  if (style.scale == ScaleKind::DivScores)
    return graph.div(s, graph.scalar("scale", root, graph.f32()), "scale_div");
  if (style.scale == ScaleKind::MulScores)
    return graph.mul(s, graph.scalar("scale", 1.0 / root, graph.f32()),
                     "scale_mul");
  return s;
}

/// select(keep, s, -inf) for an i1 mask, s + mask for an additive one.
Value TransformerBuilder::applyMask(Value scores, Value mask,
                                    StringRef prefix) {
  if (!mask)
    return scores;
  auto type = mask.getType().cast<RankedTensorType>();
  if (!type.getElementType().isInteger(1))
    return graph.add(scores, mask, (prefix + "_add").str());
  double ninf = -std::numeric_limits<double>::infinity();
  Value fill = graph.scalar((prefix + "_fill").str(), ninf, graph.f32());
  return graph.select(mask, scores, fill, (prefix + "_select").str());
}

Value TransformerBuilder::causalMask(int64_t s) {
  if (block.style.mask == MaskKind::Select)
    return graph.causalMask(s, s, attn::CausalKind::top_left);
  // An additive [S, S] buffer of 0 on and below the diagonal, -inf above.
  std::vector<float> values(s * s, 0.0f);
  for (int64_t i = 0; i < s; ++i)
    for (int64_t j = i + 1; j < s; ++j)
      values[i * s + j] = -std::numeric_limits<float>::infinity();
  return graph.constant("causal_mask", {s, s}, values);
}

Value TransformerBuilder::paddingMask(Value attentionMask) {
  GraphBuilder::Scope scope(graph, "padding_mask");
  if (!attentionMask)
    return {};
  ArrayRef<int64_t> shape = GraphBuilder::shapeOf(attentionMask);
  if (shape.size() != 2) {
    graph.emitError("reshape", "attention_mask must be [B, S], got rank " +
                                   Twine(shape.size()));
    return {};
  }
  SmallVector<int64_t> broadcastable = {shape[0], 1, 1, shape[1]};
  if (block.style.mask == MaskKind::Select) {
    Value zero = graph.scalar("zero", 0, graph.i64());
    Value keep = graph.compare(attentionMask, zero, attn::CompareKind::ne);
    return graph.reshape(keep, broadcastable);
  }
  // BERT's extended mask: (1 - m) · -10000, so padded keys get -10000.
  Value m =
      graph.reshape(graph.cast(attentionMask, graph.f32()), broadcastable);
  Value inverted = graph.sub(graph.scalar("one", 1.0, graph.f32()), m);
  return graph.mul(inverted, graph.scalar("fill", -10000.0, graph.f32()));
}
