//===- HostConversion.h - C ABI tensors to device words and back -*- C++ -*-//
//
// The device keeps f32 and f16 as they are and every other dtype in one
// 32-bit word per element (codegen/vulkan/KernelAbi.h): inputs are converted
// while they are copied into the staging buffer and outputs while they are
// copied out of it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_VULKAN_HOSTCONVERSION_H
#define ATTNC_RUNTIME_VULKAN_HOSTCONVERSION_H

#include <cstdint>

namespace attnc::vk {

/// Converts `count` elements of C ABI dtype `dtype` at `src` to device
/// elements at `dst`: f32, f16 and i32 copied, f64 to float, i64 to int32
/// (saturating), bool to 0/1.
void toDeviceWords(int32_t dtype, const void *src, uint64_t count, void *dst);

/// The reverse: device elements at `src` to `count` elements of `dtype`.
void fromDeviceWords(int32_t dtype, const void *src, uint64_t count, void *dst);

} // namespace attnc::vk

#endif // ATTNC_RUNTIME_VULKAN_HOSTCONVERSION_H
