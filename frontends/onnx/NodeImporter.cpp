//===- NodeImporter.cpp - state of one ONNX import, one node at a time ----===//
//
// Value lookup (initializers on first use), constant creation and folding
// through the fp64 interpreter, typed attribute access and the converter
// table.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/NodeImporter.h"

#include "frontends/onnx/OnnxTensor.h"
#include "ir/Constants.h"
#include "ir/ShapeUtils.h"

#include "mlir/IR/Verifier.h"

#include <cmath>
#include <cstring>

using namespace mlir;
using namespace attnc;
using namespace attnc::onnx_import;

ArrayRef<int64_t> attnc::onnx_import::shapeOf(Value value) {
  if (!value)
    return {};
  return value.getType().cast<RankedTensorType>().getShape();
}

Type attnc::onnx_import::elementTypeOf(Value value) {
  return value.getType().cast<RankedTensorType>().getElementType();
}

std::string attnc::onnx_import::formatDims(ArrayRef<int64_t> dims) {
  return attn::formatShape(dims);
}

namespace {
/// A dense_resource key: MLIR prints keys as bare identifiers, so anything
/// else in an ONNX name ("onnx::MatMul_84", "/m/Constant") becomes '_'.
std::string blobKey(StringRef name) {
  std::string key = name.empty() ? "onnx_constant" : name.str();
  for (char &c : key)
    if (!llvm::isAlnum(c) && c != '_' && c != '.')
      c = '_';
  if (!llvm::isAlpha(key.front()) && key.front() != '_')
    key.insert(key.begin(), '_');
  return key;
}

/// Saturating conversion of an interpreter value to an integer (Slice ends
/// are often INT64_MAX, which fp64 rounds up past the int64 range).
int64_t toInt64(double v) {
  if (std::isnan(v))
    return 0;
  const double limit = 9223372036854775808.0; // 2^63
  if (v >= limit)
    return std::numeric_limits<int64_t>::max();
  if (v <= -limit)
    return std::numeric_limits<int64_t>::min();
  return static_cast<int64_t>(v);
}
} // namespace

//===----------------------------------------------------------------------===//
// GraphState
//===----------------------------------------------------------------------===//

Value GraphState::lookup(StringRef name, Location loc) {
  auto it = values.find(name);
  if (it != values.end())
    return it->second;
  auto init = initializers.find(name);
  if (init == initializers.end()) {
    emitError(loc) << "value '" << name
                   << "' is not produced by any node, graph input or "
                      "initializer";
    return {};
  }
  llvm::Expected<DecodedTensor> tensor =
      decodeTensor(*init->second, builder.getContext(), externalDataDir);
  if (!tensor) {
    emitError(loc) << "initializer " << llvm::toString(tensor.takeError());
    return {};
  }
  // Initializers sit at the top of @forward, so every node can use them.
  OpBuilder::InsertionGuard guard(builder);
  builder.setInsertionPointToStart(builder.getInsertionBlock());
  Value value = createConstant(NameLoc::get(builder.getStringAttr(name)),
                               tensor->type, tensor->bytes, name);
  values[name] = value;
  return value;
}

Value GraphState::createConstant(Location loc, RankedTensorType type,
                                 ArrayRef<char> bytes, StringRef blobName) {
  // A tensor of one repeated value (exporters bake zeros masks) becomes a
  // splat, which the recognisers read as a scalar.
  size_t width = type.getElementType().isInteger(1)
                     ? 1
                     : type.getElementType().getIntOrFloatBitWidth() / 8;
  bool splat = bytes.size() > width;
  for (size_t i = width; splat && i < bytes.size(); i += width)
    splat = std::memcmp(bytes.data(), bytes.data() + i, width) == 0;
  ElementsAttr attr;
  if (splat && type.getElementType().isInteger(1))
    attr = DenseElementsAttr::get(type, bytes[0] != 0);
  else if (splat)
    attr = DenseElementsAttr::getFromRawBuffer(type, bytes.take_front(width));
  else
    attr = attn::createElementsAttr(type, bytes, blobKey(blobName));
  return builder.create<attn::ConstantOp>(loc, attr).getResult();
}

const OracleTensor *GraphState::constantValue(Value value) {
  if (!value)
    return nullptr;
  auto it = decoded.find(value);
  if (it != decoded.end())
    return &it->second;
  auto constant = value.getDefiningOp<attn::ConstantOp>();
  // Splats can be huge at no cost in the file; their fp64 copy is not.
  if (!constant ||
      value.getType().cast<ShapedType>().getNumElements() > kMaxFoldElements)
    return nullptr;
  llvm::Expected<std::vector<OracleTensor>> result = evaluateOp(constant, {});
  if (!result) {
    llvm::consumeError(result.takeError());
    return nullptr;
  }
  return &(decoded[value] = std::move((*result)[0]));
}

SmallVector<Value> GraphState::foldIfConstant(Operation *op) {
  SmallVector<Value> results(op->getResults());
  if (isa<attn::ConstantOp>(op) || op->getNumResults() == 0)
    return results;
  int64_t operandElements = 0;
  for (Value operand : op->getOperands()) {
    int64_t n = operand.getType().cast<ShapedType>().getNumElements();
    if (!operand.getDefiningOp<attn::ConstantOp>() || n > kMaxFoldElements)
      return results;
    operandElements += n;
  }
  // Shape arithmetic and masks fold; broadcasts that would grow the data
  // stay ops, as in attn-fold-constants.
  for (Value result : results) {
    int64_t n = result.getType().cast<ShapedType>().getNumElements();
    if (n > kMaxFoldElements || n > std::max<int64_t>(operandElements, 4096))
      return results;
  }
  SmallVector<OracleTensor> values;
  for (Value operand : op->getOperands()) {
    const OracleTensor *t = constantValue(operand);
    if (!t)
      return results;
    values.push_back(*t);
  }
  llvm::Expected<std::vector<OracleTensor>> folded = evaluateOp(op, values);
  if (!folded) {
    // An error here (an index out of range) is the graph's; it stays an op
    // and the run reports it.
    llvm::consumeError(folded.takeError());
    return results;
  }
  std::string name = "folded";
  if (auto nameLoc = op->getLoc().dyn_cast<NameLoc>())
    name = nameLoc.getName().str();
  SmallVector<Value> constants;
  for (auto [result, value] : llvm::zip(results, *folded)) {
    auto type = result.getType().cast<RankedTensorType>();
    HostTensor host = fromOracle(value, *dtypeFromType(type.getElementType()));
    ArrayRef<char> bytes(reinterpret_cast<const char *>(host.bytes.data()),
                         host.bytes.size());
    Value constant = createConstant(op->getLoc(), type, bytes, name);
    // The cache holds the stored (rounded) value, as a later read would.
    decoded[constant] = toOracle(host);
    constants.push_back(constant);
  }
  op->erase();
  return constants;
}

//===----------------------------------------------------------------------===//
// NodeImporter: inputs
//===----------------------------------------------------------------------===//

LogicalResult NodeImporter::resolveInputs() {
  for (const std::string &name : node.input()) {
    if (name.empty()) {
      operands.push_back(nullptr);
      continue;
    }
    Value value = graph.lookup(name, loc);
    if (!value)
      return failure();
    operands.push_back(value);
  }
  return success();
}

Value NodeImporter::requireInput(unsigned i, StringRef what) {
  if (Value v = input(i))
    return v;
  error() << what << " (input #" << i << ") is required";
  return {};
}

FailureOr<OracleTensor> NodeImporter::constTensor(unsigned i, StringRef what) {
  Value v = requireInput(i, what);
  if (!v)
    return failure();
  const OracleTensor *t = graph.constantValue(v);
  if (!t) {
    error() << what << " (input #" << i << " '" << node.input(i)
            << "') must be known at import time: a constant, or computed "
               "from static shapes, but it depends on a graph input";
    return failure();
  }
  return *t;
}

FailureOr<SmallVector<int64_t>> NodeImporter::constInts(unsigned i,
                                                        StringRef what) {
  FailureOr<OracleTensor> t = constTensor(i, what);
  if (failed(t))
    return failure();
  if (!elementTypeOf(input(i)).isa<IntegerType>()) {
    error() << what << " (input #" << i << ") must be an integer tensor";
    return failure();
  }
  SmallVector<int64_t> ints;
  // Exact for small integer constants, saturating for INT64_MAX-like ends.
  if (auto dense = input(i)
                       .getDefiningOp<attn::ConstantOp>()
                       .getValue()
                       .dyn_cast<DenseIntElementsAttr>()) {
    for (const APInt &v : dense.getValues<APInt>())
      ints.push_back(v.getBitWidth() == 1 ? v.getZExtValue()
                                          : v.getSExtValue());
    return ints;
  }
  for (double v : t->data)
    ints.push_back(toInt64(v));
  return ints;
}

//===----------------------------------------------------------------------===//
// NodeImporter: attributes
//===----------------------------------------------------------------------===//

const onnx::AttributeProto *NodeImporter::findAttr(StringRef name) const {
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == name)
      return &attr;
  return nullptr;
}

InFlightDiagnostic NodeImporter::error() {
  InFlightDiagnostic diag = emitError(loc);
  diag << opType() << ": ";
  return diag;
}

FailureOr<int64_t> NodeImporter::getInt(StringRef name,
                                        std::optional<int64_t> fallback) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr) {
    if (fallback)
      return *fallback;
    error() << "attribute '" << name << "' is required";
    return failure();
  }
  if (attr->type() != onnx::AttributeProto::INT) {
    error() << "attribute '" << name << "' must be an int";
    return failure();
  }
  return attr->i();
}

FailureOr<float> NodeImporter::getFloat(StringRef name, float fallback) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return fallback;
  if (attr->type() != onnx::AttributeProto::FLOAT) {
    error() << "attribute '" << name << "' must be a float";
    return failure();
  }
  return attr->f();
}

FailureOr<SmallVector<int64_t>> NodeImporter::getInts(StringRef name) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr || attr->type() != onnx::AttributeProto::INTS) {
    error() << "attribute '" << name << "' must be a list of ints";
    return failure();
  }
  return SmallVector<int64_t>(attr->ints().begin(), attr->ints().end());
}

FailureOr<std::string> NodeImporter::getString(StringRef name,
                                               StringRef fallback) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr)
    return fallback.str();
  if (attr->type() != onnx::AttributeProto::STRING) {
    error() << "attribute '" << name << "' must be a string";
    return failure();
  }
  return attr->s();
}

FailureOr<const onnx::TensorProto *> NodeImporter::getTensor(StringRef name) {
  const onnx::AttributeProto *attr = findAttr(name);
  if (!attr || attr->type() != onnx::AttributeProto::TENSOR) {
    error() << "attribute '" << name << "' must be a tensor";
    return failure();
  }
  return &attr->t();
}

//===----------------------------------------------------------------------===//
// NodeImporter: ops, constants and outputs
//===----------------------------------------------------------------------===//

SmallVector<Value> NodeImporter::finish(Operation *op) {
  if (failed(mlir::verify(op))) {
    op->erase();
    return {};
  }
  for (Type type : op->getResultTypes()) {
    auto tensor = type.cast<RankedTensorType>();
    if (!checkedElementCount(tensor.getShape())) {
      error() << "the result " << formatDims(tensor.getShape())
              << " has more than " << kMaxTensorElements << " elements";
      op->erase();
      return {};
    }
  }
  return graph.foldIfConstant(op);
}

Value NodeImporter::finishOne(Operation *op) {
  SmallVector<Value> results = finish(op);
  return results.empty() ? Value() : results.front();
}

Value NodeImporter::constant(RankedTensorType type, ArrayRef<char> bytes) {
  std::string name = node.name().empty() ? node.op_type() : node.name();
  return graph.createConstant(loc, type, bytes, name);
}

Value NodeImporter::i64Constant(ArrayRef<int64_t> values,
                                ArrayRef<int64_t> shape) {
  auto type = RankedTensorType::get(shape, builder().getI64Type());
  ArrayRef<char> bytes(reinterpret_cast<const char *>(values.data()),
                       values.size() * sizeof(int64_t));
  return constant(type, bytes);
}

Value NodeImporter::scalar(Type elementType, double value) {
  return attn::createScalarConstant(builder(), loc, elementType, value);
}

Value NodeImporter::constantFrom(const OracleTensor &value, Type elementType) {
  std::optional<DTypeKind> dtype = dtypeFromType(elementType);
  assert(dtype && "attn element types all have a host dtype");
  HostTensor host = fromOracle(value, *dtype);
  auto type = RankedTensorType::get(value.shape, elementType);
  return constant(
      type, ArrayRef<char>(reinterpret_cast<const char *>(host.bytes.data()),
                           host.bytes.size()));
}

Value NodeImporter::reshape(Value value, ArrayRef<int64_t> shape) {
  if (!value)
    return {};
  if (shapeOf(value) == shape)
    return value;
  return createTyped<attn::ReshapeOp>(
      RankedTensorType::get(shape, elementTypeOf(value)), {value});
}

LogicalResult NodeImporter::setOutput(unsigned i, Value value) {
  if (!value)
    return failure();
  if (outputs.size() <= i)
    outputs.resize(i + 1);
  outputs[i] = value;
  return success();
}

//===----------------------------------------------------------------------===//
// The converter table
//===----------------------------------------------------------------------===//

const OpConverter *attnc::onnx_import::lookupConverter(StringRef opType) {
  static const llvm::StringMap<OpConverter> table = [] {
    llvm::StringMap<OpConverter> t;
    addMathConverters(t);
    addShapeConverters(t);
    addIndexConverters(t);
    addLlmConverters(t);
    return t;
  }();
  auto it = table.find(opType);
  return it == table.end() ? nullptr : &it->second;
}
