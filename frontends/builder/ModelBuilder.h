//===- ModelBuilder.h - whole Transformer models ---------------*- C++ -*-===//
//
// Composes TransformerBuilder blocks into the four model kinds (encoder,
// decoder with cross-attention, decoder-only, encoder-decoder) with their
// named inputs and outputs, as the rest of attnc expects them.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_BUILDER_MODELBUILDER_H
#define ATTNC_FRONTENDS_BUILDER_MODELBUILDER_H

#include "frontends/builder/ModelConfig.h"
#include "frontends/builder/WeightSource.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

namespace attnc {

/// Checks what buildTransformerModel relies on (positive sizes, heads
/// dividing d_model, kv_heads dividing heads, positions covering the
/// sequences, an LM head only with a vocabulary); reports the first problem
/// at `loc`.
mlir::LogicalResult verifyModelConfig(const ModelConfig &config,
                                      mlir::Location loc);

/// Builds `config` into a module whose `@forward` reads `tokens` (or
/// `embeddings`; `src_`/`tgt_` prefixed for encoder-decoder), `memory` for a
/// decoder and `attention_mask` with a padding mask, and returns `logits`
/// with an LM head, `hidden` otherwise. Returns null after emitting
/// diagnostics.
mlir::OwningOpRef<mlir::ModuleOp>
buildTransformerModel(const ModelConfig &config, WeightSource &weights,
                      mlir::MLIRContext &context);

} // namespace attnc

#endif // ATTNC_FRONTENDS_BUILDER_MODELBUILDER_H
