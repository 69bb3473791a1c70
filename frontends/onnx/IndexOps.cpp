//===- IndexOps.cpp - ONNX advanced indexing and Einsum as attn ops -------===//
//
// GatherND and ScatterND (what torch's advanced indexing and index_put
// export to) become gathers from the flattened data at computed offsets;
// with constant indices, as in exported mask construction, the offsets fold
// at import. Einsum with one or two operands becomes reductions, transposes
// and one batched matmul.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeImporter.h"

#include "ir/ShapeUtils.h"

#include "llvm/ADT/StringSet.h"

using namespace mlir;
using namespace mlir::attn;
using namespace attnc::onnx_import;
using attnc::OracleTensor;

namespace {

NamedAttribute predicate(NodeImporter &n, CompareKind kind) {
  return n.named("predicate", CompareKindAttr::get(n.getContext(), kind));
}

Value reduceSum(NodeImporter &n, Value x, ArrayRef<int64_t> axes,
                bool keepDims) {
  if (axes.empty())
    return x;
  return n.create<ReduceOp>(
      {x},
      {n.named("kind", ReduceKindAttr::get(n.getContext(), ReduceKind::sum)),
       n.named("axes", n.i64ArrayAttr(axes)),
       n.named("keep_dims", n.builder().getBoolAttr(keepDims))});
}

Value transpose(NodeImporter &n, Value x, ArrayRef<int64_t> perm) {
  if (!x || llvm::equal(perm, llvm::seq<int64_t>(0, perm.size())))
    return x;
  return n.create<TransposeOp>({x}, {n.named("perm", n.i64ArrayAttr(perm))});
}

/// Offsets into the first `dims.size()` dims of a row-major tensor of
/// `dims` for index tuples along the last axis of `indices`, negative
/// indices counted from the end: shape indices[:-1].
Value flatOffsets(NodeImporter &n, Value indices, ArrayRef<int64_t> dims) {
  Type type = elementTypeOf(indices);
  int64_t k = dims.size();
  OracleTensor extent{{k}, {}}, stride{{k}, {}};
  int64_t s = 1;
  stride.data.resize(k);
  for (int64_t j = k - 1; j >= 0; --j) {
    stride.data[j] = static_cast<double>(s);
    s *= dims[j];
  }
  for (int64_t d : dims)
    extent.data.push_back(static_cast<double>(d));
  Value negative = n.create<CompareOp>({indices, n.scalar(type, 0)},
                                       {predicate(n, CompareKind::lt)});
  Value wrapped = n.create<SelectOp>(
      {negative, n.create<AddOp>({indices, n.constantFrom(extent, type)}),
       indices});
  Value scaled = n.create<MulOp>({wrapped, n.constantFrom(stride, type)});
  return reduceSum(n, scaled, {int64_t(shapeOf(indices).size()) - 1}, false);
}

/// GatherND: out[b.., i..] = data[b.., indices[b.., i..]..] with b the
/// batch_dims leading dims shared by data and indices.
LogicalResult convertGatherND(NodeImporter &n) {
  Value data = n.requireInput(0, "data"),
        indices = n.requireInput(1, "indices");
  FailureOr<int64_t> batchDims = n.getInt("batch_dims", 0);
  if (!data || !indices || failed(batchDims))
    return failure();
  ArrayRef<int64_t> in = shapeOf(data), at = shapeOf(indices);
  int64_t r = in.size(), q = at.size(), b = *batchDims;
  if (q < 1 || b < 0 || b >= std::min(r, q))
    return n.error() << "batch_dims " << b << " must be below the ranks of "
                     << "data " << formatDims(in) << " and indices "
                     << formatDims(at);
  int64_t k = at.back();
  if (k < 1 || b + k > r)
    return n.error() << "indices " << formatDims(at) << " index " << k
                     << " dims, data " << formatDims(in) << " has " << r - b
                     << " after the " << b << " batch dims";
  if (at.take_front(b) != in.take_front(b))
    return n.error() << "the batch dims of indices " << formatDims(at)
                     << " and data " << formatDims(in) << " differ";
  Value offsets = flatOffsets(n, indices, in.slice(b, k));
  if (!offsets)
    return failure();
  if (b > 0) {
    // Each batch reads its own block of prod(in[b:b+k]) rows.
    SmallVector<int64_t> batchShape(at.drop_back());
    int64_t block = numElements(in.slice(b, k));
    int64_t inner = numElements(at.slice(b, q - b - 1));
    OracleTensor base{SmallVector<int64_t, 4>(batchShape.begin(), batchShape.end()), {}};
    for (int64_t i = 0; i < numElements(batchShape); ++i)
      base.data.push_back(static_cast<double>((i / inner) * block));
    offsets = n.create<AddOp>(
        {offsets, n.constantFrom(base, elementTypeOf(indices))});
  }
  SmallVector<int64_t> tableShape = {numElements(in.take_front(b + k))};
  llvm::append_range(tableShape, in.drop_front(b + k));
  return n.setOutput(
      0, n.create<GatherOp>({n.reshape(data, tableShape), offsets}));
}

/// ScatterND with constant indices: every slot of the data's first k dims
/// is either kept or taken from one row of the updates (the last one that
/// writes it, or combined with it under a reduction), which is a gather
/// and a select.
LogicalResult convertScatterND(NodeImporter &n) {
  Value data = n.requireInput(0, "data"),
        updates = n.requireInput(2, "updates");
  FailureOr<std::string> reduction = n.getString("reduction", "none");
  if (!data || !updates || failed(reduction))
    return failure();
  FailureOr<SmallVector<int64_t>> flat = n.constInts(1, "indices");
  if (failed(flat))
    return failure();
  ArrayRef<int64_t> in = shapeOf(data), at = shapeOf(n.input(1)),
                    up = shapeOf(updates);
  int64_t r = in.size();
  int64_t k = at.empty() ? 0 : at.back();
  if (at.empty() || k < 1 || k > r)
    return n.error() << "indices " << formatDims(at)
                     << " must index between 1 and " << r << " dims of data "
                     << formatDims(in);
  SmallVector<int64_t> expected(at.drop_back());
  llvm::append_range(expected, in.drop_front(k));
  if (up != ArrayRef<int64_t>(expected))
    return n.error() << "updates " << formatDims(up) << " must be "
                     << formatDims(expected) << " for indices "
                     << formatDims(at) << " into data " << formatDims(in);
  int64_t slots = numElements(in.take_front(k)), rows = numElements(at) / k;
  if (slots > kMaxFoldElements)
    return n.error() << "data " << formatDims(in)
                     << " has more slots than attnc builds masks for";
  std::vector<int64_t> source(slots, -1);
  bool repeated = false;
  for (int64_t row = 0; row < rows; ++row) {
    int64_t slot = 0;
    for (int64_t j = 0; j < k; ++j) {
      int64_t i = (*flat)[row * k + j], d = in[j];
      if (i < -d || i >= d)
        return n.error() << "index " << i << " is out of range for dim " << j
                         << " of data " << formatDims(in);
      slot = slot * d + (i < 0 ? i + d : i);
    }
    repeated |= source[slot] >= 0;
    source[slot] = row;
  }
  if (*reduction != "none" && repeated)
    return n.error() << "reduction='" << *reduction
                     << "' with an index written twice is not supported";
  SmallVector<int64_t> slotShape = {slots};
  llvm::append_range(slotShape, in.drop_front(k));
  SmallVector<int64_t> rowShape = {rows};
  llvm::append_range(rowShape, in.drop_front(k));
  SmallVector<int64_t> keepShape = {slots};
  keepShape.append(r - k, 1);
  OracleTensor from{{slots}, {}};
  SmallVector<bool> written;
  for (int64_t row : source) {
    from.data.push_back(static_cast<double>(std::max<int64_t>(row, 0)));
    written.push_back(row >= 0);
  }
  Value old = n.reshape(data, slotShape);
  Value taken = n.create<GatherOp>(
      {n.reshape(updates, rowShape),
       n.constantFrom(from, n.builder().getI64Type())});
  if (!taken)
    return failure();
  if (*reduction == "add")
    taken = n.create<AddOp>({old, taken});
  else if (*reduction == "mul")
    taken = n.create<MulOp>({old, taken});
  else if (*reduction == "max")
    taken = n.create<MaxOp>({old, taken});
  else if (*reduction == "min")
    taken = n.create<MinOp>({old, taken});
  else if (*reduction != "none")
    return n.error() << "reduction='" << *reduction << "' is not one of none, "
                     << "add, mul, max, min";
  auto maskType = RankedTensorType::get(keepShape, n.builder().getI1Type());
  Value mask = n.finishOne(n.builder().create<ConstantOp>(
      n.loc, DenseElementsAttr::get(maskType, written)));
  return n.setOutput(
      0, n.reshape(n.create<SelectOp>({mask, taken, old}), in));
}

/// Einsum with one or two operands and explicit letters (no '...', no
/// letter repeated within one operand).
LogicalResult convertEinsum(NodeImporter &n) {
  FailureOr<std::string> equation = n.getString("equation", "");
  if (failed(equation))
    return failure();
  std::string eq;
  for (char c : *equation)
    if (c != ' ')
      eq.push_back(c);
  if (StringRef(eq).contains("..."))
    return n.error() << "equation '" << *equation
                     << "': '...' (broadcast dims) is not supported";
  auto [lhs, rhs] = StringRef(eq).split("->");
  bool explicitOutput = StringRef(eq).contains("->");
  SmallVector<StringRef> terms;
  lhs.split(terms, ',');
  if (terms.size() != n.numInputs() || terms.size() > 2)
    return n.error() << "equation '" << *equation << "' has " << terms.size()
                     << " operands, the node " << n.numInputs()
                     << "; attnc imports Einsum of one or two operands";
  // Letter -> extent, checked across operands.
  llvm::DenseMap<char, int64_t> extent;
  SmallVector<Value> operands;
  for (auto [i, term] : llvm::enumerate(terms)) {
    Value x = n.requireInput(i, "input");
    if (!x)
      return failure();
    ArrayRef<int64_t> shape = shapeOf(x);
    if (term.size() != shape.size())
      return n.error() << "operand " << i << " '" << term << "' has rank "
                       << term.size() << " in the equation but is "
                       << formatDims(shape);
    for (auto [j, c] : llvm::enumerate(term)) {
      if (!llvm::isAlpha(c))
        return n.error() << "equation '" << *equation
                         << "': unexpected character '" << c << "'";
      if (term.find(c) != j)
        return n.error() << "equation '" << *equation << "': letter '" << c
                         << "' repeats within operand " << i
                         << " (diagonals are not supported)";
      auto [it, inserted] = extent.insert({c, shape[j]});
      if (!inserted && it->second != shape[j])
        return n.error() << "letter '" << c << "' is " << it->second
                         << " in one operand and " << shape[j]
                         << " in another";
    }
    operands.push_back(x);
  }
  std::string out;
  if (explicitOutput) {
    out = rhs.str();
    for (char c : out)
      if (!extent.count(c) || StringRef(out).count(c) != 1)
        return n.error() << "equation '" << *equation << "': output letter '"
                         << c << "' is not an input letter or repeats";
  } else {
    // Implicit output: the letters used once, in alphabetical order.
    for (char c = 'A'; c <= 'z'; ++c)
      if (llvm::count(lhs, c) == 1)
        out.push_back(c);
  }
  auto inOutput = [&](char c) { return StringRef(out).contains(c); };
  // Sum away what only one operand has and the output does not.
  SmallVector<std::string> letters;
  for (auto [i, term] : llvm::enumerate(terms)) {
    std::string kept;
    SmallVector<int64_t> summed;
    for (auto [j, c] : llvm::enumerate(term)) {
      bool shared = terms.size() == 2 && terms[1 - i].contains(c);
      if (inOutput(c) || shared)
        kept.push_back(c);
      else
        summed.push_back(j);
    }
    operands[i] = reduceSum(n, operands[i], summed, false);
    if (!operands[i])
      return failure();
    letters.push_back(kept);
  }
  auto permuteTo = [&](Value x, StringRef from, StringRef to) {
    SmallVector<int64_t> perm;
    for (char c : to)
      perm.push_back(from.find(c));
    return transpose(n, x, perm);
  };
  auto extents = [&](StringRef s) {
    SmallVector<int64_t> dims;
    for (char c : s)
      dims.push_back(extent[c]);
    return dims;
  };
  if (terms.size() == 1)
    return n.setOutput(0, permuteTo(operands[0], letters[0], out));
  // batch: in both and the output; contracted: in both only; left/right:
  // in one operand and the output.
  std::string batch, contracted, left, right;
  for (char c : letters[0]) {
    bool shared = StringRef(letters[1]).contains(c);
    (shared ? (inOutput(c) ? batch : contracted) : left).push_back(c);
  }
  for (char c : letters[1])
    if (!StringRef(letters[0]).contains(c))
      right.push_back(c);
  int64_t nb = numElements(extents(batch)), nl = numElements(extents(left)),
          nc = numElements(extents(contracted)),
          nr = numElements(extents(right));
  Value a = n.reshape(permuteTo(operands[0], letters[0],
                                batch + left + contracted),
                      {nb, nl, nc});
  Value b = n.reshape(permuteTo(operands[1], letters[1],
                                batch + contracted + right),
                      {nb, nc, nr});
  Value product = n.create<MatmulOp>({a, b});
  std::string order = batch + left + right;
  Value shaped = n.reshape(product, extents(order));
  return n.setOutput(0, permuteTo(shaped, order, out));
}

} // namespace

void attnc::onnx_import::addIndexConverters(llvm::StringMap<OpConverter> &t) {
  t["GatherND"] = {convertGatherND, 2, 2};
  t["ScatterND"] = {convertScatterND, 3, 3};
  t["Einsum"] = {convertEinsum, 1, 2};
}
