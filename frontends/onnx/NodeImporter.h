//===- NodeImporter.h - one ONNX import, one node at a time -----*- C++ -*-===//
//
// GraphState holds what every node of a graph import shares: the builder
// inside @forward, the attn value of each ONNX value name, initializers not
// yet materialised and the decoded values of constants. NodeImporter is the
// view one op converter gets: its inputs and attributes, typed accessors
// that report a wrong attribute as an error at the node, and op creation
// that verifies each op and folds it when its operands are constants (the
// way shape arithmetic becomes static shapes).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_ONNX_NODEIMPORTER_H
#define ATTNC_FRONTENDS_ONNX_NODEIMPORTER_H

#include "ir/AttnBuilders.h"
#include "oracle/Interpreter.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/StringMap.h"

#include <onnx/onnx_pb.h>

#include <string>

namespace attnc::onnx_import {

/// Constant results up to this many elements are computed at import time.
constexpr int64_t kMaxFoldElements = int64_t(1) << 24;

/// What every node of one graph import shares.
class GraphState {
public:
  GraphState(mlir::OpBuilder &builder, int64_t opset,
             llvm::StringRef externalDataDir)
      : builder(builder), opset(opset), externalDataDir(externalDataDir) {}

  mlir::OpBuilder &builder;
  /// The default-domain opset the model imports.
  int64_t opset;
  /// Where external data files are read from ("" = nowhere).
  std::string externalDataDir;
  /// attn values of the ONNX values defined so far.
  llvm::StringMap<mlir::Value> values;
  /// Initializers, materialised as attn.constant on first use.
  llvm::StringMap<const onnx::TensorProto *> initializers;

  /// The value of ONNX value `name`: one already defined, or an initializer
  /// decoded now. Emits the error at `loc` and returns null on failure.
  mlir::Value lookup(llvm::StringRef name, mlir::Location loc);

  /// An attn.constant of `type` from row-major bytes: a splat when every
  /// element is the same, else as ir/Constants.h makes it, `blobName` keying
  /// the dense resource of a large one.
  mlir::Value createConstant(mlir::Location loc, mlir::RankedTensorType type,
                             llvm::ArrayRef<char> bytes,
                             llvm::StringRef blobName);

  /// The decoded value of `value` when an attn.constant defines it (cached),
  /// else null.
  const OracleTensor *constantValue(mlir::Value value);

  /// Replaces `op` by constants when every operand is a constant and its
  /// results are small enough to compute here; returns the (possibly
  /// replaced) results.
  llvm::SmallVector<mlir::Value> foldIfConstant(mlir::Operation *op);

private:
  llvm::DenseMap<mlir::Value, OracleTensor> decoded;
};

/// The view an op converter has of its node.
class NodeImporter {
public:
  NodeImporter(GraphState &graph, const onnx::NodeProto &node,
               mlir::Location loc)
      : graph(graph), node(node), loc(loc) {}

  GraphState &graph;
  const onnx::NodeProto &node;
  mlir::Location loc;

  int64_t opset() const { return graph.opset; }
  mlir::OpBuilder &builder() { return graph.builder; }
  mlir::MLIRContext *getContext() { return graph.builder.getContext(); }
  llvm::StringRef opType() const { return node.op_type(); }

  /// Looks up every named input; false (the error emitted) when one fails.
  mlir::LogicalResult resolveInputs();
  /// The number of input slots, named or left empty.
  unsigned numInputs() const { return operands.size(); }
  /// Input `i`, or null when the slot is absent or empty (optional input).
  mlir::Value input(unsigned i) const {
    return i < operands.size() ? operands[i] : mlir::Value();
  }
  /// Input `i`; reports "`what` (input #i) is required" when absent.
  mlir::Value requireInput(unsigned i, llvm::StringRef what);

  /// The integers of input `i`, which must be computable at import time (a
  /// constant, or arithmetic on static shapes).
  mlir::FailureOr<llvm::SmallVector<int64_t>> constInts(unsigned i,
                                                        llvm::StringRef what);
  /// The value of input `i`, which must be a constant.
  mlir::FailureOr<OracleTensor> constTensor(unsigned i, llvm::StringRef what);

  /// Attribute accessors: absent gives the default; a wrong type is an error.
  const onnx::AttributeProto *findAttr(llvm::StringRef name) const;
  bool hasAttr(llvm::StringRef name) const { return findAttr(name); }
  mlir::FailureOr<int64_t> getInt(llvm::StringRef name,
                                  std::optional<int64_t> fallback);
  mlir::FailureOr<float> getFloat(llvm::StringRef name, float fallback);
  mlir::FailureOr<llvm::SmallVector<int64_t>> getInts(llvm::StringRef name);
  mlir::FailureOr<std::string> getString(llvm::StringRef name,
                                         llvm::StringRef fallback);
  mlir::FailureOr<const onnx::TensorProto *> getTensor(llvm::StringRef name);

  /// Reports an error at the node, prefixed with its op type.
  mlir::InFlightDiagnostic error();

  /// Creates `OpTy` with inferred result types, verifies it and folds it
  /// when its operands are constants. Null after reporting a failure.
  template <typename OpTy>
  mlir::Value create(mlir::ValueRange operands,
                     llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
    if (llvm::any_of(operands, [](mlir::Value v) { return !v; }))
      return {};
    OpTy op = mlir::attn::createChecked<OpTy>(builder(), loc, operands, attrs);
    if (!op)
      return {};
    return finishOne(op);
  }
  /// Same with the result type given.
  template <typename OpTy>
  mlir::Value createTyped(mlir::Type type, mlir::ValueRange operands,
                          llvm::ArrayRef<mlir::NamedAttribute> attrs = {}) {
    if (!type || llvm::any_of(operands, [](mlir::Value v) { return !v; }))
      return {};
    OpTy op =
        builder().create<OpTy>(loc, mlir::TypeRange{type}, operands, attrs);
    return finishOne(op);
  }
  /// Verifies a created op and folds it; its results, or empty on failure.
  llvm::SmallVector<mlir::Value> finish(mlir::Operation *op);
  mlir::Value finishOne(mlir::Operation *op);

  /// Constants built at the node.
  mlir::Value constant(mlir::RankedTensorType type, llvm::ArrayRef<char> bytes);
  mlir::Value i64Constant(llvm::ArrayRef<int64_t> values,
                          llvm::ArrayRef<int64_t> shape);
  mlir::Value scalar(mlir::Type elementType, double value);
  /// A constant of `elementType` holding `value` (rounded to the type).
  mlir::Value constantFrom(const OracleTensor &value, mlir::Type elementType);
  /// `value` reshaped to `shape` (itself when the shape is already that).
  mlir::Value reshape(mlir::Value value, llvm::ArrayRef<int64_t> shape);

  mlir::Attribute i64Attr(int64_t v) { return builder().getI64IntegerAttr(v); }
  mlir::Attribute i64ArrayAttr(llvm::ArrayRef<int64_t> v) {
    return builder().getDenseI64ArrayAttr(v);
  }
  mlir::NamedAttribute named(llvm::StringRef name, mlir::Attribute attr) {
    return builder().getNamedAttr(name, attr);
  }

  /// Defines output `i`; a null value fails (its error already reported).
  mlir::LogicalResult setOutput(unsigned i, mlir::Value value);
  /// The values the converter defined, by output slot.
  llvm::ArrayRef<mlir::Value> getOutputs() const { return outputs; }

private:
  llvm::SmallVector<mlir::Value> operands;
  llvm::SmallVector<mlir::Value> outputs;
};

/// Converts one node; false after reporting an error at it.
using ConvertFn = mlir::LogicalResult (*)(NodeImporter &);

/// How an op type is converted and how many inputs it takes.
struct OpConverter {
  ConvertFn convert;
  unsigned minInputs, maxInputs;
};

/// The converter of a default-domain op type, or null when unsupported.
const OpConverter *lookupConverter(llvm::StringRef opType);

/// The tables each converter file contributes to.
void addMathConverters(llvm::StringMap<OpConverter> &table);
void addShapeConverters(llvm::StringMap<OpConverter> &table);
void addIndexConverters(llvm::StringMap<OpConverter> &table);
void addLlmConverters(llvm::StringMap<OpConverter> &table);

/// The static shape of a value (empty for a null value).
llvm::ArrayRef<int64_t> shapeOf(mlir::Value value);
/// The element type of a tensor value.
mlir::Type elementTypeOf(mlir::Value value);
/// "[2, 3]"
std::string formatDims(llvm::ArrayRef<int64_t> dims);

} // namespace attnc::onnx_import

#endif // ATTNC_FRONTENDS_ONNX_NODEIMPORTER_H
