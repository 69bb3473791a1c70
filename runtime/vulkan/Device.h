//===- Device.h - the Vulkan instance, device and queue --------*- C++ -*-===//
//
// Picks a physical device (a GPU when there is one, else a CPU device such
// as lavapipe, or the one ATTNC_VK_DEVICE / attnc_options.device names by
// index or name), creates the logical device with one compute queue and a
// pipeline cache, and optionally enables the Khronos validation layer with a
// debug messenger that records every warning or error it reports.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_VULKAN_DEVICE_H
#define ATTNC_RUNTIME_VULKAN_DEVICE_H

#include "runtime/vulkan/Status.h"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace attnc::vk {

/// How to choose and set up the device.
struct DeviceOptions {
  /// An index into the physical devices or a case-insensitive substring of
  /// a device name; empty: $ATTNC_VK_DEVICE, else the best device.
  std::string selector;
  /// Enable VK_LAYER_KHRONOS_validation (also when $ATTNC_VK_VALIDATION=1).
  bool validation = false;
};

class Device {
public:
  /// Creates the device, or returns null with `status` saying why.
  static std::unique_ptr<Device> create(const DeviceOptions &options,
                                        Status &status);
  ~Device();
  Device(const Device &) = delete;
  Device &operator=(const Device &) = delete;

  VkDevice getHandle() const { return device; }
  VkPhysicalDevice getPhysical() const { return physical; }
  VkQueue getQueue() const { return queue; }
  uint32_t getQueueFamily() const { return queueFamily; }
  VkPipelineCache getPipelineCache() const { return pipelineCache; }
  const VkPhysicalDeviceProperties &getProperties() const { return properties; }
  const VkPhysicalDeviceLimits &getLimits() const { return properties.limits; }

  /// The device's (default) subgroup size.
  uint32_t getSubgroupSize() const { return subgroupSize; }
  /// Whether kernels use their subgroup variants (KernelAbi.h): when
  /// supported and not a CPU device, unless $ATTNC_VK_SUBGROUPS says
  /// otherwise.
  bool usesSubgroupVariants() const { return subgroupVariants; }
  /// Whether f16 tensors can live in storage buffers
  /// (storageBuffer16BitAccess, enabled when present).
  bool hasHalfStorage() const { return halfStorage; }
  /// Whether shaders may compute on f16 values (shaderFloat16).
  bool hasHalfArithmetic() const { return halfArithmetic; }
  /// Whether kernels use their cooperative-matrix variants: the device has
  /// VK_NV_cooperative_matrix with 16x16x16 f16 x f16 + f32 products at
  /// subgroup scope, 32-lane subgroups, the Vulkan memory model and f16
  /// storage and arithmetic, and $ATTNC_VK_COOPMAT is not 0.
  bool usesCoopmat() const { return coopmat; }
  /// Whether kernels use their emulated cooperative-matrix variants
  /// ($ATTNC_VK_COOPMAT=emulate on a device with f16 arithmetic).
  bool emulatesCoopmat() const { return coopmatEmulated; }
  /// Whether `format` can back a uniform texel buffer.
  bool supportsTexelFormat(VkFormat format) const;
  /// Nanoseconds per timestamp tick, or 0 without timestamps on the queue.
  double getTimestampPeriod() const { return timestampPeriod; }

  /// "llvmpipe (LLVM 15.0.6, 256 bits), cpu device".
  std::string describe() const;

  /// A memory type among `typeBits` with all `required` flags, preferring
  /// one that also has `preferred`; -1 when there is none.
  int findMemoryType(uint32_t typeBits, VkMemoryPropertyFlags required,
                     VkMemoryPropertyFlags preferred = 0) const;

  /// Validation messages reported since the last call (none without
  /// validation).
  std::vector<std::string> takeValidationMessages();

private:
  Device() = default;
  Status init(const DeviceOptions &options);
  Status createInstance(bool validation);
  Status pickPhysicalDevice(const std::string &selector);
  Status createLogicalDevice();
  bool supportsCoopmat(bool halfSupport) const;
  static VKAPI_ATTR VkBool32 VKAPI_CALL
  onMessage(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
            VkDebugUtilsMessageTypeFlagsEXT types,
            const VkDebugUtilsMessengerCallbackDataEXT *data, void *user);

  VkInstance instance = VK_NULL_HANDLE;
  VkDebugUtilsMessengerEXT messenger = VK_NULL_HANDLE;
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkDevice device = VK_NULL_HANDLE;
  VkQueue queue = VK_NULL_HANDLE;
  VkPipelineCache pipelineCache = VK_NULL_HANDLE;
  uint32_t queueFamily = 0;
  uint32_t apiVersion = 0;
  VkPhysicalDeviceProperties properties = {};
  VkPhysicalDeviceMemoryProperties memory = {};
  uint32_t subgroupSize = 1;
  bool subgroupVariants = false;
  bool halfStorage = false, halfArithmetic = false;
  bool coopmat = false, coopmatEmulated = false;
  double timestampPeriod = 0;

  std::mutex messagesMutex;
  std::vector<std::string> messages;
};

} // namespace attnc::vk

#endif // ATTNC_RUNTIME_VULKAN_DEVICE_H
