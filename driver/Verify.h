//===- Verify.h - attnc verify: every stage against the oracle -*- C++ -*-===//
//
// Runs the fp64 oracle on the model as imported (the reference), then on the
// optimised graph and on each compiled target, and prints max abs / rel
// error per output against the documented tolerances. --bisect re-runs the
// oracle after every pass and names the first pass that moves the numbers.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DRIVER_VERIFY_H
#define ATTNC_DRIVER_VERIFY_H

#include "codegen/Target.h"
#include "driver/Pipeline.h"
#include "runtime/Model.h"

#include <string>
#include <vector>

namespace attnc {

struct VerifyOptions {
  /// Compiled targets to check besides the optimised graph ("cpu", ...).
  std::vector<std::string> targets;
  std::vector<std::string> inputSpecs;
  uint64_t seed = 0;
  bool bisect = false;
  PipelineRunOptions pipeline;
  CompileOptions compile;
  attnc_options runtime = {sizeof(attnc_options), 0, nullptr, 0};
};

/// Verifies `module` (as imported); prints the report to `os`. Returns
/// success when every comparison is within its tolerance.
mlir::LogicalResult verifyModel(mlir::ModuleOp module,
                                const VerifyOptions &options,
                                llvm::raw_ostream &os);

} // namespace attnc

#endif // ATTNC_DRIVER_VERIFY_H
