//===- Matmul.cpp - blocked, packed GEMM for the CPU kernel library -------===//
//
// attnc_k_matmul: C = op(A)·op(B) with the BLIS loop structure. A task owns
// one block of C; it walks K in slices, packs its rows of A and a few
// columns of B per slice into per-worker scratch (so transposes and leading
// dimensions only matter while packing) and runs a register-blocked
// micro-kernel (12x32 with AVX-512) over the packed panels.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/Kernels.h"
#include "runtime/cpu/kernels/VecMath.h"

using namespace attnc::cpu;

namespace {

/// Micro-kernel rows and vector columns: 12 x 2 vectors = 24 accumulators
/// of 32 registers with AVX-512, 6 x 1 of 8 with AVX2.
constexpr int kMR = kVectorRegisters >= 32 ? 12 : 6;
constexpr int kNV = kVectorRegisters >= 32 ? 2 : 1;
constexpr int kNR = kNV * kLanes;
static_assert(kMR <= kLanes, "packA transposes kMR rows as one 16x16 block");
/// K slice: a packed A micro-panel (kMR x kKC, 12 KiB with AVX-512) stays in
/// L1 while it meets every micro-panel of the packed B block.
constexpr int64_t kKC = 256;
/// Columns of B packed at once: the kKC x kNC block (128 KiB) stays in L2
/// next to the packed A block (up to 384 KiB) and the C tiles being updated.
/// Wider blocks (512) measured 3-9% slower on 3072- and 4096-wide B.
constexpr int64_t kNC = 128;
/// The largest block of C a task owns.
constexpr int64_t kMaxTileM = 384;
constexpr int64_t kMaxTileN = 1024;
/// Enough tasks to keep two workers busy with dynamic scheduling.
constexpr int64_t kMinTasks = 4;

int64_t roundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }
int64_t ceilDiv(int64_t x, int64_t m) { return (x + m - 1) / m; }
int64_t minOf(int64_t a, int64_t b) { return a < b ? a : b; }

/// How C is cut into tasks.
struct Plan {
  int64_t batches, tileM, tileN, tilesM, tilesN;
};

Plan makePlan(const attnc_matmul_args *a) {
  Plan p;
  p.batches = a->batch[0] * a->batch[1] * a->batch[2];
  int64_t m = a->m > 0 ? a->m : 1, n = a->n > 0 ? a->n : 1;
  // Equal tiles no larger than the maximum, in whole micro-tiles.
  p.tileM = roundUp(ceilDiv(m, ceilDiv(m, kMaxTileM)), kMR);
  p.tilesM = ceilDiv(m, p.tileM);
  p.tileN = roundUp(ceilDiv(n, ceilDiv(n, kMaxTileN)), kNR);
  p.tilesN = ceilDiv(n, p.tileN);
  // Small problems: halve the larger side until both workers have work
  // (each extra M tile packs B again, each extra N tile packs A again).
  while (p.batches * p.tilesM * p.tilesN < kMinTasks &&
         (p.tileM > kMR || p.tileN > kNR)) {
    if (p.tileM > kMR && (p.tileM >= p.tileN || p.tileN <= kNR)) {
      p.tileM = roundUp(ceilDiv(p.tileM, 2), kMR);
      p.tilesM = ceilDiv(m, p.tileM);
    } else {
      p.tileN = roundUp(ceilDiv(p.tileN, 2), kNR);
      p.tilesN = ceilDiv(n, p.tileN);
    }
  }
  return p;
}

/// C[rows x cols] (+)= Ap · Bp over `kc`, with Ap a kc x kMR panel and Bp a
/// kc x kNR panel; partial tiles go through `tmp`.
ATTNC_VEC_INLINE void microKernel(const float *ap, const float *bp, int64_t kc,
                                  float *c, int64_t ldc, int64_t rows,
                                  int64_t cols, bool accumulate, float *tmp) {
  // C's tile is read at the end; start bringing it in now (it is usually
  // not in L1 or L2 any more since the previous K slice).
  if (accumulate)
    for (int r = 0; r < kMR; ++r)
      for (int v = 0; v < kNV; ++v)
        __builtin_prefetch(c + r * ldc + v * kLanes, 1);
  f32x16 acc[kMR][kNV];
  for (int r = 0; r < kMR; ++r)
    for (int v = 0; v < kNV; ++v)
      acc[r][v] = splat(0.0f);
  for (int64_t k = 0; k < kc; ++k) {
    f32x16 b[kNV];
    for (int v = 0; v < kNV; ++v)
      b[v] = load(bp + k * kNR + v * kLanes);
    for (int r = 0; r < kMR; ++r) {
      float x = ap[k * kMR + r];
      for (int v = 0; v < kNV; ++v)
        acc[r][v] += x * b[v];
    }
  }
  if (rows == kMR && cols == kNR) {
    for (int r = 0; r < kMR; ++r)
      for (int v = 0; v < kNV; ++v) {
        float *p = c + r * ldc + v * kLanes;
        store(p, accumulate ? load(p) + acc[r][v] : acc[r][v]);
      }
    return;
  }
  for (int r = 0; r < kMR; ++r)
    for (int v = 0; v < kNV; ++v)
      store(tmp + r * kNR + v * kLanes, acc[r][v]);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t j = 0; j < cols; ++j)
      c[r * ldc + j] = (accumulate ? c[r * ldc + j] : 0.0f) + tmp[r * kNR + j];
}

/// Packs rows [0, rows) and k [0, kc) of op(A) (A already offset to the
/// block) into panels of kMR rows: panel p holds Ap[k][r] = op(A)[p·kMR+r][k],
/// zero past `rows`.
ATTNC_VEC_ATTRS void packA(const float *a, int64_t lda, bool trans,
                           int64_t rows, int64_t kc, float *ap) {
  for (int64_t i0 = 0; i0 < rows; i0 += kMR, ap += kc * kMR) {
    int64_t nr = minOf(kMR, rows - i0);
    if (trans) {
      // op(A)[i][k] = A[k][i]: each k reads kMR contiguous elements.
      for (int64_t k = 0; k < kc; ++k)
        for (int64_t r = 0; r < kMR; ++r)
          ap[k * kMR + r] = r < nr ? a[k * lda + i0 + r] : 0.0f;
      continue;
    }
    // op(A)[i][k] = A[i][k]: 16 k at a time, the kMR rows (zeros past
    // `nr`) are transposed in registers and stored as 16 rows of 16 floats
    // kMR apart; each store's last 16 - kMR floats are overwritten by the
    // next row (the last ones land in the slack after the panel).
    int64_t k = 0;
    for (; k + kLanes <= kc; k += kLanes) {
      f32x16 r[kLanes];
      for (int i = 0; i < kLanes; ++i)
        r[i] = i < nr ? load(a + (i0 + i) * lda + k) : splat(0.0f);
      transpose16InPlace(r);
      for (int i = 0; i < kLanes; ++i)
        store(ap + (k + i) * kMR, r[i]);
    }
    for (; k < kc; ++k)
      for (int64_t r = 0; r < kMR; ++r)
        ap[k * kMR + r] = r < nr ? a[(i0 + r) * lda + k] : 0.0f;
  }
}

/// Packs k [0, kc) and columns [0, cols) of op(B) (B already offset) into
/// panels of kNR columns: Bp[k][c] = op(B)[k][p·kNR+c], zero past `cols`.
ATTNC_VEC_ATTRS void packB(const float *b, int64_t ldb, bool trans, int64_t kc,
                           int64_t cols, float *bp) {
  if (!trans) {
    // Row by row, so B is read sequentially rather than a few cache lines
    // from each of kc rows at a time.
    int64_t full = cols / kNR * kNR;
    for (int64_t k = 0; k < kc; ++k) {
      const float *row = b + k * ldb;
      for (int64_t j0 = 0; j0 < full; j0 += kNR)
        for (int v = 0; v < kNV; ++v)
          store(bp + j0 * kc + k * kNR + v * kLanes,
                load(row + j0 + v * kLanes));
      for (int64_t c = 0; c < kNR && full < cols; ++c)
        bp[full * kc + k * kNR + c] = full + c < cols ? row[full + c] : 0.0f;
    }
    return;
  }
  for (int64_t j0 = 0; j0 < cols; j0 += kNR, bp += kc * kNR) {
    int64_t nc = minOf(kNR, cols - j0);
    // op(B)[k][j] = B[j][k]: 16 x 16 transposes where whole blocks exist,
    // one group of 16 source rows down all of K before the next, so 16
    // rows of B are being read at a time rather than kNR.
    int64_t k = 0;
    if (nc == kNR) {
      int64_t whole = kc / kLanes * kLanes;
      for (int v = 0; v < kNV; ++v)
        for (k = 0; k < whole; k += kLanes)
          transpose16(b + (j0 + v * kLanes) * ldb + k, ldb,
                      bp + k * kNR + v * kLanes, kNR, splat(1.0f));
      k = whole;
    }
    for (; k < kc; ++k)
      for (int64_t c = 0; c < kNR; ++c)
        bp[k * kNR + c] = c < nc ? b[(j0 + c) * ldb + k] : 0.0f;
  }
}

/// One block of C: rows [i0, i0 + m), columns [j0, j0 + n) of batch `bat`.
ATTNC_VEC_ATTRS void runBlock(const attnc_matmul_args *a, const Plan &p,
                              int64_t bat, int64_t i0, int64_t m, int64_t j0,
                              int64_t n, float *scratch) {
  int64_t offA = 0, offB = 0, offC = 0;
  for (int d = 2; d >= 0; --d) {
    int64_t idx = bat % a->batch[d];
    bat /= a->batch[d];
    offA += idx * a->a_batch_stride[d];
    offB += idx * a->b_batch_stride[d];
    offC += idx * a->c_batch_stride[d];
  }
  float *c = a->c + offC + i0 * a->ldc + j0;
  if (a->k <= 0) {
    for (int64_t r = 0; r < m; ++r)
      for (int64_t j = 0; j < n; ++j)
        c[r * a->ldc + j] = 0.0f;
    return;
  }
  float *ap = scratch;
  float *bp = ap + p.tileM * kKC + kLanes;
  float *tmp = bp + minOf(p.tileN, kNC) * kKC;
  // A's element (i, k) is at i·lda + k, or k·lda + i when transposed.
  const float *aBlock = a->a + offA + (a->trans_a ? i0 : i0 * a->lda);
  const float *bBlock = a->b + offB + (a->trans_b ? j0 * a->ldb : j0);
  for (int64_t k0 = 0; k0 < a->k; k0 += kKC) {
    int64_t kc = minOf(kKC, a->k - k0);
    packA(aBlock + (a->trans_a ? k0 * a->lda : k0), a->lda, a->trans_a, m, kc,
          ap);
    for (int64_t jc = 0; jc < n; jc += kNC) {
      int64_t nc = minOf(kNC, n - jc);
      packB(bBlock + (a->trans_b ? jc * a->ldb + k0 : k0 * a->ldb + jc), a->ldb,
            a->trans_b, kc, nc, bp);
      // A micro-panel outer (kept in L1), B micro-panels inner (from L2).
      for (int64_t ir = 0; ir < m; ir += kMR)
        for (int64_t jr = 0; jr < nc; jr += kNR)
          microKernel(ap + ir * kc, bp + jr * kc, kc, c + ir * a->ldc + jc + jr,
                      a->ldc, minOf(kMR, m - ir), minOf(kNR, nc - jr), k0 > 0,
                      tmp);
    }
  }
}

} // namespace

extern "C" {

int64_t attnc_k_matmul_tasks(const attnc_matmul_args *args) {
  if (args->m <= 0 || args->n <= 0)
    return 0;
  Plan p = makePlan(args);
  return p.batches * p.tilesM * p.tilesN;
}

int64_t attnc_k_matmul_scratch(const attnc_matmul_args *args) {
  Plan p = makePlan(args);
  // The slack after packed A takes packA's overhanging stores.
  int64_t floats = (p.tileM + minOf(p.tileN, kNC)) * kKC + kLanes + kMR * kNR;
  return floats * int64_t(sizeof(float));
}

ATTNC_VEC_ATTRS void attnc_k_matmul(const attnc_matmul_args *args,
                                    int64_t begin, int64_t end, void *scratch) {
  Plan p = makePlan(args);
  for (int64_t task = begin; task < end; ++task) {
    int64_t bat = task / (p.tilesM * p.tilesN);
    int64_t mt = task / p.tilesN % p.tilesM, nt = task % p.tilesN;
    int64_t i0 = mt * p.tileM, j0 = nt * p.tileN;
    runBlock(args, p, bat, i0, minOf(p.tileM, args->m - i0), j0,
             minOf(p.tileN, args->n - j0), static_cast<float *>(scratch));
  }
}

} // extern "C"
