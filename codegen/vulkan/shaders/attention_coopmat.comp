// attention_coopmat.comp - flash attention on cooperative matrices (f16
// operands, f32 accumulation), FlashAttention-2 style: one workgroup per
// (block of BR = 16 * WARPS / HG query rows, group of HG query heads that
// read one kv head, batch); each warp of 32 invocations owns 16 rows of one
// of the heads (warp w: head w % HG, rows 16 * (w / HG) ..), so with
// grouped-query attention every staged K/V block serves HG heads.
//
// Per key block of BC keys: the workgroup stages the K and V rows of the
// block in shared memory as f16 (double-buffered when DOUBLE_BUF: the next
// block is staged while this one is used, one barrier per block); each warp
// computes its 16 x BC scores S = Q.K^T as cooperative-matrix products
// (Q's 16 x D fragments are loaded once), stores them to its scratch,
// applies the mask and causal bound and an online softmax in f32 (two
// lanes per row), writes P as f16, and adds P.V (16 x 16 products per
// output chunk) into its f32 output rows, which stay in registers: lane l
// holds row l / 2, columns 8 * (l % 2) .. + 7 of every 16-column chunk.
// Keys past the causal bound of the workgroup's last row are never staged;
// a block hidden from all of a warp's rows is skipped by that warp
// (cooperative-matrix form only: the emulated form synchronises warps with
// workgroup barriers). Head dims are padded with zeros to multiples of 16.
//
// COOPMAT_EMULATED 1 builds the same tiling, staging and data flow with the
// matrix operations done in plain GLSL (coopmat.glsl, ahead of this file),
// so devices without cooperative matrices (lavapipe in CI) run and test it.
//
// Specialisation constants: WARPS, HG (dividing WARPS and the kv group),
// BC (multiple of 16), D16 / DV16 (head dims in 16-column chunks),
// DOUBLE_BUF. Push constants and bindings are
// attention.comp's.

const uint BR = 16u * (WARPS / HG); // query rows per workgroup
const uint DP = 16u * D16, DVP = 16u * DV16;
const uint NBUF = DOUBLE_BUF != 0u ? 2u : 1u;

shared float16_t tileK[NBUF * BC * DP];
shared float16_t tileV[NBUF * BC * DVP];
shared float scoreScratch[WARPS * 16u * BC]; // S, then 16 x 16 P.V chunks
shared float16_t probScratch[WARPS * 16u * BC];
shared float rowScratch[WARPS * W];

uint b, h, kBase, vBase, kEnd;

// Stages key block `block` (keys from j0) into buffer `slot`: K and V rows
// as f16, zero past the keys' end and the head dims.
void stageBlock(uint slot, uint j0) {
  uint tid = gl_LocalInvocationID.x;
  for (uint e = tid; e < BC * (DP / 4u); e += L) {
    uint kk = e / (DP / 4u), d4 = e % (DP / 4u), key = j0 + kk;
    vec4 x = key < kEnd && d4 * 4u < pc.d
                 ? FETCH4(kTex, kBase + min(key, pc.sk - 1u) * pc.kS, d4, pc.d)
                 : vec4(0.0);
    uint at = slot * BC * DP + kk * DP + d4 * 4u;
    [[unroll]] for (uint c = 0u; c < 4u; ++c)
      tileK[at + c] = float16_t(x[c]);
  }
  for (uint e = tid; e < BC * (DVP / 4u); e += L) {
    uint kk = e / (DVP / 4u), d4 = e % (DVP / 4u), key = j0 + kk;
    vec4 x = key < kEnd && d4 * 4u < pc.dv
                 ? FETCH4(vTex, vBase + min(key, pc.sk - 1u) * pc.vS, d4, pc.dv)
                 : vec4(0.0);
    uint at = slot * BC * DVP + kk * DVP + d4 * 4u;
    [[unroll]] for (uint c = 0u; c < 4u; ++c)
      tileV[at + c] = float16_t(x[c]);
  }
}

void main() {
  warp = gl_LocalInvocationID.x / W;
  lane = gl_LocalInvocationID.x % W;
  b = gl_WorkGroupID.z;
  h = gl_WorkGroupID.y * HG + warp % HG;
  uint i0 = gl_WorkGroupID.x * BR, w0 = i0 + 16u * (warp / HG);
  uint kh = gl_WorkGroupID.y * HG / pc.kvGroup;
  kBase = b * pc.kB + kh * pc.kH;
  vBase = b * pc.vB + kh * pc.vH;
  // One past the last key any row of the workgroup (warp) may see.
  int bound = int(pc.sk), warpBound = int(pc.sk);
#if CAUSAL
  bound = clamp(int(min(i0 + BR, pc.sq)) + pc.causalOffset, 0, bound);
  warpBound = clamp(int(min(w0 + 16u, pc.sq)) + pc.causalOffset, 0, warpBound);
#endif
  kEnd = uint(bound);

  uint scores = warp * 16u * BC, row = lane >> 1u, part = lane & 1u;
  uint i = w0 + row;

  // Q (scaled, base 2) as D16 fragments, staged 16 columns at a time
  // through the warp's f16 scratch.
  FRAG_A q[D16];
  FRAG_LOOP for (uint dc = 0u; dc < D16; ++dc) {
    for (uint e = lane; e < 64u; e += W) {
      uint r = e / 4u, d4 = dc * 4u + e % 4u, qi = min(w0 + r, pc.sq - 1u);
      vec4 x = d4 * 4u < pc.d
                   ? FETCH4(qTex, b * pc.qB + h * pc.qH + qi * pc.qS, d4, pc.d) *
                         pc.scale
                   : vec4(0.0);
      [[unroll]] for (uint c = 0u; c < 4u; ++c)
        probScratch[scores + r * 16u + (e % 4u) * 4u + c] = float16_t(x[c]);
    }
    WARP_SYNC();
    FRAG_LOAD(q[dc], probScratch, scores, 16u, false);
    WARP_SYNC();
  }

  float m = NEG_INF, l = 0.0;
  float o[DV16 * 8u];
  [[unroll]] for (uint e = 0u; e < DV16 * 8u; ++e)
    o[e] = 0.0;

  uint blocks = (kEnd + BC - 1u) / BC;
  if (blocks > 0u)
    stageBlock(0u, 0u);
  for (uint t = 0u; t < blocks; ++t) {
    uint j0 = t * BC, slot = DOUBLE_BUF != 0u ? t & 1u : 0u;
    barrier(); // block t staged; with one buffer, also block t-1 consumed
    if (DOUBLE_BUF != 0u && t + 1u < blocks)
      stageBlock(slot ^ 1u, j0 + BC);
#if !COOPMAT_EMULATED
    if (int(j0) < warpBound) {
#endif
      // S = Q.K^T, 16 keys at a time: K^T is K's rows read column-major.
      FRAG_LOOP for (uint kc = 0u; kc < BC / 16u; ++kc) {
        FRAG_ACC s;
        fragZero(s);
        FRAG_LOOP for (uint dc = 0u; dc < D16; ++dc) {
          FRAG_A kt;
          FRAG_LOAD(kt, tileK, slot * BC * DP + kc * 16u * DP + dc * 16u, DP,
                    true);
          fragMulAdd(q[dc], kt, s);
        }
        FRAG_STORE(s, scoreScratch, scores + kc * 16u, BC);
      }
      WARP_SYNC();

      // Online softmax: lanes 2r and 2r + 1 share row r, half the keys each.
      float x[BC / 2u];
      float mHalf = NEG_INF;
      [[unroll]] for (uint c = 0u; c < BC / 2u; ++c) {
        uint col = part * (BC / 2u) + c;
        float v = visibleScore(b, h, i, j0 + col, kEnd);
        x[c] = v == NEG_INF ? NEG_INF : v + scoreScratch[scores + row * BC + col];
        mHalf = max(mHalf, x[c]);
      }
      rowScratch[warp * W + lane] = mHalf;
      WARP_SYNC();
      float mNew = max(m, max(mHalf, rowScratch[warp * W + (lane ^ 1u)]));
      float corr = mNew == NEG_INF ? 1.0 : exp2(m - mNew);
      float sumHalf = 0.0;
      [[unroll]] for (uint c = 0u; c < BC / 2u; ++c) {
        float p = x[c] == NEG_INF ? 0.0 : exp2(x[c] - mNew);
        float16_t p16 = float16_t(p);
        probScratch[scores + row * BC + part * (BC / 2u) + c] = p16;
        sumHalf += float(p16);
      }
      WARP_SYNC();
      rowScratch[warp * W + lane] = sumHalf;
      WARP_SYNC();
      l = l * corr + sumHalf + rowScratch[warp * W + (lane ^ 1u)];
      m = mNew;

      // O = O * corr + P.V, one 16-column chunk of V at a time.
      FRAG_A p[BC / 16u];
      FRAG_LOOP for (uint kc = 0u; kc < BC / 16u; ++kc)
        FRAG_LOAD(p[kc], probScratch, scores + kc * 16u, BC, false);
      FRAG_LOOP for (uint vc = 0u; vc < DV16; ++vc) {
        FRAG_ACC pv;
        fragZero(pv);
        FRAG_LOOP for (uint kc = 0u; kc < BC / 16u; ++kc) {
          FRAG_A v;
          FRAG_LOAD(v, tileV, slot * BC * DVP + kc * 16u * DVP + vc * 16u, DVP,
                    false);
          fragMulAdd(p[kc], v, pv);
        }
        FRAG_STORE(pv, scoreScratch, scores, 16u);
        WARP_SYNC();
        [[unroll]] for (uint c = 0u; c < 8u; ++c)
          o[vc * 8u + c] = o[vc * 8u + c] * corr +
                           scoreScratch[scores + row * 16u + part * 8u + c];
        WARP_SYNC();
      }
#if !COOPMAT_EMULATED
    }
#endif
    if (DOUBLE_BUF == 0u && t + 1u < blocks) {
      barrier();
      stageBlock(0u, j0 + BC);
    }
  }

  if (i >= pc.sq)
    return;
  float inv = l > 0.0 ? 1.0 / l : 0.0;
  uint oBase = b * pc.oB + h * pc.oH + i * pc.oS;
  FRAG_LOOP for (uint vc = 0u; vc < DV16; ++vc)
    [[unroll]] for (uint c = 0u; c < 8u; ++c) {
      uint d = vc * 16u + part * 8u + c;
      if (d < pc.dv)
        outBuf_STORE(oBase + d, o[vc * 8u + c] * inv);
    }
}
