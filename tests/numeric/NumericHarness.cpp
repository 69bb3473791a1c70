//===- NumericHarness.cpp - compiling and checking models in tests --------===//

#include "tests/numeric/NumericHarness.h"

#include "codegen/Target.h"
#include "driver/Compare.h"
#include "driver/ModelLoader.h"
#include "driver/Pipeline.h"
#include "ir/ModelConventions.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstdlib>

using namespace mlir;
using namespace attnc;
using namespace attnc::test;

std::unique_ptr<MLIRContext> test::createContext() {
  auto context = std::make_unique<MLIRContext>();
  registerModelDialects(*context);
  context->printOpOnDiagnostic(false);
  return context;
}

OwningOpRef<ModuleOp> test::parseModule(MLIRContext &context,
                                        llvm::StringRef text) {
  std::string diagnostics;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &d) {
    llvm::raw_string_ostream os(diagnostics);
    os << d.getLocation() << ": " << d.str() << "\n";
    return success();
  });
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
  if (!module)
    ADD_FAILURE() << "the test module does not parse:\n" << diagnostics;
  return module;
}

llvm::Expected<std::unique_ptr<TempLibrary>>
TempLibrary::compile(ModuleOp module, llvm::StringRef targetName,
                     llvm::StringRef cpu, bool halfPrecision) {
  OwningOpRef<ModuleOp> optimized = module.clone();
  PipelineRunOptions pipeline;
  pipeline.halfPrecision = halfPrecision;
  if (failed(runGraphPipeline(*optimized, pipeline)))
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "the graph pipeline failed");
  llvm::Expected<std::unique_ptr<Target>> target = createTarget(targetName);
  if (!target)
    return target.takeError();
  std::unique_ptr<TempLibrary> lib(new TempLibrary());
  llvm::SmallString<128> dir;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("attnc-numeric", dir))
    return llvm::errorCodeToError(ec);
  lib->dir = dir.str().str();
  llvm::sys::path::append(dir, "libmodel.so");
  lib->path = dir.str().str();
  CompileOptions options;
  options.cpu = cpu.str();
  if (llvm::Error e = (*target)->compileLibrary(*optimized, lib->path, options))
    return std::move(e);
  return lib;
}

TempLibrary::~TempLibrary() {
  if (!dir.empty())
    llvm::sys::fs::remove_directories(dir);
}

llvm::Expected<std::unique_ptr<LoadedModel>>
TempLibrary::load(int threads) const {
  attnc_options options = {};
  options.struct_size = sizeof(options);
  options.num_threads = threads;
  return LoadedModel::load(path, options);
}

llvm::Expected<std::vector<HostTensor>>
test::compileAndRun(ModuleOp module, llvm::ArrayRef<HostTensor> inputs,
                    llvm::StringRef target) {
  llvm::Expected<std::unique_ptr<TempLibrary>> lib =
      TempLibrary::compile(module, target);
  if (!lib)
    return lib.takeError();
  llvm::Expected<std::unique_ptr<LoadedModel>> model = (*lib)->load();
  if (!model)
    return model.takeError();
  return (*model)->run(inputs);
}

std::vector<std::string> test::exampleSpecs() {
  std::vector<std::string> specs;
  const char *source = std::getenv("ATTNC_SOURCE_DIR");
  if (!source)
    return specs;
  std::error_code ec;
  llvm::SmallString<256> dir(source);
  llvm::sys::path::append(dir, "examples");
  for (llvm::sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
       it.increment(ec))
    if (llvm::sys::path::extension(it->path()) == ".json")
      specs.push_back(it->path());
  std::sort(specs.begin(), specs.end());
  return specs;
}

std::vector<HostTensor> test::randomEntryInputs(mlir::ModuleOp module,
                                                std::mt19937 &rng) {
  std::vector<HostTensor> inputs;
  mlir::func::FuncOp entry = mlir::attn::getEntryFunction(module);
  for (mlir::Type type : entry.getArgumentTypes()) {
    auto tensor = type.cast<mlir::RankedTensorType>();
    inputs.push_back(randomTensor(tensor.getShape(), rng,
                                  *dtypeFromType(tensor.getElementType())));
  }
  return inputs;
}

HostTensor test::randomTensor(llvm::ArrayRef<int64_t> shape, std::mt19937 &rng,
                              DTypeKind dtype) {
  HostTensor t(dtype, shape);
  std::normal_distribution<double> normal(0.0, 1.0);
  for (int64_t i = 0; i < t.numElements(); ++i)
    t.setFromDouble(i, normal(rng));
  return t;
}

std::vector<OracleTensor>
test::evaluateOracle(ModuleOp module, llvm::ArrayRef<HostTensor> inputs) {
  llvm::Expected<std::vector<OracleTensor>> results =
      evaluateFunction(attn::getEntryFunction(module), inputs);
  if (!results) {
    ADD_FAILURE() << "oracle: " << llvm::toString(results.takeError());
    return {};
  }
  return std::move(*results);
}

void test::expectClose(const HostTensor &got, const OracleTensor &expected,
                       Tolerance tolerance, llvm::StringRef what) {
  ErrorStats stats = compareValues(got.toDoubles(), expected.data, tolerance);
  if (stats.passed)
    return;
  std::string text;
  llvm::raw_string_ostream os(text);
  printStats(os, stats);
  ADD_FAILURE() << what.str() << ": " << os.str() << " [atol " << tolerance.atol
                << " rtol " << tolerance.rtol << "]";
}
