//===- Attention.cpp - flash attention for the CPU kernel library ---------===//
//
// attnc_k_attention: tiles of 64 queries against tiles of 64 keys with an
// online softmax, so the Sq x Sk scores never exist beyond one tile. The
// queries of a tile lie along the vector lanes (Q is transposed once per
// task), which makes the softmax's max and sum plain vertical operations and
// lets K and V be read in place, one broadcast element at a time.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/Kernels.h"
#include "runtime/cpu/kernels/VecMath.h"

using namespace attnc::cpu;

namespace {

/// Queries per tile: four vectors of 16 lanes.
constexpr int kTileQ = 64;
/// Keys per tile.
constexpr int kTileK = 64;
/// Keys per score micro-kernel call and value columns per P·V call, each
/// against kMicroQV query vectors: 24 accumulators of 32 registers with
/// AVX-512, 6 of 8 with AVX2.
constexpr int kMicro = 6;
constexpr int kMicroQV = kVectorRegisters >= 32 ? 4 : 1;
/// Scores are kept in base 2: Q is scaled by scale·log2(e), additive masks
/// by log2(e), and the softmax uses 2^x.
constexpr float kLog2e = 1.44269504088896341f;

/// Everything one task reads, resolved to its query rows. Lane l < nq of
/// the tile holds query row[l], read from qRow[l], written to outRow[l],
/// masked from maskOffset[l]; lanes past nq repeat lane nq - 1 and are
/// never stored. Usually the lanes are consecutive queries of one head
/// (`contiguous`: their Q, out and mask rows are one row stride apart, as
/// the transposing fast paths need); for grouped-query attention with short
/// query sequences they may span several heads that share K and V.
struct Tile {
  const float *k, *v;
  int64_t qs, ks, vs, os; // row strides
  int64_t d, dv, sq, sk;
  int64_t nq;
  bool contiguous;
  int64_t causalOffset; // key j is visible to query i iff j <= i + offset
  int32_t causal;
  int32_t maskKind;
  bool maskPerLane; // lanes read different mask elements for one key
  const void *mask;
  int64_t maskRowStride, maskColStride;
  float qScale;
  int32_t row[kTileQ];
  const float *qRow[kTileQ];
  float *outRow[kTileQ];
  int64_t maskOffset[kTileQ];
};

/// Per-worker scratch: Qᵀ [d][64], the score tile Sᵀ [64 keys][64], the
/// mask tile Mᵀ (same shape), the output accumulator Oᵀ [dv][64], and the
/// running max and sum.
struct Scratch {
  float *qt, *st, *mt, *ot, *m, *l;
};

int64_t scratchFloats(int64_t d, int64_t dv) {
  return kTileQ * (d + 2 * kTileK + dv + 2);
}

Scratch carve(void *raw, int64_t d, int64_t dv) {
  float *p = static_cast<float *>(raw);
  Scratch s;
  s.qt = p;
  s.st = s.qt + kTileQ * d;
  s.mt = s.st + kTileQ * kTileK;
  s.ot = s.mt + kTileQ * kTileK;
  s.m = s.ot + kTileQ * dv;
  s.l = s.m + kTileQ;
  return s;
}

//===----------------------------------------------------------------------===//
// Micro-kernels
//===----------------------------------------------------------------------===//

/// Sᵀ[r][:] = Σ_c K[r][c] · Qᵀ[c][:] for NK keys and NQV query vectors.
template <int NQV, int NK>
ATTNC_VEC_INLINE void scoreMicro(const float *qt, const float *k, int64_t ks,
                                 int64_t d, float *st) {
  f32x16 acc[NK][NQV];
  for (int r = 0; r < NK; ++r)
    for (int v = 0; v < NQV; ++v)
      acc[r][v] = splat(0.0f);
  for (int64_t c = 0; c < d; ++c) {
    f32x16 qv[NQV];
    for (int v = 0; v < NQV; ++v)
      qv[v] = load(qt + c * kTileQ + v * kLanes);
    for (int r = 0; r < NK; ++r) {
      float kc = k[r * ks + c];
      for (int v = 0; v < NQV; ++v)
        acc[r][v] += kc * qv[v];
    }
  }
  for (int r = 0; r < NK; ++r)
    for (int v = 0; v < NQV; ++v)
      store(st + r * kTileQ + v * kLanes, acc[r][v]);
}

/// Oᵀ[r][:] = Oᵀ[r][:] · alpha + Σ_j V[j][r] · Pᵀ[j][:] for NDV value columns.
template <int NQV, int NDV>
ATTNC_VEC_INLINE void valueMicro(const float *pt, int64_t nk, const float *v,
                                 int64_t vs, float *ot, const f32x16 *alpha) {
  f32x16 acc[NDV][NQV];
  for (int r = 0; r < NDV; ++r)
    for (int q = 0; q < NQV; ++q)
      acc[r][q] = load(ot + r * kTileQ + q * kLanes) * alpha[q];
  for (int64_t j = 0; j < nk; ++j) {
    f32x16 p[NQV];
    for (int q = 0; q < NQV; ++q)
      p[q] = load(pt + j * kTileQ + q * kLanes);
    for (int r = 0; r < NDV; ++r) {
      float x = v[j * vs + r];
      for (int q = 0; q < NQV; ++q)
        acc[r][q] += x * p[q];
    }
  }
  for (int r = 0; r < NDV; ++r)
    for (int q = 0; q < NQV; ++q)
      store(ot + r * kTileQ + q * kLanes, acc[r][q]);
}

//===----------------------------------------------------------------------===//
// Tile steps
//===----------------------------------------------------------------------===//

/// The scores of `nk` keys starting at `k` against NQV query vectors.
template <int NQV>
ATTNC_VEC_INLINE void computeScoresGroup(const float *qt, const float *k,
                                         int64_t ks, int64_t d, int64_t nk,
                                         float *st) {
  int64_t j = 0;
  for (; j + kMicro <= nk; j += kMicro)
    scoreMicro<NQV, kMicro>(qt, k + j * ks, ks, d, st + j * kTileQ);
  const float *kr = k + j * ks;
  float *sr = st + j * kTileQ;
  switch (nk - j) {
  case 5:
    return scoreMicro<NQV, 5>(qt, kr, ks, d, sr);
  case 4:
    return scoreMicro<NQV, 4>(qt, kr, ks, d, sr);
  case 3:
    return scoreMicro<NQV, 3>(qt, kr, ks, d, sr);
  case 2:
    return scoreMicro<NQV, 2>(qt, kr, ks, d, sr);
  case 1:
    return scoreMicro<NQV, 1>(qt, kr, ks, d, sr);
  }
}

/// Oᵀ = Oᵀ · alpha + Vᵀ · Pᵀ over `nk` keys for NQV query vectors.
template <int NQV>
ATTNC_VEC_INLINE void
accumulateValuesGroup(const float *pt, int64_t nk, const float *v, int64_t vs,
                      int64_t dv, float *ot, const f32x16 *alpha) {
  int64_t c = 0;
  for (; c + kMicro <= dv; c += kMicro)
    valueMicro<NQV, kMicro>(pt, nk, v + c, vs, ot + c * kTileQ, alpha);
  const float *vc = v + c;
  float *oc = ot + c * kTileQ;
  switch (dv - c) {
  case 5:
    return valueMicro<NQV, 5>(pt, nk, vc, vs, oc, alpha);
  case 4:
    return valueMicro<NQV, 4>(pt, nk, vc, vs, oc, alpha);
  case 3:
    return valueMicro<NQV, 3>(pt, nk, vc, vs, oc, alpha);
  case 2:
    return valueMicro<NQV, 2>(pt, nk, vc, vs, oc, alpha);
  case 1:
    return valueMicro<NQV, 1>(pt, nk, vc, vs, oc, alpha);
  }
}

/// The micro-kernels take at most kMicroQV query vectors; larger tiles go
/// through them in groups.
template <int NQV>
ATTNC_VEC_INLINE void computeScores(const float *qt, const float *k, int64_t ks,
                                    int64_t d, int64_t nk, float *st) {
  constexpr int QV = NQV < kMicroQV ? NQV : kMicroQV;
  static_assert(NQV % QV == 0, "query vectors split into equal groups");
  for (int q = 0; q < NQV; q += QV)
    computeScoresGroup<QV>(qt + q * kLanes, k, ks, d, nk, st + q * kLanes);
}

template <int NQV>
ATTNC_VEC_INLINE void accumulateValues(const float *pt, int64_t nk,
                                       const float *v, int64_t vs, int64_t dv,
                                       float *ot, const f32x16 *alpha) {
  constexpr int QV = NQV < kMicroQV ? NQV : kMicroQV;
  static_assert(NQV % QV == 0, "query vectors split into equal groups");
  for (int q = 0; q < NQV; q += QV)
    accumulateValuesGroup<QV>(pt + q * kLanes, nk, v, vs, dv, ot + q * kLanes,
                              alpha + q);
}

/// Mᵀ[j][i] for keys [j0, j0 + nk) and the tile's queries, for a mask that
/// varies along queries. Where the keys are contiguous, 16 x 16 blocks
/// are transposed with shuffles; elsewhere each element is loaded alone
/// (rows past the end repeat the last one, their lanes are never stored).
template <typename T, int NQV>
ATTNC_VEC_INLINE void loadMaskTile(const Tile &t, int64_t j0, int64_t nk,
                                   float *mt) {
  const T *m = static_cast<const T *>(t.mask);
  int64_t rs = t.maskRowStride, cs = t.maskColStride;
  for (int q = 0; q < NQV; ++q) {
    int64_t lane0 = q * kLanes;
    int64_t j = 0;
    if (t.contiguous && t.nq - lane0 >= kLanes && cs == 1)
      for (; j + kLanes <= nk; j += kLanes) {
        const T *src = m + t.maskOffset[lane0] + j0 + j;
        float *dst = mt + j * kTileQ + q * kLanes;
        if constexpr (sizeof(T) == sizeof(float)) {
          transpose16(src, rs, dst, kTileQ, splat(1.0f));
        } else {
          float rows[kLanes * kLanes];
          for (int r = 0; r < kLanes; ++r)
            store(rows + r * kLanes, loadBytes(src + r * rs));
          transpose16(rows, kLanes, dst, kTileQ, splat(1.0f));
        }
      }
    for (; j < nk; ++j)
      for (int lane = 0; lane < kLanes; ++lane)
        mt[j * kTileQ + lane0 + lane] =
            float(m[t.maskOffset[lane0 + lane] + (j0 + j) * cs]);
  }
}

/// An additive mask value in base-2 score units. -inf (a hidden key) stays
/// -inf, but finite values saturate at -FLT_MAX rather than overflow: a row
/// masked only by a huge finite value (frameworks use the type's lowest)
/// then keeps the uniform weights fp64 gives it instead of becoming zeros.
ATTNC_VEC_INLINE f32x16 additiveMaskToLog2(f32x16 m) {
  f32x16 scaled = vmax(m * kLog2e, splat(-__FLT_MAX__));
  return select(m == -__builtin_inff(), m, scaled);
}

/// Applies the mask and, when `causal` is set, the causal limit to the
/// scores of keys [j0, j0 + nk): hidden positions become -inf. A mask that
/// is the same for every query (padding) is read once per key.
template <int NQV>
ATTNC_VEC_INLINE void maskScores(const Tile &t, int64_t j0, int64_t nk,
                                 bool causal, float *st, float *mt) {
  const f32x16 negInf = splat(-__builtin_inff());
  bool perQuery = t.maskPerLane;
  if (perQuery && t.maskKind == 1)
    loadMaskTile<float, NQV>(t, j0, nk, mt);
  else if (perQuery)
    loadMaskTile<uint8_t, NQV>(t, j0, nk, mt);
  i32x16 rows[NQV];
  for (int q = 0; q < NQV; ++q)
    __builtin_memcpy(&rows[q], t.row + q * kLanes, sizeof(rows[q]));
  for (int64_t j = 0; j < nk; ++j) {
    int64_t key = j0 + j;
    f32x16 keyMask = splat(0.0f);
    int64_t at = t.maskOffset[0] + key * t.maskColStride;
    if (t.maskKind == 1 && !perQuery)
      keyMask =
          additiveMaskToLog2(splat(static_cast<const float *>(t.mask)[at]));
    else if (t.maskKind == 2 && !perQuery)
      keyMask = splat(float(static_cast<const uint8_t *>(t.mask)[at]));
    for (int q = 0; q < NQV; ++q) {
      float *sp = st + j * kTileQ + q * kLanes;
      f32x16 s = load(sp);
      if (causal) {
        // key <= row + offset, shifted so it fits int32 lanes.
        int32_t shift = int32_t(t.causalOffset - key);
        s = select(rows[q] + shift >= 0, s, negInf);
      }
      if (t.maskKind != 0) {
        f32x16 mv = keyMask;
        if (perQuery) {
          mv = load(mt + j * kTileQ + q * kLanes);
          mv = t.maskKind == 1 ? additiveMaskToLog2(mv) : mv;
        }
        s = t.maskKind == 1 ? s + mv : select(mv != 0.0f, s, negInf);
      }
      store(sp, s);
    }
  }
}

/// Online softmax over the scores of one key tile: updates the running max
/// and sum, turns the scores into weights 2^(s - max) in place and returns
/// in `alpha` the factor that rescales what was accumulated before.
template <int NQV>
ATTNC_VEC_INLINE void softmaxTile(float *st, int64_t nk, float *mRun,
                                  float *lRun, f32x16 *alpha) {
  const f32x16 negInf = splat(-__builtin_inff());
  f32x16 mx[2][NQV];
  for (int q = 0; q < NQV; ++q) {
    mx[0][q] = load(mRun + q * kLanes);
    mx[1][q] = negInf;
  }
  int64_t j = 0;
  for (; j + 2 <= nk; j += 2)
    for (int u = 0; u < 2; ++u)
      for (int q = 0; q < NQV; ++q)
        mx[u][q] = vmax(mx[u][q], load(st + (j + u) * kTileQ + q * kLanes));
  if (j < nk)
    for (int q = 0; q < NQV; ++q)
      mx[0][q] = vmax(mx[0][q], load(st + j * kTileQ + q * kLanes));

  f32x16 base[NQV], sum[2][NQV];
  for (int q = 0; q < NQV; ++q) {
    f32x16 m = vmax(mx[0][q], mx[1][q]);
    // A row with every key masked so far keeps max -inf; subtracting 0
    // instead keeps its weights at exactly 0 and avoids -inf - -inf.
    base[q] = select(m == negInf, splat(0.0f), m);
    alpha[q] = exp2v(load(mRun + q * kLanes) - base[q]);
    store(mRun + q * kLanes, m);
    sum[0][q] = sum[1][q] = splat(0.0f);
  }
  for (j = 0; j + 2 <= nk; j += 2)
    for (int u = 0; u < 2; ++u)
      for (int q = 0; q < NQV; ++q) {
        float *sp = st + (j + u) * kTileQ + q * kLanes;
        f32x16 p = exp2v(load(sp) - base[q]);
        store(sp, p);
        sum[u][q] += p;
      }
  if (j < nk)
    for (int q = 0; q < NQV; ++q) {
      float *sp = st + j * kTileQ + q * kLanes;
      f32x16 p = exp2v(load(sp) - base[q]);
      store(sp, p);
      sum[0][q] += p;
    }
  for (int q = 0; q < NQV; ++q) {
    float *lp = lRun + q * kLanes;
    store(lp, load(lp) * alpha[q] + sum[0][q] + sum[1][q]);
  }
}

/// Qᵀ[c][i] = Q[i][c] · qScale for the tile's queries, 0 for padding lanes.
template <int NQV> ATTNC_VEC_INLINE void packQueries(const Tile &t, float *qt) {
  for (int q = 0; q < NQV; ++q) {
    int64_t rows = t.nq - q * kLanes;
    float *dst = qt + q * kLanes;
    int64_t c = 0;
    if (t.contiguous && rows >= kLanes)
      for (; c + kLanes <= t.d; c += kLanes)
        transpose16(t.qRow[q * kLanes] + c, t.qs, dst + c * kTileQ, kTileQ,
                    splat(t.qScale));
    for (int64_t i = 0; i < kLanes; ++i) {
      const float *src = t.qRow[q * kLanes + i];
      for (int64_t cc = c; cc < t.d; ++cc)
        dst[cc * kTileQ + i] = i < rows ? src[cc] * t.qScale : 0.0f;
    }
  }
}

/// Out[i][c] = Oᵀ[c][i] / l[i], or 0 for a query with every key masked.
template <int NQV>
ATTNC_VEC_INLINE void storeOutput(const Tile &t, const float *ot,
                                  const float *lRun) {
  for (int q = 0; q < NQV; ++q) {
    f32x16 l = load(lRun + q * kLanes);
    f32x16 inv = select(l > 0.0f, 1.0f / l, splat(0.0f));
    int64_t rows = t.nq - q * kLanes;
    const float *src = ot + q * kLanes;
    int64_t c = 0;
    if (t.contiguous && rows >= kLanes)
      for (; c + kLanes <= t.dv; c += kLanes)
        transpose16(src + c * kTileQ, kTileQ, t.outRow[q * kLanes] + c, t.os,
                    inv);
    for (int64_t i = 0; i < rows && i < kLanes; ++i) {
      float *dst = t.outRow[q * kLanes + i];
      for (int64_t cc = c; cc < t.dv; ++cc)
        dst[cc] = src[cc * kTileQ + i] * inv[i];
    }
  }
}

/// One query tile against every key it can see.
template <int NQV>
ATTNC_VEC_ATTRS void runTile(const Tile &t, const Scratch &s) {
  packQueries<NQV>(t, s.qt);
  for (int64_t i = 0; i < kTileQ; ++i) {
    s.m[i] = -__builtin_inff();
    s.l[i] = 0.0f;
  }
  for (int64_t i = 0; i < t.dv * kTileQ; ++i)
    s.ot[i] = 0.0f;

  // Keys [0, fullEnd) are visible to every query of the tile, keys from
  // `end` on to none of them.
  int64_t end = t.sk, fullEnd = t.sk;
  if (t.causal) {
    int64_t lo = t.row[0], hi = t.row[0];
    for (int64_t i = 1; i < t.nq; ++i) {
      lo = t.row[i] < lo ? t.row[i] : lo;
      hi = t.row[i] > hi ? t.row[i] : hi;
    }
    int64_t last = hi + t.causalOffset + 1, first = lo + t.causalOffset + 1;
    end = last < 0 ? 0 : last < t.sk ? last : t.sk;
    fullEnd = first < 0 ? 0 : first < t.sk ? first : t.sk;
  }
  f32x16 alpha[NQV];
  for (int64_t j0 = 0; j0 < end; j0 += kTileK) {
    int64_t nk = end - j0 < kTileK ? end - j0 : kTileK;
    computeScores<NQV>(s.qt, t.k + j0 * t.ks, t.ks, t.d, nk, s.st);
    bool causalPart = t.causal && j0 + nk > fullEnd;
    if (causalPart || t.maskKind)
      maskScores<NQV>(t, j0, nk, causalPart, s.st, s.mt);
    softmaxTile<NQV>(s.st, nk, s.m, s.l, alpha);
    accumulateValues<NQV>(s.st, nk, t.v + j0 * t.vs, t.vs, t.dv, s.ot, alpha);
  }
  storeOutput<NQV>(t, s.ot, s.l);
}

/// How query rows are grouped into tasks: per (batch, head), `sq` rows cut
/// into tiles of 64; or, for grouped-query attention with a short query
/// sequence (decoding), per (batch, kv head) the rows of the group's heads
/// one after another, so the lanes a lone query would waste hold other
/// heads that read the same K and V.
struct Layout {
  bool packHeads;
  int64_t group, units, rowsPerUnit, tiles;
};

Layout layoutOf(const attnc_attention_args *a) {
  Layout l;
  l.group = a->heads / a->kv_heads;
  l.packHeads = l.group > 1 && a->sq < kTileQ && a->sq % kLanes != 0;
  l.units = a->batch * (l.packHeads ? a->kv_heads : a->heads);
  l.rowsPerUnit = l.packHeads ? l.group * a->sq : a->sq;
  l.tiles = (l.rowsPerUnit + kTileQ - 1) / kTileQ;
  return l;
}

/// Resolves task `task` to its tile. Without causal masking tasks run unit
/// by unit (K and V stay in cache). With it, a query tile's cost grows with
/// its index, so tasks alternate the longest and shortest remaining tiles
/// (over all units): any contiguous half of the tasks, and any greedy
/// dynamic split, gets about half the work.
void resolveTask(const attnc_attention_args *a, int64_t task, Tile &t) {
  Layout l = layoutOf(a);
  int64_t unit, tile;
  if (a->causal) {
    int64_t rank = task / l.units;
    unit = task % l.units;
    tile = rank % 2 == 0 ? l.tiles - 1 - rank / 2 : rank / 2;
  } else {
    unit = task / l.tiles;
    tile = task % l.tiles;
  }
  int64_t unitsPerBatch = l.packHeads ? a->kv_heads : a->heads;
  int64_t b = unit / unitsPerBatch, u = unit % unitsPerBatch;
  int64_t kh = l.packHeads ? u : u / l.group;

  int64_t r0 = tile * kTileQ;
  t.nq = l.rowsPerUnit - r0 < kTileQ ? l.rowsPerUnit - r0 : kTileQ;
  t.contiguous = !l.packHeads;
  t.k = a->k + b * a->k_stride[0] + kh * a->k_stride[1];
  t.v = a->v + b * a->v_stride[0] + kh * a->v_stride[1];
  t.qs = a->q_stride[2];
  t.ks = a->k_stride[2];
  t.vs = a->v_stride[2];
  t.os = a->out_stride[2];
  t.d = a->d;
  t.dv = a->dv;
  t.sq = a->sq;
  t.sk = a->sk;
  t.causal = a->causal;
  t.causalOffset = a->causal == 2 ? a->sk - a->sq : 0;
  t.maskKind = a->mask ? a->mask_kind : 0;
  t.mask = a->mask;
  t.maskRowStride = a->mask_stride[2];
  t.maskColStride = a->mask_stride[3];
  t.qScale = a->scale * kLog2e;
  t.maskPerLane = false;
  for (int64_t lane = 0; lane < kTileQ; ++lane) {
    int64_t r = r0 + (lane < t.nq ? lane : t.nq - 1);
    int64_t h = l.packHeads ? kh * l.group + r / a->sq : u;
    int64_t i = l.packHeads ? r % a->sq : r;
    t.row[lane] = int32_t(i);
    t.qRow[lane] =
        a->q + b * a->q_stride[0] + h * a->q_stride[1] + i * a->q_stride[2];
    t.outRow[lane] = a->out + b * a->out_stride[0] + h * a->out_stride[1] +
                     i * a->out_stride[2];
    t.maskOffset[lane] =
        b * a->mask_stride[0] + h * a->mask_stride[1] + i * a->mask_stride[2];
    t.maskPerLane |= t.maskKind && t.maskOffset[lane] != t.maskOffset[0];
  }
}

} // namespace

extern "C" {

int64_t attnc_k_attention_tasks(const attnc_attention_args *args) {
  Layout l = layoutOf(args);
  return l.units * l.tiles;
}

int64_t attnc_k_attention_scratch(const attnc_attention_args *args) {
  return scratchFloats(args->d, args->dv) * int64_t(sizeof(float));
}

ATTNC_VEC_ATTRS void attnc_k_attention(const attnc_attention_args *args,
                                       int64_t begin, int64_t end,
                                       void *scratch) {
  Scratch s = carve(scratch, args->d, args->dv);
  Tile t;
  for (int64_t task = begin; task < end; ++task) {
    resolveTask(args, task, t);
    switch ((t.nq + kLanes - 1) / kLanes) {
    case 1:
      runTile<1>(t, s);
      break;
    case 2:
      runTile<2>(t, s);
      break;
    case 3:
      runTile<3>(t, s);
      break;
    default:
      runTile<4>(t, s);
      break;
    }
  }
}

} // extern "C"
