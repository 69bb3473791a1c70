//===- ModelSpec.h - the JSON model-spec front end -------------*- C++ -*-===//
//
// A model spec is a JSON file describing a Transformer (docs/model-spec.md):
// parseModelSpec checks it and reports problems at file:line:col,
// buildModel turns it into an attn module, importModelSpec does both.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_SPEC_MODELSPEC_H
#define ATTNC_FRONTENDS_SPEC_MODELSPEC_H

#include "frontends/builder/ModelConfig.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/OwningOpRef.h"

#include <string>

namespace attnc {

/// Where the weights come from: a safetensors file when `file` is set,
/// seeded N(0, std) values otherwise.
struct WeightsSpec {
  uint64_t seed = 0;
  double std = 0.02;
  /// Path of a .safetensors file (already resolved against the spec's
  /// directory); empty for seeded weights.
  std::string file;
  /// Where the spec named the file; errors about its tensors go there.
  /// Null for specs built in code.
  mlir::LocationAttr loc;
};

/// A parsed model spec.
struct ModelSpec {
  ModelConfig model;
  WeightsSpec weights;
};

/// Reads and validates the spec at `path`. Emits an error at the offending
/// key or value (file:line:col) and fails on malformed JSON, an unknown key,
/// a wrong type or a bad value.
mlir::FailureOr<ModelSpec> parseModelSpec(llvm::StringRef path,
                                          mlir::MLIRContext &context);

/// Parses spec text; `filename` is used in locations and to resolve a
/// relative weights file.
mlir::FailureOr<ModelSpec> parseModelSpecText(llvm::StringRef text,
                                              llvm::StringRef filename,
                                              mlir::MLIRContext &context);

/// Builds the module of a spec, loading its weights. Returns null after
/// emitting diagnostics (for example a missing or misshapen tensor).
mlir::OwningOpRef<mlir::ModuleOp> buildModel(const ModelSpec &spec,
                                             mlir::MLIRContext &context);

/// parseModelSpec + buildModel: the driver's entry point for `.json` models.
mlir::OwningOpRef<mlir::ModuleOp> importModelSpec(llvm::StringRef path,
                                                  mlir::MLIRContext &context);

} // namespace attnc

#endif // ATTNC_FRONTENDS_SPEC_MODELSPEC_H
