//===- ModelBuilder.cpp - whole Transformer models ------------------------===//
//
// Inputs first (so the signature order is fixed per kind), then embeddings,
// masks prepared once per model as HF models do, the block stacks, the final
// LayerNorm and the optional LM head.
//
//===----------------------------------------------------------------------===//

#include "frontends/builder/ModelBuilder.h"
#include "frontends/builder/TransformerBuilder.h"

#include "mlir/IR/Diagnostics.h"

#include <algorithm>

using namespace mlir;
using namespace attnc;

/// Every size, and every weight or table built from two of them, must fit
/// GraphBuilder's limit; bounding each size first keeps the products exact.
static bool sizesFit(const ModelConfig &c) {
  const int64_t limit = GraphBuilder::kMaxConstantElements;
  const BlockConfig &b = c.block;
  int64_t vocab = c.vocab.value_or(1), d = b.dModel;
  int64_t longest = std::max(c.seqLen, c.tgtSeqLen);
  for (int64_t size :
       {d, b.heads, b.kvHeads, b.ffn, c.encoderLayers, c.decoderLayers, vocab,
        c.maxPositions, c.batch, c.seqLen, c.tgtSeqLen, c.memorySeqLen})
    if (size > limit)
      return false;
  for (int64_t elements : {vocab * d, c.maxPositions * d, b.ffn * d, d * d,
                           longest * d, longest * longest})
    if (elements > limit)
      return false;
  return true;
}

LogicalResult attnc::verifyModelConfig(const ModelConfig &c, Location loc) {
  auto fail = [&](const Twine &message) {
    emitError(loc) << "model '" << c.name << "': " << message;
    return failure();
  };
  if (!sizesFit(c))
    return fail("a size, or a weight or table built from sizes, exceeds " +
                Twine(GraphBuilder::kMaxConstantElements) + " elements");
  const BlockConfig &b = c.block;
  if (b.dModel < 1 || b.heads < 1 || b.kvHeads < 1 || b.ffn < 1)
    return fail("d_model, heads, kv_heads and ffn must be >= 1");
  if (b.dModel % b.heads != 0)
    return fail("heads (" + Twine(b.heads) + ") must divide d_model (" +
                Twine(b.dModel) + ")");
  if (b.heads % b.kvHeads != 0)
    return fail("kv_heads (" + Twine(b.kvHeads) + ") must divide heads (" +
                Twine(b.heads) + ")");
  bool hasEncoder =
      c.kind == ModelKind::Encoder || c.kind == ModelKind::EncoderDecoder;
  bool hasDecoder = c.kind != ModelKind::Encoder;
  if ((hasEncoder && c.encoderLayers < 1) ||
      (hasDecoder && c.decoderLayers < 1))
    return fail("every stack needs at least one layer");
  if (c.batch < 1 || c.seqLen < 1)
    return fail("batch and seq_len must be >= 1");
  if (c.kind == ModelKind::EncoderDecoder && c.tgtSeqLen < 1)
    return fail("tgt_seq_len must be >= 1");
  if (c.kind == ModelKind::Decoder && c.memorySeqLen < 1)
    return fail("memory_seq_len must be >= 1");
  if (c.vocab && *c.vocab < 1)
    return fail("vocab must be >= 1");
  if (c.lmHead && !c.vocab)
    return fail("an LM head needs a vocab");
  int64_t longest = std::max(c.seqLen, c.tgtSeqLen);
  if (c.positional == PositionalKind::Learned && c.maxPositions < longest)
    return fail("max_positions (" + Twine(c.maxPositions) +
                ") must cover the longest sequence (" + Twine(longest) + ")");
  if (!(b.eps >= 0))
    return fail("eps must be >= 0");
  return success();
}

namespace {

/// The sequence input: token ids [B, S] or float embeddings [B, S, d].
Value sequenceInput(GraphBuilder &graph, const ModelConfig &c, StringRef prefix,
                    int64_t seq) {
  if (c.vocab)
    return graph.input((prefix + "tokens").str(), {c.batch, seq}, graph.i64());
  return graph.input((prefix + "embeddings").str(),
                     {c.batch, seq, c.block.dModel}, graph.f32());
}

Value embed(TransformerBuilder &t, const ModelConfig &c, Value input) {
  Value x = c.vocab ? t.tokenEmbedding(input, *c.vocab, c.embedScale) : input;
  switch (c.positional) {
  case PositionalKind::Sinusoidal:
    return t.addSinusoidalPositions(x);
  case PositionalKind::Learned:
    return t.addLearnedPositions(x, c.maxPositions);
  case PositionalKind::None:
    return x;
  }
  return x;
}

/// `layers` blocks under `layers.<i>`, then the final LayerNorm: decoder
/// blocks attending to `memory` when `cross`, encoder blocks otherwise.
Value stack(GraphBuilder &graph, TransformerBuilder &t, const ModelConfig &c,
            Value x, int64_t layers, bool cross, Value memory,
            const AttentionMasks &selfMasks, const AttentionMasks &crossMasks) {
  for (int64_t i = 0; i < layers; ++i) {
    GraphBuilder::Scope scope(graph, ("layers." + Twine(i)).str());
    x = cross ? t.decoderBlock(x, memory, selfMasks, crossMasks)
              : t.encoderBlock(x, selfMasks);
  }
  return c.finalNorm ? t.layerNorm(x, "norm") : x;
}

/// Encoder, decoder and decoder-only: one stack over one sequence.
Value buildSingleStack(GraphBuilder &graph, TransformerBuilder &t,
                       const ModelConfig &c) {
  Value tokens = sequenceInput(graph, c, "", c.seqLen);
  Value memory;
  if (c.kind == ModelKind::Decoder)
    memory = graph.input("memory", {c.batch, c.memorySeqLen, c.block.dModel},
                         graph.f32());
  AttentionMasks self;
  if (c.paddingMask)
    self.padding = t.paddingMask(
        graph.input("attention_mask", {c.batch, c.seqLen}, graph.i64()));
  if (c.causal)
    self.causal = t.causalMask(c.seqLen);
  Value x = embed(t, c, tokens);
  int64_t layers =
      c.kind == ModelKind::Encoder ? c.encoderLayers : c.decoderLayers;
  bool cross = c.kind == ModelKind::Decoder;
  return stack(graph, t, c, x, layers, cross, memory, self, AttentionMasks());
}

/// Encoder stack over src, decoder stack over tgt attending to its output;
/// the padding mask hides src keys in both.
Value buildEncoderDecoder(GraphBuilder &graph, TransformerBuilder &t,
                          const ModelConfig &c) {
  Value src = sequenceInput(graph, c, "src_", c.seqLen);
  Value tgt = sequenceInput(graph, c, "tgt_", c.tgtSeqLen);
  Value attentionMask;
  if (c.paddingMask)
    attentionMask =
        graph.input("attention_mask", {c.batch, c.seqLen}, graph.i64());
  AttentionMasks encoderMasks, crossMasks, decoderMasks;
  Value memory;
  {
    GraphBuilder::Scope scope(graph, "encoder");
    if (attentionMask)
      encoderMasks.padding = crossMasks.padding = t.paddingMask(attentionMask);
    memory = stack(graph, t, c, embed(t, c, src), c.encoderLayers,
                   /*cross=*/false, Value(), encoderMasks, AttentionMasks());
  }
  GraphBuilder::Scope scope(graph, "decoder");
  if (c.causal)
    decoderMasks.causal = t.causalMask(c.tgtSeqLen);
  return stack(graph, t, c, embed(t, c, tgt), c.decoderLayers,
               /*cross=*/true, memory, decoderMasks, crossMasks);
}

} // namespace

OwningOpRef<ModuleOp> attnc::buildTransformerModel(const ModelConfig &c,
                                                   WeightSource &weights,
                                                   MLIRContext &context) {
  Location loc = NameLoc::get(StringAttr::get(&context, c.name));
  if (failed(verifyModelConfig(c, loc)))
    return nullptr;
  GraphBuilder graph(context, c.name, &weights);
  TransformerBuilder t(graph, c.block);
  Value x = c.kind == ModelKind::EncoderDecoder
                ? buildEncoderDecoder(graph, t, c)
                : buildSingleStack(graph, t, c);
  if (c.lmHead)
    graph.output("logits", t.linear(x, *c.vocab, /*bias=*/false, "lm_head"));
  else
    graph.output("hidden", x);
  return graph.finish();
}
