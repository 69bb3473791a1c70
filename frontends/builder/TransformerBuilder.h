//===- TransformerBuilder.h - Transformer layers from primitives -*- C++
//-*-===//
//
// Layers the way a model author writes them in PyTorch, as unfused attn ops:
// Linear, LayerNorm, FFN, multi-head / grouped-query / cross attention with
// explicit head split, scaling, masking and softmax, embeddings, positional
// encodings and whole encoder / decoder blocks. Weights are named after the
// GraphBuilder's module path (`layers.0.self_attn.q_proj.weight`).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_BUILDER_TRANSFORMERBUILDER_H
#define ATTNC_FRONTENDS_BUILDER_TRANSFORMERBUILDER_H

#include "frontends/builder/GraphBuilder.h"
#include "frontends/builder/ModelConfig.h"

#include "llvm/ADT/STLFunctionalExtras.h"

namespace attnc {

/// Masks applied to attention scores, each already in the style's form: an
/// i1 keep-mask (applied with select) or an f32 additive mask. Null = none.
struct AttentionMasks {
  /// [Sq, Sk].
  mlir::Value causal;
  /// [B, 1, 1, Sk].
  mlir::Value padding;
};

/// Emits Transformer layers of one block shape through a GraphBuilder.
class TransformerBuilder {
public:
  TransformerBuilder(GraphBuilder &graph, const BlockConfig &block)
      : graph(graph), block(block) {}

  /// y = x·Wᵀ (+ b): weights `<name>.weight` [out, in], `<name>.bias` [out].
  mlir::Value linear(mlir::Value x, int64_t outFeatures, bool bias,
                     llvm::StringRef name);
  /// LayerNorm over d_model with `<name>.weight` and `<name>.bias`.
  mlir::Value layerNorm(mlir::Value x, llvm::StringRef name);
  /// fc1 → activation → fc2, under `<name>`.
  mlir::Value feedForward(mlir::Value x, llvm::StringRef name = "ffn");
  /// Multi-head attention of queries from `xq` [B, Sq, d] over keys and
  /// values from `xkv` [B, Sk, d] (the same value for self-attention).
  mlir::Value attention(mlir::Value xq, mlir::Value xkv,
                        const AttentionMasks &masks, llvm::StringRef name);

  /// The [s, s] causal mask in the style's form (top-left alignment).
  mlir::Value causalMask(int64_t s);
  /// The padding mask [B, 1, 1, S] in the style's form from an int64
  /// `attention_mask` [B, S] (1 keep, 0 pad).
  mlir::Value paddingMask(mlir::Value attentionMask);

  /// Rows of `embed.weight` [vocab, d] at `tokens`, times sqrt(d) if `scale`.
  mlir::Value tokenEmbedding(mlir::Value tokens, int64_t vocab, bool scale);
  /// x + the sinusoidal encoding of "Attention Is All You Need".
  mlir::Value addSinusoidalPositions(mlir::Value x);
  /// x + the first S rows of `pos_embed.weight` [maxPositions, d].
  mlir::Value addLearnedPositions(mlir::Value x, int64_t maxPositions);

  /// Self-attention then FFN, each in a residual (encoder, decoder-only).
  mlir::Value encoderBlock(mlir::Value x, const AttentionMasks &selfMasks);
  /// Self-attention, cross-attention over `memory`, then FFN.
  mlir::Value decoderBlock(mlir::Value x, mlir::Value memory,
                           const AttentionMasks &selfMasks,
                           const AttentionMasks &crossMasks);

private:
  /// x + f(norm(x)) for pre-norm, norm(x + f(x)) for post-norm.
  mlir::Value residual(mlir::Value x, llvm::StringRef normName,
                       llvm::StringRef sublayer,
                       llvm::function_ref<mlir::Value(mlir::Value)> body);
  mlir::Value splitHeads(mlir::Value x, int64_t heads, llvm::StringRef prefix);
  mlir::Value repeatKv(mlir::Value x, int64_t groups, llvm::StringRef prefix);
  mlir::Value mergeHeads(mlir::Value x);
  mlir::Value scores(mlir::Value q, mlir::Value k);
  mlir::Value applyMask(mlir::Value scores, mlir::Value mask,
                        llvm::StringRef prefix);
  int64_t headDim() const { return block.dModel / block.heads; }

  GraphBuilder &graph;
  BlockConfig block;
};

} // namespace attnc

#endif // ATTNC_FRONTENDS_BUILDER_TRANSFORMERBUILDER_H
