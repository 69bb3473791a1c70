//===- VulkanTestUtils.cpp - shared helpers of the Vulkan unit tests ------===//

#include "tests/unit/vulkan/VulkanTestUtils.h"

#include "codegen/vulkan/SpirvCompiler.h"

using namespace attnc::vk;

std::unique_ptr<Device> test::openTestDevice(std::string &why,
                                             const std::string &selector) {
  DeviceOptions options;
  options.validation = true;
  options.selector = selector;
  Status status;
  std::unique_ptr<Device> device = Device::create(options, status);
  if (device)
    return device;
  why = status.getMessage();
  // Only a machine without any Vulkan driver skips; every other failure is
  // a failure.
  if (why.find("no Vulkan driver") == std::string::npos &&
      why.find("no physical device") == std::string::npos)
    ADD_FAILURE() << why;
  return nullptr;
}

void test::expectNoValidationMessages(Device &device) {
  for (const std::string &message : device.takeValidationMessages())
    ADD_FAILURE() << "Vulkan validation: " << message;
}

std::vector<uint32_t> test::compileTestShader(const std::string &glsl) {
  llvm::Expected<std::vector<uint32_t>> spirv =
      compileComputeShader(glsl, "test_shader");
  if (!spirv) {
    ADD_FAILURE() << llvm::toString(spirv.takeError());
    return {};
  }
  return *spirv;
}
