//===- LlmOps.cpp - ONNX opset-23 Transformer ops as attn ops -------------===//
//
// Attention becomes one attn.attention (packed for 3-D inputs, split for
// 4-D); RMSNormalization and RotaryEmbedding are spelled out in elementwise
// ops, slices and a gather, the forms the passes already know. What attnc
// cannot compute (softcap, the qk_matmul_output output, a KV cache) is
// refused with the attribute or input named.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeImporter.h"

#include "ir/ShapeUtils.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace attnc::onnx_import;

namespace {

Value sliceLast(NodeImporter &n, Value x, int64_t start, int64_t limit,
                int64_t stride = 1) {
  ArrayRef<int64_t> shape = shapeOf(x);
  SmallVector<int64_t> starts(shape.size(), 0), limits(shape),
      strides(shape.size(), 1);
  starts.back() = start;
  limits.back() = limit;
  strides.back() = stride;
  return n.create<SliceOp>({x}, {n.named("starts", n.i64ArrayAttr(starts)),
                                 n.named("limits", n.i64ArrayAttr(limits)),
                                 n.named("strides", n.i64ArrayAttr(strides))});
}

Value concatLast(NodeImporter &n, ValueRange parts) {
  return n.create<ConcatOp>(
      parts, {n.named("axis", n.i64Attr(shapeOf(parts[0]).size() - 1))});
}

Value transpose0213(NodeImporter &n, Value x) {
  return n.create<TransposeOp>(
      {x}, {n.named("perm", n.i64ArrayAttr({0, 2, 1, 3}))});
}

/// [B, S, H·D] as [B, H, S, D].
Value splitHeads(NodeImporter &n, Value x, int64_t heads) {
  ArrayRef<int64_t> s = shapeOf(x);
  return transpose0213(n, n.reshape(x, {s[0], s[1], heads, s[2] / heads}));
}

LogicalResult convertAttention(NodeImporter &n) {
  Value q = n.requireInput(0, "Q"), k = n.requireInput(1, "K"),
        v = n.requireInput(2, "V"), mask = n.input(3);
  FailureOr<int64_t> causal = n.getInt("is_causal", 0);
  FailureOr<float> softcap = n.getFloat("softcap", 0.0f);
  FailureOr<int64_t> mode = n.getInt("qk_matmul_output_mode", 0);
  if (!q || !k || !v || failed(causal) || failed(softcap) || failed(mode))
    return failure();
  static const char *const kRefusedInputs[] = {nullptr, nullptr, nullptr,
                                               nullptr, "past_key",
                                               "past_value",
                                               "nonpad_kv_seqlen"};
  for (unsigned i = 4; i < n.numInputs() && i < 7; ++i)
    if (n.input(i))
      return n.error() << "input '" << kRefusedInputs[i]
                       << "' is not supported (attnc compiles attention "
                          "without a KV cache)";
  if (*softcap != 0.0f)
    return n.error() << "attribute 'softcap' (" << *softcap
                     << ") is not supported";
  if (n.node.output_size() > 3 && !n.node.output(3).empty())
    return n.error() << "output 'qk_matmul_output' (qk_matmul_output_mode="
                     << *mode << ") is not supported";
  ArrayRef<int64_t> qs = shapeOf(q), ks = shapeOf(k), vs = shapeOf(v);
  size_t rank = qs.size();
  if ((rank != 3 && rank != 4) || ks.size() != rank || vs.size() != rank)
    return n.error() << "Q, K and V must all be 3-D or all 4-D, got "
                     << formatDims(qs) << ", " << formatDims(ks) << " and "
                     << formatDims(vs);
  for (Value x : {q, k, v})
    if (!elementTypeOf(x).isa<FloatType>())
      return n.error() << "Q, K and V must be float tensors";
  if (mask && elementTypeOf(mask) != elementTypeOf(q) &&
      !elementTypeOf(mask).isInteger(1))
    return n.error() << "attn_mask must be bool or Q's element type";
  SmallVector<NamedAttribute> attrs;
  if (n.hasAttr("scale")) {
    FailureOr<float> scale = n.getFloat("scale", 0.0f);
    if (failed(scale))
      return failure();
    attrs.push_back(n.named("scale", n.builder().getF32FloatAttr(*scale)));
  }
  if (*causal)
    attrs.push_back(n.named(
        "causal", CausalKindAttr::get(n.getContext(), CausalKind::top_left)));
  int64_t kvHeads = rank == 4 ? ks[1] : 0;
  if (rank == 3) {
    FailureOr<int64_t> qHeads = n.getInt("q_num_heads", std::nullopt);
    FailureOr<int64_t> kvGiven = n.getInt("kv_num_heads", std::nullopt);
    if (failed(qHeads) || failed(kvGiven))
      return failure();
    kvHeads = *kvGiven;
    if (*qHeads < 1 || kvHeads < 1 || qs[2] % *qHeads || ks[2] % kvHeads ||
        vs[2] % kvHeads)
      return n.error() << "q_num_heads " << *qHeads << " and kv_num_heads "
                       << kvHeads << " must divide the hidden sizes of Q "
                       << formatDims(qs) << ", K " << formatDims(ks)
                       << " and V " << formatDims(vs);
    attrs.push_back(n.named("num_heads", n.i64Attr(*qHeads)));
    attrs.push_back(n.named("num_kv_heads", n.i64Attr(kvHeads)));
  }
  SmallVector<Value> operands = {q, k, v};
  if (mask)
    operands.push_back(mask);
  if (failed(n.setOutput(0, n.create<AttentionOp>(operands, attrs))))
    return failure();
  // Without a cache the present key and value are K and V, [B, H, S, D].
  if (n.node.output_size() > 1)
    if (failed(n.setOutput(1, rank == 4 ? k : splitHeads(n, k, kvHeads))))
      return failure();
  if (n.node.output_size() > 2)
    return n.setOutput(2, rank == 4 ? v : splitHeads(n, v, kvHeads));
  return success();
}

/// x / sqrt(mean(x², axes axis..) + epsilon) · scale.
LogicalResult convertRmsNorm(NodeImporter &n) {
  Value x = n.requireInput(0, "X"), scale = n.requireInput(1, "scale");
  FailureOr<int64_t> axis = n.getInt("axis", -1);
  FailureOr<float> epsilon = n.getFloat("epsilon", 1e-5f);
  if (!x || !scale || failed(axis) || failed(epsilon))
    return failure();
  int64_t rank = shapeOf(x).size();
  std::optional<int64_t> first = normalizeAxis(*axis, rank);
  if (!first)
    return n.error() << "axis " << *axis << " is out of range for "
                     << formatDims(shapeOf(x));
  if (!elementTypeOf(x).isa<FloatType>())
    return n.error() << "X must be a float tensor";
  Value squares = n.create<MulOp>({x, x});
  Value meanSquare = n.create<ReduceOp>(
      {squares},
      {n.named("kind", ReduceKindAttr::get(n.getContext(), ReduceKind::mean)),
       n.named("axes",
               n.i64ArrayAttr(llvm::to_vector(llvm::seq<int64_t>(*first,
                                                                 rank)))),
       n.named("keep_dims", n.builder().getBoolAttr(true))});
  Value shifted =
      n.create<AddOp>({meanSquare, n.scalar(elementTypeOf(x), *epsilon)});
  if (!shifted)
    return failure();
  Value inv = n.finishOne(n.builder().create<RsqrtOp>(n.loc, shifted));
  return n.setOutput(0, n.create<MulOp>({n.create<MulOp>({x, inv}), scale}));
}

/// RotaryEmbedding on [B, H, S, D] or [B, S, H·D] (num_heads): the first
/// rotary_embedding_dim features of each head rotate by the cached angles,
/// in halves or interleaved pairs; the rest pass through.
LogicalResult convertRotaryEmbedding(NodeImporter &n) {
  Value x = n.requireInput(0, "X"), cos = n.requireInput(1, "cos_cache"),
        sin = n.requireInput(2, "sin_cache"), positions = n.input(3);
  FailureOr<int64_t> interleaved = n.getInt("interleaved", 0);
  FailureOr<int64_t> rotaryDim = n.getInt("rotary_embedding_dim", 0);
  FailureOr<int64_t> numHeads = n.getInt("num_heads", 0);
  if (!x || !cos || !sin || failed(interleaved) || failed(rotaryDim) ||
      failed(numHeads))
    return failure();
  ArrayRef<int64_t> xs = shapeOf(x);
  if (xs.size() != 3 && xs.size() != 4)
    return n.error() << "X must be 3-D or 4-D, got " << formatDims(xs);
  if (xs.size() == 3 && (*numHeads < 1 || xs[2] % *numHeads))
    return n.error() << "a 3-D X " << formatDims(xs)
                     << " needs num_heads dividing its hidden size, got "
                     << *numHeads;
  // Work in [B, S, H, D].
  Value work = xs.size() == 4
                   ? transpose0213(n, x)
                   : n.reshape(x, {xs[0], xs[1], *numHeads, xs[2] / *numHeads});
  if (!work)
    return failure();
  ArrayRef<int64_t> ws = shapeOf(work);
  int64_t head = ws[3], dim = *rotaryDim ? *rotaryDim : head;
  if (dim < 2 || dim > head || dim % 2)
    return n.error() << "rotary_embedding_dim " << dim
                     << " must be even and at most the head size " << head;
  if (positions) {
    cos = n.create<GatherOp>({cos, positions});
    sin = n.create<GatherOp>({sin, positions});
  }
  SmallVector<int64_t> angles = {ws[0], ws[1], 1, dim / 2};
  for (Value *c : {&cos, &sin}) {
    if (!*c)
      return failure();
    if (!isBroadcastableTo(shapeOf(*c), {ws[0], ws[1], dim / 2}))
      return n.error() << "the cos/sin caches give "
                       << formatDims(shapeOf(*c)) << ", expected "
                       << formatDims({ws[0], ws[1], dim / 2});
    *c = n.reshape(n.createTyped<BroadcastToOp>(
                       RankedTensorType::get({ws[0], ws[1], dim / 2},
                                             elementTypeOf(*c)),
                       {*c}),
                   angles);
  }
  Value rotated = sliceLast(n, work, 0, dim);
  Value x1 = *interleaved ? sliceLast(n, rotated, 0, dim, 2)
                          : sliceLast(n, rotated, 0, dim / 2);
  Value x2 = *interleaved ? sliceLast(n, rotated, 1, dim, 2)
                          : sliceLast(n, rotated, dim / 2, dim);
  Value real = n.create<SubOp>(
      {n.create<MulOp>({cos, x1}), n.create<MulOp>({sin, x2})});
  Value imag = n.create<AddOp>(
      {n.create<MulOp>({sin, x1}), n.create<MulOp>({cos, x2})});
  if (!real || !imag)
    return failure();
  Value out;
  if (*interleaved) {
    SmallVector<int64_t> pairs = {ws[0], ws[1], ws[2], dim / 2, 1};
    out = n.reshape(
        concatLast(n, {n.reshape(real, pairs), n.reshape(imag, pairs)}),
        {ws[0], ws[1], ws[2], dim});
  } else {
    out = concatLast(n, {real, imag});
  }
  if (out && dim < head)
    out = concatLast(n, {out, sliceLast(n, work, dim, head)});
  if (!out)
    return failure();
  return n.setOutput(0, xs.size() == 4 ? transpose0213(n, out)
                                       : n.reshape(out, xs));
}

} // namespace

void attnc::onnx_import::addLlmConverters(llvm::StringMap<OpConverter> &t) {
  t["Attention"] = {convertAttention, 3, 7};
  t["RMSNormalization"] = {convertRmsNorm, 2, 2};
  t["RotaryEmbedding"] = {convertRotaryEmbedding, 3, 4};
}
