//===- SequenceTest.cpp - kernels, recorded commands and timestamps -------===//
//
// A small kernel (y = x * 2 + add, with a specialisation constant) run
// through Kernel and Sequence the way the model backend runs every
// dispatch: staging copies, barriers, timestamps, one submission per run.
//
//===----------------------------------------------------------------------===//

#include "runtime/vulkan/Sequence.h"
#include "runtime/vulkan/Buffer.h"
#include "runtime/vulkan/Kernel.h"
#include "tests/unit/vulkan/VulkanTestUtils.h"

#include <cstring>

using namespace attnc::vk;

namespace {

const char *kShader = R"(#version 450
layout(local_size_x = 64) in;
layout(constant_id = 0) const float SCALE = 1.0;
layout(std430, set = 0, binding = 0) buffer Out { float d[]; } outBuf;
layout(set = 0, binding = 1) uniform samplerBuffer inTex;
layout(push_constant) uniform Params { uint n; float add; } pc;
void main() {
  uint i = gl_GlobalInvocationID.x;
  if (i < pc.n)
    outBuf.d[i] = texelFetch(inTex, int(i)).x * SCALE + pc.add;
}
)";

struct Fixture {
  std::unique_ptr<Device> device;
  std::vector<uint32_t> spirv;
  std::unique_ptr<Kernel> kernel;
  std::unique_ptr<Buffer> input, output, staging;
  VkDescriptorPool pool = VK_NULL_HANDLE;
  VkDescriptorSet set = VK_NULL_HANDLE;
  VkBufferView view = VK_NULL_HANDLE;

  ~Fixture() {
    if (!device)
      return;
    if (view)
      vkDestroyBufferView(device->getHandle(), view, nullptr);
    if (pool)
      vkDestroyDescriptorPool(device->getHandle(), pool, nullptr);
  }
};

constexpr uint32_t kCount = 1000;

/// Builds the kernel, buffers and descriptor set; false on a failure.
bool setUp(Fixture &f) {
  f.spirv = test::compileTestShader(kShader);
  if (f.spirv.empty())
    return false;
  KernelDesc desc;
  desc.name = "scale_add";
  desc.spirv = &f.spirv;
  desc.bindings = {DescriptorKind::Storage, DescriptorKind::TexelFloat};
  desc.pushBytes = 8;
  float two = 2.0f;
  uint32_t bits;
  std::memcpy(&bits, &two, 4);
  desc.spec = {{0, bits}};
  Status status;
  f.kernel = Kernel::create(*f.device, desc, status);
  EXPECT_TRUE(f.kernel) << status.getMessage();
  f.input =
      Buffer::create(*f.device, kCount * 4, MemoryPlacement::Device, status);
  f.output =
      Buffer::create(*f.device, kCount * 4, MemoryPlacement::Device, status);
  f.staging =
      Buffer::create(*f.device, 2 * kCount * 4, MemoryPlacement::Host, status);
  if (!f.kernel || !f.input || !f.output || !f.staging)
    return false;
  VkDevice handle = f.device->getHandle();
  VkDescriptorPoolSize sizes[] = {{VK_DESCRIPTOR_TYPE_STORAGE_BUFFER, 1},
                                  {VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER, 1}};
  VkDescriptorPoolCreateInfo poolInfo = {
      VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO};
  poolInfo.maxSets = 1;
  poolInfo.poolSizeCount = 2;
  poolInfo.pPoolSizes = sizes;
  EXPECT_EQ(vkCreateDescriptorPool(handle, &poolInfo, nullptr, &f.pool),
            VK_SUCCESS);
  VkDescriptorSetLayout layout = f.kernel->getSetLayout();
  VkDescriptorSetAllocateInfo alloc = {
      VK_STRUCTURE_TYPE_DESCRIPTOR_SET_ALLOCATE_INFO};
  alloc.descriptorPool = f.pool;
  alloc.descriptorSetCount = 1;
  alloc.pSetLayouts = &layout;
  EXPECT_EQ(vkAllocateDescriptorSets(handle, &alloc, &f.set), VK_SUCCESS);
  VkBufferViewCreateInfo viewInfo = {VK_STRUCTURE_TYPE_BUFFER_VIEW_CREATE_INFO};
  viewInfo.buffer = f.input->getHandle();
  viewInfo.format = VK_FORMAT_R32_SFLOAT;
  viewInfo.range = kCount * 4;
  EXPECT_EQ(vkCreateBufferView(handle, &viewInfo, nullptr, &f.view),
            VK_SUCCESS);
  VkDescriptorBufferInfo out = {f.output->getHandle(), 0, kCount * 4};
  VkWriteDescriptorSet writes[2] = {{VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET},
                                    {VK_STRUCTURE_TYPE_WRITE_DESCRIPTOR_SET}};
  writes[0].dstSet = writes[1].dstSet = f.set;
  writes[0].dstBinding = 0;
  writes[0].descriptorCount = 1;
  writes[0].descriptorType = VK_DESCRIPTOR_TYPE_STORAGE_BUFFER;
  writes[0].pBufferInfo = &out;
  writes[1].dstBinding = 1;
  writes[1].descriptorCount = 1;
  writes[1].descriptorType = VK_DESCRIPTOR_TYPE_UNIFORM_TEXEL_BUFFER;
  writes[1].pTexelBufferView = &f.view;
  vkUpdateDescriptorSets(handle, 2, writes, 0, nullptr);
  return true;
}

TEST(KernelTest, BuildsAPipelineWithItsLayout) {
  Fixture f;
  std::string why;
  f.device = test::openTestDevice(why);
  if (!f.device)
    GTEST_SKIP() << why;
  ASSERT_TRUE(setUp(f));
  EXPECT_NE(f.kernel->getPipeline(), VK_NULL_HANDLE);
  EXPECT_NE(f.kernel->getLayout(), VK_NULL_HANDLE);
  EXPECT_EQ(f.kernel->getBindings().size(), 2u);
  EXPECT_EQ(f.kernel->getPushBytes(), 8u);
  test::expectNoValidationMessages(*f.device);
}

TEST(SequenceTest, RunsCopiesAndADispatchWithTimestamps) {
  Fixture f;
  std::string why;
  f.device = test::openTestDevice(why);
  if (!f.device)
    GTEST_SKIP() << why;
  ASSERT_TRUE(setUp(f));
  Status status;
  std::unique_ptr<Sequence> sequence = Sequence::create(*f.device, status);
  ASSERT_TRUE(sequence) << status.getMessage();
  ASSERT_TRUE(sequence->begin().ok());
  sequence->fill(*f.output, 0);
  sequence->copy(*f.staging, 0, *f.input, 0, kCount * 4);
  sequence->barrier(VK_PIPELINE_STAGE_TRANSFER_BIT,
                    VK_ACCESS_TRANSFER_WRITE_BIT,
                    VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                    VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT);
  sequence->timestamp(0);
  struct {
    uint32_t n;
    float add;
  } push = {kCount, 0.5f};
  sequence->dispatch(*f.kernel, f.set, &push, {(kCount + 63) / 64, 1, 1});
  sequence->timestamp(1);
  sequence->barrier(VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT,
                    VK_ACCESS_SHADER_WRITE_BIT, VK_PIPELINE_STAGE_TRANSFER_BIT,
                    VK_ACCESS_TRANSFER_READ_BIT);
  sequence->copy(*f.output, 0, *f.staging, kCount * 4, kCount * 4);
  sequence->barrier(VK_PIPELINE_STAGE_TRANSFER_BIT,
                    VK_ACCESS_TRANSFER_WRITE_BIT, VK_PIPELINE_STAGE_HOST_BIT,
                    VK_ACCESS_HOST_READ_BIT);
  ASSERT_TRUE(sequence->end().ok());

  auto *data = static_cast<float *>(f.staging->getMapped());
  // The recorded commands run again for every submission.
  for (int run = 0; run < 2; ++run) {
    for (uint32_t i = 0; i < kCount; ++i)
      data[i] = float(i) + run;
    Status s = sequence->submitAndWait();
    ASSERT_TRUE(s.ok()) << s.getMessage();
    for (uint32_t i = 0; i < kCount; ++i)
      ASSERT_EQ(data[kCount + i], (float(i) + run) * 2.0f + 0.5f) << i;
    if (f.device->getTimestampPeriod() > 0) {
      EXPECT_GE(sequence->getLastMs(), 0.0);
    }
  }
  test::expectNoValidationMessages(*f.device);
}

} // namespace
