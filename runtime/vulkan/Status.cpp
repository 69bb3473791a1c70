//===- Status.cpp - errors of the Vulkan runtime --------------------------===//

#include "runtime/vulkan/Status.h"

using namespace attnc::vk;

const char *attnc::vk::resultName(VkResult result) {
  switch (result) {
#define NAME(r)                                                                \
  case r:                                                                      \
    return #r;
    NAME(VK_SUCCESS)
    NAME(VK_NOT_READY)
    NAME(VK_TIMEOUT)
    NAME(VK_INCOMPLETE)
    NAME(VK_ERROR_OUT_OF_HOST_MEMORY)
    NAME(VK_ERROR_OUT_OF_DEVICE_MEMORY)
    NAME(VK_ERROR_INITIALIZATION_FAILED)
    NAME(VK_ERROR_DEVICE_LOST)
    NAME(VK_ERROR_MEMORY_MAP_FAILED)
    NAME(VK_ERROR_LAYER_NOT_PRESENT)
    NAME(VK_ERROR_EXTENSION_NOT_PRESENT)
    NAME(VK_ERROR_FEATURE_NOT_PRESENT)
    NAME(VK_ERROR_INCOMPATIBLE_DRIVER)
    NAME(VK_ERROR_TOO_MANY_OBJECTS)
    NAME(VK_ERROR_FORMAT_NOT_SUPPORTED)
    NAME(VK_ERROR_FRAGMENTED_POOL)
    NAME(VK_ERROR_OUT_OF_POOL_MEMORY)
    NAME(VK_ERROR_INVALID_SHADER_NV)
#undef NAME
  default:
    return "an unknown VkResult";
  }
}

Status attnc::vk::checkResult(VkResult result, const char *what) {
  if (result == VK_SUCCESS)
    return Status();
  std::string message =
      std::string("Vulkan: ") + what + " failed with " + resultName(result);
  switch (result) {
  case VK_ERROR_OUT_OF_HOST_MEMORY:
  case VK_ERROR_OUT_OF_DEVICE_MEMORY:
  case VK_ERROR_OUT_OF_POOL_MEMORY:
  case VK_ERROR_FRAGMENTED_POOL:
  case VK_ERROR_TOO_MANY_OBJECTS:
    return Status(ATTNC_ERROR_OUT_OF_MEMORY, message);
  case VK_ERROR_DEVICE_LOST:
    return Status(ATTNC_ERROR_DEVICE, message + " (the device was lost)");
  default:
    return Status(ATTNC_ERROR_DEVICE, message);
  }
}
