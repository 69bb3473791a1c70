// attention_naive.comp - the yardstick attnc's Vulkan attention is measured
// against: one invocation per query row (b, h, i), a single pass over the
// keys with an online softmax, rows read as vec4 straight from storage
// buffers, no tiling or shared memory.
//
// Q, K, V, O are [B, H, S, D] fp32 with D = 4 * D4. Causal: keys j <= i.
#version 450
layout(local_size_x = 64) in;
layout(constant_id = 0) const uint D4 = 16;
layout(std430, binding = 0) readonly buffer QBuf { vec4 q[]; };
layout(std430, binding = 1) readonly buffer KBuf { vec4 k[]; };
layout(std430, binding = 2) readonly buffer VBuf { vec4 v[]; };
layout(std430, binding = 3) writeonly buffer OBuf { vec4 o[]; };
layout(push_constant) uniform Params {
  uint rows; // B * H * S
  uint s;
  uint causal;
  float scale;
} pc;

void main() {
  uint row = gl_GlobalInvocationID.x;
  if (row >= pc.rows)
    return;
  uint head = row / pc.s, i = row % pc.s;
  uint keys = head * pc.s * D4;
  vec4 qi[D4], acc[D4];
  for (uint d = 0u; d < D4; ++d) {
    qi[d] = q[row * D4 + d] * pc.scale;
    acc[d] = vec4(0.0);
  }
  float m = -1.0 / 0.0, l = 0.0;
  uint n = pc.causal != 0u ? i + 1u : pc.s;
  for (uint j = 0u; j < n; ++j) {
    vec4 t = vec4(0.0);
    for (uint d = 0u; d < D4; ++d)
      t += qi[d] * k[keys + j * D4 + d];
    float x = t.x + t.y + t.z + t.w;
    float mNew = max(m, x);
    float corr = exp(m - mNew), p = exp(x - mNew);
    l = l * corr + p;
    for (uint d = 0u; d < D4; ++d)
      acc[d] = acc[d] * corr + p * v[keys + j * D4 + d];
    m = mNew;
  }
  for (uint d = 0u; d < D4; ++d)
    o[row * D4 + d] = acc[d] / l;
}
