//===- VulkanTestUtils.h - shared helpers of the Vulkan unit tests -*- C++ -*-//
//
// Opening the test device (validation on, so every message fails the test
// that caused it), skipping when a machine has no Vulkan driver at all, and
// compiling a GLSL compute shader for a test kernel.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TESTS_UNIT_VULKAN_VULKANTESTUTILS_H
#define ATTNC_TESTS_UNIT_VULKAN_VULKANTESTUTILS_H

#include "runtime/vulkan/Device.h"

#include "gtest/gtest.h"

#include <memory>
#include <string>
#include <vector>

namespace attnc::vk::test {

/// The device the tests run on (lavapipe here and in CI), with validation.
/// Null with `why` set when the machine has no Vulkan driver.
std::unique_ptr<Device> openTestDevice(std::string &why,
                                       const std::string &selector = "");

/// Fails the current test with any validation message `device` recorded.
void expectNoValidationMessages(Device &device);

/// SPIR-V of a GLSL compute shader; fails the test on a compile error.
std::vector<uint32_t> compileTestShader(const std::string &glsl);

} // namespace attnc::vk::test

/// Opens the test device into `device`, or skips the test with the reason.
#define ATTNC_OPEN_DEVICE_OR_SKIP(device)                                      \
  std::string skipReason_;                                                     \
  std::unique_ptr<attnc::vk::Device> device =                                  \
      attnc::vk::test::openTestDevice(skipReason_);                            \
  if (!device) {                                                               \
    GTEST_SKIP() << skipReason_;                                               \
  }                                                                            \
  static_assert(true, "")

#endif // ATTNC_TESTS_UNIT_VULKAN_VULKANTESTUTILS_H
