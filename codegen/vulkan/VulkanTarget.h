//===- VulkanTarget.h - the Vulkan code generator --------------*- C++ -*-===//
//
// `--target=vulkan`: GLSL compute shaders per kernel of the schedule, SPIR-V
// compiled and validated in process, and a model library carrying its
// SPIR-V, dispatch table and weights that runs on runtime/vulkan.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_VULKAN_VULKANTARGET_H
#define ATTNC_CODEGEN_VULKAN_VULKANTARGET_H

#include "codegen/Target.h"

#include <memory>

namespace attnc {

/// The Vulkan target (--emit=glsl|spirv, or a library).
std::unique_ptr<Target> createVulkanTarget();

} // namespace attnc

#endif // ATTNC_CODEGEN_VULKAN_VULKANTARGET_H
