//===- CpuAttentionTest.cpp - attn.attention on the CPU vs the oracle -----===//
//
// One module holds every case of the matrix (batch, heads, GQA, Sq vs Sk,
// head dims, odd lengths, each mask kind and causal mode, fully masked rows)
// as separate attention ops, so the whole matrix costs one compile; each
// TEST_P checks its op's output against the fp64 oracle. Plus the tutorial
// example built from unfused ops.
//
//===----------------------------------------------------------------------===//

#include "tests/numeric/AttentionCases.h"
#include "tests/numeric/NumericHarness.h"

#include "gtest/gtest.h"

using namespace attnc;
using namespace attnc::test;

namespace {

const llvm::ArrayRef<AttentionCase> kCases = getConformanceCases();

class AttentionConformance : public ::testing::TestWithParam<size_t> {
protected:
  static void SetUpTestSuite() {
    context = createContext().release();
    module = new mlir::OwningOpRef<mlir::ModuleOp>(
        parseModule(*context, buildAttentionModule(kCases)));
    if (!*module)
      return;
    std::vector<HostTensor> inputs = buildAttentionInputs(kCases);
    expected = new std::vector<OracleTensor>(evaluateOracle(**module, inputs));
    llvm::Expected<std::vector<HostTensor>> out =
        compileAndRun(**module, inputs);
    if (!out) {
      setupError = new std::string(llvm::toString(out.takeError()));
      return;
    }
    got = new std::vector<HostTensor>(std::move(*out));
  }

  static mlir::MLIRContext *context;
  static mlir::OwningOpRef<mlir::ModuleOp> *module;
  static std::vector<OracleTensor> *expected;
  static std::vector<HostTensor> *got;
  static std::string *setupError;
};

mlir::MLIRContext *AttentionConformance::context;
mlir::OwningOpRef<mlir::ModuleOp> *AttentionConformance::module;
std::vector<OracleTensor> *AttentionConformance::expected;
std::vector<HostTensor> *AttentionConformance::got;
std::string *AttentionConformance::setupError;

TEST_P(AttentionConformance, MatchesOracle) {
  ASSERT_FALSE(setupError) << *setupError;
  ASSERT_TRUE(got && expected && expected->size() == got->size());
  size_t i = GetParam();
  const AttentionCase &c = kCases[i];
  expectClose((*got)[i], (*expected)[i], kFp32TargetTolerance, c.name);

  // Queries that see no key give exact zeros (not tiny values, not NaN).
  expectEmptyQueriesAreZero(c, (*got)[i]);
}

INSTANTIATE_TEST_SUITE_P(Cpu, AttentionConformance,
                         ::testing::Range<size_t>(0, kCases.size()),
                         [](const ::testing::TestParamInfo<size_t> &info) {
                           return std::string(kCases[info.param].name);
                         });

/// The classic 3-token tutorial: unfused matmul / div / softmax / matmul,
/// with the weights of tests/data/seed_attention.json.
TEST(CpuTutorial, SeedAttention) {
  std::optional<llvm::json::Value> json = loadSeedAttention();
  ASSERT_TRUE(json);
  const llvm::json::Object &tutorial =
      *json->getAsObject()->getArray("cases")->front().getAsObject();
  const llvm::json::Object &given = *tutorial.getObject("inputs");
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      parseModule(*context, seedTutorialModule(given));
  ASSERT_TRUE(module);
  llvm::Expected<std::vector<HostTensor>> out =
      compileAndRun(*module, {seedTutorialInput(given)});
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  const double expected[3][2] = {{18, 20}, {18, 20}, {18, 20}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j)
      EXPECT_NEAR((*out)[0].getAsDouble(i * 2 + j), expected[i][j], 1e-5)
          << "out[" << i << "][" << j << "]";
}

} // namespace
