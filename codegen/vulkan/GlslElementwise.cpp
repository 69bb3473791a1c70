//===- GlslElementwise.cpp - generated elementwise and copy kernels -------===//
//
// A fused elementwise tree becomes one shader line per op, evaluated per
// output element. Every kernel input is read through per-dim strides (0
// where it broadcasts) after merging dims that are contiguous for the output
// and all inputs, so a transpose, slice or copy is the same kernel with other
// strides; single-element weights become literals. Dims and strides are push
// constants while they fit in 128 bytes, else constants in the shader.
// Concat, split and causal_mask have small generated kernels of their own.
//
//===----------------------------------------------------------------------===//

#include "codegen/vulkan/GlslKernels.h"

#include "codegen/vulkan/GlslScalarMath.h"
#include "codegen/vulkan/ShaderSources.h"
#include "ir/AttnOps.h"
#include "ir/ShapeUtils.h"

#include "mlir/IR/BuiltinAttributes.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
using namespace attnc;
using namespace attnc::vk;

namespace {

constexpr int64_t kWorkgroup = 128;

using ops::ScalarKind;

ScalarKind kindOf(Type type) { return ops::scalarKindOf(type); }

const char *glslScalar(ScalarKind kind) {
  switch (kind) {
  case ScalarKind::Float:
    return "float";
  case ScalarKind::Int:
    return "int";
  case ScalarKind::Bool:
    return "bool";
  }
  return "float";
}

/// The GLSL literal of a single-element constant, if `value` is one.
std::optional<std::string> literalOf(Value value) {
  auto constant = value.getDefiningOp<attn::ConstantOp>();
  if (!constant)
    return std::nullopt;
  auto dense = constant.getValue().dyn_cast<DenseElementsAttr>();
  if (!dense || dense.getNumElements() != 1)
    return std::nullopt;
  Type element = dense.getElementType();
  std::string text;
  llvm::raw_string_ostream os(text);
  if (element.isInteger(1)) {
    os << (*dense.getValues<bool>().begin() ? "true" : "false");
  } else if (auto integer = element.dyn_cast<IntegerType>()) {
    int64_t v = (*dense.getValues<APInt>().begin()).getSExtValue();
    v = std::clamp<int64_t>(v, INT32_MIN, INT32_MAX);
    os << "int(" << v << ")";
  } else {
    APFloat v = *dense.getValues<APFloat>().begin();
    bool lost;
    v.convert(APFloat::IEEEsingle(), APFloat::rmNearestTiesToEven, &lost);
    // The bit pattern keeps every value exact (and inf / NaN expressible).
    os << "uintBitsToFloat(0x"
       << llvm::format_hex_no_prefix(v.bitcastToAPInt().getZExtValue(), 8)
       << "u) /* " << llvm::format("%g", v.convertToFloat()) << " */";
  }
  return os.str();
}

/// The declaration of `var`, element `index` of storage binding `binding`
/// as a GLSL value of `kind` (f16 widened to float, booleans from 0/1).
std::string loadElement(const std::string &var, const std::string &binding,
                        const std::string &index, ScalarKind kind) {
  std::string load = binding + ".d[" + index + "]";
  return std::string("  ") + glslScalar(kind) + " " + var + " = " +
         (kind == ScalarKind::Bool    ? load + " != 0u"
          : kind == ScalarKind::Float ? "float(" + load + ")"
                                      : load) +
         ";\n";
}

/// One value the kernel reads: a binding read through strides, or a literal.
struct Source {
  Value value;
  std::optional<std::string> literal;
  SmallVector<int64_t, 6> strides; ///< per output dim
  int64_t base = 0;
  int binding = -1; ///< index into the program's bindings
};

/// Merges output dims (innermost last) that are contiguous for every source.
void coalesce(SmallVector<int64_t, 6> &dims, std::vector<Source> &sources) {
  SmallVector<int64_t, 6> outDims;
  std::vector<SmallVector<int64_t, 6>> outStrides(sources.size());
  for (size_t i = 0; i < dims.size(); ++i) {
    if (dims[i] == 1)
      continue;
    bool merge = !outDims.empty();
    for (size_t s = 0; merge && s < sources.size(); ++s)
      merge = sources[s].literal ||
              outStrides[s].back() == sources[s].strides[i] * dims[i];
    if (merge) {
      outDims.back() *= dims[i];
      for (size_t s = 0; s < sources.size(); ++s)
        if (!sources[s].literal)
          outStrides[s].back() = sources[s].strides[i];
      continue;
    }
    outDims.push_back(dims[i]);
    for (size_t s = 0; s < sources.size(); ++s)
      outStrides[s].push_back(sources[s].literal ? 0 : sources[s].strides[i]);
  }
  if (outDims.empty()) {
    outDims.push_back(1);
    for (auto &s : outStrides)
      s.push_back(0);
  }
  dims = outDims;
  for (size_t s = 0; s < sources.size(); ++s)
    sources[s].strides = outStrides[s];
}

/// Builds a strided-map kernel: out[i] = expr(sources read at i's coords).
/// `emitExpr` writes the shader lines computing the result from the source
/// variables x0, x1, ... and returns the expression stored.
class MapKernelBuilder {
public:
  MapKernelBuilder(const Schedule &schedule, const WeightOffsets &weights)
      : schedule(schedule), weights(weights) {}

  KernelProgram
  build(Value output, std::optional<ShaderBinding> outBinding,
        ArrayRef<int64_t> outShape, std::vector<Source> sources,
        const std::function<std::string(llvm::raw_ostream &,
                                        ArrayRef<std::string>)> &emitExpr,
        llvm::StringRef family) {
    KernelProgram p;
    p.family = family.str();
    p.workgroup = "local_size_x = " + std::to_string(kWorkgroup);
    p.bindings.push_back(
        outBinding ? *outBinding
                   : bindValue(schedule, weights, output, "out0", true));
    int64_t n = 1;
    for (int64_t d : outShape)
      n *= d;
    SmallVector<int64_t, 6> dims(outShape.begin(), outShape.end());
    coalesce(dims, sources);
    for (auto [i, s] : llvm::enumerate(sources)) {
      if (s.literal)
        continue;
      s.binding = p.bindings.size();
      p.bindings.push_back(bindValue(schedule, weights, s.value,
                                     "in" + std::to_string(i), false));
    }

    // Parameters: element count, inner dims, strides, bases.
    std::vector<std::pair<std::string, int64_t>> params = {{"n", n}};
    size_t rank = dims.size();
    for (size_t d = 1; d < rank; ++d)
      params.push_back({"dim" + std::to_string(d), dims[d]});
    for (auto [i, s] : llvm::enumerate(sources)) {
      if (s.literal)
        continue;
      for (size_t d = 0; d < rank; ++d)
        params.push_back(
            {"s" + std::to_string(i) + "_" + std::to_string(d), s.strides[d]});
      if (s.base)
        params.push_back({"base" + std::to_string(i), s.base});
    }
    bool inPush = params.size() * 4 <= kMaxPushConstantBytes;
    std::string body;
    llvm::raw_string_ostream os(body);
    if (inPush) {
      for (auto &[name, value] : params)
        addPush(p, name, value);
    } else {
      for (auto &[name, value] : params)
        os << "const uint " << name << " = " << value << "u;\n";
    }
    auto param = [&](const std::string &name) {
      return (inPush ? "pc." : "") + name;
    };
    if (family == "elementwise")
      os << shaders::kMath << "\n";
    os << "void main() {\n"
       << "  uint i = attncGroupIndex() * " << kWorkgroup
       << "u + gl_LocalInvocationID.x;\n"
       << "  if (i >= " << param("n") << ")\n    return;\n";
    // Coordinates, innermost first.
    os << "  uint rest = i;\n";
    for (size_t d = rank; d-- > 1;)
      os << "  uint c" << d << " = rest % " << param("dim" + std::to_string(d))
         << ";\n  rest /= " << param("dim" + std::to_string(d)) << ";\n";
    os << "  uint c0 = rest;\n";
    std::vector<std::string> vars;
    for (auto [i, s] : llvm::enumerate(sources)) {
      std::string var = "x" + std::to_string(i);
      vars.push_back(var);
      ScalarKind kind = kindOf(s.value.getType());
      if (s.literal) {
        os << "  " << glslScalar(kind) << " " << var << " = " << *s.literal
           << ";\n";
        continue;
      }
      os << "  uint o" << i << " = "
         << (s.base ? param("base" + std::to_string(i)) : std::string("0u"));
      for (size_t d = 0; d < rank; ++d)
        os << " + c" << d << " * "
           << param("s" + std::to_string(i) + "_" + std::to_string(d));
      os << ";\n"
         << loadElement(var, p.bindings[s.binding].name,
                        "o" + std::to_string(i), kind);
    }
    std::string result = emitExpr(os, vars);
    const std::string &out = p.bindings[0].name;
    os << "  " << out << "_STORE(i, " << result << ");\n}\n";
    p.body = os.str();
    KernelVariant variant;
    variant.groups = flatGroups((n + kWorkgroup - 1) / kWorkgroup);
    p.variants = {variant};
    return p;
  }

private:
  const Schedule &schedule;
  const WeightOffsets &weights;
};

/// The GLSL of one elementwise op over operand variables `a`.
llvm::Expected<std::string> opExpression(Operation *op,
                                         ArrayRef<std::string> a) {
  // Inside a fused tree a broadcast is the identity on the scalar.
  if (isa<attn::BroadcastToOp>(op))
    return a[0];
  std::optional<ops::ElementwiseKind> kind = ops::classifyElementwise(op);
  if (!kind)
    return kernelError(op, "is not an elementwise op the Vulkan target "
                           "knows");
  if (const char *why =
          ops::checkOperands(*kind, kindOf(op->getOperand(0).getType())))
    return kernelError(op, why);
  SmallVector<GlslScalar, 3> operands;
  for (auto [value, text] : llvm::zip(op->getOperands(), a))
    operands.push_back({text, kindOf(value.getType())});
  GlslScalarMath math(kindOf(op->getResult(0).getType()));
  return ops::evaluate(*kind, math, operands).text;
}

Source stridedSource(Value value, ArrayRef<int64_t> outShape) {
  Source s;
  s.value = value;
  s.literal = literalOf(value);
  s.strides = broadcastStrides(shapeOf(value), outShape);
  return s;
}

} // namespace

llvm::Expected<KernelProgram>
vk::emitElementwiseKernel(const Schedule &schedule,
                          const WeightOffsets &weights, const Kernel &kernel) {
  Value output = kernel.outputs[0];
  ArrayRef<int64_t> outShape = shapeOf(output);
  MapKernelBuilder builder(schedule, weights);
  std::vector<Source> sources;
  for (Value input : kernel.inputs)
    sources.push_back(stridedSource(input, outShape));

  if (kernel.copyToOutput >= 0) {
    ShaderBinding out;
    out.name = "out0";
    out.elementType =
        storageType(output.getType().cast<RankedTensorType>().getElementType());
    out.writes = true;
    out.buffer = BufferKind::Output;
    out.index = kernel.copyToOutput;
    out.bytes = deviceBytes(output);
    return builder.build(
        output, out, outShape, sources,
        [](llvm::raw_ostream &, ArrayRef<std::string> vars) { return vars[0]; },
        "copy");
  }
  if (llvm::Error e = checkElements(kernel.root, output))
    return std::move(e);

  llvm::Error failure = llvm::Error::success();
  auto emitTree = [&](llvm::raw_ostream &os,
                      ArrayRef<std::string> vars) -> std::string {
    llvm::DenseMap<Value, std::string> names;
    for (auto [value, var] : llvm::zip(kernel.inputs, vars))
      names[value] = var;
    std::string last;
    for (auto [index, op] : llvm::enumerate(kernel.ops)) {
      SmallVector<std::string, 3> operands;
      for (Value v : op->getOperands())
        operands.push_back(names.lookup(v));
      llvm::Expected<std::string> expr = opExpression(op, operands);
      if (!expr) {
        if (!failure)
          failure = expr.takeError();
        else
          llvm::consumeError(expr.takeError());
        return "0";
      }
      last = "v" + std::to_string(index);
      os << "  " << glslScalar(kindOf(op->getResult(0).getType())) << " "
         << last << " = " << *expr << ";\n";
      names[op->getResult(0)] = last;
    }
    return last;
  };
  KernelProgram p = builder.build(output, std::nullopt, outShape, sources,
                                  emitTree, "elementwise");
  if (failure)
    return std::move(failure);
  consumeError(std::move(failure));
  return p;
}

llvm::Expected<std::string> vk::emitEpilogue(const Schedule &schedule,
                                             const WeightOffsets &weights,
                                             const Kernel &kernel,
                                             KernelProgram &p) {
  const char *identity = "float attncEpilogue(uint e, float x) { return x; }\n"
                         "vec4 attncEpilogue4(uint i, vec4 x) { return x; }\n";
  if (!kernel.hasEpilogue())
    return std::string(identity);
  Value product = kernel.ops.front()->getResult(0);
  ArrayRef<int64_t> shape = shapeOf(kernel.outputs[0]);
  std::string text;
  llvm::raw_string_ostream os(text);
  os << shaders::kMath << "\n"
     << "// The elementwise ops fused after the product, at element e.\n"
     << "float attncEpilogue(uint e, float x) {\n  uint rest = e;\n";
  // Coordinates, innermost first (the output is contiguous).
  for (size_t d = shape.size(); d-- > 0;)
    os << "  uint c" << d << " = rest % " << shape[d] << "u;\n  rest /= "
       << shape[d] << "u;\n";
  llvm::DenseMap<Value, std::string> names;
  names[product] = "x";
  int leaves = 0;
  for (Operation *op : llvm::drop_begin(kernel.ops)) {
    SmallVector<std::string, 3> operands;
    for (Value v : op->getOperands()) {
      if (!names.count(v)) {
        Source s = stridedSource(v, shape);
        std::string var = "l" + std::to_string(leaves);
        if (s.literal) {
          os << "  " << glslScalar(kindOf(v.getType())) << " " << var << " = "
             << *s.literal << ";\n";
        } else {
          std::string binding = "epi" + std::to_string(leaves);
          p.bindings.push_back(
              bindValue(schedule, weights, v, binding, /*writes=*/false));
          os << "  uint o" << leaves << " = 0u";
          for (auto [d, stride] : llvm::enumerate(s.strides))
            if (stride)
              os << " + c" << d << " * " << stride << "u";
          os << ";\n"
             << loadElement(var, binding, "o" + std::to_string(leaves),
                            kindOf(v.getType()));
        }
        names[v] = var;
        ++leaves;
      }
      operands.push_back(names.lookup(v));
    }
    llvm::Expected<std::string> expr = opExpression(op, operands);
    if (!expr)
      return expr.takeError();
    std::string var = "v" + std::to_string(names.size());
    os << "  " << glslScalar(kindOf(op->getResult(0).getType())) << " " << var
       << " = " << *expr << ";\n";
    names[op->getResult(0)] = var;
  }
  os << "  return " << names.lookup(kernel.ops.back()->getResult(0))
     << ";\n}\n"
     << "vec4 attncEpilogue4(uint i, vec4 x) {\n"
     << "  return vec4(attncEpilogue(4u * i, x.x), attncEpilogue(4u * i + 1u, "
        "x.y),\n              attncEpilogue(4u * i + 2u, x.z), "
        "attncEpilogue(4u * i + 3u, x.w));\n}\n";
  return os.str();
}

namespace {

/// Concat (`joins`: the pieces are inputs joined into `whole`) and split
/// (`whole` cut into the pieces): one invocation per element (o, a, c) of
/// `whole`, where the piece k whose range along the axis holds a is read
/// (concat) or written (split) at (o, a - start_k, c).
KernelProgram emitPieces(const Schedule &schedule, const WeightOffsets &weights,
                         llvm::StringRef family, Value whole, ValueRange pieces,
                         int64_t axisAttr, bool joins) {
  ArrayRef<int64_t> shape = shapeOf(whole);
  int64_t rank = shape.size();
  int64_t axis = *attn::normalizeAxis(axisAttr, rank);
  int64_t inner = 1, total = 1;
  for (int64_t i = axis + 1; i < rank; ++i)
    inner *= shape[i];
  for (int64_t d : shape)
    total *= d;
  KernelProgram p;
  p.family = family.str();
  p.workgroup = "local_size_x = " + std::to_string(kWorkgroup);
  // Outputs first, then inputs (KernelAbi.h).
  if (joins)
    p.bindings.push_back(bindValue(schedule, weights, whole, "out0", true));
  for (auto [k, piece] : llvm::enumerate(pieces))
    p.bindings.push_back(bindValue(schedule, weights, piece,
                                   (joins ? "in" : "out") + std::to_string(k),
                                   !joins));
  if (!joins)
    p.bindings.push_back(bindValue(schedule, weights, whole, "in0", false));
  addPush(p, "n", total);
  addPush(p, "inner", inner == 0 ? 1 : inner);
  addPush(p, "axisLen", shape[axis] == 0 ? 1 : shape[axis]);
  std::string body;
  llvm::raw_string_ostream os(body);
  os << "void main() {\n"
     << "  uint i = attncGroupIndex() * " << kWorkgroup
     << "u + gl_LocalInvocationID.x;\n"
     << "  if (i >= pc.n)\n    return;\n"
     << "  uint c = i % pc.inner;\n"
     << "  uint a = (i / pc.inner) % pc.axisLen;\n"
     << "  uint o = i / (pc.inner * pc.axisLen);\n";
  int64_t start = 0;
  for (auto [k, piece] : llvm::enumerate(pieces)) {
    int64_t size = shapeOf(piece)[axis];
    std::string K = std::to_string(k);
    addPush(p, "start" + K, start);
    addPush(p, "size" + K, size);
    std::string at =
        "(o * pc.size" + K + " + a - pc.start" + K + ") * pc.inner + c";
    os << "  " << (k ? "else if" : "if") << " (a < pc.start" << K
       << " + pc.size" << K << ")\n    "
       << (joins ? "out0.d[i] = in" + K + ".d[" + at + "]"
                 : "out" + K + ".d[" + at + "] = in0.d[i]")
       << ";\n";
    start += size;
  }
  os << "}\n";
  p.body = os.str();
  KernelVariant variant;
  variant.groups = flatGroups((total + kWorkgroup - 1) / kWorkgroup);
  p.variants = {variant};
  return p;
}

/// causal_mask: out[i, j] = j <= i + offset.
KernelProgram emitCausalMask(const Schedule &schedule,
                             const WeightOffsets &weights,
                             attn::CausalMaskOp op) {
  ArrayRef<int64_t> shape = shapeOf(op.getResult());
  int64_t sq = shape[0], sk = shape[1];
  KernelProgram p;
  p.family = "causal_mask";
  p.workgroup = "local_size_x = " + std::to_string(kWorkgroup);
  p.bindings.push_back(
      bindValue(schedule, weights, op.getResult(), "out0", true));
  addPush(p, "n", sq * sk);
  addPush(p, "sk", sk == 0 ? 1 : sk);
  int64_t offset = op.getCausal() == attn::CausalKind::bottom_right ? sk - sq
                   : op.getCausal() == attn::CausalKind::top_left   ? 0
                                                                    : sk;
  addPushInt(p, "offset", offset);
  p.body = "void main() {\n"
           "  uint i = attncGroupIndex() * " +
           std::to_string(kWorkgroup) +
           "u + gl_LocalInvocationID.x;\n"
           "  if (i >= pc.n)\n    return;\n"
           "  int q = int(i / pc.sk), k = int(i % pc.sk);\n"
           "  out0.d[i] = k <= q + pc.offset ? 1u : 0u;\n"
           "}\n";
  KernelVariant variant;
  variant.groups = flatGroups((sq * sk + kWorkgroup - 1) / kWorkgroup);
  p.variants = {variant};
  return p;
}

} // namespace

llvm::Expected<KernelProgram>
vk::emitDataMovementKernel(const Schedule &schedule,
                           const WeightOffsets &weights, const Kernel &kernel) {
  Operation *root = kernel.root;
  for (Value v : root->getResults())
    if (llvm::Error e = checkElements(root, v))
      return std::move(e);
  if (auto concat = dyn_cast<attn::ConcatOp>(root))
    return emitPieces(schedule, weights, "concat", concat.getResult(),
                      concat.getInputs(), concat.getAxis(), /*joins=*/true);
  if (auto split = dyn_cast<attn::SplitOp>(root))
    return emitPieces(schedule, weights, "split", split.getInput(),
                      split.getResults(), split.getAxis(), /*joins=*/false);
  if (auto mask = dyn_cast<attn::CausalMaskOp>(root))
    return emitCausalMask(schedule, weights, mask);

  Value output = root->getResult(0);
  ArrayRef<int64_t> outShape = shapeOf(output);
  Source source;
  source.value = root->getOperand(0);
  SmallVector<int64_t, 6> in = contiguousStrides(shapeOf(source.value));
  if (auto transpose = dyn_cast<attn::TransposeOp>(root)) {
    for (int64_t p : transpose.getPerm())
      source.strides.push_back(in[p]);
  } else if (auto slice = dyn_cast<attn::SliceOp>(root)) {
    for (size_t d = 0; d < in.size(); ++d) {
      source.strides.push_back(in[d] * slice.getStrides()[d]);
      source.base += slice.getStarts()[d] * in[d];
    }
  } else {
    source.strides = broadcastStrides(shapeOf(source.value), outShape);
  }
  MapKernelBuilder builder(schedule, weights);
  return builder.build(
      output, std::nullopt, outShape, {source},
      [](llvm::raw_ostream &, ArrayRef<std::string> vars) { return vars[0]; },
      "copy");
}
