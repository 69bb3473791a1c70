//===- Sequence.cpp - a recorded command buffer and its submission --------===//

#include "runtime/vulkan/Sequence.h"

using namespace attnc::vk;

std::unique_ptr<Sequence> Sequence::create(Device &device, Status &status) {
  std::unique_ptr<Sequence> s(new Sequence(device));
  VkDevice handle = device.getHandle();
  VkCommandPoolCreateInfo poolInfo = {
      VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  poolInfo.queueFamilyIndex = device.getQueueFamily();
  status =
      checkResult(vkCreateCommandPool(handle, &poolInfo, nullptr, &s->pool),
                  "vkCreateCommandPool");
  if (!status.ok())
    return nullptr;
  VkCommandBufferAllocateInfo allocInfo = {
      VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  allocInfo.commandPool = s->pool;
  allocInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  allocInfo.commandBufferCount = 1;
  status =
      checkResult(vkAllocateCommandBuffers(handle, &allocInfo, &s->commands),
                  "vkAllocateCommandBuffers");
  if (!status.ok())
    return nullptr;
  VkFenceCreateInfo fenceInfo = {VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  status = checkResult(vkCreateFence(handle, &fenceInfo, nullptr, &s->fence),
                       "vkCreateFence");
  if (!status.ok())
    return nullptr;
  if (device.getTimestampPeriod() > 0) {
    VkQueryPoolCreateInfo queryInfo = {
        VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    queryInfo.queryType = VK_QUERY_TYPE_TIMESTAMP;
    queryInfo.queryCount = 2;
    status =
        checkResult(vkCreateQueryPool(handle, &queryInfo, nullptr, &s->queries),
                    "vkCreateQueryPool");
    if (!status.ok())
      return nullptr;
  }
  return s;
}

Sequence::~Sequence() {
  VkDevice handle = device.getHandle();
  if (queries)
    vkDestroyQueryPool(handle, queries, nullptr);
  if (fence)
    vkDestroyFence(handle, fence, nullptr);
  if (pool)
    vkDestroyCommandPool(handle, pool, nullptr);
}

Status Sequence::begin() {
  VkCommandBufferBeginInfo info = {VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  if (Status s = checkResult(vkBeginCommandBuffer(commands, &info),
                             "vkBeginCommandBuffer");
      !s.ok())
    return s;
  if (queries)
    vkCmdResetQueryPool(commands, queries, 0, 2);
  return Status();
}

void Sequence::copy(const Buffer &src, VkDeviceSize srcOffset,
                    const Buffer &dst, VkDeviceSize dstOffset,
                    VkDeviceSize bytes) {
  if (bytes == 0)
    return;
  VkBufferCopy region = {srcOffset, dstOffset, bytes};
  vkCmdCopyBuffer(commands, src.getHandle(), dst.getHandle(), 1, &region);
}

void Sequence::fill(const Buffer &buffer, uint32_t value) {
  vkCmdFillBuffer(commands, buffer.getHandle(), 0, VK_WHOLE_SIZE, value);
}

void Sequence::barrier(VkPipelineStageFlags from, VkAccessFlags fromAccess,
                       VkPipelineStageFlags to, VkAccessFlags toAccess) {
  VkMemoryBarrier barrier = {VK_STRUCTURE_TYPE_MEMORY_BARRIER};
  barrier.srcAccessMask = fromAccess;
  barrier.dstAccessMask = toAccess;
  vkCmdPipelineBarrier(commands, from, to, 0, 1, &barrier, 0, nullptr, 0,
                       nullptr);
}

void Sequence::timestamp(uint32_t index) {
  if (queries)
    vkCmdWriteTimestamp(commands,
                        index == 0 ? VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT
                                   : VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT,
                        queries, index);
}

void Sequence::dispatch(const Kernel &kernel, VkDescriptorSet set,
                        const void *push,
                        const std::array<uint32_t, 3> &groups) {
  vkCmdBindPipeline(commands, VK_PIPELINE_BIND_POINT_COMPUTE,
                    kernel.getPipeline());
  vkCmdBindDescriptorSets(commands, VK_PIPELINE_BIND_POINT_COMPUTE,
                          kernel.getLayout(), 0, 1, &set, 0, nullptr);
  if (kernel.getPushBytes())
    vkCmdPushConstants(commands, kernel.getLayout(),
                       VK_SHADER_STAGE_COMPUTE_BIT, 0, kernel.getPushBytes(),
                       push);
  vkCmdDispatch(commands, groups[0], groups[1], groups[2]);
}

Status Sequence::end() {
  return checkResult(vkEndCommandBuffer(commands), "vkEndCommandBuffer");
}

Status Sequence::submitAndWait() {
  VkDevice handle = device.getHandle();
  VkSubmitInfo info = {VK_STRUCTURE_TYPE_SUBMIT_INFO};
  info.commandBufferCount = 1;
  info.pCommandBuffers = &commands;
  if (Status s = checkResult(vkQueueSubmit(device.getQueue(), 1, &info, fence),
                             "vkQueueSubmit");
      !s.ok())
    return s;
  if (Status s =
          checkResult(vkWaitForFences(handle, 1, &fence, VK_TRUE, UINT64_MAX),
                      "vkWaitForFences");
      !s.ok())
    return s;
  if (Status s = checkResult(vkResetFences(handle, 1, &fence), "vkResetFences");
      !s.ok())
    return s;
  lastMs = -1.0;
  if (queries) {
    uint64_t ticks[2] = {0, 0};
    VkResult result =
        vkGetQueryPoolResults(handle, queries, 0, 2, sizeof(ticks), ticks,
                              sizeof(uint64_t), VK_QUERY_RESULT_64_BIT);
    if (result == VK_SUCCESS && ticks[1] >= ticks[0])
      lastMs = (ticks[1] - ticks[0]) * device.getTimestampPeriod() * 1e-6;
    else if (result != VK_NOT_READY)
      return checkResult(result, "vkGetQueryPoolResults");
  }
  return Status();
}
