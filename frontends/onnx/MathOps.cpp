//===- MathOps.cpp - ONNX compute ops as attn ops -------------------------===//
//
// Elementwise arithmetic, comparisons and activations, MatMul and Gemm,
// Softmax, LayerNormalization and the reductions. ONNX broadcasting is
// numpy's, as for attn, so most ops map one to one; MatMul promotes rank-1
// operands and Gemm spells out alpha, beta and the transposes.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeImporter.h"

#include "frontends/onnx/OnnxTensor.h"
#include "ir/ShapeUtils.h"
#include "oracle/Kernels.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace attnc::onnx_import;
using attnc::OracleTensor;

namespace {

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

/// Folds a variadic op (Sum, Max, Min, Mean's sum) pairwise.
template <typename OpTy> Value foldInputs(NodeImporter &n) {
  Value acc = n.requireInput(0, "input");
  for (unsigned i = 1; acc && i < n.numInputs(); ++i)
    acc = n.create<OpTy>({acc, n.requireInput(i, "input")});
  return acc;
}

template <typename OpTy> LogicalResult convertBinary(NodeImporter &n) {
  return n.setOutput(0, foldInputs<OpTy>(n));
}

LogicalResult convertMean(NodeImporter &n) {
  Value sum = foldInputs<AddOp>(n);
  if (!sum)
    return failure();
  Value count = n.scalar(elementTypeOf(sum), n.numInputs());
  return n.setOutput(0, n.create<DivOp>({sum, count}));
}

LogicalResult convertPow(NodeImporter &n) {
  Value base = n.requireInput(0, "X"), exponent = n.requireInput(1, "Y");
  if (!base || !exponent)
    return failure();
  // ONNX lets the exponent have its own type; attn.pow wants one.
  if (elementTypeOf(exponent) != elementTypeOf(base))
    exponent = n.createTyped<CastOp>(
        RankedTensorType::get(shapeOf(exponent), elementTypeOf(base)),
        {exponent});
  return n.setOutput(0, n.create<PowOp>({base, exponent}));
}

template <CompareKind kind> LogicalResult convertCompare(NodeImporter &n) {
  return n.setOutput(
      0,
      n.create<CompareOp>(
          {n.requireInput(0, "A"), n.requireInput(1, "B")},
          {n.named("predicate", CompareKindAttr::get(n.getContext(), kind))}));
}

LogicalResult convertXor(NodeImporter &n) {
  return convertCompare<CompareKind::ne>(n);
}

template <typename OpTy> LogicalResult convertUnary(NodeImporter &n) {
  Value x = n.requireInput(0, "X");
  if (!x)
    return failure();
  return n.setOutput(0, n.finishOne(n.builder().create<OpTy>(n.loc, x)));
}

/// Sin and Cos have no attn op: rotary embeddings take them of positions
/// times frequencies, which are constants with static shapes, so they are
/// evaluated here (in fp64, rounded once to the element type).
template <double (*Fn)(double)>
LogicalResult convertConstantUnary(NodeImporter &n) {
  Value x = n.requireInput(0, "input");
  if (!x)
    return failure();
  if (!elementTypeOf(x).isa<FloatType>())
    return n.error() << "input must be a float tensor";
  const OracleTensor *value = n.graph.constantValue(x);
  if (!value)
    return n.error() << "is imported only when its input is known at import "
                        "time (a rotary table from positions), but '"
                     << n.node.input(0) << "' depends on a graph input";
  OracleTensor result = *value;
  for (double &v : result.data)
    v = Fn(v);
  return n.setOutput(0, n.constantFrom(result, elementTypeOf(x)));
}

double sinOf(double x) { return std::sin(x); }
double cosOf(double x) { return std::cos(x); }

/// IsNaN is x != x (only NaN is unequal to itself).
LogicalResult convertIsNaN(NodeImporter &n) {
  Value x = n.requireInput(0, "X");
  if (!x)
    return failure();
  if (!elementTypeOf(x).isa<FloatType>())
    return n.error() << "X must be a float tensor";
  return n.setOutput(
      0, n.create<CompareOp>({x, x}, {n.named("predicate",
                                              CompareKindAttr::get(
                                                  n.getContext(),
                                                  CompareKind::ne))}));
}

/// IsInf compares with +inf and -inf, as detect_positive/negative ask.
LogicalResult convertIsInf(NodeImporter &n) {
  Value x = n.requireInput(0, "X");
  FailureOr<int64_t> positive = n.getInt("detect_positive", 1);
  FailureOr<int64_t> negative = n.getInt("detect_negative", 1);
  if (!x || failed(positive) || failed(negative))
    return failure();
  if (!elementTypeOf(x).isa<FloatType>())
    return n.error() << "X must be a float tensor";
  auto equals = [&](double v) {
    return n.create<CompareOp>(
        {x, n.scalar(elementTypeOf(x), v)},
        {n.named("predicate",
                 CompareKindAttr::get(n.getContext(), CompareKind::eq))});
  };
  Value result;
  if (*positive)
    result = equals(INFINITY);
  if (*negative) {
    Value neg = equals(-INFINITY);
    result = result ? n.create<OrOp>({result, neg}) : neg;
  }
  if (!result) {
    // Neither sign: all false, x == x && x != x.
    Value same = n.create<CompareOp>(
        {x, x}, {n.named("predicate", CompareKindAttr::get(n.getContext(),
                                                           CompareKind::eq))});
    result = n.create<AndOp>({same, n.finishOne(n.builder().create<NotOp>(
                                        n.loc, same))});
  }
  return n.setOutput(0, result);
}

/// Mod: fmod=1 keeps the dividend's sign (C fmod), fmod=0 the divisor's
/// (Python %). Integer operands are computed with truncating division;
/// float operands only when both are constants (shape arithmetic).
LogicalResult convertMod(NodeImporter &n) {
  Value a = n.requireInput(0, "A"), b = n.requireInput(1, "B");
  FailureOr<int64_t> fmod = n.getInt("fmod", 0);
  if (!a || !b || failed(fmod))
    return failure();
  Type type = elementTypeOf(a);
  if (type != elementTypeOf(b))
    return n.error() << "A and B must have the same element type";
  if (type.isa<FloatType>() && !*fmod)
    return n.error() << "fmod=0 is only defined for integer tensors";
  const OracleTensor *ca = n.graph.constantValue(a);
  const OracleTensor *cb = n.graph.constantValue(b);
  if (type.isa<FloatType>()) {
    if (!ca || !cb)
      return n.error() << "a float Mod is imported only when both operands "
                          "are known at import time";
    SmallVector<int64_t> shape;
    if (broadcastShapes(shapeOf(a), shapeOf(b), shape))
      return n.error() << "A " << formatDims(shapeOf(a)) << " and B "
                       << formatDims(shapeOf(b)) << " do not broadcast";
    llvm::Expected<OracleTensor> x = attnc::kernels::broadcastTo(*ca, shape);
    llvm::Expected<OracleTensor> y = attnc::kernels::broadcastTo(*cb, shape);
    if (!x || !y) {
      llvm::consumeError(x.takeError());
      llvm::consumeError(y.takeError());
      return n.error() << "A and B do not broadcast";
    }
    for (size_t i = 0; i < x->data.size(); ++i)
      x->data[i] = std::fmod(x->data[i], y->data[i]);
    return n.setOutput(0, n.constantFrom(*x, type));
  }
  auto predicate = [&](CompareKind kind) {
    return n.named("predicate", CompareKindAttr::get(n.getContext(), kind));
  };
  // r = a - b * trunc(a / b) has a's sign.
  Value r = n.create<SubOp>({a, n.create<MulOp>({b, n.create<DivOp>({a, b})})});
  if (*fmod || !r)
    return n.setOutput(0, r);
  // Python's sign: add b where r is non-zero and its sign differs from b's.
  Value zero = n.scalar(type, 0);
  Value rNegative = n.create<CompareOp>({r, zero}, {predicate(CompareKind::lt)});
  Value bNegative = n.create<CompareOp>({b, zero}, {predicate(CompareKind::lt)});
  Value signsDiffer = n.create<CompareOp>({rNegative, bNegative},
                                          {predicate(CompareKind::ne)});
  Value nonZero = n.create<CompareOp>({r, zero}, {predicate(CompareKind::ne)});
  Value fix = n.create<AndOp>({signsDiffer, nonZero});
  return n.setOutput(
      0, n.create<SelectOp>({fix, n.create<AddOp>({r, b}), r}));
}

LogicalResult convertReciprocal(NodeImporter &n) {
  Value x = n.requireInput(0, "X");
  if (!x)
    return failure();
  return n.setOutput(0, n.create<DivOp>({n.scalar(elementTypeOf(x), 1.0), x}));
}

LogicalResult convertGelu(NodeImporter &n) {
  Value x = n.requireInput(0, "X");
  FailureOr<std::string> approximate = n.getString("approximate", "none");
  if (!x || failed(approximate))
    return failure();
  GeluKind kind;
  if (*approximate == "none")
    kind = GeluKind::erf;
  else if (*approximate == "tanh")
    kind = GeluKind::tanh;
  else
    return n.error() << "approximate='" << *approximate
                     << "' is not 'none' or 'tanh'";
  return n.setOutput(0,
                     n.finishOne(n.builder().create<GeluOp>(n.loc, x, kind)));
}

LogicalResult convertClip(NodeImporter &n) {
  Value x = n.requireInput(0, "input");
  if (!x)
    return failure();
  if (n.hasAttr("min") || n.hasAttr("max"))
    return n.error() << "the min/max attributes of opset < 11 are not "
                        "supported (use the input form)";
  if (Value lo = n.input(1))
    x = n.create<MaxOp>({x, lo});
  if (Value hi = n.input(2))
    x = n.create<MinOp>({x, hi});
  return n.setOutput(0, x);
}

LogicalResult convertWhere(NodeImporter &n) {
  return n.setOutput(
      0, n.create<SelectOp>({n.requireInput(0, "condition"),
                             n.requireInput(1, "X"), n.requireInput(2, "Y")}));
}

//===----------------------------------------------------------------------===//
// Contractions
//===----------------------------------------------------------------------===//

LogicalResult convertMatMul(NodeImporter &n) {
  Value a = n.requireInput(0, "A"), b = n.requireInput(1, "B");
  if (!a || !b)
    return failure();
  // numpy matmul: a rank-1 lhs is a row, a rank-1 rhs a column; the
  // promoted dim is dropped from the result.
  bool rowVector = shapeOf(a).size() == 1,
       columnVector = shapeOf(b).size() == 1;
  if (shapeOf(a).empty() || shapeOf(b).empty())
    return n.error() << "operands must have rank >= 1, got "
                     << formatDims(shapeOf(a)) << " and "
                     << formatDims(shapeOf(b));
  if (rowVector)
    a = n.reshape(a, {1, shapeOf(a)[0]});
  if (columnVector)
    b = n.reshape(b, {shapeOf(b)[0], 1});
  Value product = n.create<MatmulOp>({a, b});
  if (!product)
    return failure();
  SmallVector<int64_t> shape(shapeOf(product));
  if (columnVector)
    shape.pop_back();
  if (rowVector)
    shape.erase(shape.end() - (columnVector ? 1 : 2));
  return n.setOutput(0, n.reshape(product, shape));
}

LogicalResult convertGemm(NodeImporter &n) {
  Value a = n.requireInput(0, "A"), b = n.requireInput(1, "B");
  FailureOr<float> alpha = n.getFloat("alpha", 1.0f);
  FailureOr<float> beta = n.getFloat("beta", 1.0f);
  FailureOr<int64_t> transA = n.getInt("transA", 0);
  FailureOr<int64_t> transB = n.getInt("transB", 0);
  if (!a || !b || failed(alpha) || failed(beta) || failed(transA) ||
      failed(transB))
    return failure();
  if (shapeOf(a).size() != 2 || shapeOf(b).size() != 2)
    return n.error() << "A and B must be matrices, got "
                     << formatDims(shapeOf(a)) << " and "
                     << formatDims(shapeOf(b));
  SmallVector<NamedAttribute> flags;
  if (*transA)
    flags.push_back(n.named("transpose_lhs", n.builder().getUnitAttr()));
  if (*transB)
    flags.push_back(n.named("transpose_rhs", n.builder().getUnitAttr()));
  Value y = n.create<MatmulOp>({a, b}, flags);
  if (y && *alpha != 1.0f)
    y = n.create<MulOp>({y, n.scalar(elementTypeOf(y), *alpha)});
  if (Value c = n.input(2)) {
    if (y && *beta != 1.0f)
      c = n.create<MulOp>({c, n.scalar(elementTypeOf(c), *beta)});
    if (y && c && !isBroadcastableTo(shapeOf(c), shapeOf(y)))
      return n.error() << "C " << formatDims(shapeOf(c))
                       << " does not broadcast to the product "
                       << formatDims(shapeOf(y));
    y = n.create<AddOp>({y, c});
  }
  return n.setOutput(0, y);
}

//===----------------------------------------------------------------------===//
// Normalisations and reductions
//===----------------------------------------------------------------------===//

template <typename OpTy> LogicalResult convertSoftmax(NodeImporter &n) {
  Value x = n.requireInput(0, "input");
  FailureOr<int64_t> axis = n.getInt("axis", -1);
  if (!x || failed(axis))
    return failure();
  if (!normalizeAxis(*axis, shapeOf(x).size()))
    return n.error() << "axis " << *axis << " is out of range for "
                     << formatDims(shapeOf(x));
  return n.setOutput(0,
                     n.createTyped<OpTy>(x.getType(), {x},
                                         {n.named("axis", n.i64Attr(*axis))}));
}

LogicalResult convertLayerNorm(NodeImporter &n) {
  Value x = n.requireInput(0, "X"), scale = n.requireInput(1, "Scale");
  Value bias = n.input(2);
  FailureOr<int64_t> axis = n.getInt("axis", -1);
  FailureOr<float> epsilon = n.getFloat("epsilon", 1e-5f);
  if (!x || !scale || failed(axis) || failed(epsilon))
    return failure();
  std::optional<int64_t> first = normalizeAxis(*axis, shapeOf(x).size());
  if (!first)
    return n.error() << "axis " << *axis << " is out of range for "
                     << formatDims(shapeOf(x));
  // attn.layer_norm takes scale and bias of exactly the normalised shape.
  SmallVector<int64_t> normalized(shapeOf(x).drop_front(*first));
  auto fit = [&](Value v, StringRef what) -> Value {
    if (!v || shapeOf(v) == ArrayRef<int64_t>(normalized))
      return v;
    if (!isBroadcastableTo(shapeOf(v), normalized)) {
      n.error() << what << " " << formatDims(shapeOf(v))
                << " does not broadcast to the normalised dims "
                << formatDims(normalized);
      return {};
    }
    return n.createTyped<BroadcastToOp>(
        RankedTensorType::get(normalized, elementTypeOf(v)), {v});
  };
  scale = fit(scale, "Scale");
  if (!scale || (bias && !(bias = fit(bias, "B"))))
    return failure();
  auto op = n.builder().create<LayerNormOp>(
      n.loc, x.getType(), x, scale, bias, n.builder().getI64IntegerAttr(*first),
      n.builder().getF32FloatAttr(*epsilon));
  if (failed(n.setOutput(0, n.finishOne(op))))
    return failure();
  if (n.node.output_size() < 2)
    return success();
  // The optional Mean and InvStdDev outputs, over the same axes.
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(*first, shapeOf(x).size()));
  auto reduceMean = [&](Value v) {
    return n.create<ReduceOp>(
        {v},
        {n.named("kind", ReduceKindAttr::get(n.getContext(), ReduceKind::mean)),
         n.named("axes", n.i64ArrayAttr(axes)),
         n.named("keep_dims", n.builder().getBoolAttr(true))});
  };
  Value mean = reduceMean(x);
  Value centred = n.create<SubOp>({x, mean});
  Value variance = reduceMean(n.create<MulOp>({centred, centred}));
  Value eps = n.scalar(elementTypeOf(x), *epsilon);
  Value inv = n.create<AddOp>({variance, eps});
  if (inv)
    inv = n.finishOne(n.builder().create<RsqrtOp>(n.loc, inv));
  if (failed(n.setOutput(1, mean)))
    return failure();
  return n.node.output_size() < 3 ? success() : n.setOutput(2, inv);
}

template <ReduceKind kind> LogicalResult convertReduce(NodeImporter &n) {
  Value x = n.requireInput(0, "data");
  FailureOr<int64_t> keep = n.getInt("keepdims", 1);
  FailureOr<int64_t> noop = n.getInt("noop_with_empty_axes", 0);
  if (!x || failed(keep) || failed(noop))
    return failure();
  // Axes are an attribute up to opset 17 (ReduceSum: 12) and an input
  // after; either form is read.
  SmallVector<int64_t> axes;
  if (n.input(1)) {
    FailureOr<SmallVector<int64_t>> given = n.constInts(1, "axes");
    if (failed(given))
      return failure();
    axes = *given;
  } else if (n.hasAttr("axes")) {
    FailureOr<SmallVector<int64_t>> given = n.getInts("axes");
    if (failed(given))
      return failure();
    axes = *given;
  }
  int64_t rank = shapeOf(x).size();
  if (axes.empty()) {
    if (*noop)
      return n.setOutput(0, x);
    axes = llvm::to_vector(llvm::seq<int64_t>(0, rank));
  }
  return n.setOutput(
      0, n.create<ReduceOp>(
             {x}, {n.named("kind", ReduceKindAttr::get(n.getContext(), kind)),
                   n.named("axes", n.i64ArrayAttr(axes)),
                   n.named("keep_dims", n.builder().getBoolAttr(*keep != 0))}));
}

/// CumSum as a contraction with a constant 0/1 matrix w[j, i] (does x[j]
/// add into out[i]): out = reduce_sum_j(x[.., j, 1, ..] * w[j, i, ..]).
/// It costs n times the input, fine for the masks and position ids
/// exports cumulate (BLOOM's alibi, padding-aware positions).
LogicalResult convertCumSum(NodeImporter &n) {
  Value x = n.requireInput(0, "x");
  FailureOr<SmallVector<int64_t>> axis = n.constInts(1, "axis");
  FailureOr<int64_t> exclusive = n.getInt("exclusive", 0);
  FailureOr<int64_t> reverse = n.getInt("reverse", 0);
  if (!x || failed(axis) || failed(exclusive) || failed(reverse))
    return failure();
  ArrayRef<int64_t> in = shapeOf(x);
  int64_t rank = in.size();
  std::optional<int64_t> a =
      axis->size() == 1 ? normalizeAxis(axis->front(), rank) : std::nullopt;
  if (!a)
    return n.error() << "axis " << formatDims(*axis) << " must be one axis of "
                     << formatDims(in);
  int64_t len = in[*a];
  SmallVector<int64_t> spread(in.take_front(*a + 1));
  spread.push_back(1);
  llvm::append_range(spread, in.drop_front(*a + 1));
  SmallVector<int64_t, 4> weightShape = {len, len};
  weightShape.append(rank - *a - 1, 1);
  if (!checkedElementCount(spread) || len * len > kMaxFoldElements ||
      !checkedElementCount(SmallVector<int64_t>{numElements(in), len}))
    return n.error() << "a cumulative sum over " << len << " elements of "
                     << formatDims(in) << " is larger than attnc builds";
  OracleTensor weights{weightShape, {}};
  for (int64_t j = 0; j < len; ++j)
    for (int64_t i = 0; i < len; ++i) {
      bool adds = *reverse ? j >= i : j <= i;
      if (*exclusive)
        adds &= j != i;
      weights.data.push_back(adds ? 1.0 : 0.0);
    }
  Value products = n.create<MulOp>(
      {n.reshape(x, spread), n.constantFrom(weights, elementTypeOf(x))});
  return n.setOutput(
      0,
      n.create<ReduceOp>(
          {products}, {n.named("kind", ReduceKindAttr::get(n.getContext(),
                                                           ReduceKind::sum)),
                       n.named("axes", n.i64ArrayAttr({*a})),
                       n.named("keep_dims", n.builder().getBoolAttr(false))}));
}

} // namespace

void attnc::onnx_import::addMathConverters(llvm::StringMap<OpConverter> &t) {
  constexpr unsigned kAny = ~0u;
  t["Add"] = {convertBinary<AddOp>, 2, 2};
  t["Sub"] = {convertBinary<SubOp>, 2, 2};
  t["Mul"] = {convertBinary<MulOp>, 2, 2};
  t["Div"] = {convertBinary<DivOp>, 2, 2};
  t["Pow"] = {convertPow, 2, 2};
  t["Max"] = {convertBinary<MaxOp>, 1, kAny};
  t["Min"] = {convertBinary<MinOp>, 1, kAny};
  t["Sum"] = {convertBinary<AddOp>, 1, kAny};
  t["Mean"] = {convertMean, 1, kAny};
  t["And"] = {convertBinary<AndOp>, 2, 2};
  t["Or"] = {convertBinary<OrOp>, 2, 2};
  t["Xor"] = {convertXor, 2, 2};
  t["Equal"] = {convertCompare<CompareKind::eq>, 2, 2};
  t["Less"] = {convertCompare<CompareKind::lt>, 2, 2};
  t["LessOrEqual"] = {convertCompare<CompareKind::le>, 2, 2};
  t["Greater"] = {convertCompare<CompareKind::gt>, 2, 2};
  t["GreaterOrEqual"] = {convertCompare<CompareKind::ge>, 2, 2};
  t["Sqrt"] = {convertUnary<SqrtOp>, 1, 1};
  t["Exp"] = {convertUnary<ExpOp>, 1, 1};
  t["Log"] = {convertUnary<LogOp>, 1, 1};
  t["Tanh"] = {convertUnary<TanhOp>, 1, 1};
  t["Erf"] = {convertUnary<ErfOp>, 1, 1};
  t["Neg"] = {convertUnary<NegOp>, 1, 1};
  t["Abs"] = {convertUnary<AbsOp>, 1, 1};
  t["Relu"] = {convertUnary<ReluOp>, 1, 1};
  t["Sigmoid"] = {convertUnary<SigmoidOp>, 1, 1};
  t["Not"] = {convertUnary<NotOp>, 1, 1};
  t["Reciprocal"] = {convertReciprocal, 1, 1};
  t["IsNaN"] = {convertIsNaN, 1, 1};
  t["IsInf"] = {convertIsInf, 1, 1};
  t["Mod"] = {convertMod, 2, 2};
  t["Sin"] = {convertConstantUnary<sinOf>, 1, 1};
  t["Cos"] = {convertConstantUnary<cosOf>, 1, 1};
  t["CumSum"] = {convertCumSum, 2, 2};
  t["Gelu"] = {convertGelu, 1, 1};
  t["Clip"] = {convertClip, 1, 3};
  t["Where"] = {convertWhere, 3, 3};
  t["MatMul"] = {convertMatMul, 2, 2};
  t["Gemm"] = {convertGemm, 2, 3};
  t["Softmax"] = {convertSoftmax<SoftmaxOp>, 1, 1};
  t["LogSoftmax"] = {convertSoftmax<LogSoftmaxOp>, 1, 1};
  t["LayerNormalization"] = {convertLayerNorm, 2, 3};
  t["ReduceMean"] = {convertReduce<ReduceKind::mean>, 1, 2};
  t["ReduceSum"] = {convertReduce<ReduceKind::sum>, 1, 2};
  t["ReduceMax"] = {convertReduce<ReduceKind::max>, 1, 2};
  t["ReduceMin"] = {convertReduce<ReduceKind::min>, 1, 2};
}
