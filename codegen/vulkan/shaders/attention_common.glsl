// attention_common.glsl - what every attention kernel shares: reading Q/K/V
// rows four elements at a time and the visibility and additive offset of a
// (row, key) score.
//
// Macros: MASK_KIND 0 none / 1 additive float / 2 keep-mask; CAUSAL 0/1;
// KV_VEC4 1 when Q/K/V rows can be read as float4 texels and output rows
// written in groups of four. Scores are kept in base 2: pc.scale is
// scale * log2(e).

#extension GL_EXT_control_flow_attributes : require

const uint L = gl_WorkGroupSize.x;
const float NEG_INF = -1.0 / 0.0;
const float LOG2E = 1.4426950408889634;

#if KV_VEC4
#define FETCH4(tex, base, d4, n) texelFetch(tex, int((base) / 4u + (d4)))
#else
// Element texels: four fetches, zero past the row's end.
#define FETCH4(tex, base, d4, n) attncFetch4(tex, base, d4, n)
vec4 attncFetch4(samplerBuffer tex, uint base, uint d4, uint n) {
  uint e = d4 * 4u;
  vec4 v;
  [[unroll]] for (uint c = 0u; c < 4u; ++c) {
    float x = texelFetch(tex, int(base + min(e + c, n - 1u))).x;
    v[c] = e + c < n ? x : 0.0;
  }
  return v;
}
#endif

// The score offset of query row `i` (clamped into range) and `key`: the
// additive mask in base 2, or -inf where the key is hidden. A finite mask
// value stays finite in base 2 (finfo(float32).min times log2(e) would
// overflow to -inf): a row whose keys all carry it averages V, as in f32,
// while an -inf mask hides the key.
float visibleScore(uint b, uint h, uint i, uint key, uint kEnd) {
  i = min(i, pc.sq - 1u);
  bool visible = key < kEnd;
#if CAUSAL
  visible = visible && int(key) <= int(i) + pc.causalOffset;
#endif
  float bias = 0.0;
#if MASK_KIND != 0
  uint mo = b * pc.mB + h * pc.mH + i * pc.mQ + min(key, pc.sk - 1u) * pc.mK;
#if MASK_KIND == 1
  float additive = texelFetch(maskTex, int(mo)).x;
  bias = additive == NEG_INF ? NEG_INF : max(additive * LOG2E, -3.4028235e38);
#else
  visible = visible && texelFetch(maskTex, int(mo)).x != 0u;
#endif
#endif
  return visible ? bias : NEG_INF;
}

