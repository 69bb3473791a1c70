//===- VulkanHalfTest.cpp - f16 attention and matmul on Vulkan vs the oracle
//===//
//
// The conformance matrix of VulkanAttentionTest with f16 Q, K, V, masks and
// outputs, which stay f16 on the device, and f16 matmuls of every operand
// layout. Each case runs in the portable and subgroup kernels and in the
// emulated cooperative-matrix kernels (the tiling and data flow of the
// tensor-core kernels, matrix operations in plain GLSL), on the test
// device with validation, against the fp64 oracle on the same f16 inputs
// at kF16Tolerance. Head dims above 256 have no cooperative-matrix form and
// are left to VulkanAttentionTest.
//
//===----------------------------------------------------------------------===//

#include "tests/numeric/AttentionCases.h"
#include "tests/numeric/vulkan/VulkanHarness.h"

#include "gtest/gtest.h"

using namespace attnc;
using namespace attnc::test;

namespace {

/// The matrix and the Vulkan cases with a cooperative-matrix form (head
/// dims up to 256), plus four query heads per staged K/V block, each with
/// its own mask rows.
const std::vector<AttentionCase> &halfCases() {
  static const std::vector<AttentionCase> cases = [] {
    std::vector<AttentionCase> all(getConformanceCases().begin(),
                                   getConformanceCases().end());
    for (const AttentionCase &c : getVulkanExtraCases())
      if (c.d <= 256 && c.dv <= 256)
        all.push_back(c);
    all.push_back({"gqa_8over2_head_masks", 1, 8, 2, 33, 40, 64, 64,
                   MaskKind::AdditiveFullRow, "top_left"});
    return all;
  }();
  return cases;
}

const Variant kAllVariants[] = {Variant::Portable, Variant::Subgroup,
                                Variant::CoopmatEmulated};

class VulkanAttentionF16
    : public ::testing::TestWithParam<std::tuple<size_t, Variant>> {
protected:
  static void SetUpTestSuite() {
    suite = VulkanSuite::create(
        buildAttentionModule(halfCases(), "f16"),
        [](mlir::ModuleOp) {
          return buildAttentionInputs(halfCases(), DTypeKind::F16);
        },
        kAllVariants);
  }
  static void TearDownTestSuite() { suite.reset(); }

  static std::unique_ptr<VulkanSuite> suite;
};

std::unique_ptr<VulkanSuite> VulkanAttentionF16::suite;

TEST_P(VulkanAttentionF16, MatchesOracle) {
  auto [index, variant] = GetParam();
  const HostTensor *got;
  getVulkanOutput(suite.get(), index, variant, got);
  if (!got)
    return;
  ASSERT_EQ(got->dtype, DTypeKind::F16);
  if (variant == Variant::CoopmatEmulated) {
    // Every attention of the module ran in the emulated coopmat kernel.
    const std::string &device = suite->run.devices[static_cast<int>(variant)];
    EXPECT_NE(device.find(std::to_string(halfCases().size()) +
                          " emulated cooperative-matrix"),
              std::string::npos)
        << device;
  }
  const AttentionCase &c = halfCases()[index];
  expectClose(*got, suite->expected[index], kF16Tolerance, c.name);
  expectEmptyQueriesAreZero(c, *got);
}

INSTANTIATE_TEST_SUITE_P(
    Matrix, VulkanAttentionF16,
    ::testing::Combine(::testing::Range<size_t>(0, halfCases().size()),
                       ::testing::ValuesIn(kAllVariants)),
    [](const ::testing::TestParamInfo<std::tuple<size_t, Variant>> &info) {
      return std::string(halfCases()[std::get<0>(info.param)].name) + "_" +
             variantName(std::get<1>(info.param));
    });

/// Matmuls in f16: odd M, N and K (partial fragments and slices), a single
/// row, transposed operands, batch dims broadcast on either side, a K long
/// enough for many double-buffered slices, and bias, GELU and residual run
/// as the matmul's epilogue.
const char *kMatmulModule = R"(
func.func @forward(%a: tensor<3x77x96xf16>, %b: tensor<96x130xf16>,
                   %c: tensor<2x1x40x33xf16>, %d: tensor<2x5x33x70xf16>,
                   %row: tensor<1x200xf16>, %bt: tensor<45x200xf16>,
                   %at: tensor<4x19x24xf16>, %e: tensor<4x19x52xf16>,
                   %big: tensor<130x520xf16>, %w: tensor<520x72xf16>,
                   %w2: tensor<520x72xf16>, %bias: tensor<72xf16>,
                   %res: tensor<130x72xf16>)
    -> (tensor<3x77x130xf16>, tensor<2x5x40x70xf16>, tensor<1x45xf16>,
        tensor<4x24x52xf16>, tensor<130x72xf16>, tensor<130x72xf16>) {
  %0 = attn.matmul %a, %b : (tensor<3x77x96xf16>, tensor<96x130xf16>) -> tensor<3x77x130xf16>
  %1 = attn.matmul %c, %d : (tensor<2x1x40x33xf16>, tensor<2x5x33x70xf16>) -> tensor<2x5x40x70xf16>
  %2 = attn.matmul %row, %bt {transpose_rhs} : (tensor<1x200xf16>, tensor<45x200xf16>) -> tensor<1x45xf16>
  %3 = attn.matmul %at, %e {transpose_lhs} : (tensor<4x19x24xf16>, tensor<4x19x52xf16>) -> tensor<4x24x52xf16>
  %4 = attn.matmul %big, %w : (tensor<130x520xf16>, tensor<520x72xf16>) -> tensor<130x72xf16>
  %5 = attn.matmul %big, %w2 : (tensor<130x520xf16>, tensor<520x72xf16>) -> tensor<130x72xf16>
  %6 = attn.add %5, %bias : (tensor<130x72xf16>, tensor<72xf16>) -> tensor<130x72xf16>
  %7 = attn.gelu %6 : tensor<130x72xf16>
  %8 = attn.add %7, %res : (tensor<130x72xf16>, tensor<130x72xf16>) -> tensor<130x72xf16>
  return %0, %1, %2, %3, %4, %8 : tensor<3x77x130xf16>, tensor<2x5x40x70xf16>, tensor<1x45xf16>, tensor<4x24x52xf16>, tensor<130x72xf16>, tensor<130x72xf16>
}
)";
const char *kMatmulNames[] = {"batched_odd",   "broadcast_batch",
                              "one_row_t_rhs", "t_lhs",
                              "long_k",        "bias_gelu_residual_epilogue"};

class VulkanMatmulF16
    : public ::testing::TestWithParam<std::tuple<size_t, Variant>> {
protected:
  static void SetUpTestSuite() {
    suite = VulkanSuite::create(
        kMatmulModule,
        [](mlir::ModuleOp module) {
          std::mt19937 rng(77);
          return randomEntryInputs(module, rng);
        },
        kAllVariants);
  }
  static void TearDownTestSuite() { suite.reset(); }

  static std::unique_ptr<VulkanSuite> suite;
};

std::unique_ptr<VulkanSuite> VulkanMatmulF16::suite;

TEST_P(VulkanMatmulF16, MatchesOracle) {
  auto [index, variant] = GetParam();
  const HostTensor *got;
  getVulkanOutput(suite.get(), index, variant, got);
  if (!got)
    return;
  if (variant == Variant::CoopmatEmulated) {
    const std::string &device = suite->run.devices[static_cast<int>(variant)];
    EXPECT_NE(device.find("6 emulated cooperative-matrix"), std::string::npos)
        << device;
  }
  expectClose(*got, suite->expected[index], kF16Tolerance, kMatmulNames[index]);
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, VulkanMatmulF16,
    ::testing::Combine(::testing::Range<size_t>(0, std::size(kMatmulNames)),
                       ::testing::ValuesIn(kAllVariants)),
    [](const ::testing::TestParamInfo<std::tuple<size_t, Variant>> &info) {
      return std::string(kMatmulNames[std::get<0>(info.param)]) + "_" +
             variantName(std::get<1>(info.param));
    });

} // namespace
