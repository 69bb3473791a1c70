//===- OnnxModelTest.cpp - exported PyTorch models against PyTorch --------===//
//
// For each model make_models.py exported (the onnx-models ctest fixture):
// import the .onnx with the input shapes it pins, run the fp64 oracle on the
// inputs torch saw, and require every output within kOnnxVsTorchTolerance
// of torch's float32 output (numpy's, for the hand-built op graphs), both on
// the imported graph and after the graph pipeline (fusion included).
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "oracle/Interpreter.h"
#include "passes/Passes.h"
#include "support/Npy.h"
#include "support/Tolerances.h"
#include "tests/unit/frontends/FrontendTestUtils.h"
#include "tests/onnx/ReadLines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <iomanip>

using namespace mlir;
using namespace attnc;
using attnc::test::formatIndex;

using attnc::test::readLines;

namespace {

/// Every model make_models.py writes, in its order: PyTorch exports, then
/// hand-built graphs of the other supported ops (numpy references).
const char *const kModels[] = {
    "mha_self",          "mha_self_weights",    "mha_cross",
    "mha_cross_weights", "encoder_prenorm",     "encoder_postnorm",
    "gpt2_block",        "gpt2_trilu",          "bert_layer",
    "transformer",       "mha_causal_padding",  "bart_attention",
    "llama_gqa",         "llama_rope_computed", "bloom_alibi",
    "neox_attention",    "t5_attention",        "ops_elementwise",
    "ops_shape",         "ops_contraction",     "ops_opset18",
    "ops_opset20_gelu",  "ops_exported_paths",  "ops_opset23",
    "ops_local_functions", "attention_f16"};

std::string modelsDir() {
  const char *dir = std::getenv("ATTNC_ONNX_MODELS");
  return dir ? dir : "";
}

std::string file(llvm::StringRef model, llvm::StringRef name) {
  llvm::SmallString<256> path(modelsDir());
  llvm::sys::path::append(path, model, name);
  return path.str().str();
}


/// Checks |got - want| <= atol + rtol |want| everywhere; reports the element
/// that exceeds it by the most.
void expectClose(const std::string &what, const OracleTensor &got,
                 const HostTensor &want, Tolerance tolerance) {
  ASSERT_EQ(llvm::ArrayRef<int64_t>(got.shape),
            llvm::ArrayRef<int64_t>(want.shape))
      << what;
  double worst = 0;
  int64_t worstIndex = -1;
  for (int64_t i = 0; i < want.numElements(); ++i) {
    double a = got.data[i], b = want.getAsDouble(i);
    double excess =
        std::abs(a - b) - tolerance.atol - tolerance.rtol * std::abs(b);
    if (std::isnan(excess))
      excess = INFINITY;
    if (excess > worst) {
      worst = excess;
      worstIndex = i;
    }
  }
  if (worstIndex >= 0)
    ADD_FAILURE() << what << ": worst element "
                  << formatIndex(worstIndex, want.shape) << " attnc "
                  << std::setprecision(17) << got.data[worstIndex] << " torch "
                  << want.getAsDouble(worstIndex) << " (atol " << tolerance.atol
                  << ", rtol " << tolerance.rtol << ")";
}

class OnnxModelTest : public testing::TestWithParam<const char *> {};

TEST(OnnxModels, ListMatchesGenerator) {
  ASSERT_FALSE(modelsDir().empty())
      << "ATTNC_ONNX_MODELS is not set (run through ctest: the onnx-models "
         "fixture writes the models)";
  std::vector<std::string> listed = readLines(modelsDir() + "/models.txt");
  std::vector<std::string> known(std::begin(kModels), std::end(kModels));
  EXPECT_EQ(listed, known) << "tests/onnx/make_models.py and kModels differ";
}

TEST_P(OnnxModelTest, OracleMatchesTorch) {
  std::string model = GetParam();
  MLIRContext context;
  std::string diagnostics;
  ScopedDiagnosticHandler collect(&context, [&](Diagnostic &diag) {
    diagnostics += diag.str() + "\n";
    return success();
  });
  OnnxImportOptions options;
  options.inputShapes = readLines(file(model, "shapes.txt"));
  OwningOpRef<ModuleOp> module =
      importOnnxFile(file(model, "model.onnx"), context, options);
  ASSERT_TRUE(module) << diagnostics;
  auto forward = module->lookupSymbol<func::FuncOp>("forward");
  ASSERT_TRUE(forward);

  std::vector<HostTensor> inputs;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    llvm::Expected<HostTensor> input =
        readNpy(file(model, "input_" + std::to_string(i) + ".npy"));
    ASSERT_TRUE(bool(input)) << llvm::toString(input.takeError());
    inputs.push_back(std::move(*input));
  }
  std::vector<HostTensor> expected;
  for (unsigned i = 0; i < forward.getNumResults(); ++i) {
    llvm::Expected<HostTensor> output =
        readNpy(file(model, "output_" + std::to_string(i) + ".npy"));
    ASSERT_TRUE(bool(output)) << llvm::toString(output.takeError());
    expected.push_back(std::move(*output));
  }

  auto check = [&](func::FuncOp func, llvm::StringRef stage) {
    llvm::Expected<std::vector<OracleTensor>> outputs =
        evaluateFunction(func, inputs);
    ASSERT_TRUE(bool(outputs)) << llvm::toString(outputs.takeError());
    for (unsigned i = 0; i < func.getNumResults(); ++i)
      expectClose((stage + " output " + llvm::Twine(i)).str(), (*outputs)[i],
                  expected[i], kOnnxVsTorchTolerance);
  };
  check(forward, "imported");

  PassManager pm(&context);
  attn::buildAttnPipeline(pm);
  ASSERT_TRUE(succeeded(pm.run(*module))) << diagnostics;
  check(module->lookupSymbol<func::FuncOp>("forward"), "optimised");
}

INSTANTIATE_TEST_SUITE_P(Exported, OnnxModelTest, testing::ValuesIn(kModels),
                         [](const testing::TestParamInfo<const char *> &info) {
                           return std::string(info.param);
                         });

} // namespace
