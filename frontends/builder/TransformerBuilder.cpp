//===- TransformerBuilder.cpp - layers, embeddings and blocks -------------===//
//
// Linear, LayerNorm, FFN, embeddings, positional encodings and the residual
// wiring of encoder and decoder blocks. Attention itself, with its masks, is
// in TransformerAttention.cpp.
//
//===----------------------------------------------------------------------===//

#include "frontends/builder/TransformerBuilder.h"

#include "ir/ShapeUtils.h"

#include <cmath>

using namespace mlir;
using namespace attnc;

Value TransformerBuilder::linear(Value x, int64_t outFeatures, bool bias,
                                 StringRef name) {
  GraphBuilder::Scope scope(graph, name);
  if (!x)
    return {};
  ArrayRef<int64_t> shape = GraphBuilder::shapeOf(x);
  if (shape.empty()) {
    graph.emitError("matmul", "a linear layer needs an input of rank >= 1");
    return {};
  }
  Value w = graph.weight("weight", {outFeatures, shape.back()},
                         WeightRoleKind::Matrix);
  Value y = graph.matmul(x, w, /*transposeRhs=*/true);
  if (!bias)
    return y;
  Value b = graph.weight("bias", {outFeatures}, WeightRoleKind::Bias);
  return graph.add(y, b, "bias_add");
}

Value TransformerBuilder::layerNorm(Value x, StringRef name) {
  GraphBuilder::Scope scope(graph, name);
  Value scale =
      graph.weight("weight", {block.dModel}, WeightRoleKind::NormScale);
  Value bias = graph.weight("bias", {block.dModel}, WeightRoleKind::NormBias);
  return graph.layerNorm(x, scale, bias, block.eps);
}

Value TransformerBuilder::feedForward(Value x, StringRef name) {
  GraphBuilder::Scope scope(graph, name);
  Value h = linear(x, block.ffn, /*bias=*/true, "fc1");
  switch (block.activation) {
  case ActivationKind::Relu:
    h = graph.relu(h);
    break;
  case ActivationKind::Gelu:
    h = graph.gelu(h, attn::GeluKind::erf);
    break;
  case ActivationKind::GeluTanh:
    h = graph.gelu(h, attn::GeluKind::tanh);
    break;
  }
  return linear(h, block.dModel, /*bias=*/true, "fc2");
}

Value TransformerBuilder::tokenEmbedding(Value tokens, int64_t vocab,
                                         bool scale) {
  GraphBuilder::Scope scope(graph, "embed");
  Value table =
      graph.weight("weight", {vocab, block.dModel}, WeightRoleKind::Embedding);
  Value x = graph.gather(table, tokens);
  if (!scale)
    return x;
  Value factor =
      graph.scalar("scale", std::sqrt(double(block.dModel)), graph.f32());
  return graph.mul(x, factor, "scale_mul");
}

/// The S of an [B, S, d] activation, or 0 after reporting a wrong rank.
static int64_t sequenceLength(GraphBuilder &graph, Value x, StringRef leaf) {
  if (!x)
    return 0;
  ArrayRef<int64_t> shape = GraphBuilder::shapeOf(x);
  if (shape.size() != 3) {
    graph.emitError(leaf, "positions are added to [B, S, d_model], got " +
                              attn::formatShape(shape));
    return 0;
  }
  return shape[1];
}

Value TransformerBuilder::addSinusoidalPositions(Value x) {
  int64_t seq = sequenceLength(graph, x, "pos_add"), d = block.dModel;
  if (seq == 0)
    return {};
  // pe[pos, 2i] = sin(pos / 10000^(2i/d)), pe[pos, 2i+1] = cos(same angle).
  std::vector<float> pe(seq * d);
  for (int64_t pos = 0; pos < seq; ++pos) {
    for (int64_t j = 0; j < d; ++j) {
      double angle = double(pos) / std::pow(10000.0, double(j - j % 2) / d);
      pe[pos * d + j] = float(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  }
  Value table = graph.constant("pos_encoding", {seq, d}, pe);
  return graph.add(x, table, "pos_add");
}

Value TransformerBuilder::addLearnedPositions(Value x, int64_t maxPositions) {
  GraphBuilder::Scope scope(graph, "pos_embed");
  int64_t seq = sequenceLength(graph, x, "add"), d = block.dModel;
  if (seq == 0)
    return {};
  Value table =
      graph.weight("weight", {maxPositions, d}, WeightRoleKind::Embedding);
  Value positions = graph.slice(table, {0, 0}, {seq, d});
  return graph.add(x, positions);
}

Value TransformerBuilder::residual(Value x, StringRef normName,
                                   StringRef sublayer,
                                   function_ref<Value(Value)> body) {
  auto addResidual = [&](Value a, Value b) {
    GraphBuilder::Scope scope(graph, sublayer);
    return graph.add(a, b, "residual");
  };
  if (block.norm == NormKind::Pre)
    return addResidual(x, body(layerNorm(x, normName)));
  return layerNorm(addResidual(x, body(x)), normName);
}

Value TransformerBuilder::encoderBlock(Value x,
                                       const AttentionMasks &selfMasks) {
  x = residual(x, "norm1", "self_attn", [&](Value h) {
    return attention(h, h, selfMasks, "self_attn");
  });
  return residual(x, "norm2", "ffn", [&](Value h) { return feedForward(h); });
}

Value TransformerBuilder::decoderBlock(Value x, Value memory,
                                       const AttentionMasks &selfMasks,
                                       const AttentionMasks &crossMasks) {
  x = residual(x, "norm1", "self_attn", [&](Value h) {
    return attention(h, h, selfMasks, "self_attn");
  });
  x = residual(x, "norm2", "cross_attn", [&](Value h) {
    return attention(h, memory, crossMasks, "cross_attn");
  });
  return residual(x, "norm3", "ffn", [&](Value h) { return feedForward(h); });
}
