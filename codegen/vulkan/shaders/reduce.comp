// reduce.comp - sum / mean / max / min over a set of axes.
//
// One workgroup per output element. Output o unravels over up to four kept
// dims (pc.kd1..kd3 are the inner three sizes, pc.ks0..ks3 their input
// strides); reduction step t unravels over up to four reduced dims (pc.rd1..
// rd3, strides pc.rs0..rs3). Macros: RED_OP 0 sum / 1 mean / 2 max / 3 min;
// RED_INT 1 for integer elements.

#if RED_INT
#define T int
#define SUM workgroupSumI
#define MAX workgroupMaxI
#define MIN workgroupMinI
#define COMBINE_MAX max
#define COMBINE_MIN min
#else
#define T float
#define SUM workgroupSumF
#define MAX workgroupMaxF
#define MIN workgroupMinF
#define COMBINE_MAX combineMaxF
#define COMBINE_MIN combineMinF
#endif

uint unravel4(uint i, uint d1, uint d2, uint d3, uint s0, uint s1, uint s2, uint s3) {
  uint c3 = i % d3;
  i /= d3;
  uint c2 = i % d2;
  i /= d2;
  uint c1 = i % d1;
  return (i / d1) * s0 + c1 * s1 + c2 * s2 + c3 * s3;
}

void main() {
  uint o = attncGroupIndex();
  if (o >= pc.outputs)
    return;
  uint base = unravel4(o, pc.kd1, pc.kd2, pc.kd3, pc.ks0, pc.ks1, pc.ks2, pc.ks3);
  T acc = inBuf.d[base];
  for (uint t = gl_LocalInvocationID.x; t < pc.count; t += RED_SIZE) {
    T x = inBuf.d[base + unravel4(t, pc.rd1, pc.rd2, pc.rd3, pc.rs0, pc.rs1, pc.rs2, pc.rs3)];
    if (t == gl_LocalInvocationID.x) {
      acc = x;
      continue;
    }
#if RED_OP <= 1
    acc += x;
#elif RED_OP == 2
    acc = COMBINE_MAX(acc, x);
#else
    acc = COMBINE_MIN(acc, x);
#endif
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
    outBuf.d[o] = acc;
}
