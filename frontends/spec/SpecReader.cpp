//===- SpecReader.cpp - JSON document → ModelSpec -------------------------===//
//
// Reads the spec in four groups (model shape, sequences, options, attention
// style) and then the weights object. Defaults that depend on the kind are
// filled here, in one place, and documented in docs/model-spec.md.
//
//===----------------------------------------------------------------------===//

#include "frontends/spec/SpecReader.h"

#include "frontends/builder/GraphBuilder.h"
#include "frontends/builder/ModelBuilder.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/Path.h"

#include <cmath>

using namespace mlir;
using namespace attnc;
using json = nlohmann::json;

namespace {

const StringRef kRootKeys[] = {
    "name",        "description",    "kind",
    "layers",      "encoder_layers", "decoder_layers",
    "d_model",     "heads",          "kv_heads",
    "ffn",         "vocab",          "max_positions",
    "positional",  "batch",          "seq_len",
    "tgt_seq_len", "memory_seq_len", "causal",
    "norm",        "final_norm",     "activation",
    "eps",         "padding_mask",   "lm_head",
    "embed_scale", "scale_style",    "mask_style",
    "k_transpose", "weights"};
const StringRef kWeightsKeys[] = {"seed", "std", "file"};

/// The largest size a spec may give; products of sizes are checked by
/// verifyModelConfig.
constexpr int64_t kMaxSize = GraphBuilder::kMaxConstantElements;

// Choice lists are in the order of the enums they map to.
const StringRef kKinds[] = {"encoder", "decoder", "decoder-only",
                            "encoder-decoder"};
const StringRef kPositionals[] = {"sinusoidal", "learned", "none"};
const StringRef kNorms[] = {"pre", "post"};
const StringRef kActivations[] = {"relu", "gelu", "gelu_tanh"};
const StringRef kScaleStyles[] = {"div_scores", "mul_scores", "mul_query"};
const StringRef kMaskStyles[] = {"select", "additive"};
const StringRef kKTransposes[] = {"flag", "op"};

/// "weights.seed" for "/weights/seed".
std::string displayKey(StringRef pointer) {
  std::string key = pointer.empty() ? "" : pointer.drop_front().str();
  std::replace(key.begin(), key.end(), '/', '.');
  return key;
}

/// "string \"128\"": the type and a short rendering of a JSON value.
std::string describe(const json &value) {
  std::string text = value.dump();
  if (text.size() > 40)
    text = text.substr(0, 37) + "...";
  return std::string(value.type_name()) + " " + text;
}

} // namespace

LogicalResult SpecReader::fail(StringRef pointer, const Twine &message) {
  emitError(doc.valueLoc(pointer)) << message;
  return failure();
}

const json *SpecReader::find(StringRef pointer) const {
  const json *node = &doc.root();
  if (pointer.empty())
    return node;
  SmallVector<StringRef> parts;
  pointer.drop_front().split(parts, '/');
  for (StringRef part : parts) {
    if (!node->is_object())
      return nullptr;
    auto it = node->find(part.str());
    if (it == node->end())
      return nullptr;
    node = &*it;
  }
  return node;
}

LogicalResult SpecReader::checkKeys(StringRef pointer,
                                    ArrayRef<StringRef> allowed) {
  for (auto &item : find(pointer)->items()) {
    StringRef key = item.key();
    if (llvm::is_contained(allowed, key))
      continue;
    std::string where =
        pointer.empty() ? "the model spec" : "'" + displayKey(pointer) + "'";
    InFlightDiagnostic diag =
        emitError(doc.keyLoc(JsonDocument::childPointer(pointer, key)))
        << "unknown key '" << key << "' in " << where;
    unsigned best = 3;
    StringRef suggestion;
    for (StringRef candidate : allowed) {
      unsigned d = key.edit_distance(candidate, true, best);
      if (d < best) {
        best = d;
        suggestion = candidate;
      }
    }
    if (!suggestion.empty())
      diag << "; did you mean '" << suggestion << "'?";
    diag << " (allowed keys: " << llvm::join(allowed, ", ") << ")";
    return failure();
  }
  return success();
}

LogicalResult SpecReader::readInt(StringRef pointer,
                                  std::optional<int64_t> &out) {
  const json *v = find(pointer);
  if (!v)
    return success();
  if (v->is_number_unsigned()) {
    auto u = v->get<json::number_unsigned_t>();
    if (u > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
      return fail(pointer, "'" + displayKey(pointer) + "' is too large");
    out = static_cast<int64_t>(u);
    return success();
  }
  if (v->is_number_integer()) {
    out = v->get<int64_t>();
    return success();
  }
  return fail(pointer, "'" + displayKey(pointer) +
                           "' must be an integer, got " + describe(*v));
}

LogicalResult SpecReader::readNumber(StringRef pointer,
                                     std::optional<double> &out) {
  const json *v = find(pointer);
  if (!v)
    return success();
  if (!v->is_number())
    return fail(pointer, "'" + displayKey(pointer) +
                             "' must be a number, got " + describe(*v));
  out = v->get<double>();
  return success();
}

LogicalResult SpecReader::readBool(StringRef pointer,
                                   std::optional<bool> &out) {
  const json *v = find(pointer);
  if (!v)
    return success();
  if (!v->is_boolean())
    return fail(pointer, "'" + displayKey(pointer) +
                             "' must be true or false, got " + describe(*v));
  out = v->get<bool>();
  return success();
}

LogicalResult SpecReader::readString(StringRef pointer,
                                     std::optional<std::string> &out) {
  const json *v = find(pointer);
  if (!v)
    return success();
  if (!v->is_string() || v->get_ref<const std::string &>().empty())
    return fail(pointer, "'" + displayKey(pointer) +
                             "' must be a non-empty string, got " +
                             describe(*v));
  out = v->get<std::string>();
  return success();
}

LogicalResult SpecReader::readChoice(StringRef pointer,
                                     ArrayRef<StringRef> choices,
                                     std::optional<unsigned> &out) {
  std::optional<std::string> text;
  if (failed(readString(pointer, text)))
    return failure();
  if (!text)
    return success();
  const StringRef *it = llvm::find(choices, *text);
  if (it == choices.end())
    return fail(pointer, "unknown " + displayKey(pointer) + " '" + *text +
                             "' (expected " + llvm::join(choices, ", ") + ")");
  out = it - choices.begin();
  return success();
}

LogicalResult SpecReader::require(StringRef pointer, bool present) {
  if (present)
    return success();
  return fail("", "missing required key '" + displayKey(pointer) + "'");
}

LogicalResult SpecReader::inRange(StringRef pointer,
                                  const std::optional<int64_t> &value,
                                  int64_t minimum) {
  if (!value || (*value >= minimum && *value <= kMaxSize))
    return success();
  if (*value > kMaxSize)
    return fail(pointer, "'" + displayKey(pointer) + "' is " + Twine(*value) +
                             ", more than attnc supports (" + Twine(kMaxSize) +
                             ")");
  return fail(pointer, "'" + displayKey(pointer) + "' must be >= " +
                           Twine(minimum) + ", got " + Twine(*value));
}

FailureOr<ModelSpec> SpecReader::read() {
  if (!doc.root().is_object()) {
    (void)fail("", "a model spec must be a JSON object, got " +
                       describe(doc.root()));
    return failure();
  }
  ModelSpec spec;
  if (failed(checkKeys("", kRootKeys)) || failed(readShape(spec)) ||
      failed(readSequences(spec)) || failed(readOptions(spec)) ||
      failed(readStyle(spec)) || failed(readWeights(spec)) ||
      failed(verifyModelConfig(spec.model, doc.valueLoc(""))))
    return failure();
  return spec;
}

LogicalResult SpecReader::readShape(ModelSpec &spec) {
  std::optional<std::string> name;
  std::optional<unsigned> kind;
  std::optional<int64_t> layers, encoderLayers, decoderLayers, dModel, heads,
      kvHeads, ffn, vocab;
  if (failed(readString("/name", name)) ||
      failed(readChoice("/kind", kKinds, kind)) ||
      failed(require("/kind", kind.has_value())) ||
      failed(readInt("/layers", layers)) ||
      failed(readInt("/encoder_layers", encoderLayers)) ||
      failed(readInt("/decoder_layers", decoderLayers)) ||
      failed(readInt("/d_model", dModel)) || failed(readInt("/heads", heads)) ||
      failed(readInt("/kv_heads", kvHeads)) || failed(readInt("/ffn", ffn)) ||
      failed(readInt("/vocab", vocab)))
    return failure();
  ModelConfig &m = spec.model;
  m.name = name ? *name : llvm::sys::path::stem(specPath).str();
  m.kind = static_cast<ModelKind>(*kind);
  if (m.kind != ModelKind::EncoderDecoder && (encoderLayers || decoderLayers))
    return fail(encoderLayers ? "/encoder_layers" : "/decoder_layers",
                "'encoder_layers' and 'decoder_layers' only apply to kind "
                "encoder-decoder");
  if (failed(require("/layers", layers || (encoderLayers && decoderLayers))) ||
      failed(inRange("/layers", layers, 1)) ||
      failed(inRange("/encoder_layers", encoderLayers, 1)) ||
      failed(inRange("/decoder_layers", decoderLayers, 1)) ||
      failed(require("/d_model", dModel.has_value())) ||
      failed(require("/heads", heads.has_value())) ||
      failed(inRange("/d_model", dModel, 1)) ||
      failed(inRange("/heads", heads, 1)) ||
      failed(inRange("/kv_heads", kvHeads, 1)) ||
      failed(inRange("/ffn", ffn, 1)) || failed(inRange("/vocab", vocab, 1)))
    return failure();
  m.encoderLayers = encoderLayers.value_or(layers.value_or(0));
  m.decoderLayers = decoderLayers.value_or(layers.value_or(0));
  if (*dModel % *heads != 0)
    return fail("/heads", "heads (" + Twine(*heads) +
                              ") must divide d_model (" + Twine(*dModel) + ")");
  BlockConfig &b = m.block;
  b.dModel = *dModel;
  b.heads = *heads;
  b.kvHeads = kvHeads.value_or(*heads);
  if (b.heads % b.kvHeads != 0)
    return fail("/kv_heads", "kv_heads (" + Twine(b.kvHeads) +
                                 ") must divide heads (" + Twine(b.heads) +
                                 ")");
  b.ffn = ffn.value_or(4 * b.dModel);
  m.vocab = vocab;
  return success();
}

LogicalResult SpecReader::readSequences(ModelSpec &spec) {
  ModelConfig &m = spec.model;
  std::optional<int64_t> batch, seqLen, tgtSeqLen, memorySeqLen, maxPositions;
  std::optional<unsigned> positional;
  if (failed(readInt("/batch", batch)) || failed(readInt("/seq_len", seqLen)) ||
      failed(readInt("/tgt_seq_len", tgtSeqLen)) ||
      failed(readInt("/memory_seq_len", memorySeqLen)) ||
      failed(readInt("/max_positions", maxPositions)) ||
      failed(readChoice("/positional", kPositionals, positional)) ||
      failed(require("/seq_len", seqLen.has_value())) ||
      failed(inRange("/batch", batch, 1)) ||
      failed(inRange("/seq_len", seqLen, 1)) ||
      failed(inRange("/tgt_seq_len", tgtSeqLen, 1)) ||
      failed(inRange("/memory_seq_len", memorySeqLen, 1)) ||
      failed(inRange("/max_positions", maxPositions, 1)))
    return failure();
  if (tgtSeqLen && m.kind != ModelKind::EncoderDecoder)
    return fail("/tgt_seq_len", "'tgt_seq_len' only applies to kind "
                                "encoder-decoder");
  if (memorySeqLen && m.kind != ModelKind::Decoder)
    return fail("/memory_seq_len", "'memory_seq_len' only applies to kind "
                                   "decoder");
  m.batch = batch.value_or(1);
  m.seqLen = *seqLen;
  m.tgtSeqLen =
      m.kind == ModelKind::EncoderDecoder ? tgtSeqLen.value_or(m.seqLen) : 0;
  m.memorySeqLen =
      m.kind == ModelKind::Decoder ? memorySeqLen.value_or(m.seqLen) : 0;
  m.positional = positional ? static_cast<PositionalKind>(*positional)
                 : m.kind == ModelKind::DecoderOnly
                     ? PositionalKind::Learned
                     : PositionalKind::Sinusoidal;
  int64_t longest = std::max(m.seqLen, m.tgtSeqLen);
  m.maxPositions = maxPositions.value_or(longest);
  if (m.positional == PositionalKind::Learned && m.maxPositions < longest)
    return fail("/max_positions", "max_positions (" + Twine(m.maxPositions) +
                                      ") must cover the longest sequence (" +
                                      Twine(longest) + ")");
  return success();
}

LogicalResult SpecReader::readOptions(ModelSpec &spec) {
  ModelConfig &m = spec.model;
  std::optional<bool> causal, finalNorm, paddingMask, lmHead, embedScale;
  std::optional<unsigned> norm, activation;
  std::optional<double> eps;
  if (failed(readBool("/causal", causal)) ||
      failed(readChoice("/norm", kNorms, norm)) ||
      failed(readBool("/final_norm", finalNorm)) ||
      failed(readChoice("/activation", kActivations, activation)) ||
      failed(readNumber("/eps", eps)) ||
      failed(readBool("/padding_mask", paddingMask)) ||
      failed(readBool("/lm_head", lmHead)) ||
      failed(readBool("/embed_scale", embedScale)))
    return failure();
  m.causal = causal.value_or(m.kind != ModelKind::Encoder);
  m.block.norm = norm ? static_cast<NormKind>(*norm) : NormKind::Pre;
  m.finalNorm = finalNorm.value_or(m.block.norm == NormKind::Pre);
  m.block.activation = activation ? static_cast<ActivationKind>(*activation)
                                  : ActivationKind::Gelu;
  m.block.eps = eps.value_or(1e-5);
  if (!std::isfinite(m.block.eps) || m.block.eps < 0)
    return fail("/eps", "'eps' must be a finite number >= 0");
  m.paddingMask = paddingMask.value_or(false);
  m.lmHead = lmHead.value_or(m.kind == ModelKind::DecoderOnly && m.vocab);
  if (m.lmHead && !m.vocab)
    return fail("/lm_head", "'lm_head' needs 'vocab'");
  m.embedScale = embedScale.value_or(true);
  return success();
}

LogicalResult SpecReader::readStyle(ModelSpec &spec) {
  std::optional<unsigned> scale, mask, kTranspose;
  if (failed(readChoice("/scale_style", kScaleStyles, scale)) ||
      failed(readChoice("/mask_style", kMaskStyles, mask)) ||
      failed(readChoice("/k_transpose", kKTransposes, kTranspose)))
    return failure();
  AttentionStyle &style = spec.model.block.style;
  if (scale)
    style.scale = static_cast<ScaleKind>(*scale);
  if (mask)
    style.mask = static_cast<MaskKind>(*mask);
  if (kTranspose)
    style.kTranspose = static_cast<KTransposeKind>(*kTranspose);
  return success();
}

LogicalResult SpecReader::readWeights(ModelSpec &spec) {
  const json *weights = find("/weights");
  if (!weights)
    return success();
  if (!weights->is_object())
    return fail("/weights",
                "'weights' must be an object such as {\"seed\": 0, \"std\": "
                "0.02} or {\"file\": \"w.safetensors\"}, got " +
                    describe(*weights));
  std::optional<int64_t> seed;
  std::optional<double> stddev;
  std::optional<std::string> file;
  if (failed(checkKeys("/weights", kWeightsKeys)) ||
      failed(readInt("/weights/seed", seed)) ||
      failed(readNumber("/weights/std", stddev)) ||
      failed(readString("/weights/file", file)))
    return failure();
  if (seed && *seed < 0)
    return fail("/weights/seed", "'weights.seed' must be >= 0");
  if (file && (seed || stddev))
    return fail("/weights/file",
                "give either 'file' or 'seed'/'std' in 'weights', not both");
  if (stddev && (!std::isfinite(*stddev) || *stddev < 0))
    return fail("/weights/std", "'weights.std' must be a finite number >= 0");
  spec.weights.seed = static_cast<uint64_t>(seed.value_or(0));
  spec.weights.std = stddev.value_or(0.02);
  if (file) {
    SmallString<256> path(*file);
    if (llvm::sys::path::is_relative(path)) {
      path = llvm::sys::path::parent_path(specPath);
      llvm::sys::path::append(path, *file);
    }
    spec.weights.file = path.str().str();
    spec.weights.loc = doc.valueLoc("/weights/file");
  }
  return success();
}
