//===- VulkanModelsTest.cpp - the example models on Vulkan vs the oracle --===//
//
// Every examples/*.json model spec, imported, compiled for the Vulkan target
// and run in both kernel variants on seeded inputs with validation, checked
// against the fp64 oracle on the imported graph (what `attnc verify
// --target=vulkan` does); and compiled with --precision=f16 and run in the
// portable, subgroup and emulated cooperative-matrix kernels, at
// kF16Tolerance.
//
//===----------------------------------------------------------------------===//

#include "tests/numeric/vulkan/VulkanHarness.h"

#include "driver/Inputs.h"
#include "driver/ModelLoader.h"
#include "ir/ModelConventions.h"

#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

using namespace attnc;
using namespace attnc::test;

namespace {

class VulkanModels : public ::testing::TestWithParam<std::string> {
protected:
  /// Imports the example, runs it on Vulkan in `variants` (compiled with
  /// --precision=f16 when `half`) and checks every output at `tolerance`.
  void check(llvm::ArrayRef<Variant> variants, bool half, Tolerance tolerance) {
    std::unique_ptr<mlir::MLIRContext> context = createContext();
    mlir::OwningOpRef<mlir::ModuleOp> module = loadModel(GetParam(), *context);
    ASSERT_TRUE(module) << "cannot import " << GetParam();
    mlir::func::FuncOp entry = mlir::attn::getEntryFunction(*module);
    llvm::Expected<std::vector<HostTensor>> inputs =
        collectInputs(entry, {}, /*seed=*/0);
    ASSERT_TRUE(bool(inputs)) << llvm::toString(inputs.takeError());
    std::vector<OracleTensor> expected = evaluateOracle(*module, *inputs);
    VulkanRun run = runOnVulkan(*module, *inputs, variants, half);
    if (!run.skip.empty())
      GTEST_SKIP() << run.skip;
    for (Variant variant : variants) {
      int v = static_cast<int>(variant);
      ASSERT_TRUE(run.error[v].empty()) << run.error[v];
      if (variant == Variant::CoopmatEmulated)
        EXPECT_NE(run.devices[v].find("emulated cooperative-matrix"),
                  std::string::npos)
            << run.devices[v];
      ASSERT_EQ(run.outputs[v].size(), expected.size());
      for (size_t i = 0; i < expected.size(); ++i)
        expectClose(run.outputs[v][i], expected[i], tolerance,
                    mlir::attn::getOutputName(entry, i) + " (" +
                        (half ? "f16, " : "") + variantName(variant) + ")");
    }
  }
};

TEST_P(VulkanModels, MatchesOracle) {
  check({Variant::Portable, Variant::Subgroup}, /*half=*/false,
        kFp32TargetTolerance);
}

TEST_P(VulkanModels, MatchesOracleInF16) {
  check({Variant::Portable, Variant::Subgroup, Variant::CoopmatEmulated},
        /*half=*/true, kF16Tolerance);
}

INSTANTIATE_TEST_SUITE_P(Examples, VulkanModels,
                         ::testing::ValuesIn(exampleSpecs()),
                         [](const ::testing::TestParamInfo<std::string> &info) {
                           return llvm::sys::path::stem(info.param).str();
                         });

TEST(VulkanModelsSetup, FindsTheExamples) {
  EXPECT_GE(exampleSpecs().size(), 5u)
      << "ATTNC_SOURCE_DIR must point at the source tree (run through ctest)";
}

} // namespace
