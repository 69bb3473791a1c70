// reductions.glsl - helpers of the row kernels. Float max and min propagate
// NaN, as the oracle does.
//
// The subgroup variant reduces one value per invocation of a
// one-dimensional workgroup (a power of two) to one result that every
// invocation gets: within subgroups first, then across the subgroups
// through shared memory. The portable variant gives each invocation whole
// rows and needs none of this.

float combineMaxF(float a, float b) { return isnan(a) || isnan(b) ? a + b : max(a, b); }
float combineMinF(float a, float b) { return isnan(a) || isnan(b) ? a + b : min(a, b); }

#if ATTNC_SUBGROUP
const uint RED_SIZE = gl_WorkGroupSize.x;
shared float redF[RED_SIZE];
shared int redI[RED_SIZE];

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

#define ADD(a, b) ((a) + (b))
ATTNC_REDUCE(workgroupSumF, float, redF, subgroupAdd, ADD)
ATTNC_REDUCE(workgroupMaxF, float, redF, subgroupMax, combineMaxF)
ATTNC_REDUCE(workgroupMinF, float, redF, subgroupMin, combineMinF)
ATTNC_REDUCE(workgroupSumI, int, redI, subgroupAdd, ADD)
ATTNC_REDUCE(workgroupMaxI, int, redI, subgroupMax, max)
ATTNC_REDUCE(workgroupMinI, int, redI, subgroupMin, min)
#endif
