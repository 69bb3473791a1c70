// matmul_coopmat.comp - C[b] = A[b] . B[b] on cooperative matrices (f16
// operands, f32 accumulation), after matmul.comp's helpers (loadA, loadB,
// storeC, batchOffsets) and coopmat.glsl.
//
// A workgroup of WARPS warps computes a BM x BN tile of C (BM = 16 * FM *
// WARPS_M, BN = 16 * FN * WARPS_N); warp w owns a (16 * FM) x (16 * FN)
// block, FM * FN independent accumulators. The K dim is walked in slices of
// BK: the workgroup stages the slice of A (BM x BK) and of B (BK x BN) in
// shared memory as f16, double-buffered when DOUBLE_BUF (the next slice is
// staged while this one is multiplied, one barrier per slice); each warp
// loads its FM A and FN B fragments per 16 of k and multiplies them into
// its accumulators. The epilogue goes through the warp's scratch: each
// accumulator is stored there as f32 and written to C by its lanes, 8
// elements each, within the matrix's bounds.
//
// Specialisation constants: WARPS, WARPS_N (WARPS_M = WARPS / WARPS_N), FM,
// FN, BK (a multiple of 16), DOUBLE_BUF. Push constants and bindings are
// matmul.comp's.

const uint WARPS_M = WARPS / WARPS_N;
const uint BM = 16u * FM * WARPS_M, BN = 16u * FN * WARPS_N;
const uint NBUF = DOUBLE_BUF != 0u ? 2u : 1u;

shared float16_t tileA[NBUF * BM * BK];
shared float16_t tileB[NBUF * BK * BN];
shared float outScratch[WARPS * 256u];

uint aOff, bOff, cOff, row0, col0;

// Stages the k slice from k0 into buffer `slot`: A row-major (BM x BK), B
// row-major (BK x BN), zero outside the matrices.
void stageSlice(uint slot, uint k0) {
  uint tid = gl_LocalInvocationID.x;
  for (uint e = tid; e < BM * BK; e += WARPS * W) {
    uint r = row0 + e / BK, c = k0 + e % BK;
    tileA[slot * BM * BK + e] = float16_t(
        r < pc.m && c < pc.k ? loadA(aOff + r * pc.aRow + c * pc.aCol) : 0.0);
  }
  for (uint e = tid; e < BK * BN; e += WARPS * W) {
    uint r = k0 + e / BN, c = col0 + e % BN;
    tileB[slot * BK * BN + e] = float16_t(
        r < pc.k && c < pc.n ? loadB(bOff + r * pc.bRow + c * pc.bCol) : 0.0);
  }
}

void main() {
  warp = gl_LocalInvocationID.x / W;
  lane = gl_LocalInvocationID.x % W;
  batchOffsets(aOff, bOff, cOff);
  row0 = gl_WorkGroupID.y * BM;
  col0 = gl_WorkGroupID.x * BN;
  uint wm = warp / WARPS_N, wn = warp % WARPS_N;

  FRAG_ACC acc[FM * FN];
  FRAG_LOOP for (uint f = 0u; f < FM * FN; ++f)
    fragZero(acc[f]);

  uint slices = (pc.k + BK - 1u) / BK;
  stageSlice(0u, 0u);
  for (uint t = 0u; t < slices; ++t) {
    uint slot = DOUBLE_BUF != 0u ? t & 1u : 0u;
    barrier(); // slice t staged; with one buffer, also slice t-1 used
    if (DOUBLE_BUF != 0u && t + 1u < slices)
      stageSlice(slot ^ 1u, (t + 1u) * BK);
    FRAG_LOOP for (uint kk = 0u; kk < BK / 16u; ++kk) {
      FRAG_A a[FM];
      FRAG_LOOP for (uint i = 0u; i < FM; ++i)
        FRAG_LOAD(a[i], tileA,
                  slot * BM * BK + (wm * FM + i) * 16u * BK + kk * 16u, BK,
                  false);
      FRAG_LOOP for (uint j = 0u; j < FN; ++j) {
        FRAG_A bf;
        FRAG_LOAD(bf, tileB,
                  slot * BK * BN + kk * 16u * BN + (wn * FN + j) * 16u, BN,
                  false);
        FRAG_LOOP for (uint i = 0u; i < FM; ++i)
          fragMulAdd(a[i], bf, acc[i * FN + j]);
      }
    }
    if (DOUBLE_BUF == 0u && t + 1u < slices) {
      barrier();
      stageSlice(0u, (t + 1u) * BK);
    }
  }

  uint r = lane >> 1u, c0 = (lane & 1u) * 8u;
  FRAG_LOOP for (uint f = 0u; f < FM * FN; ++f) {
    FRAG_STORE(acc[f], outScratch, warp * 256u, 16u);
    WARP_SYNC();
    uint row = row0 + (wm * FM + f / FN) * 16u + r;
    uint col = col0 + (wn * FN + f % FN) * 16u + c0;
    [[unroll]] for (uint e = 0u; e < 8u; ++e)
      if (row < pc.m && col + e < pc.n)
        storeC(cOff + row * pc.cRow + col + e,
               outScratch[warp * 256u + r * 16u + c0 + e]);
    WARP_SYNC();
  }
}
