//===- Math.h - vectorisable fp32 math for the CPU kernels -----*- C++ -*-===//
//
// exp, log, tanh, erf and pow as branch-free polynomials (Cephes-style range
// reduction), so loops that call them vectorise instead of calling libm.
// Accuracy is a few ulps, well inside kFp32TargetTolerance. exp underflows
// to exactly 0 below -87.3, which keeps masked softmax weights exact zeros.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_CPU_KERNELS_MATH_H
#define ATTNC_RUNTIME_CPU_KERNELS_MATH_H

#include <cstdint>
#include <cstring>

namespace attnc::math {

inline float asFloat(int32_t i) {
  float f;
  std::memcpy(&f, &i, 4);
  return f;
}
inline int32_t asInt(float f) {
  int32_t i;
  std::memcpy(&i, &f, 4);
  return i;
}
inline float maxf(float a, float b) { return a > b ? a : b; }
inline float minf(float a, float b) { return a < b ? a : b; }
inline float absf(float a) { return asFloat(asInt(a) & 0x7fffffff); }

inline float exp(float x) {
  const float hi = 88.3762626647949f, lo = -87.3365447504f;
  float xc = minf(maxf(x, lo), hi);
  // Round x·log2(e) to nearest with the 1.5·2^23 trick (no libm, no
  // rounding-mode dependence).
  float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3333452601e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  float y = p * r * r + r + 1.0f;
  y *= asFloat((static_cast<int32_t>(n) + 127) << 23);
  y = x > hi ? asFloat(0x7f800000) : y;
  y = x < lo ? 0.0f : y;
  return x != x ? x : y;
}

inline float log(float x) {
  // Denormals are scaled into the normal range first.
  bool tiny = x < 1.17549435e-38f;
  float xs = tiny ? x * 8388608.0f : x;
  int32_t bits = asInt(xs);
  float e =
      static_cast<float>(((bits >> 23) & 0xff) - 126) - (tiny ? 23.0f : 0.0f);
  float m = asFloat((bits & 0x807fffff) | 0x3f000000);
  bool low = m < 0.707106781186547524f;
  e = low ? e - 1.0f : e;
  m = low ? m + m - 1.0f : m - 1.0f;
  float z = m * m;
  float y = 7.0376836292e-2f;
  y = y * m - 1.1514610310e-1f;
  y = y * m + 1.1676998740e-1f;
  y = y * m - 1.2420140846e-1f;
  y = y * m + 1.4249322787e-1f;
  y = y * m - 1.6668057665e-1f;
  y = y * m + 2.0000714765e-1f;
  y = y * m - 2.4999993993e-1f;
  y = y * m + 3.3333331174e-1f;
  y = y * m * z;
  y += e * -2.12194440e-4f;
  y += -0.5f * z;
  float result = m + y + e * 0.693359375f;
  result = x == 0.0f ? asFloat(static_cast<int32_t>(0xff800000)) : result;
  result = x < 0.0f ? asFloat(0x7fc00000) : result;
  result = x == asFloat(0x7f800000) ? x : result;
  return x != x ? x : result;
}

inline float tanh(float x) {
  float ax = absf(x);
  float z = x * x;
  float small =
      ((((-5.70498872745e-3f * z + 2.06390887954e-2f) * z - 5.37397155531e-2f) *
            z +
        1.33314422036e-1f) *
           z -
       3.33332819422e-1f) *
          z * x +
      x;
  float large = 1.0f - 2.0f / (exp(2.0f * ax) + 1.0f);
  large = x < 0.0f ? -large : large;
  float y = ax < 0.625f ? small : large;
  return x != x ? x : y;
}

inline float erf(float x) {
  float ax = absf(x);
  float z = x * x;
  // Taylor series near 0 keeps the relative error small there.
  float small =
      x * (1.1283791671f +
           z * (-0.3761263890f +
                z * (0.1128379167f +
                     z * (-0.0268661706f +
                          z * (0.0052239776f + z * -0.0008548327f)))));
  // Abramowitz & Stegun 7.1.26 (absolute error <= 1.5e-7).
  float t = 1.0f / (1.0f + 0.3275911f * ax);
  float poly = ((((1.061405429f * t - 1.453152027f) * t + 1.421413741f) * t -
                 0.284496736f) *
                    t +
                0.254829592f) *
               t;
  float large = 1.0f - poly * exp(-z);
  large = x < 0.0f ? -large : large;
  float y = ax < 0.5f ? small : large;
  return x != x ? x : y;
}

inline float pow(float x, float y) {
  float ax = absf(x);
  float r = exp(y * log(ax));
  // A negative base needs an integer exponent; odd ones keep the sign.
  float yi = (y + 12582912.0f) - 12582912.0f;
  bool integral = absf(y) >= 8388608.0f || yi == y;
  bool odd =
      integral && absf(y) < 16777216.0f && (static_cast<int32_t>(yi) & 1) != 0;
  float neg = integral ? (odd ? -r : r) : asFloat(0x7fc00000);
  r = x < 0.0f ? neg : r;
  r = y == 0.0f || x == 1.0f ? 1.0f : r;
  return r;
}

} // namespace attnc::math

#endif // ATTNC_RUNTIME_CPU_KERNELS_MATH_H
