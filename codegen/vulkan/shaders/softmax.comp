// softmax.comp - softmax, log-softmax and scaled masked softmax of rows.
//
// Row r's elements sit at base + k * pc.inner with
// base = (r / pc.inner) * pc.len * pc.inner + r % pc.inner; they are read
// through a texel buffer (inTex). Scores are x * pc.scale plus an additive
// mask; a false keep-mask entry or a key the causal alignment hides is -inf.
// Masked entries get exactly 0 (log: -inf); a row whose scores are all -inf
// is written as zeros (log: -inf).
// Macros: LOG 0/1; MASK_KIND 0 none / 1 additive / 2 keep-mask; CAUSAL 0/1;
// IN_VEC4 1 when rows are contiguous and read as float4 texels (and written
// as vec4s). With a mask or causal alignment the axis is the last
// (pc.inner == 1); the row index unravels over up to three row dims
// (pc.rowDim1, pc.rowDim2 are the inner two) for the mask's strides, and the
// query index is r % pc.sq.
//
// Portable variant (CPU devices such as lavapipe, which run a workgroup as
// SIMD lanes): one invocation per row, an online max and sum in one pass and
// the outputs in a second. Subgroup variant (GPUs): one workgroup per row
// with workgroup reductions.

#extension GL_EXT_control_flow_attributes : require

// The score of element k of a row from its scaled input s.
float maskedScore(uint row, uint mBase, uint k, float s) {
#if CAUSAL
  if (int(k) > int(row % pc.sq) + pc.causalOffset)
    return ATTNC_NEG_INF;
#endif
#if MASK_KIND == 1
  s += texelFetch(maskTex, int(mBase + k * pc.mK)).x;
#elif MASK_KIND == 2
  if (texelFetch(maskTex, int(mBase + k * pc.mK)).x == 0u)
    return ATTNC_NEG_INF;
#endif
  return s;
}

uint rowBase(uint row) {
  return (row / pc.inner) * pc.len * pc.inner + row % pc.inner;
}

uint maskBase(uint row) {
#if MASK_KIND != 0
  uint r2 = row % pc.rowDim2;
  uint r1 = (row / pc.rowDim2) % pc.rowDim1;
  uint r0 = row / (pc.rowDim2 * pc.rowDim1);
  return r0 * pc.mS0 + r1 * pc.mS1 + r2 * pc.mS2;
#else
  return 0u;
#endif
}

#if ATTNC_SUBGROUP
float score(uint row, uint mBase, uint base, uint k) {
#if IN_VEC4
  float x = texelFetch(inTex, int((base + k) >> 2u))[(base + k) & 3u];
#else
  float x = texelFetch(inTex, int(base + k * pc.inner)).x;
#endif
  return maskedScore(row, mBase, k, x * pc.scale);
}

void storeOut(uint e, float y) {
  outBuf_STORE(e, y);
}

void main() {
  uint row = attncGroupIndex();
  if (row >= pc.rows)
    return;
  uint lid = gl_LocalInvocationID.x;
  uint base = rowBase(row), mBase = maskBase(row);

  float mx = ATTNC_NEG_INF;
  for (uint k = lid; k < pc.len; k += RED_SIZE)
    mx = combineMaxF(mx, score(row, mBase, base, k));
  mx = workgroupMaxF(mx);
  float sum = 0.0;
  if (mx != ATTNC_NEG_INF)
    for (uint k = lid; k < pc.len; k += RED_SIZE) {
      float s = score(row, mBase, base, k);
      sum += s == ATTNC_NEG_INF ? 0.0 : exp(s - mx);
    }
  sum = workgroupSumF(sum);
#if LOG
  float shift = mx == ATTNC_NEG_INF ? 0.0 : mx + log(sum);
#else
  float inv = sum > 0.0 ? 1.0 / sum : 0.0;
#endif
  for (uint k = lid; k < pc.len; k += RED_SIZE) {
    float s = score(row, mBase, base, k);
#if LOG
    float y = s == ATTNC_NEG_INF ? ATTNC_NEG_INF : s - shift;
#else
    float y = s == ATTNC_NEG_INF || mx == ATTNC_NEG_INF ? 0.0 : exp(s - mx) * inv;
#endif
    storeOut(base + k * pc.inner, y);
  }
}
#else
// Elements are taken W at a time: a float4 texel of a contiguous row, else
// one element.
#if IN_VEC4
const uint W = 4u;
#else
const uint W = 1u;
#endif

// The scores of elements k .. k + W - 1 of a row.
vec4 scores(uint row, uint mBase, uint base, uint k) {
#if IN_VEC4
  vec4 x = texelFetch(inTex, int((base + k) >> 2u)) * pc.scale;
#else
  vec4 x = vec4(texelFetch(inTex, int(base + k * pc.inner)).x * pc.scale);
#endif
  [[unroll]] for (uint c = 0u; c < W; ++c)
    x[c] = maskedScore(row, mBase, k + c, x[c]);
  return x;
}

void main() {
  uint row = attncGroupIndex() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  if (row >= pc.rows)
    return;
  uint base = rowBase(row), mBase = maskBase(row);

  // The running max and the sum of exp(score - max).
  float mx = ATTNC_NEG_INF, sum = 0.0;
  for (uint k = 0u; k < pc.len; k += W) {
    vec4 s = scores(row, mBase, base, k);
    float mNew = mx;
    [[unroll]] for (uint c = 0u; c < W; ++c)
      mNew = combineMaxF(mNew, s[c]);
    float part = 0.0;
    [[unroll]] for (uint c = 0u; c < W; ++c)
      part += s[c] == ATTNC_NEG_INF ? 0.0 : exp(s[c] - mNew);
    sum = (mNew == ATTNC_NEG_INF ? 0.0 : sum * exp(mx - mNew)) + part;
    mx = mNew;
  }
#if LOG
  float shift = mx == ATTNC_NEG_INF ? 0.0 : mx + log(sum);
#else
  float inv = sum > 0.0 ? 1.0 / sum : 0.0;
#endif
  for (uint k = 0u; k < pc.len; k += W) {
    vec4 s = scores(row, mBase, base, k);
    vec4 y;
    [[unroll]] for (uint c = 0u; c < W; ++c)
#if LOG
      y[c] = s[c] == ATTNC_NEG_INF ? ATTNC_NEG_INF : s[c] - shift;
#else
      y[c] = s[c] == ATTNC_NEG_INF || mx == ATTNC_NEG_INF
                 ? 0.0
                 : exp(s[c] - mx) * inv;
#endif
#if IN_VEC4
    outBuf_STORE4((base + k) >> 2u, y);
#else
    outBuf_STORE(base + k * pc.inner, y.x);
#endif
  }
}
#endif
