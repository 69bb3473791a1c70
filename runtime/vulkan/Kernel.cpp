//===- Kernel.cpp - one compute pipeline ----------------------------------===//

#include "runtime/vulkan/Kernel.h"

using namespace attnc::vk;

VkDescriptorType attnc::vk::descriptorType(DescriptorKind kind) {
  return kind == DescriptorKind::Storage
             ? VK_DESCRIPTOR_TYPE_STORAGE_BUFFER
             : VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
}

std::unique_ptr<Kernel> Kernel::create(Device &device, const KernelDesc &desc,
                                       Status &status) {
  std::unique_ptr<Kernel> k(new Kernel(device));
  k->bindings = desc.bindings;
  k->pushBytes = desc.pushBytes;
  VkDevice handle = device.getHandle();
  auto fail = [&](VkResult result, const char *what) {
    status = checkResult(result, what);
    if (!status.ok())
      status = Status(status.getCode(),
                      status.getMessage() + " for kernel '" + desc.name + "'");
    return !status.ok();
  };

  VkShaderModuleCreateInfo moduleInfo = {
      VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  moduleInfo.codeSize = desc.spirv->size() * 4;
  moduleInfo.pCode = desc.spirv->data();
  if (fail(vkCreateShaderModule(handle, &moduleInfo, nullptr, &k->module),
           "vkCreateShaderModule"))
    return nullptr;

  std::vector<VkDescriptorSetLayoutBinding> layoutBindings;
  for (size_t i = 0; i < desc.bindings.size(); ++i)
    layoutBindings.push_back({static_cast<uint32_t>(i),
                              descriptorType(desc.bindings[i]), 1,
                              VK_SHADER_STAGE_COMPUTE_BIT, nullptr});
  VkDescriptorSetLayoutCreateInfo setInfo = {
      VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  setInfo.bindingCount = layoutBindings.size();
  setInfo.pBindings = layoutBindings.data();
  if (fail(
          vkCreateDescriptorSetLayout(handle, &setInfo, nullptr, &k->setLayout),
          "vkCreateDescriptorSetLayout"))
    return nullptr;

  VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, desc.pushBytes};
  VkPipelineLayoutCreateInfo layoutInfo = {
      VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layoutInfo.setLayoutCount = 1;
  layoutInfo.pSetLayouts = &k->setLayout;
  layoutInfo.pushConstantRangeCount = desc.pushBytes ? 1 : 0;
  layoutInfo.pPushConstantRanges = &range;
  if (fail(vkCreatePipelineLayout(handle, &layoutInfo, nullptr, &k->layout),
           "vkCreatePipelineLayout"))
    return nullptr;

  std::vector<VkSpecializationMapEntry> entries;
  std::vector<uint32_t> values;
  for (auto [id, value] : desc.spec) {
    entries.push_back({id, static_cast<uint32_t>(values.size() * 4), 4});
    values.push_back(value);
  }
  VkSpecializationInfo spec = {static_cast<uint32_t>(entries.size()),
                               entries.data(), values.size() * 4,
                               values.data()};
  VkComputePipelineCreateInfo info = {
      VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  info.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO};
  info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
  info.stage.module = k->module;
  info.stage.pName = "main";
  info.stage.pSpecializationInfo = entries.empty() ? nullptr : &spec;
  info.layout = k->layout;
  if (fail(vkCreateComputePipelines(handle, device.getPipelineCache(), 1, &info,
                                    nullptr, &k->pipeline),
           "vkCreateComputePipelines"))
    return nullptr;
  return k;
}

Kernel::~Kernel() {
  VkDevice handle = device.getHandle();
  if (pipeline)
    vkDestroyPipeline(handle, pipeline, nullptr);
  if (layout)
    vkDestroyPipelineLayout(handle, layout, nullptr);
  if (setLayout)
    vkDestroyDescriptorSetLayout(handle, setLayout, nullptr);
  if (module)
    vkDestroyShaderModule(handle, module, nullptr);
}
