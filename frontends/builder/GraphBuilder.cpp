//===- GraphBuilder.cpp - emitting attn ops into @forward -----------------===//
//
// Inferred ops go through createChecked so a shape error is a diagnostic;
// every created op is verified at once, so a bad op is reported at its own
// location and erased before anything consumes it.
//
//===----------------------------------------------------------------------===//

#include "frontends/builder/GraphBuilder.h"

#include "ir/AttnBuilders.h"
#include "ir/ModelConventions.h"
#include "ir/ShapeUtils.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/STLExtras.h"

using namespace mlir;
using namespace attnc;

GraphBuilder::GraphBuilder(MLIRContext &context, StringRef modelName,
                           WeightSource *weights)
    : builder(&context), weights(weights) {
  context.loadDialect<attn::AttnDialect, func::FuncDialect>();
  Location moduleLoc = NameLoc::get(builder.getStringAttr(modelName));
  module = ModuleOp::create(moduleLoc);
  attn::setModelName(*module, modelName);
  builder.setInsertionPointToEnd(module->getBody());
  func = builder.create<func::FuncOp>(moduleLoc, attn::kEntryFunctionName,
                                      builder.getFunctionType({}, {}));
  builder.setInsertionPointToEnd(func.addEntryBlock());
}

GraphBuilder::Scope::Scope(GraphBuilder &builder, StringRef name)
    : builder(builder) {
  builder.scopes.push_back(name.str());
}

GraphBuilder::Scope::~Scope() { builder.scopes.pop_back(); }

std::string GraphBuilder::path(StringRef leaf) const {
  std::string result;
  for (const std::string &scope : scopes) {
    if (!result.empty())
      result += '.';
    result += scope;
  }
  if (!leaf.empty()) {
    if (!result.empty())
      result += '.';
    result += leaf.str();
  }
  return result;
}

Location GraphBuilder::loc(StringRef leaf) const {
  return NameLoc::get(StringAttr::get(getContext(), path(leaf)));
}

void GraphBuilder::emitError(StringRef leaf, const Twine &message) {
  mlir::emitError(loc(leaf)) << message;
  poisoned = true;
}

ArrayRef<int64_t> GraphBuilder::shapeOf(Value value) {
  if (!value)
    return {};
  if (auto type = value.getType().dyn_cast<RankedTensorType>())
    return type.getShape();
  return {};
}

bool GraphBuilder::allValid(ValueRange values) const {
  return llvm::all_of(values, [](Value v) { return static_cast<bool>(v); });
}

Value GraphBuilder::verified(Operation *op) {
  if (failed(mlir::verify(op))) {
    op->erase();
    poisoned = true;
    return {};
  }
  return op->getResult(0);
}

template <typename OpTy>
Value GraphBuilder::createInferred(StringRef leaf, ValueRange operands,
                                   ArrayRef<NamedAttribute> attrs) {
  if (!allValid(operands))
    return {};
  OpTy op = attn::createChecked<OpTy>(builder, loc(leaf), operands, attrs);
  if (!op) {
    poisoned = true;
    return {};
  }
  return verified(op);
}

//===----------------------------------------------------------------------===//
// Inputs, outputs and constants
//===----------------------------------------------------------------------===//

Value GraphBuilder::input(StringRef name, ArrayRef<int64_t> shape,
                          Type elementType) {
  if (llvm::any_of(shape, [](int64_t d) { return d < 1; })) {
    emitError(name, "input '" + name + "' needs positive dims, got " +
                        attn::formatShape(shape));
    return {};
  }
  if (llvm::is_contained(inputNames, name.str())) {
    emitError(name, "input name '" + name + "' is used twice");
    return {};
  }
  inputNames.push_back(name.str());
  auto type = RankedTensorType::get(shape, elementType);
  return func.getBody().front().addArgument(type, loc(name));
}

void GraphBuilder::output(StringRef name, Value value) {
  for (auto &named : outputs)
    if (named.first == name)
      emitError(name, "output name '" + name + "' is used twice");
  outputs.emplace_back(name.str(), value);
}

Value GraphBuilder::weight(StringRef leaf, ArrayRef<int64_t> shape,
                           WeightRoleKind role) {
  std::string name = path(leaf);
  if (!weights) {
    emitError(leaf, "weight '" + name + "' requested but no weight source");
    return {};
  }
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0 || (d != 0 && count > kMaxConstantElements / d)) {
      emitError(leaf, "weight '" + name + "' of shape " +
                          attn::formatShape(shape) + " has more than " +
                          Twine(kMaxConstantElements) + " elements");
      return {};
    }
    count *= d;
  }
  AsmResourceBlob blob =
      HeapAsmResourceBlob::allocate(count * sizeof(float), alignof(float));
  MutableArrayRef<float> values(
      reinterpret_cast<float *>(blob.getMutableData().data()), count);
  if (failed(weights->load(name, shape, role, values))) {
    poisoned = true;
    return {};
  }
  auto type = RankedTensorType::get(shape, f32());
  auto attr = DenseF32ResourceElementsAttr::get(type, name, std::move(blob));
  return verified(builder.create<attn::ConstantOp>(loc(leaf), attr));
}

Value GraphBuilder::constant(StringRef leaf, ArrayRef<int64_t> shape,
                             ArrayRef<float> values) {
  assert(values.size() == static_cast<size_t>(attn::numElements(shape)) &&
         "constant values must fill the shape");
  AsmResourceBlob blob = HeapAsmResourceBlob::allocateAndCopyInferAlign(values);
  auto type = RankedTensorType::get(shape, f32());
  auto attr =
      DenseF32ResourceElementsAttr::get(type, path(leaf), std::move(blob));
  return verified(builder.create<attn::ConstantOp>(loc(leaf), attr));
}

Value GraphBuilder::scalar(StringRef leaf, double value, Type elementType) {
  return verified(
      attn::createScalarConstant(builder, loc(leaf), elementType, value)
          .getDefiningOp());
}

//===----------------------------------------------------------------------===//
// Primitives
//===----------------------------------------------------------------------===//

Value GraphBuilder::add(Value lhs, Value rhs, StringRef leaf) {
  return createInferred<attn::AddOp>(leaf, {lhs, rhs});
}

Value GraphBuilder::sub(Value lhs, Value rhs, StringRef leaf) {
  return createInferred<attn::SubOp>(leaf, {lhs, rhs});
}

Value GraphBuilder::mul(Value lhs, Value rhs, StringRef leaf) {
  return createInferred<attn::MulOp>(leaf, {lhs, rhs});
}

Value GraphBuilder::div(Value lhs, Value rhs, StringRef leaf) {
  return createInferred<attn::DivOp>(leaf, {lhs, rhs});
}

Value GraphBuilder::matmul(Value lhs, Value rhs, bool transposeRhs,
                           StringRef leaf) {
  SmallVector<NamedAttribute> attrs;
  if (transposeRhs)
    attrs.push_back(
        builder.getNamedAttr("transpose_rhs", builder.getUnitAttr()));
  return createInferred<attn::MatmulOp>(leaf, {lhs, rhs}, attrs);
}

Value GraphBuilder::relu(Value input, StringRef leaf) {
  if (!input)
    return {};
  return verified(
      builder.create<attn::ReluOp>(loc(leaf), input.getType(), input));
}

Value GraphBuilder::gelu(Value input, attn::GeluKind kind, StringRef leaf) {
  if (!input)
    return {};
  auto kindAttr = attn::GeluKindAttr::get(getContext(), kind);
  return verified(builder.create<attn::GeluOp>(loc(leaf), input.getType(),
                                               input, kindAttr));
}

Value GraphBuilder::softmax(Value input, int64_t axis, StringRef leaf) {
  if (!input)
    return {};
  return verified(builder.create<attn::SoftmaxOp>(
      loc(leaf), input.getType(), input, builder.getI64IntegerAttr(axis)));
}

Value GraphBuilder::layerNorm(Value input, Value scale, Value bias, double eps,
                              StringRef leaf) {
  if (!allValid({input, scale, bias}))
    return {};
  return verified(builder.create<attn::LayerNormOp>(
      loc(leaf), input.getType(), input, scale, bias,
      builder.getI64IntegerAttr(-1), builder.getF32FloatAttr(eps)));
}

Value GraphBuilder::compare(Value lhs, Value rhs, attn::CompareKind kind,
                            StringRef leaf) {
  auto kindAttr = attn::CompareKindAttr::get(getContext(), kind);
  return createInferred<attn::CompareOp>(
      leaf, {lhs, rhs}, {builder.getNamedAttr("predicate", kindAttr)});
}

Value GraphBuilder::select(Value condition, Value trueValue, Value falseValue,
                           StringRef leaf) {
  return createInferred<attn::SelectOp>(leaf,
                                        {condition, trueValue, falseValue});
}

Value GraphBuilder::cast(Value input, Type elementType, StringRef leaf) {
  if (!input)
    return {};
  auto type = RankedTensorType::get(shapeOf(input), elementType);
  return verified(builder.create<attn::CastOp>(loc(leaf), type, input));
}

Value GraphBuilder::reshape(Value input, ArrayRef<int64_t> shape,
                            StringRef leaf) {
  if (!input)
    return {};
  auto inType = input.getType().cast<RankedTensorType>();
  auto type = RankedTensorType::get(shape, inType.getElementType());
  return verified(builder.create<attn::ReshapeOp>(loc(leaf), type, input));
}

Value GraphBuilder::transpose(Value input, ArrayRef<int64_t> perm,
                              StringRef leaf) {
  return createInferred<attn::TransposeOp>(
      leaf, {input},
      {builder.getNamedAttr("perm", builder.getDenseI64ArrayAttr(perm))});
}

Value GraphBuilder::broadcastTo(Value input, ArrayRef<int64_t> shape,
                                StringRef leaf) {
  if (!input)
    return {};
  auto inType = input.getType().cast<RankedTensorType>();
  auto type = RankedTensorType::get(shape, inType.getElementType());
  return verified(builder.create<attn::BroadcastToOp>(loc(leaf), type, input));
}

Value GraphBuilder::slice(Value input, ArrayRef<int64_t> starts,
                          ArrayRef<int64_t> limits, StringRef leaf) {
  SmallVector<int64_t> strides(starts.size(), 1);
  return createInferred<attn::SliceOp>(
      leaf, {input},
      {builder.getNamedAttr("starts", builder.getDenseI64ArrayAttr(starts)),
       builder.getNamedAttr("limits", builder.getDenseI64ArrayAttr(limits)),
       builder.getNamedAttr("strides", builder.getDenseI64ArrayAttr(strides))});
}

Value GraphBuilder::gather(Value table, Value indices, StringRef leaf) {
  return createInferred<attn::GatherOp>(
      leaf, {table, indices},
      {builder.getNamedAttr("axis", builder.getI64IntegerAttr(0))});
}

Value GraphBuilder::causalMask(int64_t sq, int64_t sk, attn::CausalKind kind,
                               StringRef leaf) {
  auto type = RankedTensorType::get({sq, sk}, builder.getI1Type());
  auto kindAttr = attn::CausalKindAttr::get(getContext(), kind);
  return verified(
      builder.create<attn::CausalMaskOp>(loc(leaf), type, kindAttr));
}

//===----------------------------------------------------------------------===//
// Finishing
//===----------------------------------------------------------------------===//

OwningOpRef<ModuleOp> GraphBuilder::finish() {
  SmallVector<Value> results;
  for (auto &[name, value] : outputs) {
    if (!value)
      poisoned = true;
    results.push_back(value);
  }
  if (outputs.empty())
    emitError("", "the model has no outputs");
  if (poisoned)
    return nullptr;
  builder.create<func::ReturnOp>(loc("return"), results);
  Block &entry = func.getBody().front();
  func.setType(builder.getFunctionType(entry.getArgumentTypes(),
                                       ValueRange(results).getTypes()));
  for (auto [i, name] : llvm::enumerate(inputNames))
    attn::setInputName(func, i, name);
  for (auto [i, named] : llvm::enumerate(outputs))
    attn::setOutputName(func, i, named.first);
  if (failed(mlir::verify(*module)))
    return nullptr;
  return std::move(module);
}
