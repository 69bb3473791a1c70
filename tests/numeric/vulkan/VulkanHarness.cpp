//===- VulkanHarness.cpp - running test modules on the Vulkan target ------===//

#include "tests/numeric/vulkan/VulkanHarness.h"

#include "gtest/gtest.h"

#include <cstdlib>

using namespace attnc;
using namespace attnc::test;

const char *test::variantName(Variant variant) {
  switch (variant) {
  case Variant::Portable:
    return "portable";
  case Variant::Subgroup:
    return "subgroup";
  case Variant::CoopmatEmulated:
    return "coopmat_emulated";
  }
  return "?";
}

llvm::Expected<std::unique_ptr<LoadedModel>>
test::loadVulkan(const std::string &library, Variant variant) {
  // The runtime reads the variant choice when it opens the device.
  setenv("ATTNC_VK_SUBGROUPS", variant == Variant::Portable ? "0" : "1", 1);
  if (variant == Variant::CoopmatEmulated)
    setenv("ATTNC_VK_COOPMAT", "emulate", 1);
  attnc_options options = {};
  options.struct_size = sizeof(options);
  options.enable_validation = 1;
  llvm::Expected<std::unique_ptr<LoadedModel>> model =
      LoadedModel::load(library, options);
  unsetenv("ATTNC_VK_SUBGROUPS");
  unsetenv("ATTNC_VK_COOPMAT");
  return model;
}

VulkanRun test::runOnVulkan(mlir::ModuleOp module,
                            llvm::ArrayRef<HostTensor> inputs,
                            llvm::ArrayRef<Variant> variants,
                            bool halfPrecision) {
  VulkanRun run;
  llvm::Expected<std::unique_ptr<TempLibrary>> lib =
      TempLibrary::compile(module, "vulkan", "native", halfPrecision);
  if (!lib) {
    std::string message = llvm::toString(lib.takeError());
    for (std::string &e : run.error)
      e = message;
    return run;
  }
  for (Variant variant : variants) {
    int v = static_cast<int>(variant);
    llvm::Expected<std::unique_ptr<LoadedModel>> model =
        loadVulkan((*lib)->getPath(), variant);
    if (!model) {
      run.error[v] = llvm::toString(model.takeError());
      if (run.error[v].find("no Vulkan driver") != std::string::npos)
        run.skip = run.error[v];
      continue;
    }
    if (variant == Variant::Subgroup &&
        (*model)->getDevice().find("subgroup kernels") == std::string::npos) {
      // The device lacks the operations: both runs use the portable kernels.
      run.outputs[v] = run.outputs[0];
      run.error[v] = run.error[0];
      continue;
    }
    run.device = run.devices[v] = (*model)->getDevice();
    llvm::Expected<std::vector<HostTensor>> out = (*model)->run(inputs);
    if (!out)
      run.error[v] = llvm::toString(out.takeError());
    else
      run.outputs[v] = std::move(*out);
  }
  return run;
}

std::unique_ptr<VulkanSuite> VulkanSuite::create(
    llvm::StringRef text,
    llvm::function_ref<std::vector<HostTensor>(mlir::ModuleOp)> makeInputs,
    llvm::ArrayRef<Variant> variants) {
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = parseModule(*context, text);
  if (!module)
    return nullptr;
  auto suite = std::make_unique<VulkanSuite>();
  std::vector<HostTensor> inputs = makeInputs(*module);
  suite->expected = evaluateOracle(*module, inputs);
  suite->run = runOnVulkan(*module, inputs, variants);
  return suite;
}

void test::getVulkanOutput(const VulkanSuite *suite, size_t index,
                           Variant variant, const HostTensor *&got) {
  got = nullptr;
  ASSERT_TRUE(suite) << "the test module did not build";
  if (!suite->run.skip.empty())
    GTEST_SKIP() << suite->run.skip;
  int v = static_cast<int>(variant);
  ASSERT_TRUE(suite->run.error[v].empty()) << suite->run.error[v];
  ASSERT_EQ(suite->run.outputs[v].size(), suite->expected.size());
  ASSERT_LT(index, suite->expected.size());
  got = &suite->run.outputs[v][index];
}
