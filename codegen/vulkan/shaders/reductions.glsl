// reductions.glsl - workgroup-wide sum / max / min of one value per
// invocation, for a one-dimensional workgroup whose size is a power of two.
// The subgroup variant reduces within subgroups first and combines the
// subgroups' results through shared memory; the portable one is a
// shared-memory tree. Every invocation gets the result. Float max and min
// propagate NaN, as the oracle does.

const uint RED_SIZE = gl_WorkGroupSize.x;
shared float redF[RED_SIZE];
shared int redI[RED_SIZE];

float combineMaxF(float a, float b) { return isnan(a) || isnan(b) ? a + b : max(a, b); }
float combineMinF(float a, float b) { return isnan(a) || isnan(b) ? a + b : min(a, b); }

#if ATTNC_SUBGROUP
#define ATTNC_REDUCE(NAME, T, ARRAY, SUBGROUP_OP, COMBINE)                    \
  T NAME(T x) {                                                               \
    T part = SUBGROUP_OP(x);                                                  \
    barrier();                                                                \
    if (subgroupElect())                                                      \
      ARRAY[gl_SubgroupID] = part;                                            \
    barrier();                                                                \
    T total = ARRAY[0];                                                       \
    for (uint i = 1u; i < gl_NumSubgroups; ++i)                               \
      total = COMBINE(total, ARRAY[i]);                                       \
    return total;                                                             \
  }
#else
#define ATTNC_REDUCE(NAME, T, ARRAY, SUBGROUP_OP, COMBINE)                    \
  T NAME(T x) {                                                               \
    uint lid = gl_LocalInvocationID.x;                                        \
    barrier();                                                                \
    ARRAY[lid] = x;                                                           \
    barrier();                                                                \
    for (uint s = RED_SIZE / 2u; s > 0u; s >>= 1u) {                          \
      if (lid < s)                                                            \
        ARRAY[lid] = COMBINE(ARRAY[lid], ARRAY[lid + s]);                     \
      barrier();                                                              \
    }                                                                         \
    return ARRAY[0];                                                          \
  }
#endif

#define ADD(a, b) ((a) + (b))
ATTNC_REDUCE(workgroupSumF, float, redF, subgroupAdd, ADD)
ATTNC_REDUCE(workgroupMaxF, float, redF, subgroupMax, combineMaxF)
ATTNC_REDUCE(workgroupMinF, float, redF, subgroupMin, combineMinF)
ATTNC_REDUCE(workgroupSumI, int, redI, subgroupAdd, ADD)
ATTNC_REDUCE(workgroupMaxI, int, redI, subgroupMax, max)
ATTNC_REDUCE(workgroupMinI, int, redI, subgroupMin, min)
