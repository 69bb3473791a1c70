//===- GraphBuilder.h - emitting attn ops into @forward --------*- C++ -*-===//
//
// GraphBuilder wraps an OpBuilder positioned in the `func.func @forward` of a
// new module: named inputs and outputs, weights as dense resources, scalars
// as splats, and one method per attn primitive. Every op gets a NameLoc with
// its module path (`layers.0.self_attn.softmax`).
//
// Errors never abort: a shape error is reported at the op's location and the
// method returns a null Value; methods given a null Value return null without
// a second diagnostic, so a whole model can be written without checks and
// finish() reports failure once.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_BUILDER_GRAPHBUILDER_H
#define ATTNC_FRONTENDS_BUILDER_GRAPHBUILDER_H

#include "frontends/builder/WeightSource.h"
#include "ir/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>
#include <vector>

namespace attnc {

/// Builds one module with a public `func.func @forward` from attn ops.
class GraphBuilder {
public:
  /// Starts a module named `modelName`; weights come from `weights` (may be
  /// null when the graph has none). Loads the attn and func dialects.
  GraphBuilder(mlir::MLIRContext &context, llvm::StringRef modelName,
               WeightSource *weights = nullptr);

  /// Appends the component `name` to the module path while alive.
  class Scope {
  public:
    Scope(GraphBuilder &builder, llvm::StringRef name);
    ~Scope();
    Scope(const Scope &) = delete;
    Scope &operator=(const Scope &) = delete;

  private:
    GraphBuilder &builder;
  };

  /// The current module path joined with `leaf` ("layers.0.self_attn.softmax").
  std::string path(llvm::StringRef leaf) const;
  /// A NameLoc of path(leaf).
  mlir::Location loc(llvm::StringRef leaf) const;
  mlir::MLIRContext *getContext() const { return builder.getContext(); }
  mlir::Type f32() { return builder.getF32Type(); }
  mlir::Type i64() { return builder.getI64Type(); }

  /// Adds a function argument named `name` (the `attn.name` attribute).
  mlir::Value input(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                    mlir::Type elementType);
  /// Marks `value` as a function result named `name`.
  void output(llvm::StringRef name, mlir::Value value);

  /// An f32 weight path(leaf) of `shape` read from the weight source.
  mlir::Value weight(llvm::StringRef leaf, llvm::ArrayRef<int64_t> shape,
                     WeightRoleKind role);
  /// An f32 constant computed at build time, stored as a dense resource whose
  /// key is path(leaf).
  mlir::Value constant(llvm::StringRef leaf, llvm::ArrayRef<int64_t> shape,
                       llvm::ArrayRef<float> values);
  /// A rank-0 splat of `value` (f32 or i64).
  mlir::Value scalar(llvm::StringRef leaf, double value,
                     mlir::Type elementType);

  mlir::Value add(mlir::Value lhs, mlir::Value rhs,
                  llvm::StringRef leaf = "add");
  mlir::Value sub(mlir::Value lhs, mlir::Value rhs,
                  llvm::StringRef leaf = "sub");
  mlir::Value mul(mlir::Value lhs, mlir::Value rhs,
                  llvm::StringRef leaf = "mul");
  mlir::Value div(mlir::Value lhs, mlir::Value rhs,
                  llvm::StringRef leaf = "div");
  /// lhs · rhs, or lhs · rhsᵀ with `transposeRhs`.
  mlir::Value matmul(mlir::Value lhs, mlir::Value rhs, bool transposeRhs,
                     llvm::StringRef leaf = "matmul");
  mlir::Value relu(mlir::Value input, llvm::StringRef leaf = "relu");
  mlir::Value gelu(mlir::Value input, mlir::attn::GeluKind kind,
                   llvm::StringRef leaf = "gelu");
  mlir::Value softmax(mlir::Value input, int64_t axis,
                      llvm::StringRef leaf = "softmax");
  /// LayerNorm over the last axis with the given scale and bias.
  mlir::Value layerNorm(mlir::Value input, mlir::Value scale, mlir::Value bias,
                        double eps, llvm::StringRef leaf = "layer_norm");
  mlir::Value compare(mlir::Value lhs, mlir::Value rhs,
                      mlir::attn::CompareKind kind,
                      llvm::StringRef leaf = "compare");
  mlir::Value select(mlir::Value condition, mlir::Value trueValue,
                     mlir::Value falseValue, llvm::StringRef leaf = "select");
  mlir::Value cast(mlir::Value input, mlir::Type elementType,
                   llvm::StringRef leaf = "cast");
  mlir::Value reshape(mlir::Value input, llvm::ArrayRef<int64_t> shape,
                      llvm::StringRef leaf = "reshape");
  mlir::Value transpose(mlir::Value input, llvm::ArrayRef<int64_t> perm,
                        llvm::StringRef leaf = "transpose");
  mlir::Value broadcastTo(mlir::Value input, llvm::ArrayRef<int64_t> shape,
                          llvm::StringRef leaf = "broadcast_to");
  /// The window [starts, limits) with unit strides.
  mlir::Value slice(mlir::Value input, llvm::ArrayRef<int64_t> starts,
                    llvm::ArrayRef<int64_t> limits,
                    llvm::StringRef leaf = "slice");
  /// Rows of `table` (axis 0) at `indices`.
  mlir::Value gather(mlir::Value table, mlir::Value indices,
                     llvm::StringRef leaf = "gather");
  /// The i1 [sq, sk] keep-mask of a causal alignment.
  mlir::Value causalMask(int64_t sq, int64_t sk, mlir::attn::CausalKind kind,
                         llvm::StringRef leaf = "causal_mask");

  /// The most elements of one constant the builder materialises; larger
  /// requests are reported instead of attempted.
  static constexpr int64_t kMaxConstantElements = int64_t(1) << 31;

  /// The static shape of a tensor value (empty for a null value).
  static llvm::ArrayRef<int64_t> shapeOf(mlir::Value value);

  /// Reports a user error at loc(leaf) and poisons the build.
  void emitError(llvm::StringRef leaf, const llvm::Twine &message);
  /// True once any op or weight failed.
  bool hasFailed() const { return poisoned; }

  /// Terminates @forward, sets its signature and verifies the module.
  /// Returns null (the diagnostics already emitted) when anything failed.
  mlir::OwningOpRef<mlir::ModuleOp> finish();

private:
  template <typename OpTy>
  mlir::Value createInferred(llvm::StringRef leaf, mlir::ValueRange operands,
                             llvm::ArrayRef<mlir::NamedAttribute> attrs = {});
  mlir::Value verified(mlir::Operation *op);
  bool allValid(mlir::ValueRange values) const;

  mlir::OpBuilder builder;
  mlir::OwningOpRef<mlir::ModuleOp> module;
  mlir::func::FuncOp func;
  WeightSource *weights;
  std::vector<std::string> scopes;
  std::vector<std::string> inputNames;
  std::vector<std::pair<std::string, mlir::Value>> outputs;
  bool poisoned = false;
};

} // namespace attnc

#endif // ATTNC_FRONTENDS_BUILDER_GRAPHBUILDER_H
