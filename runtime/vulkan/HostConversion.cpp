//===- HostConversion.cpp - C ABI tensors to device words and back --------===//

#include "runtime/vulkan/HostConversion.h"

#include "runtime/Model.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace attnc::vk;

namespace {

uint32_t floatWord(float f) {
  uint32_t w;
  std::memcpy(&w, &f, 4);
  return w;
}

float wordFloat(uint32_t w) {
  float f;
  std::memcpy(&f, &w, 4);
  return f;
}

} // namespace

void attnc::vk::toDeviceWords(int32_t dtype, const void *src, uint64_t count,
                              void *device) {
  auto *dst = static_cast<uint32_t *>(device);
  const auto *bytes = static_cast<const uint8_t *>(src);
  switch (dtype) {
  case ATTNC_F32:
  case ATTNC_I32:
    std::memcpy(dst, src, count * 4);
    return;
  case ATTNC_F16:
    std::memcpy(device, src, count * 2);
    return;
  case ATTNC_F64:
    for (uint64_t i = 0; i < count; ++i) {
      double d;
      std::memcpy(&d, bytes + 8 * i, 8);
      dst[i] = floatWord(static_cast<float>(d));
    }
    return;
  case ATTNC_BOOL:
    for (uint64_t i = 0; i < count; ++i)
      dst[i] = bytes[i] != 0;
    return;
  case ATTNC_I64:
    for (uint64_t i = 0; i < count; ++i) {
      int64_t v;
      std::memcpy(&v, bytes + 8 * i, 8);
      if (v > INT32_MAX)
        v = INT32_MAX;
      if (v < INT32_MIN)
        v = INT32_MIN;
      int32_t narrow = static_cast<int32_t>(v);
      std::memcpy(&dst[i], &narrow, 4);
    }
    return;
  default:
    return;
  }
}

void attnc::vk::fromDeviceWords(int32_t dtype, const void *device,
                                uint64_t count, void *dst) {
  const auto *src = static_cast<const uint32_t *>(device);
  auto *bytes = static_cast<uint8_t *>(dst);
  switch (dtype) {
  case ATTNC_F32:
  case ATTNC_I32:
    std::memcpy(dst, src, count * 4);
    return;
  case ATTNC_F16:
    std::memcpy(dst, device, count * 2);
    return;
  case ATTNC_F64:
    for (uint64_t i = 0; i < count; ++i) {
      double d = wordFloat(src[i]);
      std::memcpy(bytes + 8 * i, &d, 8);
    }
    return;
  case ATTNC_BOOL:
    for (uint64_t i = 0; i < count; ++i)
      bytes[i] = src[i] != 0;
    return;
  case ATTNC_I64:
    for (uint64_t i = 0; i < count; ++i) {
      int32_t narrow;
      std::memcpy(&narrow, &src[i], 4);
      int64_t v = narrow;
      std::memcpy(bytes + 8 * i, &v, 8);
    }
    return;
  default:
    return;
  }
}
