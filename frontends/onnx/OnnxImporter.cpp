//===- OnnxImporter.cpp - ONNX models into the attn dialect ---------------===//
//
// The graph-level work: parse the protobuf, check the opset, report every
// unsupported op type and every input no one produces before importing
// anything, pin dynamic input dims, order the nodes, convert them one by one
// (NodeImporter and the converters in MathOps.cpp / ShapeOps.cpp), inline
// the branch an If with a constant condition takes, check the result
// against the shapes the model declares, and return @forward.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"

#include "frontends/onnx/NodeImporter.h"
#include "frontends/onnx/OnnxTensor.h"
#include "ir/ModelConventions.h"
#include "ir/ShapeUtils.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Verifier.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <climits>
#include <queue>

using namespace mlir;
using namespace attnc;
using namespace attnc::onnx_import;

namespace {

constexpr int64_t kMinOpset = 13, kMaxOpset = 23;

/// Adds to `names` every value a node of `graph` (or of a graph nested in
/// it) reads from an enclosing scope: an If branch sees the values of the
/// graph around it without listing them as inputs.
void collectOuterReferences(const onnx::GraphProto &graph,
                            llvm::StringSet<> &names) {
  llvm::StringSet<> local;
  for (const onnx::ValueInfoProto &input : graph.input())
    local.insert(input.name());
  for (const onnx::TensorProto &init : graph.initializer())
    local.insert(init.name());
  for (const onnx::NodeProto &node : graph.node()) {
    for (const std::string &in : node.input())
      if (!in.empty() && !local.contains(in))
        names.insert(in);
    for (const onnx::AttributeProto &attr : node.attribute()) {
      llvm::StringSet<> nested;
      if (attr.has_g())
        collectOuterReferences(attr.g(), nested);
      for (const onnx::GraphProto &g : attr.graphs())
        collectOuterReferences(g, nested);
      for (const auto &entry : nested)
        if (!local.contains(entry.getKey()))
          names.insert(entry.getKey());
    }
    for (const std::string &out : node.output())
      local.insert(out);
  }
  for (const onnx::ValueInfoProto &out : graph.output())
    if (!local.contains(out.name()))
      names.insert(out.name());
}

/// True for the default ONNX domain.
bool isDefaultDomain(const onnx::NodeProto &node) {
  return node.domain().empty() || node.domain() == "ai.onnx";
}

/// A --input-shape pin.
struct InputPin {
  std::string name;
  SmallVector<int64_t> shape;
  bool used = false;
};

/// "[batch, seq, 32]" for a declared input shape.
std::string describeDims(const onnx::TensorShapeProto &shape) {
  std::string s = "[";
  for (int i = 0; i < shape.dim_size(); ++i) {
    const onnx::TensorShapeProto::Dimension &d = shape.dim(i);
    if (i)
      s += ", ";
    if (d.has_dim_value())
      s += std::to_string(d.dim_value());
    else
      s += d.dim_param().empty() ? "?" : d.dim_param();
  }
  return s + "]";
}

/// "2x5" for {2, 5}.
std::string joinDims(ArrayRef<int64_t> dims, StringRef separator) {
  std::string s;
  for (auto [i, d] : llvm::enumerate(dims))
    s += (i ? separator.str() : "") + std::to_string(d);
  return s;
}

/// "<batch>x<seq>x32": the --input-shape to write, placeholders for the
/// dynamic dims.
std::string pinTemplate(const onnx::TensorShapeProto &shape) {
  std::string s;
  for (int i = 0; i < shape.dim_size(); ++i) {
    const onnx::TensorShapeProto::Dimension &d = shape.dim(i);
    if (i)
      s += "x";
    if (d.has_dim_value())
      s += std::to_string(d.dim_value());
    else
      s += "<" +
           (d.dim_param().empty() ? "d" + std::to_string(i) : d.dim_param()) +
           ">";
  }
  return s;
}

class ModelImporter {
public:
  ModelImporter(MLIRContext &context, const onnx::ModelProto &model,
                Location fileLoc, const OnnxImportOptions &options)
      : context(context), model(model), graph(model.graph()), fileLoc(fileLoc),
        options(options), builder(&context) {}

  OwningOpRef<ModuleOp> run();

private:
  LogicalResult readOpset();
  LogicalResult parsePins();
  LogicalResult checkSupported();
  LogicalResult orderNodes(SmallVectorImpl<int> &order);
  LogicalResult addInputs();
  LogicalResult importNode(const onnx::NodeProto &node, StringRef name);
  LogicalResult importIf(const onnx::NodeProto &node, StringRef name);
  LogicalResult importCall(const onnx::NodeProto &node,
                           const onnx::FunctionProto &function,
                           StringRef name);
  const onnx::FunctionProto *findFunction(const onnx::NodeProto &node) const;
  LogicalResult checkDeclared(StringRef name, Value value, Location loc);
  LogicalResult addOutputs();

  std::string nodeName(int index) const {
    const onnx::NodeProto &node = graph.node(index);
    return node.name().empty() ? node.op_type() + "_" + std::to_string(index)
                               : node.name();
  }
  Location nameLoc(StringRef name) {
    return NameLoc::get(StringAttr::get(&context, name));
  }

  MLIRContext &context;
  const onnx::ModelProto &model;
  const onnx::GraphProto &graph;
  Location fileLoc;
  const OnnxImportOptions &options;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
  int64_t opset = 0;
  std::unique_ptr<GraphState> state;
  std::vector<InputPin> pins;
  SmallVector<std::string> inputNames;
  /// Shapes the model declares (value_info and graph outputs).
  llvm::StringMap<const onnx::TypeProto *> declared;
  /// How many local function calls are being inlined, one inside another.
  int callDepth = 0;
};

const onnx::FunctionProto *
ModelImporter::findFunction(const onnx::NodeProto &node) const {
  for (const onnx::FunctionProto &function : model.functions())
    if (function.name() == node.op_type() &&
        function.domain() == node.domain())
      return &function;
  return nullptr;
}

LogicalResult ModelImporter::readOpset() {
  bool found = false;
  for (const onnx::OperatorSetIdProto &id : model.opset_import()) {
    if (id.domain().empty() || id.domain() == "ai.onnx") {
      opset = id.version();
      found = true;
    }
  }
  if (!found)
    return emitError(fileLoc) << "the model imports no ai.onnx opset";
  if (opset < kMinOpset || opset > kMaxOpset)
    return emitError(fileLoc)
           << "ai.onnx opset " << opset << " is not supported: attnc imports "
           << "opsets " << kMinOpset << " to " << kMaxOpset
           << " (export with torch.onnx.export(..., opset_version=14) or "
              "convert the model with onnx.version_converter)";
  return success();
}

LogicalResult ModelImporter::parsePins() {
  for (const std::string &spec : options.inputShapes) {
    auto [name, dims] = StringRef(spec).rsplit('=');
    InputPin pin{name.str(), {}, false};
    SmallVector<StringRef> parts;
    dims.split(parts, 'x');
    bool ok = !name.empty() && !dims.empty();
    for (StringRef part : parts) {
      int64_t d;
      if (part.getAsInteger(10, d) || d < 1 || d > kMaxTensorElements) {
        ok = false;
        break;
      }
      pin.shape.push_back(d);
    }
    if (!ok)
      return emitError(fileLoc)
             << "--input-shape '" << spec
             << "': expected NAME=D0xD1x... with positive integer dims "
                "(e.g. input_ids=2x32)";
    pins.push_back(std::move(pin));
  }
  return success();
}

LogicalResult ModelImporter::checkSupported() {
  // One report per unsupported op type, naming its first node.
  // Op type -> (first node, count), reported in order of first use.
  llvm::StringMap<std::pair<int, int>> unsupported;
  SmallVector<std::string> types;
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    bool defaultDomain = isDefaultDomain(node);
    // An If's branches are checked when the one taken is imported.
    if (defaultDomain &&
        (lookupConverter(node.op_type()) || node.op_type() == "If"))
      continue;
    // Local functions are inlined; their bodies are checked as they are.
    if (findFunction(node))
      continue;
    std::string key =
        defaultDomain ? node.op_type() : node.domain() + "." + node.op_type();
    auto [it, inserted] = unsupported.insert({key, {i, 0}});
    if (inserted)
      types.push_back(key);
    ++it->second.second;
  }
  for (const std::string &key : types) {
    std::pair<int, int> first = unsupported[key];
    const onnx::NodeProto &node = graph.node(first.first);
    InFlightDiagnostic diag = emitError(nameLoc(nodeName(first.first)));
    diag << "unsupported ONNX op '" << node.op_type() << "'";
    if (!node.domain().empty() && node.domain() != "ai.onnx") {
      diag << " from domain '" << node.domain() << "'";
      for (const onnx::OperatorSetIdProto &id : model.opset_import())
        if (id.domain() == node.domain())
          diag << " (opset " << id.version() << ")";
    } else {
      diag << " (opset " << opset << ")";
    }
    diag << " at node '" << nodeName(first.first) << "'";
    if (first.second > 1)
      diag << " and " << first.second - 1 << " other node"
           << (first.second > 2 ? "s" : "");
  }
  return success(unsupported.empty());
}

LogicalResult ModelImporter::orderNodes(SmallVectorImpl<int> &order) {
  llvm::StringSet<> available;
  for (const onnx::ValueInfoProto &input : graph.input())
    available.insert(input.name());
  for (const onnx::TensorProto &init : graph.initializer())
    available.insert(init.name());
  llvm::StringMap<int> producer;
  bool ok = true;
  for (int i = 0; i < graph.node_size(); ++i) {
    for (const std::string &out : graph.node(i).output()) {
      if (out.empty())
        continue;
      auto [it, inserted] = producer.insert({out, i});
      if (!inserted || available.contains(out)) {
        emitError(nameLoc(nodeName(i)))
            << "value '" << out << "' is defined twice: by "
            << (inserted ? "a graph input or initializer"
                         : "node '" + nodeName(it->second) + "'")
            << " and by this node";
        ok = false;
      }
    }
  }
  // Every consumer waits for the nodes producing its inputs.
  std::vector<SmallVector<int>> consumers(graph.node_size());
  std::vector<int> waiting(graph.node_size(), 0);
  for (int i = 0; i < graph.node_size(); ++i) {
    const onnx::NodeProto &node = graph.node(i);
    for (int j = 0; j < node.input_size(); ++j) {
      const std::string &in = node.input(j);
      if (in.empty() || available.contains(in))
        continue;
      auto it = producer.find(in);
      if (it == producer.end()) {
        emitError(nameLoc(nodeName(i)))
            << node.op_type() << ": input #" << j << " '" << in
            << "' is not produced by any node, graph input or initializer "
               "(a missing initializer?)";
        ok = false;
        continue;
      }
      consumers[it->second].push_back(i);
      ++waiting[i];
    }
    // Values an If branch reads from this graph order it like inputs (one
    // missing is reported when the branch is imported).
    llvm::StringSet<> outer;
    for (const onnx::AttributeProto &attr : node.attribute())
      if (attr.has_g())
        collectOuterReferences(attr.g(), outer);
    for (const auto &entry : outer) {
      auto it = producer.find(entry.getKey());
      if (it == producer.end() || it->second == i)
        continue;
      consumers[it->second].push_back(i);
      ++waiting[i];
    }
  }
  for (const onnx::ValueInfoProto &out : graph.output())
    if (!available.contains(out.name()) && !producer.count(out.name())) {
      emitError(nameLoc(out.name()))
          << "graph output '" << out.name()
          << "' is not produced by any node, graph input or initializer";
      ok = false;
    }
  if (!ok)
    return failure();
  // Kahn's algorithm, taking nodes in file order when several are ready.
  std::priority_queue<int, std::vector<int>, std::greater<int>> ready;
  for (int i = 0; i < graph.node_size(); ++i)
    if (waiting[i] == 0)
      ready.push(i);
  while (!ready.empty()) {
    int i = ready.top();
    ready.pop();
    order.push_back(i);
    for (int consumer : consumers[i])
      if (--waiting[consumer] == 0)
        ready.push(consumer);
  }
  for (int i = 0; i < graph.node_size(); ++i)
    if (waiting[i] > 0)
      return emitError(nameLoc(nodeName(i)))
             << "the graph has a cycle through node '" << nodeName(i) << "'";
  return success();
}

LogicalResult ModelImporter::addInputs() {
  bool ok = true;
  Block &entry = func.getBody().front();
  SmallVector<std::string> names;
  for (const onnx::ValueInfoProto &input : graph.input()) {
    const std::string &name = input.name();
    // Before IR version 4, initializers were listed as inputs too: they are
    // constants, not arguments.
    if (state->initializers.count(name))
      continue;
    Location loc = nameLoc(name);
    if (llvm::is_contained(names, name)) {
      ok = false;
      emitError(loc) << "graph input '" << name << "' is listed twice";
      continue;
    }
    const onnx::TypeProto &type = input.type();
    if (!type.has_tensor_type()) {
      ok = false;
      emitError(loc) << "graph input '" << name
                     << "' is not a tensor (sequences, maps and optionals "
                        "are not supported)";
      continue;
    }
    int32_t dataType = type.tensor_type().elem_type();
    Type elementType = importElementType(&context, dataType);
    if (!elementType || !isNativeElementType(dataType)) {
      ok = false;
      emitError(loc) << "graph input '" << name << "' has element type "
                     << elementTypeName(dataType)
                     << "; inputs may be float16/32/64, int32/64 or bool";
      continue;
    }
    auto pin =
        llvm::find_if(pins, [&](const InputPin &p) { return p.name == name; });
    bool hasShape = type.tensor_type().has_shape();
    const onnx::TensorShapeProto &declaredShape = type.tensor_type().shape();
    SmallVector<int64_t> shape;
    bool dynamic = !hasShape;
    for (const auto &d : declaredShape.dim()) {
      dynamic |= !d.has_dim_value();
      shape.push_back(d.has_dim_value() ? d.dim_value() : -1);
    }
    std::string dims =
        hasShape ? describeDims(declaredShape) : "[unknown rank]";
    if (pin != pins.end()) {
      pin->used = true;
      bool fits = !hasShape || pin->shape.size() == shape.size();
      for (size_t i = 0; fits && i < shape.size(); ++i)
        fits = shape[i] < 0 || shape[i] == pin->shape[i];
      if (!fits) {
        ok = false;
        emitError(loc) << "--input-shape " << name << "="
                       << joinDims(pin->shape, "x")
                       << " does not fit the declared shape " << dims;
        continue;
      }
      shape = pin->shape;
    } else if (dynamic) {
      ok = false;
      emitError(loc) << "graph input '" << name << "' has dynamic dims " << dims
                     << "; pin them with --input-shape " << name << "="
                     << (hasShape ? pinTemplate(declaredShape) : "D0xD1x...");
      continue;
    }
    if (!checkedElementCount(shape) ||
        llvm::any_of(shape, [](int64_t d) { return d < 1; })) {
      ok = false;
      emitError(loc) << "graph input '" << name << "' has shape "
                     << formatDims(shape)
                     << "; attnc needs positive dims and at most "
                     << kMaxTensorElements << " elements";
      continue;
    }
    names.push_back(name);
    state->values[name] =
        entry.addArgument(RankedTensorType::get(shape, elementType), loc);
  }
  for (const InputPin &pin : pins)
    if (!pin.used) {
      ok = false;
      emitError(fileLoc) << "--input-shape names '" << pin.name
                         << "', which is not a graph input (inputs: "
                         << llvm::join(names, ", ") << ")";
    }
  inputNames.assign(names.begin(), names.end());
  return success(ok);
}

LogicalResult ModelImporter::checkDeclared(StringRef name, Value value,
                                           Location loc) {
  auto it = declared.find(name);
  if (it == declared.end() || !it->second->has_tensor_type())
    return success();
  const onnx::TypeProto::Tensor &tensor = it->second->tensor_type();
  auto type = value.getType().cast<RankedTensorType>();
  bool ok = true;
  if (tensor.elem_type() != onnx::TensorProto::UNDEFINED)
    ok &= importElementType(&context, tensor.elem_type()) ==
          type.getElementType();
  if (tensor.has_shape()) {
    const onnx::TensorShapeProto &shape = tensor.shape();
    ok &= shape.dim_size() == type.getRank();
    for (int i = 0; ok && i < shape.dim_size(); ++i)
      ok &= !shape.dim(i).has_dim_value() ||
            shape.dim(i).dim_value() == type.getDimSize(i);
  }
  if (ok)
    return success();
  std::string got;
  llvm::raw_string_ostream os(got);
  os << formatDims(type.getShape()) << " " << type.getElementType();
  return emitError(loc) << "value '" << name << "' is " << os.str()
                        << ", but the model declares "
                        << (tensor.has_shape() ? describeDims(tensor.shape())
                                               : "[unknown rank]")
                        << " " << elementTypeName(tensor.elem_type());
}

LogicalResult ModelImporter::importNode(const onnx::NodeProto &node,
                                        StringRef name) {
  Location loc = nameLoc(name);
  if (isDefaultDomain(node) && node.op_type() == "If")
    return importIf(node, name);
  // A model-local function shadows nothing of ai.onnx: exporters put their
  // functions in their own domains.
  if (!isDefaultDomain(node) || !lookupConverter(node.op_type()))
    if (const onnx::FunctionProto *function = findFunction(node))
      return importCall(node, *function, name);
  const OpConverter *converter =
      isDefaultDomain(node) ? lookupConverter(node.op_type()) : nullptr;
  // checkSupported rejected the unknown ops of the graph; those of an If
  // branch are reported here.
  if (!converter)
    return emitError(loc) << "unsupported ONNX op '" << node.op_type() << "'"
                          << (isDefaultDomain(node)
                                  ? ""
                                  : " from domain '" + node.domain() + "'")
                          << " (opset " << opset << ") at node '" << name
                          << "'";
  NodeImporter importer(*state, node, loc);
  // Errors from op creation ("'attn.matmul' op ...") get the ONNX node.
  std::string prefix = node.op_type() + ": ";
  ScopedDiagnosticHandler note(&context, [&](Diagnostic &diag) {
    if (diag.getSeverity() == DiagnosticSeverity::Error &&
        !StringRef(diag.str()).startswith(prefix))
      diag.attachNote() << "in ONNX node '" << name << "' (" << node.op_type()
                        << ", opset " << opset << ")";
    return failure();
  });
  unsigned count = node.input_size();
  if (count < converter->minInputs || count > converter->maxInputs) {
    InFlightDiagnostic diag = importer.error() << "expects ";
    if (converter->minInputs == converter->maxInputs)
      diag << converter->minInputs;
    else if (converter->maxInputs == ~0u)
      diag << "at least " << converter->minInputs;
    else
      diag << converter->minInputs << " to " << converter->maxInputs;
    return diag << " inputs, got " << count;
  }
  if (failed(importer.resolveInputs()) || failed(converter->convert(importer)))
    return failure();
  ArrayRef<Value> outputs = importer.getOutputs();
  for (int i = 0; i < node.output_size(); ++i) {
    const std::string &out = node.output(i);
    if (out.empty())
      continue;
    if (i >= static_cast<int>(outputs.size()) || !outputs[i])
      return importer.error()
             << "output #" << i << " '" << out << "' is not supported";
    if (failed(checkDeclared(out, outputs[i], loc)))
      return failure();
    state->values[out] = outputs[i];
  }
  return success();
}

/// torch.onnx.export writes an If where a shape decides between two graphs
/// (squeeze of a dim that is 1 only for some inputs). With static shapes the
/// condition is a constant: the branch it takes is imported in place.
LogicalResult ModelImporter::importIf(const onnx::NodeProto &node,
                                      StringRef name) {
  Location loc = nameLoc(name);
  if (node.input_size() != 1 || node.input(0).empty())
    return emitError(loc) << "If: expects 1 input (the condition), got "
                          << node.input_size();
  Value condition = state->lookup(node.input(0), loc);
  if (!condition)
    return failure();
  const OracleTensor *value = state->constantValue(condition);
  if (!value)
    return emitError(loc)
           << "If: the condition '" << node.input(0)
           << "' depends on a graph input; attnc imports an If only when "
              "its condition is known at import time (control flow is not "
              "supported)";
  if (value->data.size() != 1)
    return emitError(loc) << "If: the condition must have one element, got "
                          << formatDims(shapeOf(condition));
  StringRef taken = value->data.front() != 0 ? "then_branch" : "else_branch";
  const onnx::AttributeProto *branch = nullptr;
  for (const onnx::AttributeProto &attr : node.attribute())
    if (attr.name() == taken && attr.type() == onnx::AttributeProto::GRAPH)
      branch = &attr;
  if (!branch)
    return emitError(loc) << "If: attribute '" << taken << "' must be a graph";
  const onnx::GraphProto &body = branch->g();
  for (const onnx::TensorProto &init : body.initializer())
    if (!state->initializers.insert({init.name(), &init}).second)
      return emitError(loc) << "If: initializer '" << init.name() << "' of the "
                            << taken << " is defined twice";
  // ONNX keeps the nodes of a graph in topological order.
  for (int i = 0; i < body.node_size(); ++i) {
    const onnx::NodeProto &inner = body.node(i);
    std::string innerName =
        inner.name().empty()
            ? name.str() + "/" + inner.op_type() + "_" + std::to_string(i)
            : inner.name();
    if (failed(importNode(inner, innerName)))
      return failure();
  }
  if (body.output_size() != node.output_size())
    return emitError(loc) << "If: the " << taken << " has "
                          << body.output_size() << " outputs, the node "
                          << node.output_size();
  for (int i = 0; i < node.output_size(); ++i) {
    Value result = state->lookup(body.output(i).name(), loc);
    if (!result || failed(checkDeclared(node.output(i), result, loc)))
      return failure();
    if (!node.output(i).empty())
      state->values[node.output(i)] = result;
  }
  return success();
}

/// A call of a model-local function is inlined: the body's nodes are
/// imported with the formal inputs bound to the call's inputs, the body's
/// own values renamed under the call's name, and attribute references
/// (ref_attr_name) replaced by the call's attributes.
LogicalResult ModelImporter::importCall(const onnx::NodeProto &node,
                                        const onnx::FunctionProto &function,
                                        StringRef name) {
  Location loc = nameLoc(name);
  if (callDepth >= 32)
    return emitError(loc) << "function '" << function.name()
                          << "' calls functions more than 32 deep (a "
                             "recursive function?)";
  if (node.input_size() > function.input_size() ||
      node.output_size() > function.output_size())
    return emitError(loc) << "call of function '" << function.name()
                          << "' has " << node.input_size() << " inputs and "
                          << node.output_size() << " outputs, the function "
                          << function.input_size() << " and "
                          << function.output_size();
  llvm::StringMap<std::string> bound;
  for (int i = 0; i < function.input_size(); ++i)
    bound[function.input(i)] = i < node.input_size() ? node.input(i) : "";
  std::string prefix = name.str() + "/";
  auto rename = [&](const std::string &value) -> std::string {
    if (value.empty())
      return value;
    auto it = bound.find(value);
    return it != bound.end() ? it->second : prefix + value;
  };
  ++callDepth;
  auto restore = llvm::make_scope_exit([&] { --callDepth; });
  for (int i = 0; i < function.node_size(); ++i) {
    onnx::NodeProto inner = function.node(i);
    for (std::string &in : *inner.mutable_input())
      in = rename(in);
    for (std::string &out : *inner.mutable_output())
      out = rename(out);
    google::protobuf::RepeatedPtrField<onnx::AttributeProto> attrs;
    for (const onnx::AttributeProto &attr : inner.attribute()) {
      if (attr.ref_attr_name().empty()) {
        *attrs.Add() = attr;
        continue;
      }
      // An attribute the call does not set takes the op's default.
      for (const onnx::AttributeProto &given : node.attribute())
        if (given.name() == attr.ref_attr_name()) {
          onnx::AttributeProto *copy = attrs.Add();
          *copy = given;
          copy->set_name(attr.name());
        }
    }
    *inner.mutable_attribute() = std::move(attrs);
    std::string innerName =
        prefix + (inner.name().empty()
                      ? inner.op_type() + "_" + std::to_string(i)
                      : inner.name());
    if (failed(importNode(inner, innerName)))
      return failure();
  }
  for (int i = 0; i < node.output_size(); ++i) {
    if (node.output(i).empty())
      continue;
    Value result = state->lookup(rename(function.output(i)), loc);
    if (!result || failed(checkDeclared(node.output(i), result, loc)))
      return failure();
    state->values[node.output(i)] = result;
  }
  return success();
}

LogicalResult ModelImporter::addOutputs() {
  SmallVector<Value> results;
  SmallVector<std::string> names;
  for (const onnx::ValueInfoProto &out : graph.output()) {
    Location loc = nameLoc(out.name());
    if (llvm::is_contained(names, out.name()))
      return emitError(loc)
             << "graph output '" << out.name() << "' is listed twice";
    Value value = state->lookup(out.name(), loc);
    if (!value || failed(checkDeclared(out.name(), value, loc)))
      return failure();
    results.push_back(value);
    names.push_back(out.name());
  }
  if (results.empty())
    return emitError(fileLoc) << "the graph has no outputs";
  builder.create<func::ReturnOp>(nameLoc("return"), results);
  Block &entry = func.getBody().front();
  func.setType(builder.getFunctionType(entry.getArgumentTypes(),
                                       ValueRange(results).getTypes()));
  for (auto [i, name] : llvm::enumerate(inputNames))
    attn::setInputName(func, i, name);
  for (auto [i, name] : llvm::enumerate(names))
    attn::setOutputName(func, i, name);
  return success();
}

OwningOpRef<ModuleOp> ModelImporter::run() {
  if (!model.has_graph()) {
    emitError(fileLoc) << "the file holds no graph (is it an ONNX model?)";
    return nullptr;
  }
  if (failed(readOpset()) || failed(parsePins()) || failed(checkSupported()))
    return nullptr;
  SmallVector<int> order;
  if (failed(orderNodes(order)))
    return nullptr;

  std::string modelName = !options.modelName.empty() ? options.modelName
                          : !graph.name().empty()    ? graph.name()
                                                     : "model";
  Location moduleLoc = nameLoc(modelName);
  module = ModuleOp::create(moduleLoc);
  attn::setModelName(*module, modelName);
  builder.setInsertionPointToEnd(module->getBody());
  func = builder.create<func::FuncOp>(moduleLoc, attn::kEntryFunctionName,
                                      builder.getFunctionType({}, {}));
  builder.setInsertionPointToEnd(func.addEntryBlock());
  state = std::make_unique<GraphState>(builder, opset, options.externalDataDir);

  for (const onnx::TensorProto &init : graph.initializer())
    if (!state->initializers.insert({init.name(), &init}).second) {
      emitError(nameLoc(init.name()))
          << "initializer '" << init.name() << "' is defined twice";
      return nullptr;
    }
  if (graph.sparse_initializer_size() > 0) {
    emitError(fileLoc) << "sparse initializers are not supported";
    return nullptr;
  }
  for (const onnx::ValueInfoProto &info : graph.value_info())
    declared[info.name()] = &info.type();
  for (const onnx::ValueInfoProto &info : graph.output())
    declared[info.name()] = &info.type();
  if (failed(addInputs()))
    return nullptr;
  for (int index : order)
    if (failed(importNode(graph.node(index), nodeName(index))))
      return nullptr;
  if (failed(addOutputs()) || failed(mlir::verify(*module)))
    return nullptr;
  return std::move(module);
}

} // namespace

OwningOpRef<ModuleOp>
attnc::importOnnxBuffer(StringRef bytes, StringRef sourceName,
                        MLIRContext &context,
                        const OnnxImportOptions &options) {
  context.loadDialect<attn::AttnDialect, func::FuncDialect>();
  Location fileLoc = FileLineColLoc::get(&context, sourceName, 0, 0);
  if (bytes.size() > static_cast<size_t>(INT_MAX)) {
    emitError(fileLoc) << "the model is larger than 2 GiB; ONNX stores "
                          "weights that large as external data";
    return nullptr;
  }
  onnx::ModelProto model;
  google::protobuf::io::ArrayInputStream stream(bytes.data(),
                                                static_cast<int>(bytes.size()));
  google::protobuf::io::CodedInputStream coded(&stream);
  coded.SetTotalBytesLimit(INT_MAX);
  if (!model.ParseFromCodedStream(&coded) || !coded.ConsumedEntireMessage()) {
    emitError(fileLoc) << "not a valid ONNX model: the protobuf is truncated "
                          "or malformed";
    return nullptr;
  }
  return ModelImporter(context, model, fileLoc, options).run();
}

OwningOpRef<ModuleOp> attnc::importOnnxFile(StringRef path,
                                            MLIRContext &context,
                                            const OnnxImportOptions &options) {
  Location fileLoc = FileLineColLoc::get(&context, path, 0, 0);
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer) {
    emitError(fileLoc) << "cannot read the model: "
                       << buffer.getError().message();
    return nullptr;
  }
  OnnxImportOptions withDir = options;
  if (withDir.externalDataDir.empty()) {
    StringRef dir = llvm::sys::path::parent_path(path);
    withDir.externalDataDir = dir.empty() ? "." : dir.str();
  }
  return importOnnxBuffer((*buffer)->getBuffer(), path, context, withDir);
}
