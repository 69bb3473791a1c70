//===- VulkanBackend.cpp - a model instance on a Vulkan device ------------===//
//
// createBackend for Vulkan model libraries: parses the embedded program,
// opens the device, uploads the weights once, creates one device buffer per
// input and output plus the weights, the arena and the status buffer, builds
// a pipeline per shader variant and specialisation, writes one descriptor
// set per dispatch and records the run's command buffer once. A run converts
// the inputs into the staging buffer, submits, and converts the outputs back;
// a kernel's status report or a validation message fails the run.
//
//===----------------------------------------------------------------------===//

#include "runtime/common/Backend.h"
#include "runtime/vulkan/Buffer.h"
#include "runtime/vulkan/HostConversion.h"
#include "runtime/vulkan/Kernel.h"
#include "runtime/vulkan/Program.h"
#include "runtime/vulkan/Sequence.h"

#include <cstring>
#include <map>
#include <mutex>

extern "C" {
extern const uint8_t attnc_vk_program[];
extern const uint64_t attnc_vk_program_size;
}

using namespace attnc;
using namespace attnc::vk;

namespace {

constexpr VkDeviceSize kStagingAlignment = 64;

VkDeviceSize alignUp(VkDeviceSize n) {
  return (n + kStagingAlignment - 1) / kStagingAlignment * kStagingAlignment;
}

VkFormat texelFormat(DescriptorKind kind) {
  switch (kind) {
  case DescriptorKind::TexelFloat4:
    return VK_FORMAT_R32G32B32A32_SFLOAT;
  case DescriptorKind::TexelFloat:
    return VK_FORMAT_R32_SFLOAT;
  case DescriptorKind::TexelUint:
    return VK_FORMAT_R32_UINT;
  case DescriptorKind::TexelHalf4:
    return VK_FORMAT_R16G16B16A16_SFLOAT;
  case DescriptorKind::TexelHalf:
    return VK_FORMAT_R16_SFLOAT;
  case DescriptorKind::Storage:
    break;
  }
  return VK_FORMAT_UNDEFINED;
}

class VulkanBackend : public rt::Backend {
public:
  ~VulkanBackend() override;
  Status init(const attnc_rt_model_info &info, const attnc_options &options);

  std::string describeDevice() const override {
    std::string text = "vulkan: " + device->describe();
    const char *names[kVariantKinds] = {"portable", "subgroup",
                                        "cooperative-matrix",
                                        "emulated cooperative-matrix"};
    int counts[kVariantKinds] = {};
    for (const ProgramVariant *v : dispatchVariants)
      ++counts[static_cast<int>(v->kind)];
    std::string kinds;
    for (int k = kVariantKinds - 1; k >= 0; --k)
      if (counts[k])
        kinds += (kinds.empty() ? "" : ", ") + std::to_string(counts[k]) + " " +
                 names[k];
    return kinds.empty() ? text : text + "; kernels: " + kinds;
  }
  attnc_status run(const void *const *inputs, void *const *outputs,
                   std::string &error) override;
  double lastRunMs() const override { return sequence->getLastMs(); }

private:
  Status createBuffers();
  Status uploadWeights();
  Status createKernels();
  Status createDescriptors();
  Status record();
  /// Fails with the validation layer's messages, if any arrived.
  Status checkValidation(const char *when);
  const Buffer &bufferOf(const ProgramBinding &binding) const;

  Program program;
  std::unique_ptr<Device> device;
  std::vector<std::unique_ptr<Buffer>> inputBuffers, outputBuffers;
  std::unique_ptr<Buffer> weights, arena, status, upload, download;
  std::vector<VkDeviceSize> uploadOffsets, downloadOffsets;
  VkDeviceSize statusOffset = 0;
  /// One pipeline per (module, specialisation).
  std::map<std::pair<uint32_t, std::vector<std::pair<uint32_t, uint32_t>>>,
           std::unique_ptr<Kernel>>
      kernels;
  /// Per dispatch: its pipeline, variant, descriptor set.
  std::vector<Kernel *> dispatchKernels;
  std::vector<const ProgramVariant *> dispatchVariants;
  std::vector<VkDescriptorSet> sets;
  std::vector<VkBufferView> views;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  std::unique_ptr<Sequence> sequence;
  std::mutex runMutex;
};

VulkanBackend::~VulkanBackend() {
  if (!device)
    return;
  VkDevice handle = device->getHandle();
  vkDeviceWaitIdle(handle);
  for (VkBufferView view : views)
    vkDestroyBufferView(handle, view, nullptr);
  if (pool)
    vkDestroyDescriptorPool(handle, pool, nullptr);
  sequence.reset();
  kernels.clear();
  inputBuffers.clear();
  outputBuffers.clear();
  weights.reset();
  arena.reset();
  status.reset();
  upload.reset();
  download.reset();
}

Status VulkanBackend::init(const attnc_rt_model_info &info,
                           const attnc_options &options) {
  std::string error;
  if (!parseProgram(attnc_vk_program, attnc_vk_program_size, program, error))
    return Status(ATTNC_ERROR_RUNTIME, error);
  bool consistent =
      program.inputs.size() == static_cast<size_t>(info.num_inputs) &&
      program.outputs.size() == static_cast<size_t>(info.num_outputs);
  for (size_t i = 0; consistent && i < program.inputs.size(); ++i)
    consistent = program.inputs[i].dtype == info.inputs[i].dtype;
  for (size_t i = 0; consistent && i < program.outputs.size(); ++i)
    consistent = program.outputs[i].dtype == info.outputs[i].dtype;
  if (!consistent)
    return Status(ATTNC_ERROR_RUNTIME, "the library's Vulkan program does "
                                       "not match its model description");
  DeviceOptions deviceOptions;
  if (options.device)
    deviceOptions.selector = options.device;
  deviceOptions.validation = options.enable_validation != 0;
  Status s;
  device = Device::create(deviceOptions, s);
  if (!device)
    return s;
  const VkPhysicalDeviceLimits &limits = device->getLimits();
  if (limits.minStorageBufferOffsetAlignment > kBufferAlignment ||
      limits.minTexelBufferOffsetAlignment > kBufferAlignment)
    return Status(ATTNC_ERROR_DEVICE,
                  "Vulkan: device '" + device->describe() +
                      "' needs buffer offsets aligned to more than " +
                      std::to_string(kBufferAlignment) + " bytes");
  if ((program.features & kFeature16BitStorage) &&
      !(device->hasHalfStorage() &&
        device->supportsTexelFormat(VK_FORMAT_R16_SFLOAT) &&
        device->supportsTexelFormat(VK_FORMAT_R16G16B16A16_SFLOAT)))
    return Status(ATTNC_ERROR_DEVICE,
                  "Vulkan: the model stores f16 tensors, but device '" +
                      device->describe() +
                      "' lacks 16-bit storage buffers or f16 texel buffers");
  for (auto step :
       {&VulkanBackend::createBuffers, &VulkanBackend::uploadWeights,
        &VulkanBackend::createKernels, &VulkanBackend::createDescriptors,
        &VulkanBackend::record})
    if (Status s = (this->*step)(); !s.ok())
      return s;
  return checkValidation("while creating the model");
}

Status VulkanBackend::createBuffers() {
  Status s;
  // Sizes round up to whole words: a descriptor covers at least 4 bytes.
  auto make = [&](VkDeviceSize bytes, MemoryPlacement placement) {
    return s.ok() ? Buffer::create(*device, (bytes + 3) / 4 * 4, placement, s)
                  : nullptr;
  };
  VkDeviceSize uploadBytes = 0, downloadBytes = 0;
  for (const ProgramTensor &t : program.inputs) {
    inputBuffers.push_back(make(t.deviceBytes(), MemoryPlacement::Device));
    uploadOffsets.push_back(uploadBytes);
    uploadBytes = alignUp(uploadBytes + t.deviceBytes());
  }
  for (const ProgramTensor &t : program.outputs) {
    outputBuffers.push_back(make(t.deviceBytes(), MemoryPlacement::Device));
    downloadOffsets.push_back(downloadBytes);
    downloadBytes = alignUp(downloadBytes + t.deviceBytes());
  }
  statusOffset = downloadBytes;
  downloadBytes += kStatusWords * 4;
  weights = make(program.weightBytes, MemoryPlacement::Device);
  arena = make(program.arenaBytes, MemoryPlacement::Device);
  status = make(kStatusWords * 4, MemoryPlacement::Device);
  upload = make(uploadBytes, MemoryPlacement::Host);
  download = make(downloadBytes, MemoryPlacement::Host);
  return s;
}

Status VulkanBackend::uploadWeights() {
  if (program.weightBytes == 0)
    return Status();
  Status s;
  std::unique_ptr<Buffer> staging =
      Buffer::create(*device, program.weightBytes, MemoryPlacement::Host, s);
  if (!staging)
    return s;
  std::memcpy(staging->getMapped(), program.weights, program.weightBytes);
  std::unique_ptr<Sequence> once = Sequence::create(*device, s);
  if (!once)
    return s;
  if (s = once->begin(); !s.ok())
    return s;
  once->copy(*staging, 0, *weights, 0, program.weightBytes);
  once->barrier(VK_PIPELINE_STAGE_TRANSFER_BIT, VK_ACCESS_TRANSFER_WRITE_BIT,
                VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                VK_ACCESS_SHADER_READ_BIT);
  if (s = once->end(); !s.ok())
    return s;
  return once->submitAndWait();
}

Status VulkanBackend::createKernels() {
  const VkPhysicalDeviceLimits &limits = device->getLimits();
  for (const ProgramDispatch &d : program.dispatches) {
    // The most specialised variant the device runs and has shared memory
    // for: cooperative matrices, then subgroups, then portable.
    auto preference = [&](const ProgramVariant &v) {
      if (v.sharedBytes > limits.maxComputeSharedMemorySize)
        return -1;
      switch (v.kind) {
      case VariantKind::Coopmat:
        return device->usesCoopmat() ? 3 : -1;
      case VariantKind::CoopmatEmulated:
        return device->emulatesCoopmat() ? 3 : -1;
      case VariantKind::Subgroup:
        return device->usesSubgroupVariants() ? 2 : -1;
      case VariantKind::Portable:
        return 1;
      }
      return -1;
    };
    const ProgramVariant *chosen = &d.variants.front();
    for (const ProgramVariant &v : d.variants)
      if (preference(v) > preference(*chosen))
        chosen = &v;
    const std::vector<std::pair<uint32_t, uint32_t>> &spec = chosen->spec;
    uint64_t shared = chosen->sharedBytes;
    if (shared > limits.maxComputeSharedMemorySize)
      return Status(ATTNC_ERROR_DEVICE,
                    "Vulkan: '" + d.label + "' needs " +
                        std::to_string(shared) +
                        " bytes of shared memory, the device has " +
                        std::to_string(limits.maxComputeSharedMemorySize));
    for (int i = 0; i < 3; ++i)
      if (chosen->groups[i] > limits.maxComputeWorkGroupCount[i])
        return Status(ATTNC_ERROR_DEVICE, "Vulkan: '" + d.label +
                                              "' needs more workgroups than "
                                              "the device allows");
    uint32_t storage = 0, texel = 0;
    for (const ProgramBinding &b : d.bindings)
      (b.kind == DescriptorKind::Storage ? storage : texel)++;
    // Uniform texel buffers count against the sampled-image limit.
    if (storage > limits.maxPerStageDescriptorStorageBuffers ||
        texel > limits.maxPerStageDescriptorSampledImages)
      return Status(ATTNC_ERROR_DEVICE,
                    "Vulkan: '" + d.label + "' binds " +
                        std::to_string(storage + texel) +
                        " buffers, more than the device allows per shader");
    for (const ProgramBinding &b : d.bindings) {
      uint64_t limit =
          b.kind == DescriptorKind::Storage
              ? limits.maxStorageBufferRange
              : uint64_t(limits.maxTexelBufferElements) * texelBytes(b.kind);
      if (b.bytes > limit)
        return Status(ATTNC_ERROR_DEVICE,
                      "Vulkan: a tensor of '" + d.label + "' has " +
                          std::to_string(b.bytes) +
                          " bytes, more than the device can bind (" +
                          std::to_string(limit) + ")");
    }
    auto key = std::make_pair(chosen->module, spec);
    auto it = kernels.find(key);
    if (it == kernels.end()) {
      const ProgramModule &module = program.modules[chosen->module];
      KernelDesc desc;
      desc.name = module.name;
      desc.spirv = &module.spirv;
      for (const ProgramBinding &b : d.bindings)
        desc.bindings.push_back(b.kind);
      desc.pushBytes = d.push.size();
      desc.spec = spec;
      Status s;
      std::unique_ptr<Kernel> kernel = Kernel::create(*device, desc, s);
      if (!kernel)
        return s;
      it = kernels.emplace(key, std::move(kernel)).first;
    }
    dispatchKernels.push_back(it->second.get());
    dispatchVariants.push_back(chosen);
  }
  return Status();
}

const Buffer &VulkanBackend::bufferOf(const ProgramBinding &b) const {
  switch (b.buffer) {
  case BufferKind::Input:
    return *inputBuffers[b.index];
  case BufferKind::Output:
    return *outputBuffers[b.index];
  case BufferKind::Weights:
    return *weights;
  case BufferKind::Arena:
    return *arena;
  case BufferKind::Status:
    break;
  }
  return *status;
}

Status VulkanBackend::createDescriptors() {
  uint32_t storage = 0, texel = 0;
  for (const ProgramDispatch &d : program.dispatches)
    for (const ProgramBinding &b : d.bindings)
      (b.kind == DescriptorKind::Storage ? storage : texel)++;
  for (const ProgramDispatch &d : program.dispatches)
    for (const ProgramBinding &b : d.bindings) {
      bool bad =
          b.index >= (b.buffer == BufferKind::Input    ? inputBuffers.size()
                      : b.buffer == BufferKind::Output ? outputBuffers.size()
                                                       : 1);
      if (bad ||
          b.offset + std::max<uint64_t>(b.bytes, 4) > bufferOf(b).getSize())
        return Status(ATTNC_ERROR_RUNTIME,
                      "the library's Vulkan program binds past a buffer in '" +
                          d.label + "'");
    }
  std::vector<VkDescriptorPoolSize> sizes;
  if (storage)
    sizes.push_back({VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, storage});
  if (texel)
    sizes.push_back({VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, texel});
  if (program.dispatches.empty())
    return Status();
  VkDevice handle = device->getHandle();
  VkDescriptorPoolCreateInfo poolInfo = {
      VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  poolInfo.maxSets = program.dispatches.size();
  poolInfo.poolSizeCount = sizes.size();
  poolInfo.pPoolSizes = sizes.data();
  if (Status s =
          checkResult(vkCreateDescriptorPool(handle, &poolInfo, nullptr, &pool),
                      "vkCreateDescriptorPool");
      !s.ok())
    return s;
  std::vector<VkDescriptorSetLayout> layouts;
  for (Kernel *k : dispatchKernels)
    layouts.push_back(k->getSetLayout());
  sets.resize(layouts.size());
  VkDescriptorSetAllocateInfo allocInfo = {
      VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  allocInfo.descriptorPool = pool;
  allocInfo.descriptorSetCount = layouts.size();
  allocInfo.pSetLayouts = layouts.data();
  if (Status s =
          checkResult(vkAllocateDescriptorSets(handle, &allocInfo, sets.data()),
                      "vkAllocateDescriptorSets");
      !s.ok())
    return s;

  for (size_t i = 0; i < program.dispatches.size(); ++i) {
    const ProgramDispatch &d = program.dispatches[i];
    std::vector<VkDescriptorBufferInfo> infos(d.bindings.size());
    std::vector<VkBufferView> setViews(d.bindings.size());
    std::vector<VkWriteDescriptorSet> writes;
    for (size_t j = 0; j < d.bindings.size(); ++j) {
      const ProgramBinding &b = d.bindings[j];
      const Buffer &buffer = bufferOf(b);
      VkDeviceSize range = std::max<VkDeviceSize>(b.bytes, 4);
      VkWriteDescriptorSet write = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
      write.dstSet = sets[i];
      write.dstBinding = j;
      write.descriptorCount = 1;
      write.descriptorType = descriptorType(b.kind);
      if (b.kind == DescriptorKind::Storage) {
        infos[j] = {buffer.getHandle(), b.offset, range};
        write.pBufferInfo = &infos[j];
      } else {
        VkDeviceSize texel = texelBytes(b.kind);
        VkBufferViewCreateInfo viewInfo = {
            VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
        viewInfo.buffer = buffer.getHandle();
        viewInfo.format = texelFormat(b.kind);
        viewInfo.offset = b.offset;
        viewInfo.range = std::max(range / texel, VkDeviceSize(1)) * texel;
        if (viewInfo.offset + viewInfo.range > buffer.getSize())
          viewInfo.range = VK_WHOLE_SIZE;
        if (Status s = checkResult(
                vkCreateBufferView(handle, &viewInfo, nullptr, &setViews[j]),
                "vkCreateBufferView");
            !s.ok())
          return s;
        views.push_back(setViews[j]);
        write.pTexelBufferView = &setViews[j];
      }
      writes.push_back(write);
    }
    vkUpdateDescriptorSets(handle, writes.size(), writes.data(), 0, nullptr);
  }
  return Status();
}

Status VulkanBackend::record() {
  Status s;
  sequence = Sequence::create(*device, s);
  if (!sequence)
    return s;
  if (s = sequence->begin(); !s.ok())
    return s;
  sequence->fill(*status, 0);
  for (size_t i = 0; i < inputBuffers.size(); ++i)
    sequence->copy(*upload, uploadOffsets[i], *inputBuffers[i], 0,
                   program.inputs[i].deviceBytes());
  const VkAccessFlags shaderAccess =
      VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT;
  sequence->barrier(VK_PIPELINE_STAGE_TRANSFER_BIT,
                    VK_ACCESS_TRANSFER_WRITE_BIT,
                    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, shaderAccess);
  sequence->timestamp(0);
  bool first = true;
  for (size_t i = 0; i < program.dispatches.size(); ++i) {
    const std::array<uint32_t, 3> &groups = dispatchVariants[i]->groups;
    if (!groups[0] || !groups[1] || !groups[2])
      continue;
    // Each kernel reads what earlier ones wrote and may overwrite arena
    // slots they read.
    if (!first)
      sequence->barrier(VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, shaderAccess,
                        VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, shaderAccess);
    first = false;
    sequence->dispatch(*dispatchKernels[i], sets[i],
                       program.dispatches[i].push.data(), groups);
  }
  sequence->timestamp(1);
  sequence->barrier(VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT, shaderAccess,
                    VK_PIPELINE_STAGE_TRANSFER_BIT,
                    VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT);
  for (size_t i = 0; i < outputBuffers.size(); ++i)
    sequence->copy(*outputBuffers[i], 0, *download, downloadOffsets[i],
                   program.outputs[i].deviceBytes());
  sequence->copy(*status, 0, *download, statusOffset, kStatusWords * 4);
  sequence->barrier(VK_PIPELINE_STAGE_TRANSFER_BIT,
                    VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
                    VK_ACCESS_HOST_READ_BIT);
  return sequence->end();
}

Status VulkanBackend::checkValidation(const char *when) {
  std::vector<std::string> messages = device->takeValidationMessages();
  if (messages.empty())
    return Status();
  std::string text = std::string("Vulkan validation reported ") +
                     std::to_string(messages.size()) + " message(s) " + when;
  for (const std::string &m : messages)
    text += "\n  " + m;
  return Status(ATTNC_ERROR_RUNTIME, text);
}

attnc_status VulkanBackend::run(const void *const *inputs, void *const *outputs,
                                std::string &error) {
  std::lock_guard<std::mutex> lock(runMutex);
  auto *staging = static_cast<uint8_t *>(upload->getMapped());
  for (size_t i = 0; i < program.inputs.size(); ++i)
    toDeviceWords(program.inputs[i].dtype, inputs[i],
                  program.inputs[i].elements, staging + uploadOffsets[i]);
  Status s = sequence->submitAndWait();
  if (s.ok())
    s = checkValidation("while running the model");
  if (!s.ok()) {
    error = s.getMessage();
    return s.getCode();
  }
  const auto *results = static_cast<const uint8_t *>(download->getMapped());
  uint32_t words[kStatusWords];
  std::memcpy(words, results + statusOffset, sizeof(words));
  if (words[kStatusCode] != kStatusOk) {
    uint32_t dispatch = words[kStatusDispatch];
    std::string label = dispatch < program.dispatches.size()
                            ? program.dispatches[dispatch].label
                            : "a kernel";
    int32_t value;
    std::memcpy(&value, &words[kStatusValue], 4);
    int64_t limit = words[kStatusLimit];
    if (words[kStatusCode] == kStatusIndexOutOfRange)
      error = label + ": index " + std::to_string(value) +
              " is out of range [" + std::to_string(-limit) + ", " +
              std::to_string(limit) + ")";
    else
      error = label + ": kernel error " + std::to_string(words[kStatusCode]);
    return ATTNC_ERROR_RUNTIME;
  }
  for (size_t i = 0; i < program.outputs.size(); ++i)
    fromDeviceWords(program.outputs[i].dtype, results + downloadOffsets[i],
                    program.outputs[i].elements, outputs[i]);
  return ATTNC_OK;
}

} // namespace

std::unique_ptr<rt::Backend> rt::createBackend(const attnc_rt_model_info &info,
                                               const attnc_options &options,
                                               attnc_status &status,
                                               std::string &error) {
  auto backend = std::make_unique<VulkanBackend>();
  Status s = backend->init(info, options);
  if (!s.ok()) {
    status = s.getCode();
    error = s.getMessage();
    return nullptr;
  }
  status = ATTNC_OK;
  return backend;
}
