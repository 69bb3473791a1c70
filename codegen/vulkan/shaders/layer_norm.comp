// layer_norm.comp - (x - mean) / sqrt(var + eps) * scale + bias per row.
//
// Rows of pc.len contiguous elements, read through texel buffers (inTex,
// scaleTex, biasTex); the mean and the (biased) variance of the centred
// values are two passes over the row, as the oracle computes them.
// Macros: HAS_SCALE, HAS_BIAS; IN_VEC4 1 when rows are read as float4
// texels (and written as vec4s).
//
// Portable variant (CPU devices such as lavapipe, which run a workgroup as
// SIMD lanes): one invocation per row. Subgroup variant (GPUs): one
// workgroup per row with workgroup reductions.

// Element e of a texel buffer, and the W elements from e (a float4 texel
// of a contiguous row, else one element).
#if IN_VEC4
const uint W = 4u;
#define ELEMENT(tex, e) texelFetch(tex, int((e) >> 2u))[(e) & 3u]
#define TEXEL(tex, e) texelFetch(tex, int((e) >> 2u))
#else
const uint W = 1u;
#define ELEMENT(tex, e) texelFetch(tex, int(e)).x
#define TEXEL(tex, e) vec4(texelFetch(tex, int(e)).x)
#endif

#if ATTNC_SUBGROUP
void main() {
  uint row = attncGroupIndex();
  if (row >= pc.rows)
    return;
  uint lid = gl_LocalInvocationID.x;
  uint base = row * pc.len;
  float sum = 0.0;
  for (uint k = lid; k < pc.len; k += RED_SIZE)
    sum += ELEMENT(inTex, base + k);
  float mean = workgroupSumF(sum) / float(pc.len);
  float sq = 0.0;
  for (uint k = lid; k < pc.len; k += RED_SIZE) {
    float c = ELEMENT(inTex, base + k) - mean;
    sq += c * c;
  }
  float var = workgroupSumF(sq) / float(pc.len);
  float inv = 1.0 / sqrt(var + pc.epsilon);
  for (uint k = lid; k < pc.len; k += RED_SIZE) {
    float y = (ELEMENT(inTex, base + k) - mean) * inv;
#if HAS_SCALE
    y *= ELEMENT(scaleTex, k);
#endif
#if HAS_BIAS
    y += ELEMENT(biasTex, k);
#endif
    outBuf_STORE(base + k, y);
  }
}
#else
void main() {
  uint row = attncGroupIndex() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  if (row >= pc.rows)
    return;
  uint base = row * pc.len;
  vec4 sum = vec4(0.0);
  for (uint k = 0u; k < pc.len; k += W)
    sum += TEXEL(inTex, base + k);
  float mean = (W == 4u ? (sum.x + sum.y) + (sum.z + sum.w) : sum.x) /
               float(pc.len);
  vec4 sq = vec4(0.0);
  for (uint k = 0u; k < pc.len; k += W) {
    vec4 c = TEXEL(inTex, base + k) - mean;
    sq += c * c;
  }
  float var =
      (W == 4u ? (sq.x + sq.y) + (sq.z + sq.w) : sq.x) / float(pc.len);
  float inv = 1.0 / sqrt(var + pc.epsilon);
  for (uint k = 0u; k < pc.len; k += W) {
    vec4 y = (TEXEL(inTex, base + k) - mean) * inv;
#if HAS_SCALE
    y *= TEXEL(scaleTex, k);
#endif
#if HAS_BIAS
    y += TEXEL(biasTex, k);
#endif
#if IN_VEC4
    outBuf_STORE4((base + k) >> 2u, y);
#else
    outBuf_STORE(base + k, y.x);
#endif
  }
}
#endif
