//===- VulkanHarness.h - running test modules on the Vulkan target -*- C++ -*-//
//
// What the Vulkan numeric tests add to tests/numeric/NumericHarness.h: a
// module compiled once for --target=vulkan and run on the test device in
// each kernel variant (portable, and subgroup where the device has the
// operations), with the validation layer on.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TESTS_NUMERIC_VULKAN_VULKANHARNESS_H
#define ATTNC_TESTS_NUMERIC_VULKAN_VULKANHARNESS_H

#include "tests/numeric/NumericHarness.h"

#include "gtest/gtest.h"

namespace attnc::test {

/// The kernel variants a test runs (codegen/vulkan/KernelAbi.h):
/// CoopmatEmulated forces the emulated cooperative-matrix kernels where a
/// kernel has them (f16 attention), else the subgroup ones.
enum class Variant { Portable, Subgroup, CoopmatEmulated };
constexpr int kVariants = 3;

const char *variantName(Variant variant);

/// Outputs of one run of a compiled module per variant, or why it failed.
struct VulkanRun {
  std::vector<HostTensor> outputs[kVariants];
  std::string error[kVariants];
  /// What the device said it ran, per variant.
  std::string devices[kVariants];
  /// Set when the machine has no Vulkan driver at all (the tests skip).
  std::string skip;
  std::string device;
};

/// Compiles `module` for the Vulkan target (with --precision=f16 when
/// `halfPrecision`) and runs it on `inputs` once per variant of `variants`
/// (validation on: a validation message fails the run).
VulkanRun runOnVulkan(mlir::ModuleOp module, llvm::ArrayRef<HostTensor> inputs,
                      llvm::ArrayRef<Variant> variants = {Variant::Portable,
                                                          Variant::Subgroup},
                      bool halfPrecision = false);

/// A module's fp64 oracle outputs and its run on Vulkan in each variant,
/// computed once for a whole test suite.
struct VulkanSuite {
  std::vector<OracleTensor> expected;
  VulkanRun run;

  /// Parses `text`, makes its inputs, evaluates the oracle and runs the
  /// module on Vulkan; null (with a test failure) when `text` does not parse.
  static std::unique_ptr<VulkanSuite>
  create(llvm::StringRef text,
         llvm::function_ref<std::vector<HostTensor>(mlir::ModuleOp)> makeInputs,
         llvm::ArrayRef<Variant> variants = {Variant::Portable,
                                             Variant::Subgroup});
};

/// Sets `got` to output `index` of `variant`'s run. Fails the test when the
/// suite did not build or the run failed, skips it when the machine has no
/// Vulkan driver; `got` stays null then.
void getVulkanOutput(const VulkanSuite *suite, size_t index, Variant variant,
                     const HostTensor *&got);

/// A module whose every output a suite checks against the oracle at
/// kFp32TargetTolerance, in both variants.
struct OutputsModule {
  const char *text;
  llvm::ArrayRef<const char *> outputNames;
  std::vector<HostTensor> (*makeInputs)(mlir::ModuleOp);
};

/// The suite of `Module`: compiled and run once (SetUpTestSuite), one test
/// per (output, variant), named after the output.
template <const OutputsModule &Module>
class VulkanOutputsTest
    : public ::testing::TestWithParam<std::tuple<size_t, Variant>> {
public:
  static auto params() {
    return ::testing::Combine(
        ::testing::Range<size_t>(0, Module.outputNames.size()),
        ::testing::Values(Variant::Portable, Variant::Subgroup));
  }
  static std::string
  name(const ::testing::TestParamInfo<std::tuple<size_t, Variant>> &info) {
    return std::string(Module.outputNames[std::get<0>(info.param)]) + "_" +
           variantName(std::get<1>(info.param));
  }

protected:
  static void SetUpTestSuite() {
    suite() = VulkanSuite::create(Module.text, Module.makeInputs);
  }
  static void TearDownTestSuite() { suite().reset(); }

  void checkOutput() {
    auto [index, variant] = GetParam();
    const HostTensor *got;
    getVulkanOutput(suite().get(), index, variant, got);
    if (got)
      expectClose(*got, suite()->expected[index], kFp32TargetTolerance,
                  Module.outputNames[index]);
  }

private:
  static std::unique_ptr<VulkanSuite> &suite() {
    static std::unique_ptr<VulkanSuite> instance;
    return instance;
  }
};

/// Loads `library` with validation, forcing the kernel variant.
llvm::Expected<std::unique_ptr<LoadedModel>>
loadVulkan(const std::string &library, Variant variant);

} // namespace attnc::test

#endif // ATTNC_TESTS_NUMERIC_VULKAN_VULKANHARNESS_H
