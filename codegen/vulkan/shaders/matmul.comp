// matmul.comp - C[b] = A[b] · B[b], tiled through shared memory.
//
// A workgroup of WX x WY invocations computes a BM x BN tile of C
// (BM = WY * TM, BN = WX * TN), each invocation TM x TN outputs kept in
// registers; BK-deep slices of A and B are staged in shared memory. Operands
// are addressed through element strides, so a transposed operand is only a
// different pair of strides, and a batch dim with stride 0 broadcasts.
// gl_WorkGroupID.z walks up to three batch dims (innermost last).

const uint WX = gl_WorkGroupSize.x;
const uint WY = gl_WorkGroupSize.y;
const uint BM = WY * TM;
const uint BN = WX * TN;

shared float tileA[BK * BM];
shared float tileB[BK * BN];

void main() {
  uint z = gl_WorkGroupID.z;
  uint b2 = z % pc.batch2;
  uint b1 = (z / pc.batch2) % pc.batch1;
  uint b0 = z / (pc.batch2 * pc.batch1);
  uint aOff = b0 * pc.aB0 + b1 * pc.aB1 + b2 * pc.aB2;
  uint bOff = b0 * pc.bB0 + b1 * pc.bB1 + b2 * pc.bB2;
  uint cOff = b0 * pc.cB0 + b1 * pc.cB1 + b2 * pc.cB2;
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
      tileA[e] = r < pc.m && c < pc.k
                     ? aBuf.d[aOff + r * pc.aRow + c * pc.aCol]
                     : 0.0;
    }
    for (uint e = tid; e < BK * BN; e += WX * WY) {
      uint r = k0 + e / BN, c = col0 + e % BN;
      tileB[e] = r < pc.k && c < pc.n
                     ? bBuf.d[bOff + r * pc.bRow + c * pc.bCol]
                     : 0.0;
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
        cBuf.d[cOff + r * pc.cRow + c] = acc[i * TN + j];
    }
  }
}
