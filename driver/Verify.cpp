//===- Verify.cpp - attnc verify: every stage against the oracle ----------===//

#include "driver/Verify.h"

#include "driver/Compare.h"
#include "driver/Inputs.h"
#include "driver/LoadedModel.h"
#include "ir/ModelConventions.h"
#include "oracle/Interpreter.h"
#include "passes/Passes.h"

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace attnc;

namespace {

using Results = std::vector<OracleTensor>;

void printTolerance(llvm::raw_ostream &os, Tolerance t) {
  os << "atol " << llvm::format("%.0e", t.atol) << " rtol "
     << llvm::format("%.0e", t.rtol);
}

/// Compares every output; prints one line each. Returns true when all pass.
bool compareOutputs(llvm::raw_ostream &os, llvm::StringRef stage,
                    func::FuncOp entry, const Results &got,
                    const Results &reference, Tolerance tolerance) {
  bool allPassed = true;
  for (size_t i = 0; i < reference.size(); ++i) {
    ErrorStats stats = compareValues(got[i].data, reference[i].data, tolerance);
    allPassed &= stats.passed;
    os << llvm::format("  %-9s", stage.str().c_str())
       << llvm::format(" %-16s ", attn::getOutputName(entry, i).c_str());
    printStats(os, stats);
    os << "  [";
    printTolerance(os, tolerance);
    os << "] " << (stats.passed ? "ok" : "FAIL") << "\n";
  }
  return allPassed;
}

Results toOracle(const std::vector<HostTensor> &tensors) {
  Results results;
  for (const HostTensor &t : tensors)
    results.push_back(attnc::toOracle(t));
  return results;
}

/// The first pass after which the oracle's results leave the tolerance.
struct Bisector {
  const std::vector<HostTensor> &inputs;
  const Results &reference;
  Tolerance tolerance;
  std::string firstPass;
  int passIndex = 0, firstIndex = 0;
  std::string detail;

  void afterPass(llvm::StringRef pass, Operation *op) {
    ++passIndex;
    if (!firstPass.empty())
      return;
    auto func = dyn_cast<func::FuncOp>(op);
    if (!func)
      func = attn::getEntryFunction(op->getParentOfType<ModuleOp>());
    if (!func)
      return;
    llvm::Expected<Results> results = evaluateFunction(func, inputs);
    if (!results) {
      firstPass = pass.str();
      firstIndex = passIndex;
      detail = llvm::toString(results.takeError());
      return;
    }
    for (size_t i = 0; i < reference.size(); ++i) {
      ErrorStats stats =
          compareValues((*results)[i].data, reference[i].data, tolerance);
      if (stats.passed)
        continue;
      firstPass = pass.str();
      firstIndex = passIndex;
      llvm::raw_string_ostream os(detail);
      os << "output '" << attn::getOutputName(func, i) << "': ";
      printStats(os, stats);
      return;
    }
  }
};

/// Compiles `module` for `targetName` into a temporary library, runs it and
/// returns its outputs.
llvm::Expected<Results> runOnTarget(ModuleOp module, llvm::StringRef targetName,
                                    const std::vector<HostTensor> &inputs,
                                    const VerifyOptions &options,
                                    std::string &device) {
  llvm::Expected<std::unique_ptr<Target>> target = createTarget(targetName);
  if (!target)
    return target.takeError();
  llvm::SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("attnc-verify", dir))
    return llvm::errorCodeToError(ec);
  llvm::SmallString<128> library(dir);
  llvm::sys::path::append(library, "libmodel.so");
  auto cleanup = llvm::make_scope_exit([&] {
    llvm::sys::fs::remove_directories(dir);
  });
  if (llvm::Error error =
          (*target)->compileLibrary(module, library, options.compile))
    return std::move(error);
  llvm::Expected<std::unique_ptr<LoadedModel>> loaded =
      LoadedModel::load(library, options.runtime);
  if (!loaded)
    return loaded.takeError();
  device = (*loaded)->getDevice();
  llvm::Expected<std::vector<HostTensor>> outputs = (*loaded)->run(inputs);
  if (!outputs)
    return outputs.takeError();
  return toOracle(*outputs);
}

} // namespace

LogicalResult attnc::verifyModel(ModuleOp module, const VerifyOptions &options,
                                 llvm::raw_ostream &os) {
  func::FuncOp entry = attn::getEntryFunction(module);
  if (!entry)
    return failure();
  llvm::Expected<std::vector<HostTensor>> inputs =
      collectInputs(entry, options.inputSpecs, options.seed);
  if (!inputs) {
    emitError(module.getLoc()) << llvm::toString(inputs.takeError());
    return failure();
  }
  llvm::Expected<Results> reference = evaluateFunction(entry, *inputs);
  if (!reference) {
    emitError(entry.getLoc())
        << "the oracle failed on the imported graph: "
        << llvm::toString(reference.takeError());
    return failure();
  }
  os << "reference: fp64 oracle on the imported graph (seed " << options.seed
     << ", " << inputs->size() << " inputs)\n";

  // Half-precision storage (an f16 model, or --precision=f16) is judged at
  // the f16 tolerance at every stage, bisect included.
  bool half = options.pipeline.halfPrecision || attn::hasHalfTensors(module);
  Tolerance pipelineTolerance = half ? kF16Tolerance : kPipelineTolerance;
  Tolerance targetTolerance = half ? kF16Tolerance : kFp32TargetTolerance;
  OwningOpRef<ModuleOp> optimized = module.clone();
  PipelineRunOptions pipeline = options.pipeline;
  Bisector bisector{*inputs, *reference, pipelineTolerance};
  if (options.bisect)
    pipeline.afterPass = [&](llvm::StringRef pass, Operation *op) {
      bisector.afterPass(pass, op);
    };
  if (failed(runGraphPipeline(*optimized, pipeline)))
    return failure();
  func::FuncOp optimizedEntry = attn::getEntryFunction(*optimized);
  llvm::Expected<Results> fused = evaluateFunction(optimizedEntry, *inputs);
  if (!fused) {
    emitError(optimizedEntry.getLoc())
        << "the oracle failed on the optimised graph: "
        << llvm::toString(fused.takeError());
    return failure();
  }
  bool ok = compareOutputs(os, "pipeline", entry, *fused, *reference,
                           pipelineTolerance);
  if (options.bisect) {
    if (bisector.firstPass.empty()) {
      os << "bisect: no pass moves the numbers beyond ";
      printTolerance(os, pipelineTolerance);
      os << " (" << bisector.passIndex << " passes checked)\n";
    } else {
      os << "bisect: first pass that changes the numbers: "
         << bisector.firstPass << " (pass " << bisector.firstIndex << " of "
         << bisector.passIndex << "): " << bisector.detail << "\n";
    }
  }
  for (const std::string &target : options.targets) {
    std::string device;
    llvm::Expected<Results> got =
        runOnTarget(*optimized, target, *inputs, options, device);
    if (!got) {
      os << "  " << target << ": " << llvm::toString(got.takeError()) << "\n";
      ok = false;
      continue;
    }
    os << target << " on " << device << ":\n";
    ok &= compareOutputs(os, target, entry, *got, *reference, targetTolerance);
  }
  os << (ok ? "verify: PASS\n" : "verify: FAIL\n");
  return success(ok);
}
