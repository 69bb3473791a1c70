//===- DeviceTest.cpp - device selection, description and validation -----===//

#include "tests/unit/vulkan/VulkanTestUtils.h"

#include <cstdlib>

using namespace attnc::vk;

namespace {

TEST(DeviceTest, OpensADeviceWithAComputeQueue) {
  ATTNC_OPEN_DEVICE_OR_SKIP(device);
  EXPECT_NE(device->getHandle(), VK_NULL_HANDLE);
  EXPECT_NE(device->getQueue(), VK_NULL_HANDLE);
  EXPECT_NE(device->getPipelineCache(), VK_NULL_HANDLE);
  EXPECT_GE(device->getSubgroupSize(), 1u);
  EXPECT_FALSE(device->describe().empty());
  test::expectNoValidationMessages(*device);
}

TEST(DeviceTest, DescribesACpuDeviceAsSuch) {
  ATTNC_OPEN_DEVICE_OR_SKIP(device);
  if (device->getProperties().deviceType != VK_PHYSICAL_DEVICE_TYPE_CPU)
    GTEST_SKIP() << "the test device is not a CPU device";
  EXPECT_NE(device->describe().find("cpu device"), std::string::npos)
      << device->describe();
  // CPU devices run the portable kernels unless told otherwise.
  if (!std::getenv("ATTNC_VK_SUBGROUPS")) {
    EXPECT_FALSE(device->usesSubgroupVariants());
  }
}

TEST(DeviceTest, SelectsByIndexAndByName) {
  ATTNC_OPEN_DEVICE_OR_SKIP(device);
  std::string name = device->getProperties().deviceName;
  std::string why;
  std::unique_ptr<Device> byName = test::openTestDevice(why, name.substr(0, 4));
  ASSERT_TRUE(byName) << why;
  EXPECT_STREQ(byName->getProperties().deviceName, name.c_str());
  std::unique_ptr<Device> byIndex = test::openTestDevice(why, "0");
  ASSERT_TRUE(byIndex) << why;
}

TEST(DeviceTest, UnknownSelectorIsAClearError) {
  DeviceOptions options;
  options.selector = "no-such-gpu-anywhere";
  Status status;
  std::unique_ptr<Device> device = Device::create(options, status);
  EXPECT_FALSE(device);
  EXPECT_EQ(status.getCode(), ATTNC_ERROR_DEVICE);
  if (status.getMessage().find("no Vulkan driver") == std::string::npos) {
    EXPECT_NE(status.getMessage().find("no device matches "
                                       "'no-such-gpu-anywhere'"),
              std::string::npos)
        << status.getMessage();
  }
  options.selector = "99";
  device = Device::create(options, status);
  EXPECT_FALSE(device);
  EXPECT_EQ(status.getCode(), ATTNC_ERROR_DEVICE);
}

TEST(DeviceTest, ValidationMessagesAreRecorded) {
  ATTNC_OPEN_DEVICE_OR_SKIP(device);
  // A zero-sized buffer breaks a valid-usage rule the layer checks.
  VkBufferCreateInfo info = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = 0;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkResult result =
      vkCreateBuffer(device->getHandle(), &info, nullptr, &buffer);
  if (result == VK_SUCCESS && buffer)
    vkDestroyBuffer(device->getHandle(), buffer, nullptr);
  std::vector<std::string> messages = device->takeValidationMessages();
  ASSERT_FALSE(messages.empty());
  EXPECT_NE(messages[0].find("error"), std::string::npos) << messages[0];
  EXPECT_TRUE(device->takeValidationMessages().empty());
}

TEST(DeviceTest, FindsHostVisibleMemory) {
  ATTNC_OPEN_DEVICE_OR_SKIP(device);
  EXPECT_GE(
      device->findMemoryType(~0u, VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                      VK_MEMORY_PROPERTY_HOST_COHERENT_BIT),
      0);
  EXPECT_EQ(device->findMemoryType(0, 0), -1);
}

} // namespace
