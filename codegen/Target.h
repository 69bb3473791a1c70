//===- Target.h - the interface every code generator implements -*- C++ -*-===//
//
// A Target turns a module the graph pipeline optimised into a shared library
// with the C ABI of runtime/Model.h, or prints one of its stages for --emit.
// Targets are created by name ("cpu", "vulkan") through createTarget.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_TARGET_H
#define ATTNC_CODEGEN_TARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/raw_ostream.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace attnc {

/// What `attnc compile --emit=` prints, in pipeline order.
enum class EmitKind { Mlir, Llvm, Asm, Glsl, Spirv, Library };

/// Parses "mlir", "llvm", ... (the --emit spellings).
std::optional<EmitKind> parseEmitKind(llvm::StringRef name);
llvm::StringRef emitKindName(EmitKind kind);

/// Options shared by the targets.
struct CompileOptions {
  /// CPU: the LLVM CPU name to generate code for ("native" = this host).
  std::string cpu = "native";
  /// Print per-phase timings of code generation to stderr.
  bool timing = false;
};

class Target {
public:
  virtual ~Target() = default;

  /// "cpu", "vulkan".
  virtual llvm::StringRef getName() const = 0;

  /// True when `kind` is a stage this target can print.
  virtual bool canEmit(EmitKind kind) const = 0;

  /// Lowers `module` (already through the graph pipeline) to `kind` and
  /// prints it to `os` (binary stages are written as bytes).
  virtual llvm::Error emit(mlir::ModuleOp module, EmitKind kind,
                           llvm::raw_ostream &os,
                           const CompileOptions &options) = 0;

  /// Writes the shared library (and model.h beside it) to `outputPath`;
  /// on failure nothing is left at `outputPath`.
  virtual llvm::Error compileLibrary(mlir::ModuleOp module,
                                     llvm::StringRef outputPath,
                                     const CompileOptions &options) = 0;
};

/// The names of the targets built into this attnc.
std::vector<std::string> getTargetNames();

/// Creates a target by name, or an error listing the known ones.
llvm::Expected<std::unique_ptr<Target>> createTarget(llvm::StringRef name);

} // namespace attnc

#endif // ATTNC_CODEGEN_TARGET_H
