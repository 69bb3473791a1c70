// attention.comp - flash attention: one workgroup per (query tile, head, batch).
//
// Each of the L invocations owns ROWS query rows (rows i0 + r * L + lane):
// their pre-scaled Q rows and output accumulators stay in registers with an
// fp32 running max and sum per row, and the keys are walked in steps of
// KEYS. Keys past the causal bound of the tile's last row are never visited;
// masked keys get exactly zero weight and a row whose keys are all masked is
// written as zeros.
//
// Portable variant (CPU devices such as lavapipe, which run a workgroup as
// SIMD lanes): every K and V texel of a step is fetched once, straight from
// the texel buffers, for all L * ROWS rows, and the step's scores get one
// max and one rescale; every loop of a step is unrolled so that the rows'
// state stays in registers. Subgroup variant (GPUs): the step's K/V tile is
// staged in shared memory by the whole workgroup, a tile whose keys are all
// hidden from a subgroup's rows is skipped (subgroupAny), and the keys of a
// tile are taken one at a time.
//
// attention_common.glsl (ahead of this file) reads the rows and decides
// which scores are visible.

#if ATTNC_SUBGROUP
shared vec4 tileK[KEYS * D4];
shared vec4 tileV[KEYS * DV4];
#endif

// The rows' state. Every index is a constant once the loops over rows are
// unrolled, so these stay in registers.
vec4 q[ROWS * D4];
vec4 acc[ROWS * DV4];
float m[ROWS], l[ROWS];
uint b, h, lane, i0, kBase, vBase;

// One past the last key visible to vector r of the tile (rows
// i0 + r * L .. i0 + r * L + L - 1; keys of a causal tile are visible up to
// its last row's bound).
uint keyBound(uint r) {
  int bound = int(pc.sk);
#if CAUSAL
  bound = clamp(int(min(i0 + r * L + L, pc.sq)) + pc.causalOffset, 0, bound);
#endif
  return uint(bound);
}

#if !ATTNC_SUBGROUP
// One step of KEYS keys from j0 for vectors r0.. of the tile (keys from kEnd
// on are hidden): the scores, one max and one rescale per row, then the
// weighted V rows. Every K and V texel is fetched once for all those rows.
// lavapipe fetches a texel through a function call, which spills every live
// vector register, so a step fetches all its K (then V) texels before
// computing with them; the rows' accumulators then stay in registers.
void portableStep(uint r0, uint j0, uint kEnd) {
  vec4 kv[KEYS * (D4 > DV4 ? D4 : DV4)];
  [[unroll]] for (uint kk = 0u; kk < KEYS; ++kk) {
    uint keyBase = kBase + min(j0 + kk, pc.sk - 1u) * pc.kS;
    [[unroll]] for (uint d = 0u; d < D4; ++d)
      kv[kk * D4 + d] = FETCH4(kTex, keyBase, d, pc.d);
  }
  // Scores start as the mask's offsets, -inf where the key is hidden.
  float s[ROWS * KEYS];
  [[unroll]] for (uint r = r0; r < ROWS; ++r) {
    float t[KEYS];
    [[unroll]] for (uint kk = 0u; kk < KEYS; ++kk)
      t[kk] = 0.0;
    [[unroll]] for (uint d = 0u; d < D4; ++d) {
      vec4 qd = q[r * D4 + d];
      [[unroll]] for (uint kk = 0u; kk < KEYS; ++kk) {
        vec4 k = kv[kk * D4 + d];
        t[kk] = fma(qd.x, k.x, fma(qd.y, k.y, fma(qd.z, k.z, fma(qd.w, k.w, t[kk]))));
      }
    }
    [[unroll]] for (uint kk = 0u; kk < KEYS; ++kk) {
      float x = visibleScore(b, h, i0 + r * L + lane, j0 + kk, kEnd);
      s[r * KEYS + kk] = x == NEG_INF ? NEG_INF : x + t[kk];
    }
  }
  [[unroll]] for (uint kk = 0u; kk < KEYS; ++kk) {
    uint keyBase = vBase + min(j0 + kk, pc.sk - 1u) * pc.vS;
    [[unroll]] for (uint d = 0u; d < DV4; ++d)
      kv[kk * DV4 + d] = FETCH4(vTex, keyBase, d, pc.dv);
  }
  [[unroll]] for (uint r = r0; r < ROWS; ++r) {
    float mNew = m[r];
    [[unroll]] for (uint kk = 0u; kk < KEYS; ++kk)
      mNew = max(mNew, s[r * KEYS + kk]);
    float corr = mNew == NEG_INF ? 1.0 : exp2(m[r] - mNew);
    m[r] = mNew;
    float sum = l[r] * corr;
    [[unroll]] for (uint kk = 0u; kk < KEYS; ++kk) {
      float x = s[r * KEYS + kk];
      float p = x == NEG_INF ? 0.0 : exp2(x - mNew);
      s[r * KEYS + kk] = p;
      sum += p;
    }
    l[r] = sum;
    [[unroll]] for (uint d = 0u; d < DV4; ++d) {
      vec4 a = acc[r * DV4 + d] * corr;
      [[unroll]] for (uint kk = 0u; kk < KEYS; ++kk)
        a = fma(vec4(s[r * KEYS + kk]), kv[kk * DV4 + d], a);
      acc[r * DV4 + d] = a;
    }
  }
}

// Keys [start, end) for vectors r0.. of the tile. A do-while: lavapipe
// runs the exit test of a while loop as one more (masked) pass over the
// body, which this saves; an empty range costs one pass that changes
// nothing.
void portableKeys(uint r0, uint start, uint end) {
  uint j0 = start;
  do {
    portableStep(r0, j0, end);
    j0 += KEYS;
  } while (j0 < end);
}

// A causal phase: the keys from `start` up to the bound of vector r1 - 1,
// visited with vectors r0.. (none when r0 is past the tile). Returns where
// it stopped.
uint causalPhase(uint r0, uint r1, uint start) {
  if (r0 >= ROWS)
    return start;
  uint end = keyBound(min(r1, ROWS) - 1u);
  portableKeys(r0, start, end);
  return end;
}
#endif

void main() {
  lane = gl_LocalInvocationID.x;
  b = gl_WorkGroupID.z;
  h = gl_WorkGroupID.y;
  i0 = gl_WorkGroupID.x * L * ROWS;
  uint kh = h / pc.kvGroup;
  kBase = b * pc.kB + kh * pc.kH;
  vBase = b * pc.vB + kh * pc.vH;

  [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
    uint i = min(i0 + r * L + lane, pc.sq - 1u);
    uint qBase = b * pc.qB + h * pc.qH + i * pc.qS;
    [[unroll]] for (uint d = 0u; d < D4; ++d)
      q[r * D4 + d] = FETCH4(qTex, qBase, d, pc.d) * pc.scale;
    [[unroll]] for (uint d = 0u; d < DV4; ++d)
      acc[r * DV4 + d] = vec4(0.0);
    m[r] = NEG_INF;
    l[r] = 0.0;
  }

  // Keys past the last visible one of the tile's last row are skipped.
  uint kEnd = keyBound(ROWS - 1u);

#if ATTNC_SUBGROUP
  // GPUs: each step's K/V tile is staged in shared memory by the whole
  // workgroup; the keys of the tile are then taken one at a time (a loop the
  // compiler need not unroll), and a tile whose keys are all hidden from the
  // subgroup's rows is skipped.
  for (uint j0 = 0u; j0 < kEnd; j0 += KEYS) {
    barrier();
    for (uint e = lane; e < KEYS * D4; e += L)
      tileK[e] = FETCH4(kTex, kBase + min(j0 + e / D4, pc.sk - 1u) * pc.kS,
                        e % D4, pc.d);
    for (uint e = lane; e < KEYS * DV4; e += L)
      tileV[e] = FETCH4(vTex, vBase + min(j0 + e / DV4, pc.sk - 1u) * pc.vS,
                        e % DV4, pc.dv);
    barrier();
    uint tileEnd = min(j0 + KEYS, kEnd);
    bool anyVisible = false;
    for (uint key = j0; key < tileEnd; ++key)
      [[unroll]] for (uint r = 0u; r < ROWS; ++r)
        anyVisible = anyVisible || visibleScore(b, h, i0 + r * L + lane, key,
                                                kEnd) != NEG_INF;
    if (!subgroupAny(anyVisible))
      continue;
    for (uint key = j0; key < tileEnd; ++key) {
      [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
        float x = visibleScore(b, h, i0 + r * L + lane, key, kEnd);
        if (x == NEG_INF)
          continue;
        vec4 t = vec4(0.0);
        [[unroll]] for (uint d = 0u; d < D4; ++d)
          t = fma(q[r * D4 + d], tileK[(key - j0) * D4 + d], t);
        x += (t.x + t.y) + (t.z + t.w);
        float mNew = max(m[r], x);
        float corr = exp2(m[r] - mNew), p = exp2(x - mNew);
        m[r] = mNew;
        l[r] = l[r] * corr + p;
        [[unroll]] for (uint d = 0u; d < DV4; ++d)
          acc[r * DV4 + d] =
              fma(vec4(p), tileV[(key - j0) * DV4 + d], acc[r * DV4 + d] * corr);
      }
    }
  }
#else
  // CPU devices run the workgroup as SIMD lanes and both sides of a branch,
  // so hidden keys cannot be skipped row by row; but the L rows of a vector
  // are consecutive and share nearly one causal bound. The keys are walked
  // in phases: phase p visits the keys up to the bound of its last vector
  // with only the vectors from its first on (those before it see none of
  // them).
#if CAUSAL
  uint phase = ROWS < 4u ? 1u : ROWS / 4u;
  uint start = causalPhase(0u, phase, 0u);
  start = causalPhase(phase, 2u * phase, start);
  start = causalPhase(2u * phase, 3u * phase, start);
  causalPhase(3u * phase, ROWS, start);
#else
  portableKeys(0u, 0u, kEnd);
#endif
#endif

  [[unroll]] for (uint r = 0u; r < ROWS; ++r) {
    uint i = i0 + r * L + lane;
    if (i >= pc.sq)
      continue;
    float inv = l[r] > 0.0 ? 1.0 / l[r] : 0.0;
    uint oBase = b * pc.oB + h * pc.oH + i * pc.oS;
    [[unroll]] for (uint d = 0u; d < DV4; ++d) {
      vec4 a = acc[r * DV4 + d] * inv;
#if KV_VEC4
      outBuf_STORE4(oBase / 4u + d, a);
#else
      [[unroll]] for (uint c = 0u; c < 4u; ++c)
        if (d * 4u + c < pc.dv)
          outBuf_STORE(oBase + d * 4u + c, a[c]);
#endif
    }
  }
}
