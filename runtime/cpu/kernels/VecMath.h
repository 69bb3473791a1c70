//===- VecMath.h - vectors and vector math of the CPU kernels ---*- C++ -*-===//
//
// 16-lane fp32 vectors as GCC/Clang vector extensions (one zmm with AVX-512,
// two ymm with AVX2), unaligned loads and stores, a 16x16 transpose and a
// vector exp/exp2 (range reduction + polynomial, a few ulp, exact 0 at -inf).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_CPU_KERNELS_VECMATH_H
#define ATTNC_RUNTIME_CPU_KERNELS_VECMATH_H

#include <stdint.h>

// Every helper that takes or returns a vector is force-inlined: the kernels
// are compiled to bitcode without a target CPU, where a 64-byte vector passed
// by value would get a slow in-memory calling convention. min_vector_width
// keeps LLVM from splitting 512-bit operations on CPUs that prefer 256-bit
// vectors (it only applies to clang; GCC never splits explicit vectors).
#if defined(__clang__)
#define ATTNC_VEC_ATTRS __attribute__((min_vector_width(512)))
#else
#define ATTNC_VEC_ATTRS
#endif
#define ATTNC_VEC_INLINE                                                       \
  static inline __attribute__((always_inline)) ATTNC_VEC_ATTRS

// Without a target CPU every by-value vector triggers "changes the ABI"
// warnings; the helpers are always inlined, so no call ever uses that ABI.
// The kernel sources are the only includers.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace attnc::cpu {

typedef float f32x16 __attribute__((vector_size(64)));
typedef int32_t i32x16 __attribute__((vector_size(64)));

constexpr int kLanes = 16;

// How many 16-lane vectors the target's registers hold: 32 with AVX-512
// (zmm), 8 with AVX2 (ymm pairs). The bitcode is target-independent, so the
// build picks the register-blocking this way (one bitcode file per value)
// rather than from -march.
#ifndef ATTNC_KERNEL_VECTOR_REGISTERS
#define ATTNC_KERNEL_VECTOR_REGISTERS 32
#endif
constexpr int kVectorRegisters = ATTNC_KERNEL_VECTOR_REGISTERS;
static_assert(kVectorRegisters == 8 || kVectorRegisters == 32,
              "ATTNC_KERNEL_VECTOR_REGISTERS is 32 (AVX-512) or 8 (AVX2)");

ATTNC_VEC_INLINE f32x16 splat(float x) {
  return f32x16{x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x};
}

ATTNC_VEC_INLINE f32x16 load(const float *p) {
  f32x16 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return v;
}

ATTNC_VEC_INLINE void store(float *p, f32x16 v) {
  __builtin_memcpy(p, &v, sizeof(v));
}

/// 16 bytes widened to floats (keep-masks).
ATTNC_VEC_INLINE f32x16 loadBytes(const uint8_t *p) {
  typedef uint8_t u8x16 __attribute__((vector_size(16)));
  u8x16 v;
  __builtin_memcpy(&v, p, sizeof(v));
  return __builtin_convertvector(v, f32x16);
}

ATTNC_VEC_INLINE f32x16 vmax(f32x16 a, f32x16 b) { return a > b ? a : b; }

ATTNC_VEC_INLINE f32x16 select(i32x16 cond, f32x16 a, f32x16 b) {
  return cond ? a : b;
}

ATTNC_VEC_INLINE float reduceAdd(f32x16 v) {
  float s = 0;
  for (int i = 0; i < kLanes; ++i)
    s += v[i];
  return s;
}

/// 0, 1, ..., 15 as floats (lane indices for causal masks).
ATTNC_VEC_INLINE f32x16 laneIota() {
  return f32x16{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15};
}

/// 2^t. Inputs at or below -127 (including -inf) give exactly 0, results
/// below the normal range are flushed to 0, inputs at or above 128 give inf;
/// NaN only for a NaN input. Relative error about 3 ulp.
ATTNC_VEC_INLINE f32x16 exp2v(f32x16 t) {
  t = t < -127.0f ? splat(-127.0f) : t;
  t = t > 128.0f ? splat(128.0f) : t;
  // Adding 1.5 * 2^23 + 127 rounds t to an integer n kept in the low
  // mantissa bits as n + 127; shifting those bits into the exponent field
  // builds 2^n directly (n = -127 gives the bit pattern of +0).
  const float magic = 12582912.0f + 127.0f;
  f32x16 j = t + magic;
  f32x16 n = j - magic;
  f32x16 f = t - n; // in [-0.5, 0.5]
  f32x16 p = splat(1.3264723820611835e-3f);
  p = p * f + 9.671512991189957e-3f;
  p = p * f + 5.550733581185341e-2f;
  p = p * f + 2.4022242426872253e-1f;
  p = p * f + 6.931470036506653e-1f;
  p = p * f + 1.0f;
  i32x16 bits = (i32x16)j << 23;
  return p * (f32x16)bits;
}

/// e^x, with the same edge behaviour as exp2v (x <= -88 gives 0, x >= 89
/// gives inf). The reduction x - n ln2 is done in two parts so the result
/// keeps a few-ulp accuracy over the whole range.
ATTNC_VEC_INLINE f32x16 expv(f32x16 x) {
  x = x < -88.5f ? splat(-88.5f) : x;
  x = x > 89.0f ? splat(89.0f) : x;
  const float magic = 12582912.0f + 127.0f;
  f32x16 j = x * 1.44269504088896341f + magic;
  f32x16 n = j - magic;
  f32x16 r = x - n * 0.693145751953125f;
  r = r - n * 1.428606765330187045e-6f;
  f32x16 p = splat(8.290313184261322e-3f);
  p = p * r + 4.189793020486832e-2f;
  p = p * r + 1.666763573884964e-1f;
  p = p * r + 4.999915063381195e-1f;
  p = p * r + 9.999997019767761e-1f;
  p = p * r + 1.0f;
  // n <= -127 means a result below 2^-126.5: the scale 2^-127 is built as +0.
  i32x16 bits = (i32x16)j << 23;
  return p * (f32x16)bits;
}

/// Transposes the 16x16 matrix whose rows are r[0..16) in place.
ATTNC_VEC_INLINE void transpose16InPlace(f32x16 *r) {
  // Swaps the off-diagonal b x b blocks of every 2b x 2b block, for b = 8,
  // 4, 2, 1: after the four levels every element has moved to (c, r).
#define ATTNC_TRANSPOSE_LEVEL(B, LO, HI)                                       \
  for (int i = 0; i < 16; ++i)                                                 \
    if ((i & B) == 0) {                                                        \
      f32x16 x = r[i], y = r[i + B];                                           \
      r[i] = __builtin_shufflevector(x, y, LO);                                \
      r[i + B] = __builtin_shufflevector(x, y, HI);                            \
    }
#define ATTNC_L8_LO 0, 1, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23
#define ATTNC_L8_HI 8, 9, 10, 11, 12, 13, 14, 15, 24, 25, 26, 27, 28, 29, 30, 31
#define ATTNC_L4_LO 0, 1, 2, 3, 16, 17, 18, 19, 8, 9, 10, 11, 24, 25, 26, 27
#define ATTNC_L4_HI 4, 5, 6, 7, 20, 21, 22, 23, 12, 13, 14, 15, 28, 29, 30, 31
#define ATTNC_L2_LO 0, 1, 16, 17, 4, 5, 20, 21, 8, 9, 24, 25, 12, 13, 28, 29
#define ATTNC_L2_HI 2, 3, 18, 19, 6, 7, 22, 23, 10, 11, 26, 27, 14, 15, 30, 31
#define ATTNC_L1_LO 0, 16, 2, 18, 4, 20, 6, 22, 8, 24, 10, 26, 12, 28, 14, 30
#define ATTNC_L1_HI 1, 17, 3, 19, 5, 21, 7, 23, 9, 25, 11, 27, 13, 29, 15, 31
  ATTNC_TRANSPOSE_LEVEL(8, ATTNC_L8_LO, ATTNC_L8_HI)
  ATTNC_TRANSPOSE_LEVEL(4, ATTNC_L4_LO, ATTNC_L4_HI)
  ATTNC_TRANSPOSE_LEVEL(2, ATTNC_L2_LO, ATTNC_L2_HI)
  ATTNC_TRANSPOSE_LEVEL(1, ATTNC_L1_LO, ATTNC_L1_HI)
#undef ATTNC_TRANSPOSE_LEVEL
#undef ATTNC_L8_LO
#undef ATTNC_L8_HI
#undef ATTNC_L4_LO
#undef ATTNC_L4_HI
#undef ATTNC_L2_LO
#undef ATTNC_L2_HI
#undef ATTNC_L1_LO
#undef ATTNC_L1_HI
}

/// Transposes the 16x16 block `src` (row stride `ss`) into `dst` (row stride
/// `ds`), multiplying source column c by `colScale[c]` first.
ATTNC_VEC_INLINE void transpose16(const float *src, int64_t ss, float *dst,
                                  int64_t ds, const f32x16 &colScale) {
  f32x16 r[16];
  for (int i = 0; i < 16; ++i)
    r[i] = load(src + i * ss) * colScale;
  transpose16InPlace(r);
  for (int i = 0; i < 16; ++i)
    store(dst + i * ds, r[i]);
}

} // namespace attnc::cpu

#endif // ATTNC_RUNTIME_CPU_KERNELS_VECMATH_H
