// naive_attention.cpp - times attention_naive.comp on a Vulkan device.
//
// Usage: naive_attention SPV B H S D CAUSAL(0|1) REPS
// Prints "median_ms <ms> maxerr <e>": the median GPU-timestamp time of one
// dispatch over REPS runs after 2 warm-ups (the same clock `attnc bench`
// reports), and the largest error of 4 checked rows against an fp64
// reference. The device is the first one, or the one whose name contains
// $ATTNC_VK_DEVICE.
#include <vulkan/vulkan.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#define CHECK(call)                                                            \
  do {                                                                         \
    VkResult r_ = (call);                                                      \
    if (r_ != VK_SUCCESS) {                                                    \
      std::fprintf(stderr, "%s failed: %d\n", #call, r_);                      \
      std::exit(1);                                                            \
    }                                                                          \
  } while (0)

struct Buffer {
  VkBuffer buffer;
  VkDeviceMemory memory;
  void *data;
};

int main(int argc, char **argv) {
  if (argc != 8) {
    std::fprintf(stderr, "usage: %s SPV B H S D CAUSAL REPS\n", argv[0]);
    return 2;
  }
  std::ifstream file(argv[1], std::ios::binary);
  std::vector<char> code((std::istreambuf_iterator<char>(file)),
                         std::istreambuf_iterator<char>());
  uint32_t B = std::atoi(argv[2]), H = std::atoi(argv[3]),
           S = std::atoi(argv[4]), D = std::atoi(argv[5]);
  uint32_t causal = std::atoi(argv[6]), reps = std::atoi(argv[7]);
  if (code.empty() || D % 4 || !reps) {
    std::fprintf(stderr, "bad arguments\n");
    return 2;
  }

  VkApplicationInfo app = {VK_STRUCTURE_TYPE_APPLICATION_INFO};
  app.apiVersion = VK_API_VERSION_1_1;
  VkInstanceCreateInfo instanceInfo = {VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
  instanceInfo.pApplicationInfo = &app;
  VkInstance instance;
  CHECK(vkCreateInstance(&instanceInfo, nullptr, &instance));
  uint32_t count = 0;
  vkEnumeratePhysicalDevices(instance, &count, nullptr);
  std::vector<VkPhysicalDevice> devices(count);
  vkEnumeratePhysicalDevices(instance, &count, devices.data());
  VkPhysicalDevice physical = VK_NULL_HANDLE;
  VkPhysicalDeviceProperties props;
  const char *wanted = std::getenv("ATTNC_VK_DEVICE");
  for (VkPhysicalDevice d : devices) {
    vkGetPhysicalDeviceProperties(d, &props);
    if (!wanted || std::strstr(props.deviceName, wanted)) {
      physical = d;
      break;
    }
  }
  if (!physical) {
    std::fprintf(stderr, "no Vulkan device\n");
    return 1;
  }
  uint32_t familyCount = 0;
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &familyCount, nullptr);
  std::vector<VkQueueFamilyProperties> families(familyCount);
  vkGetPhysicalDeviceQueueFamilyProperties(physical, &familyCount,
                                           families.data());
  uint32_t family = 0;
  while (!(families[family].queueFlags & VK_QUEUE_COMPUTE_BIT))
    ++family;
  float priority = 1;
  VkDeviceQueueCreateInfo queueInfo = {
      VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO};
  queueInfo.queueFamilyIndex = family;
  queueInfo.queueCount = 1;
  queueInfo.pQueuePriorities = &priority;
  VkDeviceCreateInfo deviceInfo = {VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO};
  deviceInfo.queueCreateInfoCount = 1;
  deviceInfo.pQueueCreateInfos = &queueInfo;
  VkDevice device;
  CHECK(vkCreateDevice(physical, &deviceInfo, nullptr, &device));
  VkQueue queue;
  vkGetDeviceQueue(device, family, 0, &queue);
  VkPhysicalDeviceMemoryProperties memory;
  vkGetPhysicalDeviceMemoryProperties(physical, &memory);

  // Host-visible buffers: on a CPU device all memory is host memory, and
  // only the dispatch is timed anyway.
  auto makeBuffer = [&](VkDeviceSize size) {
    Buffer b;
    VkBufferCreateInfo info = {VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = size;
    info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT;
    CHECK(vkCreateBuffer(device, &info, nullptr, &b.buffer));
    VkMemoryRequirements req;
    vkGetBufferMemoryRequirements(device, b.buffer, &req);
    const VkMemoryPropertyFlags want = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT |
                                       VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
    uint32_t type = 0;
    while (!((req.memoryTypeBits >> type) & 1) ||
           (memory.memoryTypes[type].propertyFlags & want) != want)
      ++type;
    VkMemoryAllocateInfo alloc = {VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO};
    alloc.allocationSize = req.size;
    alloc.memoryTypeIndex = type;
    CHECK(vkAllocateMemory(device, &alloc, nullptr, &b.memory));
    CHECK(vkBindBufferMemory(device, b.buffer, b.memory, 0));
    CHECK(vkMapMemory(device, b.memory, 0, size, 0, &b.data));
    return b;
  };
  size_t n = size_t(B) * H * S * D;
  Buffer buffers[4] = {makeBuffer(n * 4), makeBuffer(n * 4), makeBuffer(n * 4),
                       makeBuffer(n * 4)};
  uint32_t seed = 1;
  for (int b = 0; b < 3; ++b) {
    float *f = static_cast<float *>(buffers[b].data);
    for (size_t i = 0; i < n; ++i) {
      seed = seed * 1664525u + 1013904223u;
      f[i] = ((seed >> 8) * (1.0f / 16777216.0f) - 0.5f) * 2.0f;
    }
  }

  VkShaderModuleCreateInfo moduleInfo = {
      VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
  moduleInfo.codeSize = code.size();
  moduleInfo.pCode = reinterpret_cast<const uint32_t *>(code.data());
  VkShaderModule module;
  CHECK(vkCreateShaderModule(device, &moduleInfo, nullptr, &module));
  VkDescriptorSetLayoutBinding bindings[4];
  for (uint32_t i = 0; i < 4; ++i)
    bindings[i] = {i, VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1,
                   VK_SHADER_STAGE_COMPUTE_BIT, nullptr};
  VkDescriptorSetLayoutCreateInfo setInfo = {
      VK_STRUCTURE_TYPE_DESCRIPTOR_SET_LAYOUT_CREATE_INFO};
  setInfo.bindingCount = 4;
  setInfo.pBindings = bindings;
  VkDescriptorSetLayout setLayout;
  CHECK(vkCreateDescriptorSetLayout(device, &setInfo, nullptr, &setLayout));
  struct Push {
    uint32_t rows, s, causal;
    float scale;
  } push = {B * H * S, S, causal, 1.0f / std::sqrt(float(D))};
  VkPushConstantRange range = {VK_SHADER_STAGE_COMPUTE_BIT, 0, sizeof(Push)};
  VkPipelineLayoutCreateInfo layoutInfo = {
      VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
  layoutInfo.setLayoutCount = 1;
  layoutInfo.pSetLayouts = &setLayout;
  layoutInfo.pushConstantRangeCount = 1;
  layoutInfo.pPushConstantRanges = &range;
  VkPipelineLayout layout;
  CHECK(vkCreatePipelineLayout(device, &layoutInfo, nullptr, &layout));
  uint32_t d4 = D / 4;
  VkSpecializationMapEntry entry = {0, 0, 4};
  VkSpecializationInfo spec = {1, &entry, 4, &d4};
  VkComputePipelineCreateInfo pipelineInfo = {
      VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
  pipelineInfo.stage = {VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO,
                        nullptr,
                        0,
                        VK_SHADER_STAGE_COMPUTE_BIT,
                        module,
                        "main",
                        &spec};
  pipelineInfo.layout = layout;
  VkPipeline pipeline;
  CHECK(vkCreateComputePipelines(device, VK_NULL_HANDLE, 1, &pipelineInfo,
                                 nullptr, &pipeline));
  VkDescriptorPoolSize poolSize = {VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 4};
  VkDescriptorPoolCreateInfo poolInfo = {
      VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  poolInfo.maxSets = 1;
  poolInfo.poolSizeCount = 1;
  poolInfo.pPoolSizes = &poolSize;
  VkDescriptorPool pool;
  CHECK(vkCreateDescriptorPool(device, &poolInfo, nullptr, &pool));
  VkDescriptorSetAllocateInfo setAlloc = {
      VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  setAlloc.descriptorPool = pool;
  setAlloc.descriptorSetCount = 1;
  setAlloc.pSetLayouts = &setLayout;
  VkDescriptorSet set;
  CHECK(vkAllocateDescriptorSets(device, &setAlloc, &set));
  VkDescriptorBufferInfo infos[4];
  VkWriteDescriptorSet writes[4];
  for (int i = 0; i < 4; ++i) {
    infos[i] = {buffers[i].buffer, 0, VK_WHOLE_SIZE};
    writes[i] = {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET};
    writes[i].dstSet = set;
    writes[i].dstBinding = i;
    writes[i].descriptorCount = 1;
    writes[i].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
    writes[i].pBufferInfo = &infos[i];
  }
  vkUpdateDescriptorSets(device, 4, writes, 0, nullptr);

  VkQueryPoolCreateInfo queryInfo = {VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
  queryInfo.queryType = VK_QUERY_TYPE_TIMESTAMP;
  queryInfo.queryCount = 2;
  VkQueryPool queries;
  CHECK(vkCreateQueryPool(device, &queryInfo, nullptr, &queries));
  VkCommandPoolCreateInfo commandPoolInfo = {
      VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
  commandPoolInfo.queueFamilyIndex = family;
  VkCommandPool commandPool;
  CHECK(vkCreateCommandPool(device, &commandPoolInfo, nullptr, &commandPool));
  VkCommandBufferAllocateInfo commandInfo = {
      VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
  commandInfo.commandPool = commandPool;
  commandInfo.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
  commandInfo.commandBufferCount = 1;
  VkCommandBuffer commands;
  CHECK(vkAllocateCommandBuffers(device, &commandInfo, &commands));
  VkCommandBufferBeginInfo begin = {
      VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
  CHECK(vkBeginCommandBuffer(commands, &begin));
  vkCmdResetQueryPool(commands, queries, 0, 2);
  vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_TOP_OF_PIPE_BIT, queries, 0);
  vkCmdBindPipeline(commands, VK_PIPELINE_BIND_POINT_COMPUTE, pipeline);
  vkCmdBindDescriptorSets(commands, VK_PIPELINE_BIND_POINT_COMPUTE, layout, 0,
                          1, &set, 0, nullptr);
  vkCmdPushConstants(commands, layout, VK_SHADER_STAGE_COMPUTE_BIT, 0,
                     sizeof(push), &push);
  vkCmdDispatch(commands, (push.rows + 63) / 64, 1, 1);
  vkCmdWriteTimestamp(commands, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, queries,
                      1);
  CHECK(vkEndCommandBuffer(commands));
  VkFenceCreateInfo fenceInfo = {VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
  VkFence fence;
  CHECK(vkCreateFence(device, &fenceInfo, nullptr, &fence));

  std::vector<double> times;
  for (uint32_t rep = 0; rep < reps + 2; ++rep) {
    VkSubmitInfo submit = {VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &commands;
    CHECK(vkQueueSubmit(queue, 1, &submit, fence));
    CHECK(vkWaitForFences(device, 1, &fence, VK_TRUE, UINT64_MAX));
    CHECK(vkResetFences(device, 1, &fence));
    uint64_t ticks[2];
    CHECK(vkGetQueryPoolResults(device, queries, 0, 2, sizeof(ticks), ticks, 8,
                                VK_QUERY_RESULT_64_BIT |
                                    VK_QUERY_RESULT_WAIT_BIT));
    if (rep >= 2)
      times.push_back((ticks[1] - ticks[0]) * props.limits.timestampPeriod *
                      1e-6);
  }
  std::sort(times.begin(), times.end());

  // fp64 check of the first and last row of the first and last head.
  const float *q = static_cast<float *>(buffers[0].data),
              *k = static_cast<float *>(buffers[1].data),
              *v = static_cast<float *>(buffers[2].data),
              *o = static_cast<float *>(buffers[3].data);
  double maxErr = 0;
  for (uint32_t head : {0u, B * H - 1})
    for (uint32_t i : {0u, S - 1}) {
      size_t row = size_t(head) * S + i;
      uint32_t keys = causal ? i + 1 : S;
      std::vector<double> s(keys), acc(D, 0.0);
      double m = -INFINITY, sum = 0;
      for (uint32_t j = 0; j < keys; ++j) {
        double dot = 0;
        for (uint32_t d = 0; d < D; ++d)
          dot += double(q[row * D + d]) * k[(size_t(head) * S + j) * D + d];
        s[j] = dot / std::sqrt(double(D));
        m = std::max(m, s[j]);
      }
      for (uint32_t j = 0; j < keys; ++j) {
        double p = std::exp(s[j] - m);
        sum += p;
        for (uint32_t d = 0; d < D; ++d)
          acc[d] += p * v[(size_t(head) * S + j) * D + d];
      }
      for (uint32_t d = 0; d < D; ++d)
        maxErr = std::max(maxErr, std::fabs(acc[d] / sum - o[row * D + d]));
    }
  std::printf("median_ms %.3f maxerr %.1e\n", times[times.size() / 2], maxErr);
  return 0;
}
