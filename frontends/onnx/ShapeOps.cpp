//===- ShapeOps.cpp - ONNX shape and data-movement ops as attn ops --------===//
//
// Shape, Reshape, Transpose, Squeeze/Unsqueeze, Concat, Split, Slice,
// Gather, GatherElements, Expand, Tile, Cast, Constant and the constant
// generators (ConstantOfShape, Range, Trilu). Every shape operand must be known
// at import time: with static input shapes, Shape gives a constant and the
// arithmetic on it folds, so Reshape and Slice see plain integers.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeImporter.h"

#include "frontends/onnx/OnnxTensor.h"
#include "ir/ShapeUtils.h"

#include <algorithm>
#include <cmath>

using namespace mlir;
using namespace mlir::attn;
using namespace attnc::onnx_import;
using attnc::OracleTensor;

namespace {

RankedTensorType withShape(Value v, ArrayRef<int64_t> shape) {
  return RankedTensorType::get(shape, elementTypeOf(v));
}

/// Normalises `axes` against `rank`, rejecting repeats and out-of-range ones.
FailureOr<SmallVector<int64_t>>
normalizeAxes(NodeImporter &n, ArrayRef<int64_t> axes, int64_t rank) {
  SmallVector<int64_t> result;
  for (int64_t axis : axes) {
    std::optional<int64_t> a = normalizeAxis(axis, rank);
    if (!a || llvm::is_contained(result, *a)) {
      n.error() << "axis " << axis << (a ? " is repeated" : " is out of range")
                << " for rank " << rank;
      return failure();
    }
    result.push_back(*a);
  }
  return result;
}

/// Axes from input `index` when present, else from the `axes` attribute
/// (the opset-12 form); nullopt when neither is given.
FailureOr<std::optional<SmallVector<int64_t>>> axesOperand(NodeImporter &n,
                                                           unsigned index) {
  if (n.input(index)) {
    FailureOr<SmallVector<int64_t>> axes = n.constInts(index, "axes");
    if (failed(axes))
      return failure();
    return std::optional<SmallVector<int64_t>>(*axes);
  }
  if (!n.hasAttr("axes"))
    return std::optional<SmallVector<int64_t>>();
  FailureOr<SmallVector<int64_t>> axes = n.getInts("axes");
  if (failed(axes))
    return failure();
  return std::optional<SmallVector<int64_t>>(*axes);
}

//===----------------------------------------------------------------------===//
// Shapes
//===----------------------------------------------------------------------===//

LogicalResult convertShape(NodeImporter &n) {
  Value x = n.requireInput(0, "data");
  FailureOr<int64_t> start = n.getInt("start", 0);
  if (!x || failed(start))
    return failure();
  int64_t rank = shapeOf(x).size();
  FailureOr<int64_t> end = n.getInt("end", rank);
  if (failed(end))
    return failure();
  auto clampIndex = [&](int64_t i) {
    if (i < 0)
      i = i < -rank ? 0 : i + rank;
    return std::min(i, rank);
  };
  int64_t s = clampIndex(*start), e = std::max(s, clampIndex(*end));
  SmallVector<int64_t> dims(shapeOf(x).slice(s, e - s));
  return n.setOutput(0,
                     n.i64Constant(dims, {static_cast<int64_t>(dims.size())}));
}

LogicalResult convertSize(NodeImporter &n) {
  Value x = n.requireInput(0, "data");
  if (!x)
    return failure();
  return n.setOutput(0, n.i64Constant({numElements(shapeOf(x))}, {}));
}

LogicalResult convertReshape(NodeImporter &n) {
  Value x = n.requireInput(0, "data");
  FailureOr<SmallVector<int64_t>> requested = n.constInts(1, "shape");
  FailureOr<int64_t> allowZero = n.getInt("allowzero", 0);
  if (!x || failed(requested) || failed(allowZero))
    return failure();
  ArrayRef<int64_t> in = shapeOf(x);
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  for (auto [i, requestedDim] : llvm::enumerate(*requested)) {
    int64_t d = requestedDim;
    if (d == 0 && !*allowZero) {
      if (i >= in.size())
        return n.error() << "shape " << formatDims(*requested) << " copies dim "
                         << i << " (0), but the input " << formatDims(in)
                         << " has rank " << in.size();
      d = in[i];
    } else if (d == -1) {
      if (inferred >= 0)
        return n.error() << "shape " << formatDims(*requested)
                         << " has more than one -1";
      inferred = i;
      shape.push_back(1);
      continue;
    } else if (d < 0) {
      return n.error() << "shape " << formatDims(*requested)
                       << " has a negative dim";
    }
    shape.push_back(d);
    if (d != 0 && known > kMaxTensorElements / d)
      return n.error() << "shape " << formatDims(*requested) << " is too large";
    known *= d;
  }
  int64_t total = numElements(in);
  if (inferred >= 0) {
    if (known == 0 || total % known != 0)
      return n.error() << "cannot infer the -1 in " << formatDims(*requested)
                       << " for an input " << formatDims(in) << " of " << total
                       << " elements";
    shape[inferred] = total / known;
  } else if (known != total) {
    return n.error() << "cannot reshape " << formatDims(in) << " (" << total
                     << " elements) to " << formatDims(shape);
  }
  return n.setOutput(0, n.reshape(x, shape));
}

LogicalResult convertFlatten(NodeImporter &n) {
  Value x = n.requireInput(0, "input");
  FailureOr<int64_t> axis = n.getInt("axis", 1);
  if (!x || failed(axis))
    return failure();
  ArrayRef<int64_t> in = shapeOf(x);
  int64_t rank = in.size(), a = *axis < 0 ? *axis + rank : *axis;
  if (a < 0 || a > rank)
    return n.error() << "axis " << *axis << " is out of range for rank "
                     << rank;
  return n.setOutput(0, n.reshape(x, {numElements(in.take_front(a)),
                                      numElements(in.drop_front(a))}));
}

LogicalResult convertSqueeze(NodeImporter &n) {
  Value x = n.requireInput(0, "data");
  FailureOr<std::optional<SmallVector<int64_t>>> axes = axesOperand(n, 1);
  if (!x || failed(axes))
    return failure();
  ArrayRef<int64_t> in = shapeOf(x);
  SmallVector<int64_t> drop;
  if (*axes) {
    FailureOr<SmallVector<int64_t>> normalized =
        normalizeAxes(n, **axes, in.size());
    if (failed(normalized))
      return failure();
    drop = *normalized;
    for (int64_t a : drop)
      if (in[a] != 1)
        return n.error() << "cannot squeeze dim " << a << " of "
                         << formatDims(in) << ": it is " << in[a] << ", not 1";
  } else {
    for (auto [i, d] : llvm::enumerate(in))
      if (d == 1)
        drop.push_back(i);
  }
  SmallVector<int64_t> shape;
  for (auto [i, d] : llvm::enumerate(in))
    if (!llvm::is_contained(drop, static_cast<int64_t>(i)))
      shape.push_back(d);
  return n.setOutput(0, n.reshape(x, shape));
}

LogicalResult convertUnsqueeze(NodeImporter &n) {
  Value x = n.requireInput(0, "data");
  FailureOr<std::optional<SmallVector<int64_t>>> axes = axesOperand(n, 1);
  if (!x || failed(axes))
    return failure();
  if (!*axes)
    return n.error() << "axes are required";
  ArrayRef<int64_t> in = shapeOf(x);
  int64_t rank = in.size() + (*axes)->size();
  FailureOr<SmallVector<int64_t>> inserted = normalizeAxes(n, **axes, rank);
  if (failed(inserted))
    return failure();
  SmallVector<int64_t> shape;
  for (int64_t i = 0, next = 0; i < rank; ++i)
    shape.push_back(llvm::is_contained(*inserted, i) ? 1 : in[next++]);
  return n.setOutput(0, n.reshape(x, shape));
}

LogicalResult convertTranspose(NodeImporter &n) {
  Value x = n.requireInput(0, "data");
  if (!x)
    return failure();
  int64_t rank = shapeOf(x).size();
  SmallVector<int64_t> perm;
  if (n.hasAttr("perm")) {
    FailureOr<SmallVector<int64_t>> given = n.getInts("perm");
    if (failed(given))
      return failure();
    perm = *given;
  } else {
    for (int64_t i = rank - 1; i >= 0; --i)
      perm.push_back(i);
  }
  return n.setOutput(
      0, n.create<TransposeOp>({x}, {n.named("perm", n.i64ArrayAttr(perm))}));
}

LogicalResult convertExpand(NodeImporter &n) {
  Value x = n.requireInput(0, "input");
  FailureOr<SmallVector<int64_t>> shape = n.constInts(1, "shape");
  if (!x || failed(shape))
    return failure();
  // Expand broadcasts both ways: a 1 in `shape` keeps the input's dim.
  if (llvm::any_of(*shape, [](int64_t d) { return d < 0; }))
    return n.error() << "shape " << formatDims(*shape) << " has a negative dim";
  SmallVector<int64_t> result;
  if (broadcastShapes(shapeOf(x), *shape, result))
    return n.error() << "cannot expand " << formatDims(shapeOf(x)) << " to "
                     << formatDims(*shape);
  if (!checkedElementCount(result))
    return n.error() << "the result " << formatDims(result) << " is too large";
  if (ArrayRef<int64_t>(result) == shapeOf(x))
    return n.setOutput(0, x);
  return n.setOutput(0,
                     n.createTyped<BroadcastToOp>(withShape(x, result), {x}));
}

//===----------------------------------------------------------------------===//
// Joining, splitting and indexing
//===----------------------------------------------------------------------===//

LogicalResult convertConcat(NodeImporter &n) {
  FailureOr<int64_t> axis = n.getInt("axis", std::nullopt);
  if (failed(axis))
    return failure();
  SmallVector<Value> inputs;
  for (unsigned i = 0; i < n.numInputs(); ++i)
    if (Value v = n.input(i))
      inputs.push_back(v);
  if (inputs.empty())
    return n.error() << "needs at least one input";
  // The axis is stored non-negative, the form every consumer reads alike.
  std::optional<int64_t> a = normalizeAxis(*axis, shapeOf(inputs[0]).size());
  if (!a)
    return n.error() << "axis " << *axis << " is out of range for "
                     << formatDims(shapeOf(inputs[0]));
  return n.setOutput(
      0, n.create<ConcatOp>(inputs, {n.named("axis", n.i64Attr(*a))}));
}

/// Tile (torch's repeat): each dim d repeated r times is [r, d] broadcast
/// from [1, d] and merged, so the whole tile is one broadcast_to between
/// two reshapes.
LogicalResult convertTile(NodeImporter &n) {
  Value x = n.requireInput(0, "input");
  FailureOr<SmallVector<int64_t>> repeats = n.constInts(1, "repeats");
  if (!x || failed(repeats))
    return failure();
  ArrayRef<int64_t> in = shapeOf(x);
  if (repeats->size() != in.size())
    return n.error() << "repeats " << formatDims(*repeats) << " must have one "
                     << "entry per dim of the input " << formatDims(in);
  SmallVector<int64_t> spread, grown, result;
  for (auto [d, r] : llvm::zip(in, *repeats)) {
    if (r < 0)
      return n.error() << "repeats " << formatDims(*repeats)
                       << " has a negative entry";
    spread.append({1, d});
    grown.append({r, d});
    result.push_back(r * d);
  }
  if (!checkedElementCount(grown))
    return n.error() << "the result " << formatDims(result) << " is too large";
  if (ArrayRef<int64_t>(result) == in)
    return n.setOutput(0, x);
  Value tiled =
      n.createTyped<BroadcastToOp>(withShape(x, grown), {n.reshape(x, spread)});
  return n.setOutput(0, n.reshape(tiled, result));
}

LogicalResult convertSplit(NodeImporter &n) {
  Value x = n.requireInput(0, "input");
  FailureOr<int64_t> axis = n.getInt("axis", 0);
  if (!x || failed(axis))
    return failure();
  std::optional<int64_t> a = normalizeAxis(*axis, shapeOf(x).size());
  if (!a)
    return n.error() << "axis " << *axis << " is out of range for "
                     << formatDims(shapeOf(x));
  int64_t dim = shapeOf(x)[*a];
  int64_t pieces = n.node.output_size();
  if (pieces < 1)
    return n.error() << "has no outputs";
  SmallVector<int64_t> sizes;
  if (n.input(1)) {
    FailureOr<SmallVector<int64_t>> given = n.constInts(1, "split");
    if (failed(given))
      return failure();
    sizes = *given;
  } else if (n.hasAttr("split")) {
    FailureOr<SmallVector<int64_t>> given = n.getInts("split");
    if (failed(given))
      return failure();
    sizes = *given;
  } else {
    // Equal pieces; opset 18 (num_outputs) lets the last one be smaller.
    FailureOr<int64_t> count = n.getInt("num_outputs", pieces);
    if (failed(count))
      return failure();
    if (*count < 1 || *count != pieces)
      return n.error() << "num_outputs is " << *count << " but the node has "
                       << pieces << " outputs";
    int64_t each = (dim + pieces - 1) / pieces;
    if (n.opset() < 18 && dim % pieces != 0)
      return n.error() << "dim " << *a << " (" << dim
                       << ") does not split into " << pieces << " equal parts";
    for (int64_t i = 0; i < pieces; ++i)
      sizes.push_back(std::max<int64_t>(0, std::min(each, dim - i * each)));
  }
  if (static_cast<int64_t>(sizes.size()) != pieces)
    return n.error() << "split sizes " << formatDims(sizes) << " give "
                     << sizes.size() << " parts, but the node has " << pieces
                     << " outputs";
  SplitOp op =
      createChecked<SplitOp>(n.builder(), n.loc, {x},
                             {n.named("axis", n.i64Attr(*a)),
                              n.named("sizes", n.i64ArrayAttr(sizes))});
  if (!op)
    return failure();
  SmallVector<Value> parts = n.finish(op);
  if (parts.empty())
    return failure();
  for (auto [i, part] : llvm::enumerate(parts))
    if (failed(n.setOutput(i, part)))
      return failure();
  return success();
}

/// Clamps a Slice start or end into [0, dim] the way ONNX does for a
/// positive step.
int64_t clampSliceIndex(int64_t i, int64_t dim) {
  if (i < 0)
    return i < -dim ? 0 : i + dim;
  return std::min(i, dim);
}

LogicalResult convertSlice(NodeImporter &n) {
  Value x = n.requireInput(0, "data");
  FailureOr<SmallVector<int64_t>> starts = n.constInts(1, "starts");
  FailureOr<SmallVector<int64_t>> ends = n.constInts(2, "ends");
  if (!x || failed(starts) || failed(ends))
    return failure();
  ArrayRef<int64_t> in = shapeOf(x);
  int64_t rank = in.size();
  SmallVector<int64_t> axes =
      llvm::to_vector(llvm::seq<int64_t>(0, starts->size()));
  SmallVector<int64_t> steps(starts->size(), 1);
  if (n.input(3)) {
    FailureOr<SmallVector<int64_t>> given = n.constInts(3, "axes");
    if (failed(given))
      return failure();
    axes = *given;
  }
  if (n.input(4)) {
    FailureOr<SmallVector<int64_t>> given = n.constInts(4, "steps");
    if (failed(given))
      return failure();
    steps = *given;
  }
  if (ends->size() != starts->size() || axes.size() != starts->size() ||
      steps.size() != starts->size())
    return n.error() << "starts, ends, axes and steps must have one entry "
                        "each per sliced axis";
  FailureOr<SmallVector<int64_t>> normalized = normalizeAxes(n, axes, rank);
  if (failed(normalized))
    return failure();
  SmallVector<int64_t> lo(rank, 0), hi(in), stride(rank, 1);
  for (auto [i, axis] : llvm::enumerate(*normalized)) {
    if (steps[i] < 1)
      return n.error() << "step " << steps[i] << " on axis " << axis
                       << " is not supported (attnc slices with steps >= 1)";
    lo[axis] = clampSliceIndex((*starts)[i], in[axis]);
    hi[axis] = std::max(lo[axis], clampSliceIndex((*ends)[i], in[axis]));
    stride[axis] = steps[i];
  }
  if (llvm::all_of(lo, [](int64_t v) { return v == 0; }) &&
      ArrayRef<int64_t>(hi) == in &&
      llvm::all_of(stride, [](int64_t v) { return v == 1; }))
    return n.setOutput(0, x);
  return n.setOutput(
      0, n.create<SliceOp>({x}, {n.named("starts", n.i64ArrayAttr(lo)),
                                 n.named("limits", n.i64ArrayAttr(hi)),
                                 n.named("strides", n.i64ArrayAttr(stride))}));
}

LogicalResult convertGather(NodeImporter &n) {
  Value data = n.requireInput(0, "data"),
        indices = n.requireInput(1, "indices");
  FailureOr<int64_t> axis = n.getInt("axis", 0);
  if (!data || !indices || failed(axis))
    return failure();
  return n.setOutput(
      0,
      n.create<GatherOp>({data, indices}, {n.named("axis", n.i64Attr(*axis))}));
}

//===----------------------------------------------------------------------===//
// Types, identities and constants
//===----------------------------------------------------------------------===//

/// GatherElements (torch.gather): out[i] = data[i with i[axis] replaced by
/// indices[i]], i.e. a gather from the flattened data at
/// position(indices) * stride(axis) + base, where base (a constant) holds
/// the offset of every other coordinate and position() normalises negative
/// indices by gathering from 0..n-1.
LogicalResult convertGatherElements(NodeImporter &n) {
  Value data = n.requireInput(0, "data"),
        indices = n.requireInput(1, "indices");
  FailureOr<int64_t> axis = n.getInt("axis", 0);
  if (!data || !indices || failed(axis))
    return failure();
  ArrayRef<int64_t> in = shapeOf(data), at = shapeOf(indices);
  int64_t rank = in.size();
  std::optional<int64_t> a = normalizeAxis(*axis, rank);
  if (!a)
    return n.error() << "axis " << *axis << " is out of range for "
                     << formatDims(in);
  if (static_cast<int64_t>(at.size()) != rank)
    return n.error() << "indices " << formatDims(at)
                     << " must have the rank of the data " << formatDims(in);
  for (int64_t k = 0; k < rank; ++k)
    if (k != *a && at[k] > in[k])
      return n.error() << "indices " << formatDims(at) << " exceed the data "
                       << formatDims(in) << " in dim " << k;
  if (numElements(at) > kMaxFoldElements)
    return n.error() << "indices " << formatDims(at)
                     << " are larger than attnc builds offsets for";
  SmallVector<int64_t> strides(rank, 1);
  for (int64_t k = rank - 2; k >= 0; --k)
    strides[k] = strides[k + 1] * in[k + 1];
  OracleTensor base{SmallVector<int64_t, 4>(at), {}};
  base.data.resize(numElements(at));
  for (int64_t flat = 0; flat < numElements(at); ++flat) {
    int64_t rest = flat, offset = 0;
    for (int64_t k = rank - 1; k >= 0; --k) {
      if (k != *a)
        offset += (rest % at[k]) * strides[k];
      rest /= at[k];
    }
    base.data[flat] = static_cast<double>(offset);
  }
  OracleTensor iota{{in[*a]}, {}};
  for (int64_t i = 0; i < in[*a]; ++i)
    iota.data.push_back(static_cast<double>(i));
  Type indexType = elementTypeOf(indices);
  Value position =
      n.create<GatherOp>({n.constantFrom(iota, indexType), indices});
  Value offset = n.create<AddOp>(
      {n.create<MulOp>({position, n.scalar(indexType, strides[*a])}),
       n.constantFrom(base, indexType)});
  Value table = n.reshape(data, {numElements(in)});
  return n.setOutput(0, n.create<GatherOp>({table, offset}));
}

/// Casts a constant float tensor to an integer type, saturating at the
/// type's range and mapping NaN to 0 (ONNX leaves such casts undefined).
Value castConstantToInt(NodeImporter &n, const OracleTensor &value, Type type) {
  unsigned width = type.getIntOrFloatBitWidth();
  // The largest double below 2^(width-1), which the int type holds.
  double hi = std::nextafter(std::ldexp(1.0, width - 1), 0.0);
  double lo = -std::ldexp(1.0, width - 1);
  OracleTensor cast = value;
  for (double &v : cast.data)
    v = std::isnan(v) ? 0.0 : std::trunc(std::clamp(v, lo, hi));
  return n.constantFrom(cast, type);
}

LogicalResult convertCast(NodeImporter &n) {
  Value x = n.requireInput(0, "input");
  FailureOr<int64_t> to = n.getInt("to", std::nullopt);
  if (!x || failed(to))
    return failure();
  Type type = importElementType(n.getContext(), *to);
  if (!type)
    return n.error() << "casting to " << elementTypeName(*to)
                     << " is not supported";
  if (elementTypeOf(x) == type)
    return n.setOutput(0, x);
  // torch exports float -> int casts of -inf that a later Where discards
  // (T5's log(0) in its relative-position buckets); the interpreter rejects
  // them, so a constant one folds here.
  if (elementTypeOf(x).isa<FloatType>() && type.isa<IntegerType>() &&
      !type.isInteger(1))
    if (const OracleTensor *value = n.graph.constantValue(x))
      return n.setOutput(0, castConstantToInt(n, *value, type));
  return n.setOutput(
      0, n.createTyped<CastOp>(RankedTensorType::get(shapeOf(x), type), {x}));
}

LogicalResult convertCastLike(NodeImporter &n) {
  Value x = n.requireInput(0, "input"), like = n.requireInput(1, "target_type");
  if (!x || !like)
    return failure();
  if (elementTypeOf(x) == elementTypeOf(like))
    return n.setOutput(0, x);
  return n.setOutput(
      0, n.createTyped<CastOp>(
             RankedTensorType::get(shapeOf(x), elementTypeOf(like)), {x}));
}

LogicalResult convertIdentity(NodeImporter &n) {
  return n.setOutput(0, n.requireInput(0, "input"));
}

LogicalResult convertDropout(NodeImporter &n) {
  // Inference: the input passes through and the mask keeps everything.
  Value x = n.requireInput(0, "data");
  if (failed(n.setOutput(0, x)))
    return failure();
  if (n.node.output_size() < 2 || n.node.output(1).empty())
    return success();
  auto type = RankedTensorType::get(shapeOf(x), n.builder().getI1Type());
  return n.setOutput(1, n.finishOne(n.builder().create<ConstantOp>(
                            n.loc, DenseElementsAttr::get(type, true))));
}

LogicalResult convertConstant(NodeImporter &n) {
  if (n.node.attribute_size() != 1)
    return n.error() << "expects exactly one value attribute, got "
                     << n.node.attribute_size();
  const onnx::AttributeProto &attr = n.node.attribute(0);
  Builder &b = n.builder();
  StringRef name = attr.name();
  if (name == "value") {
    if (attr.type() != onnx::AttributeProto::TENSOR)
      return n.error() << "attribute 'value' must be a tensor";
    llvm::Expected<DecodedTensor> tensor =
        decodeTensor(attr.t(), n.getContext(), n.graph.externalDataDir);
    if (!tensor)
      return n.error() << llvm::toString(tensor.takeError());
    return n.setOutput(0, n.constant(tensor->type, tensor->bytes));
  }
  if (name == "value_float" && attr.type() == onnx::AttributeProto::FLOAT)
    return n.setOutput(0, n.scalar(b.getF32Type(), attr.f()));
  if (name == "value_int" && attr.type() == onnx::AttributeProto::INT)
    return n.setOutput(0, n.i64Constant({attr.i()}, {}));
  if (name == "value_ints" && attr.type() == onnx::AttributeProto::INTS) {
    SmallVector<int64_t> values(attr.ints().begin(), attr.ints().end());
    return n.setOutput(0, n.i64Constant(values, {int64_t(values.size())}));
  }
  if (name == "value_floats" && attr.type() == onnx::AttributeProto::FLOATS) {
    SmallVector<float> values(attr.floats().begin(), attr.floats().end());
    auto type = RankedTensorType::get({int64_t(values.size())}, b.getF32Type());
    return n.setOutput(
        0, n.constant(type, ArrayRef<char>(
                                reinterpret_cast<const char *>(values.data()),
                                values.size() * sizeof(float))));
  }
  return n.error() << "a constant given as '" << name
                   << "' is not supported (use value, value_float(s) or "
                      "value_int(s))";
}

LogicalResult convertConstantOfShape(NodeImporter &n) {
  FailureOr<SmallVector<int64_t>> shape = n.constInts(0, "input");
  if (failed(shape))
    return failure();
  if (!checkedElementCount(*shape))
    return n.error() << "shape " << formatDims(*shape)
                     << " is negative or too large";
  Type elementType = n.builder().getF32Type();
  double value = 0.0;
  if (n.hasAttr("value")) {
    FailureOr<const onnx::TensorProto *> proto = n.getTensor("value");
    if (failed(proto))
      return failure();
    llvm::Expected<DecodedTensor> tensor =
        decodeTensor(**proto, n.getContext(), n.graph.externalDataDir);
    if (!tensor)
      return n.error() << llvm::toString(tensor.takeError());
    if (tensor->type.getNumElements() != 1)
      return n.error() << "value must hold one element";
    Value one = n.constant(tensor->type, tensor->bytes);
    elementType = tensor->type.getElementType();
    value = n.graph.constantValue(one)->data[0];
  }
  // A splat: no data however large the shape.
  auto type = RankedTensorType::get(*shape, elementType);
  Attribute element =
      elementType.isa<FloatType>()
          ? Attribute(n.builder().getFloatAttr(elementType, value))
          : Attribute(n.builder().getIntegerAttr(elementType,
                                                 static_cast<int64_t>(value)));
  return n.setOutput(0, n.finishOne(n.builder().create<ConstantOp>(
                            n.loc, DenseElementsAttr::get(type, element))));
}

LogicalResult convertRange(NodeImporter &n) {
  FailureOr<attnc::OracleTensor> start = n.constTensor(0, "start");
  FailureOr<attnc::OracleTensor> limit = n.constTensor(1, "limit");
  FailureOr<attnc::OracleTensor> delta = n.constTensor(2, "delta");
  if (failed(start) || failed(limit) || failed(delta))
    return failure();
  if (start->data.size() != 1 || limit->data.size() != 1 ||
      delta->data.size() != 1)
    return n.error() << "start, limit and delta must be scalars";
  double s = start->data[0], l = limit->data[0], d = delta->data[0];
  // Integer ranges stay exact in fp64 below 2^53.
  double count = d == 0 || !(std::fabs(s) < 9e15 && std::fabs(l) < 9e15)
                     ? NAN
                     : std::ceil((l - s) / d);
  if (!(count < double(kMaxFoldElements)))
    return n.error() << "range(" << s << ", " << l << ", " << d
                     << ") has a zero step, huge bounds or too many elements";
  int64_t length = count > 0 ? static_cast<int64_t>(count) : 0;
  Type type = elementTypeOf(n.input(0));
  // Built in fp64 and rounded to the element type by the constant.
  std::vector<double> values(length);
  for (int64_t i = 0; i < length; ++i)
    values[i] = s + static_cast<double>(i) * d;
  attnc::OracleTensor range;
  range.shape = {length};
  range.data = std::move(values);
  attnc::HostTensor host =
      attnc::fromOracle(range, *attnc::dtypeFromType(type));
  return n.setOutput(
      0, n.constant(
             RankedTensorType::get({length}, type),
             ArrayRef<char>(reinterpret_cast<const char *>(host.bytes.data()),
                            host.bytes.size())));
}

LogicalResult convertTrilu(NodeImporter &n) {
  Value x = n.requireInput(0, "input");
  FailureOr<int64_t> upper = n.getInt("upper", 1);
  if (!x || failed(upper))
    return failure();
  int64_t k = 0;
  if (n.input(1)) {
    FailureOr<SmallVector<int64_t>> given = n.constInts(1, "k");
    if (failed(given))
      return failure();
    if (given->size() != 1)
      return n.error() << "k must be a scalar";
    k = given->front();
  }
  ArrayRef<int64_t> in = shapeOf(x);
  if (in.size() < 2)
    return n.error() << "input must have rank >= 2, got " << formatDims(in);
  // keep(i, j) is a constant mask; a select applies it (and folds it into
  // the data when the input is a constant).
  int64_t rows = in[in.size() - 2], cols = in.back();
  if (rows * cols > kMaxFoldElements)
    return n.error() << "a [" << rows << ", " << cols
                     << "] triangle is larger than attnc builds masks for";
  SmallVector<bool> keep;
  for (int64_t i = 0; i < rows; ++i)
    for (int64_t j = 0; j < cols; ++j)
      keep.push_back(*upper ? j - i >= k : j - i <= k);
  auto maskType = RankedTensorType::get({rows, cols}, n.builder().getI1Type());
  Value mask = n.finishOne(n.builder().create<ConstantOp>(
      n.loc, DenseElementsAttr::get(maskType, keep)));
  Value zero = n.scalar(elementTypeOf(x), 0.0);
  return n.setOutput(0, n.create<SelectOp>({mask, x, zero}));
}

} // namespace

void attnc::onnx_import::addShapeConverters(llvm::StringMap<OpConverter> &t) {
  constexpr unsigned kAny = ~0u;
  t["Shape"] = {convertShape, 1, 1};
  t["Size"] = {convertSize, 1, 1};
  t["Reshape"] = {convertReshape, 2, 2};
  t["Flatten"] = {convertFlatten, 1, 1};
  t["Squeeze"] = {convertSqueeze, 1, 2};
  t["Unsqueeze"] = {convertUnsqueeze, 1, 2};
  t["Transpose"] = {convertTranspose, 1, 1};
  t["Expand"] = {convertExpand, 2, 2};
  t["Concat"] = {convertConcat, 1, kAny};
  t["Split"] = {convertSplit, 1, 2};
  t["Slice"] = {convertSlice, 3, 5};
  t["Gather"] = {convertGather, 2, 2};
  t["GatherElements"] = {convertGatherElements, 2, 2};
  t["Tile"] = {convertTile, 2, 2};
  t["Cast"] = {convertCast, 1, 1};
  t["CastLike"] = {convertCastLike, 2, 2};
  t["Identity"] = {convertIdentity, 1, 1};
  t["Dropout"] = {convertDropout, 1, 3};
  t["Constant"] = {convertConstant, 0, 0};
  t["ConstantOfShape"] = {convertConstantOfShape, 1, 1};
  t["Range"] = {convertRange, 3, 3};
  t["Trilu"] = {convertTrilu, 1, 2};
}
