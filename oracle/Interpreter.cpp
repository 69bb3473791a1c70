//===- Interpreter.cpp - the fp64 reference interpreter -------------------===//
//
// The MLIR side of the oracle: checks operand values against an op's types,
// reads its attributes and calls the matching kernel (Kernels.h) through one
// TypeSwitch, decodes constants (dense and dense_resource), and walks a
// function body, freeing each value after its last use.
//
//===----------------------------------------------------------------------===//

#include "oracle/Interpreter.h"

#include "ir/AttnOps.h"
#include "ir/ShapeUtils.h"
#include "oracle/Kernels.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/TypeSwitch.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>

using namespace mlir;
using namespace mlir::attn;

namespace attnc {

OracleTensor toOracle(const HostTensor &t) {
  OracleTensor out;
  out.shape = t.shape;
  out.data = t.toDoubles();
  return out;
}

HostTensor fromOracle(const OracleTensor &t, DTypeKind dtype) {
  HostTensor out(dtype, t.shape);
  assert(static_cast<int64_t>(t.data.size()) == out.numElements() &&
         "OracleTensor data does not match its shape");
  for (size_t i = 0; i < t.data.size(); ++i)
    out.setFromDouble(i, t.data[i]);
  return out;
}

namespace {

using Results = std::vector<OracleTensor>;

/// More elements than this in one value is treated as a mistake in the IR
/// rather than attempted (16 GiB of doubles).
constexpr int64_t kMaxElements = int64_t(1) << 31;

llvm::Error error(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// How MLIR prints a type, attribute or location.
template <typename T> std::string str(T value) {
  std::string s;
  llvm::raw_string_ostream os(s);
  value.print(os);
  return s;
}

/// "'attn.gather' op at loc("model.mlir":4:10): <message>".
llvm::Error opError(Operation *op, const Twine &message) {
  return error("'" + op->getName().getStringRef() + "' op at " +
               str(op->getLoc()) + ": " + message);
}

llvm::Expected<Results> one(llvm::Expected<OracleTensor> t) {
  if (!t)
    return t.takeError();
  Results r;
  r.push_back(std::move(*t));
  return r;
}

/// A static tensor type's shape, with the element count checked for
/// overflow and size; nullopt when `type` is not such a type.
std::optional<ArrayRef<int64_t>> staticShape(Type type) {
  auto ranked = type.dyn_cast<RankedTensorType>();
  if (!ranked || !ranked.hasStaticShape())
    return std::nullopt;
  int64_t n = 1;
  for (int64_t d : ranked.getShape())
    if (llvm::MulOverflow(n, d, n) || n > kMaxElements)
      return std::nullopt;
  return ranked.getShape();
}

/// The operand values of the op being evaluated, looked up by Value.
class Env {
public:
  Env(Operation *op, ArrayRef<const OracleTensor *> values)
      : op(op), values(values) {}

  const OracleTensor &operator[](Value v) const {
    const OracleTensor *t = lookup(v);
    assert(t && "value is not an operand of the op");
    return *t;
  }
  /// The value of an optional operand, or null when it is absent.
  const OracleTensor *lookup(Value v) const {
    if (!v)
      return nullptr;
    for (unsigned i = 0, e = op->getNumOperands(); i < e; ++i)
      if (op->getOperand(i) == v)
        return values[i];
    return nullptr;
  }

private:
  Operation *op;
  ArrayRef<const OracleTensor *> values;
};

llvm::Expected<int64_t> axisOf(int64_t axis, int64_t rank) {
  if (std::optional<int64_t> a = normalizeAxis(axis, rank))
    return *a;
  return error("axis " + Twine(axis) + " is out of range for rank " +
               Twine(rank));
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

template <typename T>
void copyValues(DenseElementsAttr dense, std::vector<double> &out) {
  size_t i = 0;
  for (T v : dense.getValues<T>())
    out[i++] = static_cast<double>(v);
}

llvm::Expected<OracleTensor> decodeDense(DenseElementsAttr dense,
                                         OracleTensor out) {
  Type et = dense.getElementType();
  if (et.isF32())
    copyValues<float>(dense, out.data);
  else if (et.isF64())
    copyValues<double>(dense, out.data);
  else if (et.isF16()) {
    size_t i = 0;
    for (const APFloat &v : dense.getValues<APFloat>())
      out.data[i++] = v.convertToDouble();
  } else if (et.isInteger(1))
    copyValues<bool>(dense, out.data);
  else if (et.isInteger(32))
    copyValues<int32_t>(dense, out.data);
  else if (et.isInteger(64))
    copyValues<int64_t>(dense, out.data);
  else
    return error("constants of element type " + str(et) + " are not supported");
  return out;
}

template <typename T>
void copyBlob(ArrayRef<char> bytes, std::vector<double> &out) {
  for (size_t i = 0; i < out.size(); ++i) {
    T v;
    std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
    out[i] = static_cast<double>(v);
  }
}

llvm::Expected<OracleTensor> decodeResource(DenseResourceElementsAttr resource,
                                            OracleTensor out) {
  const DenseResourceElementsHandle &handle = resource.getRawHandle();
  const AsmResourceBlob *blob = handle.getBlob();
  if (!blob)
    return error("dense_resource '" + handle.getKey() +
                 "' has no data (it was elided when printed, or the file has "
                 "no dialect_resources entry for it)");
  ArrayRef<char> bytes = blob->getData();
  Type et = resource.getElementType();
  std::optional<DTypeKind> dtype = dtypeFromType(et);
  if (!dtype)
    return error("dense_resource constants of element type " + str(et) +
                 " are not supported");
  size_t needed = out.data.size() * dtypeSize(*dtype);
  if (bytes.size() != needed)
    return error("dense_resource '" + handle.getKey() + "' holds " +
                 Twine(bytes.size()) + " bytes, but " +
                 str(resource.getType()) + " needs " + Twine(needed));
  switch (*dtype) {
  case DTypeKind::F16:
    for (size_t i = 0; i < out.data.size(); ++i) {
      uint16_t h;
      std::memcpy(&h, bytes.data() + 2 * i, 2);
      out.data[i] = halfToFloat(h);
    }
    break;
  case DTypeKind::F32:
    copyBlob<float>(bytes, out.data);
    break;
  case DTypeKind::F64:
    copyBlob<double>(bytes, out.data);
    break;
  case DTypeKind::Bool:
    for (size_t i = 0; i < out.data.size(); ++i)
      out.data[i] = bytes[i] != 0 ? 1.0 : 0.0;
    break;
  case DTypeKind::I32:
    copyBlob<int32_t>(bytes, out.data);
    break;
  case DTypeKind::I64:
    copyBlob<int64_t>(bytes, out.data);
    break;
  }
  return out;
}

llvm::Expected<OracleTensor> evalConstant(ConstantOp op) {
  ElementsAttr value = op.getValue();
  std::optional<ArrayRef<int64_t>> shape = staticShape(value.getType());
  if (!shape)
    return error("constant type " + str(value.getType()) +
                 " is not a static tensor of reasonable size");
  OracleTensor out = kernels::zeros(*shape);
  if (auto dense = value.dyn_cast<DenseElementsAttr>())
    return decodeDense(dense, std::move(out));
  if (auto resource = value.dyn_cast<DenseResourceElementsAttr>())
    return decodeResource(resource, std::move(out));
  return error("constant attributes of this kind are not supported (use "
               "dense<...> or dense_resource<...>)");
}

//===----------------------------------------------------------------------===//
// Op dispatch
//===----------------------------------------------------------------------===//

llvm::Expected<Results> evalCast(CastOp op, const Env &env) {
  Type to = getElementTypeOrSelf(op.getType());
  kernels::CastKind kind;
  if (to.isa<FloatType>())
    kind = kernels::CastKind::ToFloat;
  else if (to.isInteger(1))
    kind = kernels::CastKind::ToBool;
  else if (to.isInteger(32))
    kind = kernels::CastKind::ToI32;
  else if (to.isInteger(64))
    kind = kernels::CastKind::ToI64;
  else
    return error("cannot cast to " + str(to));
  return one(kernels::cast(kind, env[op.getInput()]));
}

/// An op of ops/ElementwiseOps.def on its operands.
llvm::Expected<Results> evalElementwise(Operation *op,
                                        attnc::ops::ElementwiseKind kind,
                                        const Env &env) {
  if (auto cast = dyn_cast<CastOp>(op))
    return evalCast(cast, env);
  SmallVector<const OracleTensor *, 3> operands;
  for (Value v : op->getOperands())
    operands.push_back(&env[v]);
  return one(kernels::elementwise(
      kind, operands, attnc::ops::scalarKindOf(op->getOperand(0).getType())));
}

llvm::Expected<Results> evalReduce(ReduceOp op, const Env &env) {
  const OracleTensor &x = env[op.getInput()];
  SmallVector<int64_t> axes;
  for (int64_t axis : op.getAxes()) {
    llvm::Expected<int64_t> a = axisOf(axis, x.shape.size());
    if (!a)
      return a.takeError();
    axes.push_back(*a);
  }
  return one(kernels::reduce(op.getKind(), x, axes, op.getKeepDims()));
}

template <typename OpTy>
llvm::Expected<Results> evalSoftmax(OpTy op, const Env &env, bool log) {
  const OracleTensor &x = env[op.getInput()];
  llvm::Expected<int64_t> axis = axisOf(op.getAxis(), x.shape.size());
  if (!axis)
    return axis.takeError();
  return one(kernels::softmax(x, *axis, log));
}

llvm::Expected<Results> evalLayerNorm(LayerNormOp op, const Env &env) {
  const OracleTensor &x = env[op.getInput()];
  llvm::Expected<int64_t> axis = axisOf(op.getAxis(), x.shape.size());
  if (!axis)
    return axis.takeError();
  return one(kernels::layerNorm(x, env.lookup(op.getScale()),
                                env.lookup(op.getBias()), *axis,
                                op.getEpsilon().convertToDouble()));
}

llvm::Expected<Results> evalConcat(ConcatOp op, const Env &env) {
  SmallVector<const OracleTensor *> inputs;
  for (Value v : op.getInputs())
    inputs.push_back(&env[v]);
  if (inputs.empty())
    return error("concat has no inputs");
  llvm::Expected<int64_t> axis = axisOf(op.getAxis(), inputs[0]->shape.size());
  if (!axis)
    return axis.takeError();
  return one(kernels::concat(inputs, *axis));
}

llvm::Expected<Results> evalSplit(SplitOp op, const Env &env) {
  const OracleTensor &x = env[op.getInput()];
  llvm::Expected<int64_t> axis = axisOf(op.getAxis(), x.shape.size());
  if (!axis)
    return axis.takeError();
  return kernels::split(x, *axis, op.getSizes());
}

llvm::Expected<Results> evalGather(GatherOp op, const Env &env) {
  const OracleTensor &table = env[op.getTable()];
  llvm::Expected<int64_t> axis = axisOf(op.getAxis(), table.shape.size());
  if (!axis)
    return axis.takeError();
  return one(kernels::gather(table, env[op.getIndices()], *axis));
}

kernels::Mask maskOf(Value mask, const Env &env) {
  kernels::Mask m;
  m.values = env.lookup(mask);
  m.isBool = mask && getElementTypeOrSelf(mask.getType()).isInteger(1);
  return m;
}

llvm::Expected<Results> evalAttention(AttentionOp op, const Env &env) {
  kernels::AttentionForm form;
  if (op.isPacked()) {
    form.packed = true;
    form.numHeads = static_cast<int64_t>(*op.getNumHeads());
    form.numKvHeads = op.getNumKvHeads()
                          ? static_cast<int64_t>(*op.getNumKvHeads())
                          : form.numHeads;
    if (form.numHeads < 1 || form.numKvHeads < 1)
      return error("num_heads and num_kv_heads must be >= 1");
  }
  return one(kernels::attention(env[op.getQuery()], env[op.getKey()],
                                env[op.getValue()], maskOf(op.getMask(), env),
                                op.getEffectiveScale(), op.getCausal(), form));
}

llvm::Expected<Results> dispatch(Operation *op, const Env &env) {
  auto resultShape = [&]() { return *staticShape(op->getResult(0).getType()); };
  if (std::optional<attnc::ops::ElementwiseKind> kind =
          attnc::ops::classifyElementwise(op))
    return evalElementwise(op, *kind, env);
  return llvm::TypeSwitch<Operation *, llvm::Expected<Results>>(op)
      .Case([&](ReduceOp o) { return evalReduce(o, env); })
      .Case([&](SoftmaxOp o) { return evalSoftmax(o, env, /*log=*/false); })
      .Case([&](LogSoftmaxOp o) { return evalSoftmax(o, env, /*log=*/true); })
      .Case([&](LayerNormOp o) { return evalLayerNorm(o, env); })
      .Case([&](MatmulOp o) {
        return one(kernels::matmul(env[o.getLhs()], env[o.getRhs()],
                                   o.getTransposeLhs(), o.getTransposeRhs()));
      })
      .Case([&](ReshapeOp o) {
        return one(kernels::reshape(env[o.getInput()], resultShape()));
      })
      .Case([&](TransposeOp o) {
        return one(kernels::transpose(env[o.getInput()], o.getPerm()));
      })
      .Case([&](BroadcastToOp o) {
        return one(kernels::broadcastTo(env[o.getInput()], resultShape()));
      })
      .Case([&](SliceOp o) {
        return one(kernels::slice(env[o.getInput()], o.getStarts(),
                                  o.getLimits(), o.getStrides()));
      })
      .Case([&](ConcatOp o) { return evalConcat(o, env); })
      .Case([&](SplitOp o) { return evalSplit(o, env); })
      .Case([&](GatherOp o) { return evalGather(o, env); })
      .Case([&](ConstantOp o) { return one(evalConstant(o)); })
      .Case([&](CausalMaskOp o) -> llvm::Expected<Results> {
        ArrayRef<int64_t> shape = resultShape();
        if (shape.size() != 2 || o.getCausal() == CausalKind::none)
          return error("expected a top_left or bottom_right [Sq, Sk] mask");
        return one(kernels::causalMask(o.getCausal(), shape[0], shape[1]));
      })
      .Case([&](ScaledMaskedSoftmaxOp o) {
        return one(kernels::scaledMaskedSoftmax(
            env[o.getInput()], maskOf(o.getMask(), env),
            o.getScale().convertToDouble(), o.getCausal()));
      })
      .Case([&](AttentionOp o) { return evalAttention(o, env); })
      .Default([&](Operation *) -> llvm::Expected<Results> {
        return error("the oracle cannot evaluate this op (it evaluates the "
                     "attn dialect only)");
      });
}

/// Checks the operand values against the op's operand types and the result
/// types for something the kernels can produce.
llvm::Error checkSignature(Operation *op,
                           ArrayRef<const OracleTensor *> operands) {
  if (operands.size() != op->getNumOperands())
    return error("expected " + Twine(op->getNumOperands()) +
                 " operand values, got " + Twine(operands.size()));
  for (auto [i, value] : llvm::enumerate(op->getOperands())) {
    std::optional<ArrayRef<int64_t>> shape = staticShape(value.getType());
    if (!shape)
      return error("operand #" + Twine(i) + " has type " +
                   str(value.getType()) +
                   ", not a static tensor the oracle can hold");
    const OracleTensor &t = *operands[i];
    if (ArrayRef<int64_t>(t.shape) != *shape ||
        static_cast<int64_t>(t.data.size()) != numElements(*shape))
      return error("operand #" + Twine(i) + " value has shape " +
                   formatShape(t.shape) + " (" + Twine(t.data.size()) +
                   " elements), but the op's type says " +
                   str(value.getType()));
  }
  for (auto [i, result] : llvm::enumerate(op->getResults()))
    if (!staticShape(result.getType()))
      return error("result #" + Twine(i) + " has type " +
                   str(result.getType()) +
                   ", not a static tensor the oracle can hold");
  return llvm::Error::success();
}

llvm::Expected<Results> evaluate(Operation *op,
                                 ArrayRef<const OracleTensor *> operands) {
  if (llvm::Error err = checkSignature(op, operands))
    return opError(op, llvm::toString(std::move(err)));
  llvm::Expected<Results> results = dispatch(op, Env(op, operands));
  if (!results)
    return opError(op, llvm::toString(results.takeError()));
  if (results->size() != op->getNumResults())
    return opError(op, "produced " + Twine(results->size()) +
                           " results, the op has " +
                           Twine(op->getNumResults()));
  // A kernel derives shapes from its operands; an op whose declared result
  // type disagrees was not verified.
  for (auto [i, result] : llvm::enumerate(op->getResults()))
    if (ArrayRef<int64_t>((*results)[i].shape) !=
        *staticShape(result.getType()))
      return opError(op, "result #" + Twine(i) + " has shape " +
                             formatShape((*results)[i].shape) +
                             ", but the op's type says " +
                             str(result.getType()));
  return results;
}

/// "input #1 'mask'" or "input #1".
std::string inputName(func::FuncOp func, unsigned i) {
  std::string s = "input #" + std::to_string(i);
  if (auto name = func.getArgAttrOfType<StringAttr>(i, "attn.name"))
    s += " '" + name.getValue().str() + "'";
  return s;
}

llvm::Error checkInputs(func::FuncOp func, ArrayRef<HostTensor> inputs) {
  unsigned expected = func.getNumArguments();
  if (inputs.size() != expected)
    return error("function @" + func.getSymName() + " takes " +
                 Twine(expected) + " inputs, got " + Twine(inputs.size()));
  for (unsigned i = 0; i < expected; ++i) {
    Type type = func.getArgument(i).getType();
    std::optional<ArrayRef<int64_t>> shape = staticShape(type);
    std::optional<DTypeKind> dtype = dtypeFromType(getElementTypeOrSelf(type));
    if (!shape || !dtype)
      return error(inputName(func, i) + " has type " + str(type) +
                   ", which the oracle cannot take as an input");
    const HostTensor &in = inputs[i];
    if (ArrayRef<int64_t>(in.shape) != *shape || in.dtype != *dtype)
      return error(inputName(func, i) + ": expected shape " +
                   describeTensor(*shape, *dtype) + ", got " +
                   describeTensor(in.shape, in.dtype));
    size_t bytes = static_cast<size_t>(numElements(*shape)) * dtypeSize(*dtype);
    if (in.bytes.size() != bytes)
      return error(inputName(func, i) + ": holds " + Twine(in.bytes.size()) +
                   " bytes, " + describeTensor(*shape, *dtype) + " needs " +
                   Twine(bytes));
  }
  return llvm::Error::success();
}

} // namespace

llvm::Expected<std::vector<OracleTensor>>
evaluateOp(Operation *op, ArrayRef<OracleTensor> operands) {
  SmallVector<const OracleTensor *> pointers;
  for (const OracleTensor &t : operands)
    pointers.push_back(&t);
  return evaluate(op, pointers);
}

llvm::Expected<std::vector<OracleTensor>>
evaluateFunction(func::FuncOp func, ArrayRef<HostTensor> inputs,
                 const OracleObserver &observer) {
  if (func.isExternal())
    return error("function @" + func.getSymName() + " has no body");
  if (!func.getBody().hasOneBlock())
    return error("function @" + func.getSymName() +
                 " has several blocks; the oracle evaluates straight-line "
                 "attn code");
  if (llvm::Error err = checkInputs(func, inputs))
    return std::move(err);

  Block &body = func.getBody().front();
  // Every tensor is held in fp64: refuse up front, naming the op, one this
  // machine could not hold (rather than die allocating it).
  for (Operation &op : body)
    for (Value result : op.getResults()) {
      auto type = result.getType().dyn_cast<RankedTensorType>();
      if (!type || !type.hasStaticShape())
        continue;
      double bytes = 8.0;
      for (int64_t dim : type.getShape())
        bytes *= static_cast<double>(dim);
      if (llvm::Error err = checkFitsInMemory(
              bytes, "its " + formatShape(type.getShape()) +
                         " result, in fp64,"))
        return opError(&op, llvm::toString(std::move(err)));
    }

  // Each value is dropped after its last use to bound memory on big models.
  llvm::DenseMap<Value, Operation *> lastUse;
  for (Operation &op : body)
    for (Value v : op.getOperands())
      lastUse[v] = &op;

  llvm::DenseMap<Value, OracleTensor> values;
  for (auto [i, arg] : llvm::enumerate(body.getArguments()))
    values[arg] = toOracle(inputs[i]);

  for (Operation &op : body) {
    SmallVector<const OracleTensor *> operands;
    for (Value v : op.getOperands()) {
      auto it = values.find(v);
      if (it == values.end())
        return opError(&op, "uses a value defined outside the function");
      operands.push_back(&it->second);
    }
    if (isa<func::ReturnOp>(op)) {
      Results results;
      for (const OracleTensor *t : operands)
        results.push_back(*t);
      return results;
    }
    llvm::Expected<Results> results = evaluate(&op, operands);
    if (!results)
      return results.takeError();
    if (observer && !observer(&op, *results))
      return Results();
    for (auto [result, value] : llvm::zip(op.getResults(), *results))
      values[result] = std::move(value);
    for (Value v : op.getOperands())
      if (lastUse.lookup(v) == &op)
        values.erase(v);
  }
  return error("function @" + func.getSymName() + " has no func.return");
}

} // namespace attnc
