//===- VulkanModelsTest.cpp - the example models on Vulkan vs the oracle --===//
//
// Every examples/*.json model spec, imported, compiled for the Vulkan target
// and run in both kernel variants on seeded inputs with validation, checked
// against the fp64 oracle on the imported graph (what `attnc verify
// --target=vulkan` does).
//
//===----------------------------------------------------------------------===//

#include "tests/numeric/vulkan/VulkanHarness.h"

#include "driver/Inputs.h"
#include "driver/ModelLoader.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <algorithm>

using namespace attnc;
using namespace attnc::test;

namespace {

std::vector<std::string> exampleSpecs() {
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

class VulkanModels : public ::testing::TestWithParam<std::string> {};

TEST_P(VulkanModels, MatchesOracle) {
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = loadModel(GetParam(), *context);
  ASSERT_TRUE(module) << "cannot import " << GetParam();
  mlir::func::FuncOp entry = getEntryFunction(*module);
  llvm::Expected<std::vector<HostTensor>> inputs =
      collectInputs(entry, {}, /*seed=*/0);
  ASSERT_TRUE(bool(inputs)) << llvm::toString(inputs.takeError());
  std::vector<OracleTensor> expected = evaluateOracle(*module, *inputs);
  VulkanRun run = runOnVulkan(*module, *inputs);
  if (!run.skip.empty())
    GTEST_SKIP() << run.skip;
  for (Variant variant : {Variant::Portable, Variant::Subgroup}) {
    int v = static_cast<int>(variant);
    ASSERT_TRUE(run.error[v].empty()) << run.error[v];
    ASSERT_EQ(run.outputs[v].size(), expected.size());
    for (size_t i = 0; i < expected.size(); ++i)
      expectClose(run.outputs[v][i], expected[i], kFp32TargetTolerance,
                  getOutputName(entry, i) + " (" + variantName(variant) + ")");
  }
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
