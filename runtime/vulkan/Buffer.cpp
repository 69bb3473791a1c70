//===- Buffer.cpp - a Vulkan buffer and its memory ------------------------===//

#include "runtime/vulkan/Buffer.h"

using namespace attnc::vk;

std::unique_ptr<Buffer> Buffer::create(Device &device, VkDeviceSize bytes,
                                       MemoryPlacement placement,
                                       Status &status) {
  std::unique_ptr<Buffer> result(new Buffer(device));
  result->size = (std::max<VkDeviceSize>(bytes, 4) + 3) / 4 * 4;
  VkBufferCreateInfo info = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
  info.size = result->size;
  info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT |
               VK_BUFFER_USAGE_UNIFORM_TEXEL_BUFFER_BIT |
               VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
               VK_BUFFER_USAGE_TRANSFER_DST_BIT;
  info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
  VkDevice handle = device.getHandle();
  status = checkResult(vkCreateBuffer(handle, &info, nullptr, &result->buffer),
                       "vkCreateBuffer");
  if (!status.ok())
    return nullptr;
  VkMemoryRequirements requirements;
  vkGetBufferMemoryRequirements(handle, result->buffer, &requirements);
  int type =
      placement == MemoryPlacement::Host
          ? device.findMemoryType(requirements.memoryTypeBits,
                                  VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                      VK_MEMORY_PROPERTY_HOST_COHERENT_BIT)
          : device.findMemoryType(requirements.memoryTypeBits, 0,
                                  VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT);
  if (type < 0) {
    status = Status(ATTNC_ERROR_DEVICE,
                    "Vulkan: the device has no suitable memory type for a " +
                        std::string(placement == MemoryPlacement::Host
                                        ? "host-visible"
                                        : "device") +
                        " buffer");
    return nullptr;
  }
  VkMemoryAllocateInfo alloc = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
  alloc.allocationSize = requirements.size;
  alloc.memoryTypeIndex = type;
  status =
      checkResult(vkAllocateMemory(handle, &alloc, nullptr, &result->memory),
                  "vkAllocateMemory");
  if (!status.ok()) {
    status = Status(status.getCode(), status.getMessage() + " (" +
                                          std::to_string(requirements.size) +
                                          " bytes)");
    return nullptr;
  }
  status =
      checkResult(vkBindBufferMemory(handle, result->buffer, result->memory, 0),
                  "vkBindBufferMemory");
  if (!status.ok())
    return nullptr;
  if (placement == MemoryPlacement::Host) {
    status = checkResult(vkMapMemory(handle, result->memory, 0, VK_WHOLE_SIZE,
                                     0, &result->mapped),
                         "vkMapMemory");
    if (!status.ok())
      return nullptr;
  }
  return result;
}

Buffer::~Buffer() {
  VkDevice handle = device.getHandle();
  if (buffer)
    vkDestroyBuffer(handle, buffer, nullptr);
  if (memory)
    vkFreeMemory(handle, memory, nullptr);
}
