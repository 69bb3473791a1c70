//===- Sequence.h - a recorded command buffer and its submission -*- C++ -*-//
//
// One primary command buffer, recorded once (copies, fills, dispatches and
// the barriers between them, two GPU timestamps) and submitted for every run:
// submitAndWait waits on a fence and reads the device time between the
// timestamps.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_VULKAN_SEQUENCE_H
#define ATTNC_RUNTIME_VULKAN_SEQUENCE_H

#include "runtime/vulkan/Buffer.h"
#include "runtime/vulkan/Kernel.h"

#include <array>

namespace attnc::vk {

class Sequence {
public:
  /// Creates the command buffer (and a timestamp query pool when the queue
  /// has timestamps), or returns null with `status` set.
  static std::unique_ptr<Sequence> create(Device &device, Status &status);
  ~Sequence();
  Sequence(const Sequence &) = delete;
  Sequence &operator=(const Sequence &) = delete;

  /// Starts recording (resets the timestamps).
  Status begin();
  /// Copies `bytes` from `src` at `srcOffset` to `dst` at `dstOffset`.
  void copy(const Buffer &src, VkDeviceSize srcOffset, const Buffer &dst,
            VkDeviceSize dstOffset, VkDeviceSize bytes);
  /// Fills all of `buffer` with the word `value`.
  void fill(const Buffer &buffer, uint32_t value);
  /// Makes the writes of stages `from` (accesses `fromAccess`) visible to
  /// stages `to` (accesses `toAccess`): a global memory barrier.
  void barrier(VkPipelineStageFlags from, VkAccessFlags fromAccess,
               VkPipelineStageFlags to, VkAccessFlags toAccess);
  /// Writes timestamp 0 (start) or 1 (end) when the queue has timestamps.
  void timestamp(uint32_t index);
  /// Binds `kernel` with `set` and `push` and dispatches `groups`.
  void dispatch(const Kernel &kernel, VkDescriptorSet set, const void *push,
                const std::array<uint32_t, 3> &groups);
  /// Ends recording.
  Status end();

  /// Submits the recorded commands and waits for them.
  Status submitAndWait();
  /// Device milliseconds between the timestamps of the last submission, or
  /// negative without timestamps.
  double getLastMs() const { return lastMs; }

private:
  explicit Sequence(Device &device) : device(device) {}

  Device &device;
  VkCommandPool pool = VK_NULL_HANDLE;
  VkCommandBuffer commands = VK_NULL_HANDLE;
  VkFence fence = VK_NULL_HANDLE;
  VkQueryPool queries = VK_NULL_HANDLE;
  double lastMs = -1.0;
};

} // namespace attnc::vk

#endif // ATTNC_RUNTIME_VULKAN_SEQUENCE_H
