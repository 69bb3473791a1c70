//===- VulkanAttentionTest.cpp - attn.attention on Vulkan vs the oracle ---===//
//
// The conformance matrix (batch 1/3, heads 1/4/8, GQA 8 over 2, Sq = Sk and
// Sq != Sk with a one-token decode against 500 keys, head dims 6/32/64/80/
// 128, lengths 1/7/129/1000, no mask, additive and keep-masks, each causal
// mode, fully masked rows, Q/K/V and output read and written through
// transposed views) as separate attention ops of one module, compiled once
// and run in both kernel variants on the test device with validation; each
// TEST_P checks one op of one variant against the fp64 oracle. Plus the
// tutorial example of tests/data/seed_attention.json and its masking rule.
//
//===----------------------------------------------------------------------===//

#include "tests/numeric/AttentionCases.h"
#include "tests/numeric/vulkan/VulkanHarness.h"

#include "gtest/gtest.h"

using namespace attnc;
using namespace attnc::test;

namespace {

const std::vector<AttentionCase> &vulkanCases() {
  static const std::vector<AttentionCase> cases = [] {
    std::vector<AttentionCase> all(getConformanceCases().begin(),
                                   getConformanceCases().end());
    all.insert(all.end(), getVulkanExtraCases().begin(),
               getVulkanExtraCases().end());
    return all;
  }();
  return cases;
}

class VulkanAttention
    : public ::testing::TestWithParam<std::tuple<size_t, Variant>> {
protected:
  static void SetUpTestSuite() {
    suite = VulkanSuite::create(
        buildAttentionModule(vulkanCases()),
        [](mlir::ModuleOp) { return buildAttentionInputs(vulkanCases()); });
  }
  static void TearDownTestSuite() { suite.reset(); }

  static std::unique_ptr<VulkanSuite> suite;
};

std::unique_ptr<VulkanSuite> VulkanAttention::suite;

TEST_P(VulkanAttention, MatchesOracle) {
  auto [index, variant] = GetParam();
  const HostTensor *got;
  getVulkanOutput(suite.get(), index, variant, got);
  if (!got)
    return;
  const AttentionCase &c = vulkanCases()[index];
  expectClose(*got, suite->expected[index], kFp32TargetTolerance, c.name);

  // A query that sees no key gives exact zeros (not tiny values, not NaN).
  expectEmptyQueriesAreZero(c, *got);
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, VulkanAttention,
    ::testing::Combine(::testing::Range<size_t>(0, vulkanCases().size()),
                       ::testing::Values(Variant::Portable, Variant::Subgroup)),
    [](const ::testing::TestParamInfo<std::tuple<size_t, Variant>> &info) {
      return std::string(vulkanCases()[std::get<0>(info.param)].name) + "_" +
             variantName(std::get<1>(info.param));
    });

/// The classic 3-token tutorial from unfused matmul / div / softmax /
/// matmul (fused into one attention by the pipeline): the float64 answer of
/// the data file to 1e-5.
TEST(VulkanTutorial, SeedAttention) {
  std::optional<llvm::json::Value> json = loadSeedAttention();
  ASSERT_TRUE(json);
  const llvm::json::Object &tutorial =
      *json->getAsObject()->getArray("cases")->front().getAsObject();
  const llvm::json::Object &given = *tutorial.getObject("inputs");
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      parseModule(*context, seedTutorialModule(given));
  ASSERT_TRUE(module);
  VulkanRun run = runOnVulkan(*module, {seedTutorialInput(given)});
  if (!run.skip.empty())
    GTEST_SKIP() << run.skip;
  std::vector<std::vector<double>> expected =
      matrixOf(*tutorial.getArray("out"));
  for (int v = 0; v < 2; ++v) {
    ASSERT_TRUE(run.error[v].empty()) << run.error[v];
    for (int i = 0; i < 3; ++i)
      for (int j = 0; j < 2; ++j)
        EXPECT_NEAR(run.outputs[v][0].getAsDouble(i * 2 + j), expected[i][j],
                    1e-5)
            << variantName(Variant(v)) << " out[" << i << "][" << j << "]";
  }
}

/// The masking rule of the data file: a masked score gets exactly zero
/// weight (select to -inf, then softmax, fused into scaled_masked_softmax).
TEST(VulkanTutorial, MaskedScoreGetsExactlyZeroWeight) {
  std::optional<llvm::json::Value> json = loadSeedAttention();
  ASSERT_TRUE(json);
  llvm::json::Object *root = json->getAsObject();
  const llvm::json::Object &rule = *(*root->getArray("cases"))[1].getAsObject();
  std::vector<std::vector<double>> scores = matrixOf(*rule.getArray("scores"));
  const char *text = R"(
func.func @forward(%s: tensor<1x3xf32>, %masked: tensor<1x3xi1>) -> tensor<1x3xf32> {
  %ninf = attn.constant dense<0xFF800000> : tensor<f32>
  %keep = attn.not %masked : tensor<1x3xi1>
  %m = attn.select %keep, %s, %ninf : (tensor<1x3xi1>, tensor<1x3xf32>, tensor<f32>) -> tensor<1x3xf32>
  %p = attn.softmax %m {axis = -1 : i64} : tensor<1x3xf32>
  return %p : tensor<1x3xf32>
}
)";
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = parseModule(*context, text);
  ASSERT_TRUE(module);
  HostTensor s(DTypeKind::F32, {1, 3}), masked(DTypeKind::Bool, {1, 3});
  for (int j = 0; j < 3; ++j) {
    s.setFromDouble(j, scores[0][j]);
    masked.setFromDouble(
        j, *(*(*rule.getArray("mask_true_means_masked"))[0].getAsArray())[j]
                .getAsBoolean());
  }
  VulkanRun run = runOnVulkan(*module, {s, masked});
  if (!run.skip.empty())
    GTEST_SKIP() << run.skip;
  std::vector<std::vector<double>> expected =
      matrixOf(*rule.getObject("correct")->getArray("softmax"));
  for (int v = 0; v < 2; ++v) {
    ASSERT_TRUE(run.error[v].empty()) << run.error[v];
    const HostTensor &p = run.outputs[v][0];
    EXPECT_EQ(p.getAsDouble(2), 0.0) << "the masked weight must be exactly 0";
    EXPECT_NEAR(p.getAsDouble(0), expected[0][0], 1e-6);
    EXPECT_NEAR(p.getAsDouble(1), expected[0][1], 1e-6);
  }
}

} // namespace
