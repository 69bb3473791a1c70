//===- Kernel.h - one compute pipeline -------------------------*- C++ -*-===//
//
// A shader module specialised into a compute pipeline (through the device's
// pipeline cache), with the descriptor-set and pipeline layouts its bindings
// (KernelAbi.h order) and push constants need.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_VULKAN_KERNEL_H
#define ATTNC_RUNTIME_VULKAN_KERNEL_H

#include "codegen/vulkan/KernelAbi.h"
#include "runtime/vulkan/Device.h"

#include <utility>
#include <vector>

namespace attnc::vk {

/// What a pipeline is built from.
struct KernelDesc {
  std::string name; ///< for error messages
  const std::vector<uint32_t> *spirv = nullptr;
  std::vector<DescriptorKind> bindings; ///< binding i's kind
  uint32_t pushBytes = 0;
  /// (constant_id, value) pairs, values already resolved.
  std::vector<std::pair<uint32_t, uint32_t>> spec;
};

class Kernel {
public:
  /// Builds the pipeline, or returns null with `status` set.
  static std::unique_ptr<Kernel> create(Device &device, const KernelDesc &desc,
                                        Status &status);
  ~Kernel();
  Kernel(const Kernel &) = delete;
  Kernel &operator=(const Kernel &) = delete;

  VkPipeline getPipeline() const { return pipeline; }
  VkPipelineLayout getLayout() const { return layout; }
  VkDescriptorSetLayout getSetLayout() const { return setLayout; }
  const std::vector<DescriptorKind> &getBindings() const { return bindings; }
  uint32_t getPushBytes() const { return pushBytes; }

private:
  explicit Kernel(Device &device) : device(device) {}

  Device &device;
  VkShaderModule module = VK_NULL_HANDLE;
  VkDescriptorSetLayout setLayout = VK_NULL_HANDLE;
  VkPipelineLayout layout = VK_NULL_HANDLE;
  VkPipeline pipeline = VK_NULL_HANDLE;
  std::vector<DescriptorKind> bindings;
  uint32_t pushBytes = 0;
};

/// The Vulkan descriptor type of a binding kind.
VkDescriptorType descriptorType(DescriptorKind kind);

} // namespace attnc::vk

#endif // ATTNC_RUNTIME_VULKAN_KERNEL_H
