// matmul.comp - C[b] = A[b] · B[b] for A [M, K] and B [K, N].
//
// A and B are read through texel buffers (aTex, bTex), addressed through
// element strides, so a transposed operand is only a different pair of
// strides and a batch dim with stride 0 broadcasts; gl_WorkGroupID.z walks
// up to three batch dims (innermost last).
//
// Portable variant (CPU devices such as lavapipe, which run a workgroup as
// SIMD lanes and fetch each texel through a function call): each invocation
// computes a TM x TN block of C in registers, with no shared memory and no
// barrier. Each step of four k fetches the block's A and B texels first and
// then does its TM * TN * 4 multiply-adds, so that no accumulator is live
// across a fetch.
// Subgroup variant (GPUs; it uses no subgroup operation): a workgroup of
// WX x WY invocations computes a (WY * TM) x (WX * TN) tile, TM x TN outputs
// each, from BK-deep slices of A and B staged in shared memory.
// Cooperative-matrix variants (f16 data): matmul_coopmat.comp.
//
// Every element of C goes through attncEpilogue (or attncEpilogue4 for a
// group of four), the elementwise ops the schedule fused after the matmul
// (bias, activation, residual), or the identity.
//
// Macros: A_VEC4 1 when A rows are read as float4 texels along k; B_VEC4
// 0 element texels, 1 float4 texels along k (B columns contiguous), 2 float4
// texels along n (B rows contiguous); C_VEC4 1 when C rows are written as
// vec4s.

#extension GL_EXT_control_flow_attributes : require

// Element e of A or B.
float loadA(uint e) {
#if A_VEC4
  return texelFetch(aTex, int(e >> 2u))[e & 3u];
#else
  return texelFetch(aTex, int(e)).x;
#endif
}

float loadB(uint e) {
#if B_VEC4 != 0
  return texelFetch(bTex, int(e >> 2u))[e & 3u];
#else
  return texelFetch(bTex, int(e)).x;
#endif
}

// Element e of C: the product x, through the epilogue (the elementwise
// ops fused after the matmul, attncEpilogue ahead of this file).
void storeC(uint e, float x) {
  cBuf_STORE(e, attncEpilogue(e, x));
}

void batchOffsets(out uint aOff, out uint bOff, out uint cOff) {
  uint z = gl_WorkGroupID.z;
  uint b2 = z % pc.batch2;
  uint b1 = (z / pc.batch2) % pc.batch1;
  uint b0 = z / (pc.batch2 * pc.batch1);
  aOff = b0 * pc.aB0 + b1 * pc.aB1 + b2 * pc.aB2;
  bOff = b0 * pc.bB0 + b1 * pc.bB1 + b2 * pc.bB2;
  cOff = b0 * pc.cB0 + b1 * pc.cB1 + b2 * pc.cB2;
}

#if ATTNC_COOPMAT
// The cooperative-matrix main() follows (matmul_coopmat.comp).
#elif ATTNC_SUBGROUP
const uint WX = gl_WorkGroupSize.x;
const uint WY = gl_WorkGroupSize.y;
const uint BM = WY * TM;
const uint BN = WX * TN;

shared float tileA[BK * BM];
shared float tileB[BK * BN];

void main() {
  uint aOff, bOff, cOff;
  batchOffsets(aOff, bOff, cOff);
  uint row0 = gl_WorkGroupID.y * BM;
  uint col0 = gl_WorkGroupID.x * BN;
  uint lx = gl_LocalInvocationID.x, ly = gl_LocalInvocationID.y;
  uint tid = ly * WX + lx;

  float acc[TM * TN];
  for (uint e = 0u; e < TM * TN; ++e)
    acc[e] = 0.0;

  for (uint k0 = 0u; k0 < pc.k; k0 += BK) {
    for (uint e = tid; e < BK * BM; e += WX * WY) {
      uint r = row0 + e % BM, c = k0 + e / BM;
      tileA[e] =
          r < pc.m && c < pc.k ? loadA(aOff + r * pc.aRow + c * pc.aCol) : 0.0;
    }
    for (uint e = tid; e < BK * BN; e += WX * WY) {
      uint r = k0 + e / BN, c = col0 + e % BN;
      tileB[e] =
          r < pc.k && c < pc.n ? loadB(bOff + r * pc.bRow + c * pc.bCol) : 0.0;
    }
    barrier();
    for (uint kk = 0u; kk < BK; ++kk) {
      float a[TM], bv[TN];
      for (uint i = 0u; i < TM; ++i)
        a[i] = tileA[kk * BM + ly + i * WY];
      for (uint j = 0u; j < TN; ++j)
        bv[j] = tileB[kk * BN + lx + j * WX];
      for (uint i = 0u; i < TM; ++i)
        for (uint j = 0u; j < TN; ++j)
          acc[i * TN + j] = fma(a[i], bv[j], acc[i * TN + j]);
    }
    barrier();
  }

  for (uint i = 0u; i < TM; ++i) {
    uint r = row0 + ly + i * WY;
    for (uint j = 0u; j < TN; ++j) {
      uint c = col0 + lx + j * WX;
      if (r < pc.m && c < pc.n)
        storeC(cOff + r * pc.cRow + c, acc[i * TN + j]);
    }
  }
}
#else
// Four elements of A from (row offset aRow, k): A[row][k .. k + 3], zero
// past k = pc.k.
vec4 fetchA(uint aRow, uint k) {
#if A_VEC4
  return texelFetch(aTex, int((aRow + k) >> 2u));
#else
  vec4 v;
  [[unroll]] for (uint c = 0u; c < 4u; ++c) {
    float x = texelFetch(aTex, int(aRow + min(k + c, pc.k - 1u) * pc.aCol)).x;
    v[c] = k + c < pc.k ? x : 0.0;
  }
  return v;
#endif
}

// Invocation g of a batch computes block (g % mBlocks, g / mBlocks): rows
// row0 .. row0 + TM - 1 and columns col0 .. col0 + TN - 1 of C.
void main() {
  uint aOff, bOff, cOff;
  batchOffsets(aOff, bOff, cOff);
  uint g = attncGroupIndex() * gl_WorkGroupSize.x + gl_LocalInvocationID.x;
  uint mBlocks = (pc.m + TM - 1u) / TM;
  uint row0 = (g % mBlocks) * TM, col0 = (g / mBlocks) * TN;
  if (col0 >= pc.n)
    return;

  // Operand rows and columns clamped into range, so that every fetch reads
  // a valid texel; the outputs they give are not stored.
  uint aRows[TM];
  [[unroll]] for (uint i = 0u; i < TM; ++i)
    aRows[i] = aOff + min(row0 + i, pc.m - 1u) * pc.aRow;
  uint bCols[TN];
  [[unroll]] for (uint j = 0u; j < TN; ++j)
    bCols[j] = bOff + min(col0 + j, pc.n - 1u) * pc.bCol;

  float acc[TM * TN];
  [[unroll]] for (uint e = 0u; e < TM * TN; ++e)
    acc[e] = 0.0;
  for (uint k = 0u; k < pc.k; k += 4u) {
    vec4 a[TM];
    [[unroll]] for (uint i = 0u; i < TM; ++i)
      a[i] = fetchA(aRows[i], k);
#if B_VEC4 == 2
    // b[c * TN / 4 + j]: B[k + c][col0 + 4j .. col0 + 4j + 3].
    vec4 b[TN];
    [[unroll]] for (uint c = 0u; c < 4u; ++c)
      [[unroll]] for (uint j = 0u; j < TN / 4u; ++j)
        b[c * (TN / 4u) + j] = texelFetch(
            bTex, int((bOff + (k + c) * pc.bRow + min(col0 + 4u * j, pc.n - 4u)) >> 2u));
#define B_AT(c, j) b[(c) * (TN / 4u) + (j) / 4u][(j) % 4u]
#else
    // b[j]: B[k .. k + 3][col0 + j], zero past k = pc.k.
    vec4 b[TN];
    [[unroll]] for (uint j = 0u; j < TN; ++j) {
#if B_VEC4 == 1
      b[j] = texelFetch(bTex, int((bCols[j] + k) >> 2u));
#else
      [[unroll]] for (uint c = 0u; c < 4u; ++c) {
        float x = texelFetch(bTex, int(bCols[j] + min(k + c, pc.k - 1u) * pc.bRow)).x;
        b[j][c] = k + c < pc.k ? x : 0.0;
      }
#endif
    }
#define B_AT(c, j) b[j][c]
#endif
    [[unroll]] for (uint i = 0u; i < TM; ++i)
      [[unroll]] for (uint j = 0u; j < TN; ++j)
        acc[i * TN + j] += a[i].x * B_AT(0u, j) + a[i].y * B_AT(1u, j) +
                           a[i].z * B_AT(2u, j) + a[i].w * B_AT(3u, j);
  }

  [[unroll]] for (uint i = 0u; i < TM; ++i) {
    uint r = row0 + i;
    if (r >= pc.m)
      continue;
    uint rowBase = cOff + r * pc.cRow + col0;
#if C_VEC4
    [[unroll]] for (uint j = 0u; j < TN / 4u; ++j)
      if (col0 + 4u * j < pc.n)
        cBuf_STORE4(rowBase / 4u + j,
            attncEpilogue4(rowBase / 4u + j,
                vec4(acc[i * TN + 4u * j], acc[i * TN + 4u * j + 1u],
                     acc[i * TN + 4u * j + 2u], acc[i * TN + 4u * j + 3u])));
#else
    [[unroll]] for (uint j = 0u; j < TN; ++j)
      if (col0 + j < pc.n)
        storeC(rowBase + j, acc[i * TN + j]);
#endif
  }
}
#endif
