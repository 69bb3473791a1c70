//===- ModelConfig.h - what a Transformer model is made of -----*- C++ -*-===//
//
// Plain structs describing a Transformer: the block shape (widths, heads,
// norm placement, activation), the attention forms a model author may write
// (how scores are scaled and masked, how K is transposed) and the model kind.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_BUILDER_MODELCONFIG_H
#define ATTNC_FRONTENDS_BUILDER_MODELCONFIG_H

#include <cstdint>
#include <optional>
#include <string>

namespace attnc {

/// How the blocks compose into a model.
enum class ModelKind { Encoder, Decoder, DecoderOnly, EncoderDecoder };
/// Where the positions come from.
enum class PositionalKind { Sinusoidal, Learned, None };
/// LayerNorm before the sublayer (inside the residual) or after the add.
enum class NormKind { Pre, Post };
/// The FFN nonlinearity.
enum class ActivationKind { Relu, Gelu, GeluTanh };
/// How 1/sqrt(D) enters the scores: `div(s, sqrt(D))`, `mul(s, 1/sqrt(D))`
/// or `mul(Q, 1/sqrt(D))` before the score matmul.
enum class ScaleKind { DivScores, MulScores, MulQuery };
/// Masks as `select(keep, s, -inf)` or as an added 0/-inf (or BERT-style
/// -10000) tensor.
enum class MaskKind { Select, Additive };
/// Kᵀ as the matmul's `transpose_rhs` flag or as an explicit attn.transpose.
enum class KTransposeKind { Flag, Op };

/// The forms of one attention layer; they change the IR, not the numbers
/// (up to rounding), and exist to exercise the fusion passes.
struct AttentionStyle {
  ScaleKind scale = ScaleKind::DivScores;
  MaskKind mask = MaskKind::Select;
  KTransposeKind kTranspose = KTransposeKind::Flag;
};

/// The shape of one Transformer block.
struct BlockConfig {
  int64_t dModel = 0;
  int64_t heads = 0;
  /// Key/value heads; fewer than `heads` is grouped-query attention.
  int64_t kvHeads = 0;
  int64_t ffn = 0;
  NormKind norm = NormKind::Pre;
  ActivationKind activation = ActivationKind::Gelu;
  double eps = 1e-5;
  AttentionStyle style;
};

/// A whole model: block shape, stacks, inputs and heads.
struct ModelConfig {
  std::string name = "model";
  ModelKind kind = ModelKind::DecoderOnly;
  BlockConfig block;
  /// Layers of the encoder stack (encoder, encoder-decoder).
  int64_t encoderLayers = 0;
  /// Layers of the decoder stack (decoder, decoder-only, encoder-decoder).
  int64_t decoderLayers = 0;
  /// Token vocabulary; absent means the model reads float embeddings.
  std::optional<int64_t> vocab;
  int64_t maxPositions = 0;
  PositionalKind positional = PositionalKind::Sinusoidal;
  int64_t batch = 1;
  /// Tokens of the (first) input sequence: the encoder's for encoder-decoder.
  int64_t seqLen = 0;
  /// Decoder tokens of an encoder-decoder model.
  int64_t tgtSeqLen = 0;
  /// Length of the `memory` input of a decoder model.
  int64_t memorySeqLen = 0;
  /// Causal self-attention in the decoder stack (or in an encoder).
  bool causal = true;
  /// Adds the int64 `attention_mask` [B, S] input (1 keep, 0 pad).
  bool paddingMask = false;
  bool lmHead = false;
  /// A LayerNorm after the last block.
  bool finalNorm = true;
  /// Multiplies token embeddings by sqrt(d_model).
  bool embedScale = true;
};

} // namespace attnc

#endif // ATTNC_FRONTENDS_BUILDER_MODELCONFIG_H
