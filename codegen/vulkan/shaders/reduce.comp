// reduce.comp - sum / mean / max / min over a set of axes.
//
// Output o unravels over up to four kept dims (pc.kd1..kd3 are the inner
// three sizes, pc.ks0..ks3 their input strides); its inputs range over up to
// four reduced dims (pc.rd1..rd3 the inner three sizes, pc.rs0..rs3 their
// strides), read through a texel buffer (inTex; r32ui for integers).
// Macros: RED_OP 0 sum / 1 mean / 2 max / 3 min; RED_INT 1 for integer
// elements; IN_VEC4 1 when the innermost reduced dim is contiguous and read
// as float4 texels.
//
// Portable variant (CPU devices such as lavapipe, which run a workgroup as
// SIMD lanes): one invocation per output, walking the reduced dims in nested
// loops. Subgroup variant (GPUs): one workgroup per output with workgroup
// reductions.

#extension GL_EXT_control_flow_attributes : require

#if RED_INT
#define T int
#define T4 ivec4
#define SUM workgroupSumI
#define MAX workgroupMaxI
#define MIN workgroupMinI
#define COMBINE_MAX max
#define COMBINE_MIN min
#define ELEMENT(e) int(texelFetch(inTex, int(e)).x)
#else
#define T float
#define T4 vec4
#define SUM workgroupSumF
#define MAX workgroupMaxF
#define MIN workgroupMinF
#define COMBINE_MAX combineMaxF
#define COMBINE_MIN combineMinF
#if IN_VEC4
#define ELEMENT(e) texelFetch(inTex, int((e) >> 2u))[(e) & 3u]
#else
#define ELEMENT(e) texelFetch(inTex, int(e)).x
#endif
#endif

#if RED_OP <= 1
#define COMBINE(a, b) ((a) + (b))
#elif RED_OP == 2
#define COMBINE COMBINE_MAX
#else
#define COMBINE COMBINE_MIN
#endif

uint unravel4(uint i, uint d1, uint d2, uint d3, uint s0, uint s1, uint s2, uint s3) {
  uint c3 = i % d3;
  i /= d3;
  uint c2 = i % d2;
  i /= d2;
  uint c1 = i % d1;
  return (i / d1) * s0 + c1 * s1 + c2 * s2 + c3 * s3;
}

#if ATTNC_SUBGROUP
void main() {
  uint o = attncGroupIndex();
  if (o >= pc.outputs)
    return;
  uint base = unravel4(o, pc.kd1, pc.kd2, pc.kd3, pc.ks0, pc.ks1, pc.ks2, pc.ks3);
  T acc = ELEMENT(base);
  for (uint t = gl_LocalInvocationID.x; t < pc.count; t += RED_SIZE) {
    T x = ELEMENT(base + unravel4(t, pc.rd1, pc.rd2, pc.rd3, pc.rs0, pc.rs1, pc.rs2, pc.rs3));
    acc = t == gl_LocalInvocationID.x ? x : COMBINE(acc, x);
  }
#if RED_OP <= 1
  if (gl_LocalInvocationID.x >= pc.count)
    acc = T(0);
  acc = SUM(acc);
#if RED_OP == 1
  acc /= T(pc.count);
#endif
#elif RED_OP == 2
  acc = MAX(acc);
#else
  acc = MIN(acc);
#endif
  if (gl_LocalInvocationID.x == 0u)
    outBuf_STORE(o, acc);
}
#else
void main() {
  uint o = attncGroupIndex() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  if (o >= pc.outputs)
    return;
  uint base = unravel4(o, pc.kd1, pc.kd2, pc.kd3, pc.ks0, pc.ks1, pc.ks2, pc.ks3);
  uint rd0 = pc.count / (pc.rd1 * pc.rd2 * pc.rd3);
  // Sums start from zero, max and min from the first element.
#if RED_OP <= 1
  T first = T(0);
#else
  T first = ELEMENT(base);
#endif
#if IN_VEC4
  // Four partial results, one per component of the texels.
  T4 acc4 = T4(first);
#else
  T acc = first;
#endif
  for (uint c0 = 0u; c0 < rd0; ++c0)
    for (uint c1 = 0u; c1 < pc.rd1; ++c1)
      for (uint c2 = 0u; c2 < pc.rd2; ++c2) {
        uint at = base + c0 * pc.rs0 + c1 * pc.rs1 + c2 * pc.rs2;
#if IN_VEC4
        for (uint c3 = 0u; c3 < pc.rd3; c3 += 4u) {
          T4 x = texelFetch(inTex, int((at + c3) >> 2u));
          [[unroll]] for (uint c = 0u; c < 4u; ++c)
            acc4[c] = COMBINE(acc4[c], x[c]);
        }
#else
        for (uint c3 = 0u; c3 < pc.rd3; ++c3)
          acc = COMBINE(acc, ELEMENT(at + c3 * pc.rs3));
#endif
      }
#if IN_VEC4
  T acc = COMBINE(COMBINE(acc4.x, acc4.y), COMBINE(acc4.z, acc4.w));
#endif
#if RED_OP == 1
  acc /= T(pc.count);
#endif
  outBuf_STORE(o, acc);
}
#endif
