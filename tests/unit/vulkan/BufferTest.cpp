//===- BufferTest.cpp - device and staging buffers ------------------------===//

#include "runtime/vulkan/Buffer.h"
#include "tests/unit/vulkan/VulkanTestUtils.h"

#include <cstring>

using namespace attnc::vk;

namespace {

TEST(BufferTest, HostBuffersAreMappedAndKeepTheirBytes) {
  ATTNC_OPEN_DEVICE_OR_SKIP(device);
  Status status;
  std::unique_ptr<Buffer> buffer =
      Buffer::create(*device, 1000, MemoryPlacement::Host, status);
  ASSERT_TRUE(buffer) << status.getMessage();
  ASSERT_NE(buffer->getMapped(), nullptr);
  EXPECT_EQ(buffer->getSize(), 1000u);
  std::memset(buffer->getMapped(), 0x5a, 1000);
  EXPECT_EQ(static_cast<unsigned char *>(buffer->getMapped())[999], 0x5a);
  test::expectNoValidationMessages(*device);
}

TEST(BufferTest, DeviceBuffersAreNotMapped) {
  ATTNC_OPEN_DEVICE_OR_SKIP(device);
  Status status;
  std::unique_ptr<Buffer> buffer =
      Buffer::create(*device, 4096, MemoryPlacement::Device, status);
  ASSERT_TRUE(buffer) << status.getMessage();
  EXPECT_EQ(buffer->getMapped(), nullptr);
  EXPECT_NE(buffer->getHandle(), VK_NULL_HANDLE);
  test::expectNoValidationMessages(*device);
}

TEST(BufferTest, EmptyAndOddSizesAreRoundedUp) {
  ATTNC_OPEN_DEVICE_OR_SKIP(device);
  Status status;
  std::unique_ptr<Buffer> empty =
      Buffer::create(*device, 0, MemoryPlacement::Device, status);
  ASSERT_TRUE(empty) << status.getMessage();
  EXPECT_EQ(empty->getSize(), 4u);
  std::unique_ptr<Buffer> odd =
      Buffer::create(*device, 7, MemoryPlacement::Host, status);
  ASSERT_TRUE(odd) << status.getMessage();
  EXPECT_EQ(odd->getSize(), 8u);
  test::expectNoValidationMessages(*device);
}

TEST(BufferTest, AnImpossibleAllocationIsAnError) {
  ATTNC_OPEN_DEVICE_OR_SKIP(device);
  Status status;
  // Larger than any device's memory: the driver refuses it (or the buffer
  // itself), and the runtime reports it instead of crashing.
  std::unique_ptr<Buffer> huge = Buffer::create(
      *device, VkDeviceSize(1) << 50, MemoryPlacement::Device, status);
  EXPECT_FALSE(huge);
  EXPECT_FALSE(status.ok());
  EXPECT_NE(status.getMessage().find("Vulkan"), std::string::npos);
  device->takeValidationMessages();
}

} // namespace
