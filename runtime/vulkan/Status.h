//===- Status.h - errors of the Vulkan runtime -----------------*- C++ -*-===//
//
// A Status is an attnc_status plus a message; every VkResult of the runtime
// goes through checkResult, which maps it to the C ABI's codes (allocation
// failures to ATTNC_ERROR_OUT_OF_MEMORY, a lost or missing device to
// ATTNC_ERROR_DEVICE) and says which call failed.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_VULKAN_STATUS_H
#define ATTNC_RUNTIME_VULKAN_STATUS_H

#include "runtime/Model.h"

#include <vulkan/vulkan.h>

#include <string>

namespace attnc::vk {

/// Success, or a C ABI status with a message.
class Status {
public:
  Status() = default;
  Status(attnc_status code, std::string message)
      : code(code), message(std::move(message)) {}

  bool ok() const { return code == ATTNC_OK; }
  attnc_status getCode() const { return code; }
  const std::string &getMessage() const { return message; }

private:
  attnc_status code = ATTNC_OK;
  std::string message;
};

/// The name of a VkResult ("VK_ERROR_DEVICE_LOST").
const char *resultName(VkResult result);

/// Success for VK_SUCCESS, else the failure of `what` (the call) mapped to an
/// attnc_status.
Status checkResult(VkResult result, const char *what);

} // namespace attnc::vk

#endif // ATTNC_RUNTIME_VULKAN_STATUS_H
