//===- NumericHarness.h - compiling and checking test models ----*- C++ -*-===//
//
// What the numeric conformance tests share: parse attn MLIR text, compile it
// through the real Target API into a temporary library, load it with
// LoadedModel, evaluate the fp64 oracle on the same inputs, and compare
// with a tolerance, reporting the worst element on failure.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TESTS_NUMERIC_NUMERICHARNESS_H
#define ATTNC_TESTS_NUMERIC_NUMERICHARNESS_H

#include "driver/LoadedModel.h"
#include "oracle/Interpreter.h"
#include "support/Tolerances.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <memory>
#include <random>
#include <string>
#include <vector>

namespace attnc::test {

/// A context with every dialect a model uses.
std::unique_ptr<mlir::MLIRContext> createContext();

/// Parses and verifies attn MLIR text; null (with a test failure) on error.
mlir::OwningOpRef<mlir::ModuleOp> parseModule(mlir::MLIRContext &context,
                                              llvm::StringRef text);

/// A library compiled into its own temporary directory, removed with it.
class TempLibrary {
public:
  /// Runs the graph pipeline on a copy of `module` and compiles it for
  /// `target` (optionally for `cpu`; `halfPrecision` as --precision=f16).
  static llvm::Expected<std::unique_ptr<TempLibrary>>
  compile(mlir::ModuleOp module, llvm::StringRef target = "cpu",
          llvm::StringRef cpu = "native", bool halfPrecision = false);
  ~TempLibrary();

  const std::string &getPath() const { return path; }
  /// Loads the library with `threads` workers (0 = all cores).
  llvm::Expected<std::unique_ptr<LoadedModel>> load(int threads = 0) const;

private:
  std::string dir, path;
};

/// Compiles `module` for `target` into a temporary library, loads it with
/// every core and runs it once on `inputs`.
llvm::Expected<std::vector<HostTensor>>
compileAndRun(mlir::ModuleOp module, llvm::ArrayRef<HostTensor> inputs,
              llvm::StringRef target = "cpu");

/// Every examples/*.json model of $ATTNC_SOURCE_DIR, sorted; none when it
/// is not set.
std::vector<std::string> exampleSpecs();

/// Deterministic f32 values ~ N(0, 1).
HostTensor randomTensor(llvm::ArrayRef<int64_t> shape, std::mt19937 &rng,
                        DTypeKind dtype = DTypeKind::F32);

/// A randomTensor for every argument of the entry function of `module`,
/// in order, each of its argument's shape and dtype.
std::vector<HostTensor> randomEntryInputs(mlir::ModuleOp module,
                                          std::mt19937 &rng);

/// Oracle results of the entry function of `module` on `inputs`.
std::vector<OracleTensor> evaluateOracle(mlir::ModuleOp module,
                                         llvm::ArrayRef<HostTensor> inputs);

/// Adds a test failure when `got` and `expected` differ beyond
/// `tolerance`, naming `what`, the worst flat index and both values.
void expectClose(const HostTensor &got, const OracleTensor &expected,
                 Tolerance tolerance, llvm::StringRef what);

} // namespace attnc::test

#endif // ATTNC_TESTS_NUMERIC_NUMERICHARNESS_H
