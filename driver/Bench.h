//===- Bench.h - attnc bench: timing a compiled model ----------*- C++ -*-===//
//
// Compiles (or loads) a model library, runs it on seeded inputs, and prints
// the median time, the GFLOP/s of its matmuls and attentions and the share
// of this machine's measured FMA peak at the vector width the code uses.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DRIVER_BENCH_H
#define ATTNC_DRIVER_BENCH_H

#include "codegen/Target.h"
#include "runtime/Model.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"

#include <string>
#include <vector>

namespace attnc {

struct BenchOptions {
  std::string target;
  int reps = 20;
  std::vector<std::string> inputSpecs;
  uint64_t seed = 0;
  CompileOptions compile;
  attnc_options runtime = {sizeof(attnc_options), 0, nullptr, 0};
};

/// Useful floating-point operations of one run: 2·M·N·K per matmul and
/// 4·B·Hq·D·(visible query/key pairs) per attention (causal counts only the
/// pairs it computes).
double countFlops(mlir::func::FuncOp func);

/// The FMA peak of this machine in GFLOP/s with `threads` threads (0 = all
/// cores), measured by a short loop of independent vector FMAs
/// `vectorBits` wide (512, 256 or 128; at most what this CPU has).
double measurePeakGflops(int threads, unsigned vectorBits = 512);

/// Compiles the optimised `module` for options.target and times it.
mlir::LogicalResult benchModel(mlir::ModuleOp module,
                               const BenchOptions &options,
                               llvm::raw_ostream &os);

/// Times an already compiled library (FLOPs unknown: time only).
mlir::LogicalResult benchLibrary(llvm::StringRef path,
                                 const BenchOptions &options,
                                 llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_DRIVER_BENCH_H
