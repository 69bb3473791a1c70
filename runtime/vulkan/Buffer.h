//===- Buffer.h - a Vulkan buffer and its memory ---------------*- C++ -*-===//
//
// One VkBuffer bound to its own allocation: device-local for the tensors the
// kernels use (preferred, any memory when a device has none), or
// host-visible, coherent and persistently mapped for staging. Every buffer
// can be a storage buffer, a uniform texel buffer and a transfer source or
// destination.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_VULKAN_BUFFER_H
#define ATTNC_RUNTIME_VULKAN_BUFFER_H

#include "runtime/vulkan/Device.h"

namespace attnc::vk {

enum class MemoryPlacement {
  Device, ///< device-local where available
  Host,   ///< host-visible, coherent, mapped
};

class Buffer {
public:
  /// Creates a buffer of at least `bytes` (a zero-sized request gets 4
  /// bytes), or returns null with `status` set.
  static std::unique_ptr<Buffer> create(Device &device, VkDeviceSize bytes,
                                        MemoryPlacement placement,
                                        Status &status);
  ~Buffer();
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;

  VkBuffer getHandle() const { return buffer; }
  VkDeviceSize getSize() const { return size; }
  /// The mapped bytes of a host buffer; null for a device buffer.
  void *getMapped() const { return mapped; }

private:
  explicit Buffer(Device &device) : device(device) {}

  Device &device;
  VkBuffer buffer = VK_NULL_HANDLE;
  VkDeviceMemory memory = VK_NULL_HANDLE;
  VkDeviceSize size = 0;
  void *mapped = nullptr;
};

} // namespace attnc::vk

#endif // ATTNC_RUNTIME_VULKAN_BUFFER_H
