//===- HostConversion.cpp - C ABI tensors to device words and back --------===//

#include "runtime/vulkan/HostConversion.h"

#include "runtime/Model.h"

#include <cmath>
#include <cstring>
#include <limits>

using namespace attnc::vk;

namespace {

float halfToFloat(uint16_t h) {
  uint32_t sign = (h >> 15) & 1, exponent = (h >> 10) & 31, mantissa = h & 1023;
  float magnitude;
  if (exponent == 0)
    magnitude = std::ldexp(static_cast<float>(mantissa), -24);
  else if (exponent == 31)
    magnitude = mantissa ? std::numeric_limits<float>::quiet_NaN()
                         : std::numeric_limits<float>::infinity();
  else
    magnitude = std::ldexp(static_cast<float>(mantissa | 1024), exponent - 25);
  return sign ? -magnitude : magnitude;
}

/// Round to nearest even; overflow gives infinity.
uint16_t floatToHalf(float f) {
  uint32_t bits;
  std::memcpy(&bits, &f, 4);
  uint16_t sign = (bits >> 16) & 0x8000;
  if (std::isnan(f))
    return sign | 0x7E00;
  float a = std::fabs(f);
  if (a >= 65520.0f)
    return sign | 0x7C00;
  if (a < std::ldexp(1.0f, -14)) {
    // Subnormal: multiples of 2^-24, rounded to nearest even by rint.
    return sign | static_cast<uint16_t>(std::nearbyint(std::ldexp(a, 24)));
  }
  int exponent;
  float m = std::frexp(a, &exponent); // a = m * 2^exponent, m in [0.5, 1)
  float scaled = std::nearbyint(std::ldexp(m, 11)); // 11 significant bits
  if (scaled >= 2048.0f) {
    scaled /= 2;
    ++exponent;
  }
  return sign | static_cast<uint16_t>(((exponent + 14) << 10) |
                                      (static_cast<uint32_t>(scaled) & 1023));
}

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
                              uint32_t *dst) {
  const auto *bytes = static_cast<const uint8_t *>(src);
  switch (dtype) {
  case ATTNC_F32:
  case ATTNC_I32:
    std::memcpy(dst, src, count * 4);
    return;
  case ATTNC_F16:
    for (uint64_t i = 0; i < count; ++i) {
      uint16_t h;
      std::memcpy(&h, bytes + 2 * i, 2);
      dst[i] = floatWord(halfToFloat(h));
    }
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

void attnc::vk::fromDeviceWords(int32_t dtype, const uint32_t *src,
                                uint64_t count, void *dst) {
  auto *bytes = static_cast<uint8_t *>(dst);
  switch (dtype) {
  case ATTNC_F32:
  case ATTNC_I32:
    std::memcpy(dst, src, count * 4);
    return;
  case ATTNC_F16:
    for (uint64_t i = 0; i < count; ++i) {
      uint16_t h = floatToHalf(wordFloat(src[i]));
      std::memcpy(bytes + 2 * i, &h, 2);
    }
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
