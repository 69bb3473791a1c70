//===- AttnOps.cpp - shape rules, verifiers and folders of attn ops -------===//
//
// Every shape rule lives here, once: ops that implement InferTypeOpInterface
// compute their result types (and report a mismatch naming the operand, the
// dimension, what was expected and what was got); the others verify.
//
//===----------------------------------------------------------------------===//

#include "ir/AttnOps.h"
#include "ir/ShapeUtils.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::attn;

#include "ir/AttnDialect.cpp.inc"
#include "ir/AttnEnums.cpp.inc"

#define GET_ATTRDEF_CLASSES
#include "ir/AttnAttrs.cpp.inc"

void AttnDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/AttnOps.cpp.inc"
      >();
  addAttributes<
#define GET_ATTRDEF_LIST
#include "ir/AttnAttrs.cpp.inc"
      >();
}

Operation *AttnDialect::materializeConstant(OpBuilder &builder, Attribute value,
                                            Type type, Location loc) {
  auto elements = value.dyn_cast<ElementsAttr>();
  if (!elements || elements.getType() != type)
    return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

namespace {

/// Reports a shape error from result-type inference, prefixed with the op.
LogicalResult inferError(std::optional<Location> loc, StringRef op,
                         const Twine &message) {
  return emitOptionalError(loc, "'attn.", op, "' op ", message);
}

RankedTensorType tensorType(Value v) {
  return v.getType().dyn_cast<RankedTensorType>();
}

/// Broadcasts two operands' shapes or reports which dims disagree.
LogicalResult broadcastOperands(std::optional<Location> loc, StringRef op,
                                StringRef aName, RankedTensorType a,
                                StringRef bName, RankedTensorType b,
                                SmallVectorImpl<int64_t> &out) {
  std::optional<int64_t> bad =
      broadcastShapes(a.getShape(), b.getShape(), out);
  if (!bad)
    return success();
  int64_t ia = a.getRank() - 1 - *bad, ib = b.getRank() - 1 - *bad;
  return inferError(loc, op,
                    Twine("cannot broadcast ") + aName + " " +
                        formatShape(a.getShape()) + " with " + bName + " " +
                        formatShape(b.getShape()) + ": " + aName + " dim " +
                        Twine(ia) + " is " + Twine(a.getDimSize(ia)) + ", " +
                        bName + " dim " + Twine(ib) + " is " +
                        Twine(b.getDimSize(ib)) + " (expected equal or 1)");
}

LogicalResult inferBroadcast(std::optional<Location> loc, StringRef op,
                             ValueRange operands, Type elementType,
                             SmallVectorImpl<Type> &results) {
  auto lhs = tensorType(operands[0]), rhs = tensorType(operands[1]);
  if (!lhs || !rhs)
    return inferError(loc, op, "expects ranked tensor operands");
  SmallVector<int64_t> shape;
  if (failed(broadcastOperands(loc, op, "lhs", lhs, "rhs", rhs, shape)))
    return failure();
  results.push_back(RankedTensorType::get(
      shape, elementType ? elementType : lhs.getElementType()));
  return success();
}

LogicalResult inferArithmetic(std::optional<Location> loc, StringRef op,
                              ValueRange operands,
                              SmallVectorImpl<Type> &results) {
  auto lhs = tensorType(operands[0]);
  if (lhs && lhs.getElementType().isInteger(1))
    return inferError(loc, op, "expects numeric operands, got i1 (use "
                               "attn.and / attn.or / attn.select for masks)");
  return inferBroadcast(loc, op, operands, Type(), results);
}

LogicalResult inferLogical(std::optional<Location> loc, StringRef op,
                           ValueRange operands, SmallVectorImpl<Type> &results) {
  auto lhs = tensorType(operands[0]);
  if (lhs && !lhs.getElementType().isInteger(1))
    return inferError(loc, op, Twine("expects i1 operands, got ") +
                                   "a tensor of another element type");
  return inferBroadcast(loc, op, operands, Type(), results);
}

} // namespace

#define ATTN_INFER_ARITHMETIC(OP, NAME)                                        \
  LogicalResult OP::inferReturnTypes(                                          \
      MLIRContext *, std::optional<Location> loc, ValueRange operands,         \
      DictionaryAttr, RegionRange, SmallVectorImpl<Type> &results) {           \
    return inferArithmetic(loc, NAME, operands, results);                      \
  }
ATTN_INFER_ARITHMETIC(AddOp, "add")
ATTN_INFER_ARITHMETIC(SubOp, "sub")
ATTN_INFER_ARITHMETIC(MulOp, "mul")
ATTN_INFER_ARITHMETIC(DivOp, "div")
ATTN_INFER_ARITHMETIC(PowOp, "pow")
ATTN_INFER_ARITHMETIC(MaxOp, "max")
ATTN_INFER_ARITHMETIC(MinOp, "min")
#undef ATTN_INFER_ARITHMETIC

LogicalResult AndOp::inferReturnTypes(MLIRContext *,
                                      std::optional<Location> loc,
                                      ValueRange operands, DictionaryAttr,
                                      RegionRange,
                                      SmallVectorImpl<Type> &results) {
  return inferLogical(loc, "and", operands, results);
}

LogicalResult OrOp::inferReturnTypes(MLIRContext *, std::optional<Location> loc,
                                     ValueRange operands, DictionaryAttr,
                                     RegionRange,
                                     SmallVectorImpl<Type> &results) {
  return inferLogical(loc, "or", operands, results);
}

LogicalResult CompareOp::inferReturnTypes(MLIRContext *context,
                                          std::optional<Location> loc,
                                          ValueRange operands, DictionaryAttr,
                                          RegionRange,
                                          SmallVectorImpl<Type> &results) {
  return inferBroadcast(loc, "compare", operands,
                        IntegerType::get(context, 1), results);
}

LogicalResult SelectOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands, DictionaryAttr,
                                         RegionRange,
                                         SmallVectorImpl<Type> &results) {
  auto cond = tensorType(operands[0]), t = tensorType(operands[1]),
       f = tensorType(operands[2]);
  if (!cond || !t || !f)
    return inferError(loc, "select", "expects ranked tensor operands");
  SmallVector<int64_t> tf, all;
  if (failed(broadcastOperands(loc, "select", "true_value", t, "false_value",
                               f, tf)))
    return failure();
  auto tfType = RankedTensorType::get(tf, t.getElementType());
  if (failed(broadcastOperands(loc, "select", "condition", cond, "values",
                               tfType, all)))
    return failure();
  results.push_back(RankedTensorType::get(all, t.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// CastOp
//===----------------------------------------------------------------------===//

LogicalResult CastOp::verify() {
  auto in = getInput().getType().cast<RankedTensorType>();
  auto out = getResult().getType().cast<RankedTensorType>();
  if (in.getShape() != out.getShape())
    return emitOpError("result shape ")
           << formatShape(out.getShape()) << " must equal the input shape "
           << formatShape(in.getShape());
  return success();
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

LogicalResult ReduceOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands,
                                         DictionaryAttr attributes, RegionRange,
                                         SmallVectorImpl<Type> &results) {
  ReduceOpAdaptor adaptor(operands, attributes);
  auto in = tensorType(adaptor.getInput());
  auto axesAttr = attributes.getAs<DenseI64ArrayAttr>("axes");
  if (!in || !axesAttr)
    return inferError(loc, "reduce", "expects a ranked input and `axes`");
  int64_t rank = in.getRank();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axesAttr.asArrayRef()) {
    std::optional<int64_t> a = normalizeAxis(axis, rank);
    if (!a)
      return inferError(loc, "reduce",
                        Twine("axis ") + Twine(axis) + " is out of range for " +
                            "an input of rank " + Twine(rank));
    if (reduced[*a])
      return inferError(loc, "reduce",
                        Twine("axis ") + Twine(axis) + " is listed twice");
    reduced[*a] = true;
  }
  auto keepAttr = attributes.getAs<BoolAttr>("keep_dims");
  bool keep = keepAttr && keepAttr.getValue();
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    if (!reduced[i])
      shape.push_back(in.getDimSize(i));
    else if (keep)
      shape.push_back(1);
  }
  results.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

static LogicalResult verifyAxis(Operation *op, int64_t axis, int64_t rank) {
  if (!normalizeAxis(axis, rank))
    return op->emitOpError("axis ")
           << axis << " is out of range for an input of rank " << rank
           << " (expected " << -rank << " <= axis < " << rank << ")";
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getType().cast<ShapedType>().getRank());
}

int64_t SoftmaxOp::getNormalizedAxis() {
  return *normalizeAxis(getAxis(), getType().cast<ShapedType>().getRank());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyAxis(*this, getAxis(), getType().cast<ShapedType>().getRank());
}

int64_t LogSoftmaxOp::getNormalizedAxis() {
  return *normalizeAxis(getAxis(), getType().cast<ShapedType>().getRank());
}

int64_t LayerNormOp::getNormalizedAxis() {
  return *normalizeAxis(getAxis(), getType().cast<ShapedType>().getRank());
}

LogicalResult LayerNormOp::verify() {
  auto in = getInput().getType().cast<RankedTensorType>();
  if (failed(verifyAxis(*this, getAxis(), in.getRank())))
    return failure();
  ArrayRef<int64_t> normalized = in.getShape().drop_front(getNormalizedAxis());
  for (auto [name, value] :
       {std::pair<StringRef, Value>{"scale", getScale()}, {"bias", getBias()}}) {
    if (!value)
      continue;
    auto t = value.getType().cast<RankedTensorType>();
    if (t.getShape() != normalized)
      return emitOpError() << name << " has shape " << formatShape(t.getShape())
                           << ", expected " << formatShape(normalized)
                           << " (the normalised dims of the input)";
    if (t.getElementType() != in.getElementType())
      return emitOpError() << name << " element type " << t.getElementType()
                           << " differs from the input's "
                           << in.getElementType();
  }
  return success();
}

//===----------------------------------------------------------------------===//
// MatmulOp
//===----------------------------------------------------------------------===//

LogicalResult MatmulOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands,
                                         DictionaryAttr attributes, RegionRange,
                                         SmallVectorImpl<Type> &results) {
  auto lhs = tensorType(operands[0]), rhs = tensorType(operands[1]);
  if (!lhs || !rhs)
    return inferError(loc, "matmul", "expects ranked tensor operands");
  if (lhs.getRank() < 2 || rhs.getRank() < 2)
    return inferError(loc, "matmul",
                      Twine("expects operands of rank >= 2, got lhs rank ") +
                          Twine(lhs.getRank()) + " and rhs rank " +
                          Twine(rhs.getRank()));
  bool ta = attributes && attributes.get("transpose_lhs");
  bool tb = attributes && attributes.get("transpose_rhs");
  int64_t lr = lhs.getRank(), rr = rhs.getRank();
  int64_t mDim = ta ? lr - 1 : lr - 2, kaDim = ta ? lr - 2 : lr - 1;
  int64_t kbDim = tb ? rr - 1 : rr - 2, nDim = tb ? rr - 2 : rr - 1;
  int64_t ka = lhs.getDimSize(kaDim), kb = rhs.getDimSize(kbDim);
  if (ka != kb)
    return inferError(loc, "matmul",
                      Twine("contraction dims differ: lhs dim ") +
                          Twine(kaDim) + " is " + Twine(ka) + ", rhs dim " +
                          Twine(kbDim) + " is " + Twine(kb) + " (lhs " +
                          formatShape(lhs.getShape()) + ", rhs " +
                          formatShape(rhs.getShape()) + ")");
  SmallVector<int64_t> batch;
  auto lb = lhs.getShape().drop_back(2), rb = rhs.getShape().drop_back(2);
  if (std::optional<int64_t> bad = broadcastShapes(lb, rb, batch))
    return inferError(loc, "matmul",
                      Twine("batch dims do not broadcast: lhs ") +
                          formatShape(lhs.getShape()) + ", rhs " +
                          formatShape(rhs.getShape()));
  batch.push_back(lhs.getDimSize(mDim));
  batch.push_back(rhs.getDimSize(nDim));
  results.push_back(RankedTensorType::get(batch, lhs.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

LogicalResult ReshapeOp::verify() {
  auto in = getInput().getType().cast<RankedTensorType>();
  auto out = getType().cast<RankedTensorType>();
  if (in.getNumElements() != out.getNumElements())
    return emitOpError("cannot reshape ")
           << formatShape(in.getShape()) << " (" << in.getNumElements()
           << " elements) to " << formatShape(out.getShape()) << " ("
           << out.getNumElements() << " elements)";
  return success();
}

OpFoldResult ReshapeOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto prev = getInput().getDefiningOp<ReshapeOp>()) {
    getInputMutable().assign(prev.getInput());
    return getResult();
  }
  if (auto dense = adaptor.getInput().dyn_cast_or_null<DenseElementsAttr>())
    return dense.reshape(getType().cast<ShapedType>());
  return {};
}

LogicalResult TransposeOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            ValueRange operands,
                                            DictionaryAttr attributes,
                                            RegionRange,
                                            SmallVectorImpl<Type> &results) {
  auto in = tensorType(operands[0]);
  auto permAttr = attributes.getAs<DenseI64ArrayAttr>("perm");
  if (!in || !permAttr)
    return inferError(loc, "transpose", "expects a ranked input and `perm`");
  ArrayRef<int64_t> perm = permAttr.asArrayRef();
  if (static_cast<int64_t>(perm.size()) != in.getRank())
    return inferError(loc, "transpose",
                      Twine("perm has ") + Twine(perm.size()) +
                          " entries, expected the input rank " +
                          Twine(in.getRank()));
  SmallVector<bool> seen(perm.size(), false);
  SmallVector<int64_t> shape;
  for (int64_t p : perm) {
    if (p < 0 || p >= in.getRank() || seen[p])
      return inferError(loc, "transpose",
                        Twine("perm ") + formatShape(perm) +
                            " is not a permutation of [0, " +
                            Twine(in.getRank()) + ")");
    seen[p] = true;
    shape.push_back(in.getDimSize(p));
  }
  results.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

OpFoldResult TransposeOp::fold(FoldAdaptor) {
  ArrayRef<int64_t> perm = getPerm();
  bool identity = true;
  for (auto [i, p] : llvm::enumerate(perm))
    identity &= static_cast<int64_t>(i) == p;
  if (identity)
    return getInput();
  if (auto prev = getInput().getDefiningOp<TransposeOp>()) {
    // transpose(transpose(x, p1), p2)[i] = x[p1[p2[i]]]
    SmallVector<int64_t> composed;
    for (int64_t p : perm)
      composed.push_back(prev.getPerm()[p]);
    getInputMutable().assign(prev.getInput());
    setPerm(composed);
    return getResult();
  }
  return {};
}

LogicalResult BroadcastToOp::verify() {
  auto in = getInput().getType().cast<RankedTensorType>();
  auto out = getType().cast<RankedTensorType>();
  if (!isBroadcastableTo(in.getShape(), out.getShape()))
    return emitOpError("input shape ")
           << formatShape(in.getShape()) << " does not broadcast to "
           << formatShape(out.getShape());
  return success();
}

OpFoldResult BroadcastToOp::fold(FoldAdaptor adaptor) {
  if (getInput().getType() == getType())
    return getInput();
  if (auto dense = adaptor.getInput().dyn_cast_or_null<DenseElementsAttr>())
    if (dense.isSplat())
      return DenseElementsAttr::get(getType().cast<ShapedType>(),
                                    dense.getSplatValue<Attribute>());
  return {};
}

LogicalResult SliceOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        ValueRange operands,
                                        DictionaryAttr attributes, RegionRange,
                                        SmallVectorImpl<Type> &results) {
  auto in = tensorType(operands[0]);
  auto starts = attributes.getAs<DenseI64ArrayAttr>("starts");
  auto limits = attributes.getAs<DenseI64ArrayAttr>("limits");
  auto strides = attributes.getAs<DenseI64ArrayAttr>("strides");
  if (!in || !starts || !limits || !strides)
    return inferError(loc, "slice",
                      "expects a ranked input and `starts`, `limits`, "
                      "`strides`");
  int64_t rank = in.getRank();
  if (starts.size() != rank || limits.size() != rank || strides.size() != rank)
    return inferError(loc, "slice",
                      Twine("starts/limits/strides need ") + Twine(rank) +
                          " entries each (the input rank)");
  SmallVector<int64_t> shape;
  for (int64_t i = 0; i < rank; ++i) {
    int64_t s = starts[i], l = limits[i], st = strides[i],
            d = in.getDimSize(i);
    if (st < 1)
      return inferError(loc, "slice",
                        Twine("stride of dim ") + Twine(i) + " is " +
                            Twine(st) + ", expected >= 1");
    if (s < 0 || s > l || l > d)
      return inferError(loc, "slice",
                        Twine("dim ") + Twine(i) + " window [" + Twine(s) +
                            ", " + Twine(l) + ") is not inside [0, " +
                            Twine(d) + "]");
    shape.push_back((l - s + st - 1) / st);
  }
  results.push_back(RankedTensorType::get(shape, in.getElementType()));
  return success();
}

LogicalResult ConcatOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands,
                                         DictionaryAttr attributes, RegionRange,
                                         SmallVectorImpl<Type> &results) {
  auto axisAttr = attributes.getAs<IntegerAttr>("axis");
  if (operands.empty() || !axisAttr)
    return inferError(loc, "concat", "expects at least one input and `axis`");
  auto first = tensorType(operands[0]);
  if (!first)
    return inferError(loc, "concat", "expects ranked tensor inputs");
  std::optional<int64_t> axis = normalizeAxis(axisAttr.getInt(), first.getRank());
  if (!axis)
    return inferError(loc, "concat",
                      Twine("axis ") + Twine(axisAttr.getInt()) +
                          " is out of range for rank " + Twine(first.getRank()));
  SmallVector<int64_t> shape(first.getShape());
  shape[*axis] = 0;
  for (auto [i, v] : llvm::enumerate(operands)) {
    auto t = tensorType(v);
    if (!t || t.getRank() != first.getRank() ||
        t.getElementType() != first.getElementType())
      return inferError(loc, "concat",
                        Twine("input #") + Twine(i) +
                            " must have the rank and element type of input #0");
    for (int64_t d = 0; d < t.getRank(); ++d)
      if (d != *axis && t.getDimSize(d) != first.getDimSize(d))
        return inferError(loc, "concat",
                          Twine("input #") + Twine(i) + " dim " + Twine(d) +
                              " is " + Twine(t.getDimSize(d)) + ", expected " +
                              Twine(first.getDimSize(d)) + " as in input #0");
    shape[*axis] += t.getDimSize(*axis);
  }
  results.push_back(RankedTensorType::get(shape, first.getElementType()));
  return success();
}

LogicalResult SplitOp::inferReturnTypes(MLIRContext *,
                                        std::optional<Location> loc,
                                        ValueRange operands,
                                        DictionaryAttr attributes, RegionRange,
                                        SmallVectorImpl<Type> &results) {
  auto in = tensorType(operands[0]);
  auto axisAttr = attributes.getAs<IntegerAttr>("axis");
  auto sizes = attributes.getAs<DenseI64ArrayAttr>("sizes");
  if (!in || !axisAttr || !sizes)
    return inferError(loc, "split", "expects a ranked input, `axis`, `sizes`");
  std::optional<int64_t> axis = normalizeAxis(axisAttr.getInt(), in.getRank());
  if (!axis)
    return inferError(loc, "split",
                      Twine("axis ") + Twine(axisAttr.getInt()) +
                          " is out of range for rank " + Twine(in.getRank()));
  int64_t total = 0;
  for (int64_t s : sizes.asArrayRef()) {
    if (s < 0)
      return inferError(loc, "split", "sizes must be >= 0");
    total += s;
  }
  if (total != in.getDimSize(*axis))
    return inferError(loc, "split",
                      Twine("sizes ") + formatShape(sizes.asArrayRef()) +
                          " add up to " + Twine(total) + ", expected dim " +
                          Twine(*axis) + " = " + Twine(in.getDimSize(*axis)));
  for (int64_t s : sizes.asArrayRef()) {
    SmallVector<int64_t> shape(in.getShape());
    shape[*axis] = s;
    results.push_back(RankedTensorType::get(shape, in.getElementType()));
  }
  return success();
}

LogicalResult GatherOp::inferReturnTypes(MLIRContext *,
                                         std::optional<Location> loc,
                                         ValueRange operands,
                                         DictionaryAttr attributes, RegionRange,
                                         SmallVectorImpl<Type> &results) {
  auto table = tensorType(operands[0]), indices = tensorType(operands[1]);
  if (!table || !indices)
    return inferError(loc, "gather", "expects ranked tensor operands");
  auto axisAttr = attributes ? attributes.getAs<IntegerAttr>("axis") : nullptr;
  int64_t rawAxis = axisAttr ? axisAttr.getInt() : 0;
  std::optional<int64_t> axis = normalizeAxis(rawAxis, table.getRank());
  if (!axis)
    return inferError(loc, "gather",
                      Twine("axis ") + Twine(rawAxis) +
                          " is out of range for a table of rank " +
                          Twine(table.getRank()));
  SmallVector<int64_t> shape(table.getShape().take_front(*axis));
  llvm::append_range(shape, indices.getShape());
  llvm::append_range(shape, table.getShape().drop_front(*axis + 1));
  results.push_back(RankedTensorType::get(shape, table.getElementType()));
  return success();
}

//===----------------------------------------------------------------------===//
// Constants and masks
//===----------------------------------------------------------------------===//

LogicalResult ConstantOp::verify() {
  if (getValue().getType() != getType())
    return emitOpError("value type ")
           << getValue().getType() << " differs from the result type "
           << getType();
  return success();
}

OpFoldResult ConstantOp::fold(FoldAdaptor) { return getValue(); }

// `attn.constant dense<...> : tensor<...>`: the result type is the value's.
void ConstantOp::print(OpAsmPrinter &p) {
  p << ' ';
  p.printAttribute(getValue());
  p.printOptionalAttrDict((*this)->getAttrs(), /*elidedAttrs=*/{"value"});
}

ParseResult ConstantOp::parse(OpAsmParser &parser, OperationState &result) {
  Attribute value;
  if (parser.parseAttribute(value, "value", result.attributes) ||
      parser.parseOptionalAttrDict(result.attributes))
    return failure();
  auto elements = value.dyn_cast<ElementsAttr>();
  if (!elements)
    return parser.emitError(parser.getNameLoc(),
                            "expected a tensor value such as dense<...>");
  result.addTypes(elements.getType());
  return success();
}

LogicalResult CausalMaskOp::verify() {
  auto t = getType().cast<RankedTensorType>();
  if (t.getRank() != 2)
    return emitOpError("result must be [Sq, Sk] (rank 2), got rank ")
           << t.getRank();
  if (getCausal() == CausalKind::none)
    return emitOpError("causal must be top_left or bottom_right");
  return success();
}

//===----------------------------------------------------------------------===//
// Fused ops
//===----------------------------------------------------------------------===//

LogicalResult ScaledMaskedSoftmaxOp::verify() {
  auto in = getInput().getType().cast<RankedTensorType>();
  if (getCausal() != CausalKind::none && in.getRank() < 2)
    return emitOpError("a causal softmax needs [..., Sq, Sk] scores, got rank ")
           << in.getRank();
  if (Value mask = getMask()) {
    auto m = mask.getType().cast<RankedTensorType>();
    if (!isBroadcastableTo(m.getShape(), in.getShape()))
      return emitOpError("mask shape ")
             << formatShape(m.getShape()) << " does not broadcast to the input "
             << formatShape(in.getShape());
    if (!m.getElementType().isInteger(1) &&
        m.getElementType() != in.getElementType())
      return emitOpError("an additive mask must have the input's element "
                         "type ")
             << in.getElementType() << ", got " << m.getElementType();
  }
  return success();
}

namespace {
/// The logical [B, H, S, D] dims of one attention operand.
struct HeadDims {
  int64_t batch, heads, seq, dim;
};

/// Reads an attention operand in either form; packed operands split their
/// last dim over `heads`.
LogicalResult readHeadDims(std::optional<Location> loc, StringRef name,
                           RankedTensorType t, bool packed, int64_t heads,
                           HeadDims &out) {
  int64_t want = packed ? 3 : 4;
  if (t.getRank() != want)
    return inferError(loc, "attention",
                      name + Twine(" must have rank ") + Twine(want) +
                          (packed ? " [B, S, H*D] (packed form)"
                                  : " [B, H, S, D]") +
                          ", got " + formatShape(t.getShape()));
  if (!packed) {
    out = {t.getDimSize(0), t.getDimSize(1), t.getDimSize(2), t.getDimSize(3)};
    return success();
  }
  if (heads < 1 || t.getDimSize(2) % heads != 0)
    return inferError(loc, "attention",
                      name + Twine(" dim 2 is ") + Twine(t.getDimSize(2)) +
                          ", not a multiple of its " + Twine(heads) + " heads");
  out = {t.getDimSize(0), heads, t.getDimSize(1), t.getDimSize(2) / heads};
  return success();
}

LogicalResult expectDim(std::optional<Location> loc, const Twine &what,
                        int64_t got, int64_t expected, StringRef because) {
  if (got == expected)
    return success();
  return inferError(loc, "attention",
                    what + Twine(" is ") + Twine(got) + ", expected " +
                        Twine(expected) + " (" + because + ")");
}
} // namespace

LogicalResult AttentionOp::inferReturnTypes(MLIRContext *,
                                            std::optional<Location> loc,
                                            ValueRange operands,
                                            DictionaryAttr attributes,
                                            RegionRange,
                                            SmallVectorImpl<Type> &results) {
  if (operands.size() < 3)
    return inferError(loc, "attention", "expects query, key and value");
  auto qt = tensorType(operands[0]), kt = tensorType(operands[1]),
       vt = tensorType(operands[2]);
  if (!qt || !kt || !vt)
    return inferError(loc, "attention", "expects ranked tensor operands");
  auto headsAttr =
      attributes ? attributes.getAs<IntegerAttr>("num_heads") : nullptr;
  auto kvHeadsAttr =
      attributes ? attributes.getAs<IntegerAttr>("num_kv_heads") : nullptr;
  bool packed = headsAttr != nullptr;
  if (kvHeadsAttr && !packed)
    return inferError(loc, "attention",
                      "num_kv_heads is only meaningful with num_heads "
                      "(packed form)");
  int64_t hq = packed ? headsAttr.getInt() : 0;
  int64_t hkv = kvHeadsAttr ? kvHeadsAttr.getInt() : hq;
  HeadDims q, k, v;
  if (failed(readHeadDims(loc, "query", qt, packed, hq, q)) ||
      failed(readHeadDims(loc, "key", kt, packed, hkv, k)) ||
      failed(readHeadDims(loc, "value", vt, packed, hkv, v)))
    return failure();
  std::string sDim = packed ? "dim 1 (S)" : "dim 2 (S)";
  if (failed(expectDim(loc, "key dim 0 (B)", k.batch, q.batch,
                       "the query's batch")) ||
      failed(expectDim(loc, "value dim 0 (B)", v.batch, q.batch,
                       "the query's batch")) ||
      failed(expectDim(loc, packed ? "value heads" : "value dim 1 (Hkv)",
                       v.heads, k.heads, "the key's heads")) ||
      failed(expectDim(loc, "value " + sDim, v.seq, k.seq,
                       "the key's sequence length")) ||
      failed(expectDim(loc, packed ? "key head size" : "key dim 3 (D)", k.dim,
                       q.dim, "the query's head size")))
    return failure();
  if (k.heads < 1 || q.heads % k.heads != 0)
    return inferError(loc, "attention",
                      Twine("query heads (") + Twine(q.heads) +
                          ") must be a multiple of key/value heads (" +
                          Twine(k.heads) + ")");
  if (operands.size() > 3) {
    auto mt = tensorType(operands[3]);
    SmallVector<int64_t> scores = {q.batch, q.heads, q.seq, k.seq};
    if (!mt || !isBroadcastableTo(mt.getShape(), scores))
      return inferError(loc, "attention",
                        Twine("mask shape ") +
                            (mt ? formatShape(mt.getShape()) : "?") +
                            " does not broadcast to the scores [B, Hq, Sq, Sk] "
                            "= " + formatShape(scores));
    if (!mt.getElementType().isInteger(1) &&
        mt.getElementType() != qt.getElementType())
      return inferError(loc, "attention",
                        "an additive mask must have the query's element type");
  }
  SmallVector<int64_t> shape =
      packed ? SmallVector<int64_t>{q.batch, q.seq, q.heads * v.dim}
             : SmallVector<int64_t>{q.batch, q.heads, q.seq, v.dim};
  results.push_back(RankedTensorType::get(shape, qt.getElementType()));
  return success();
}

double AttentionOp::getEffectiveScale() {
  if (std::optional<llvm::APFloat> s = getScale())
    return s->convertToDouble();
  auto qt = getQuery().getType().cast<RankedTensorType>();
  int64_t d = isPacked() ? qt.getDimSize(2) / *getNumHeads() : qt.getDimSize(3);
  return 1.0 / std::sqrt(static_cast<double>(d));
}

#define GET_OP_CLASSES
#include "ir/AttnOps.cpp.inc"
