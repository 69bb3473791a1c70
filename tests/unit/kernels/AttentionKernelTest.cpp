//===- AttentionKernelTest.cpp - attnc_k_attention against the oracle -----===//
//
// Runs the CPU flash-attention kernel on a matrix of shapes (batch, heads,
// GQA, Sq != Sk, odd lengths and head dims), masks (additive, keep-mask,
// broadcast and strided), causal modes and strided operands, split over two
// threads, and compares every output with the fp64 oracle at the fp32
// target tolerance. Queries with every key masked must give exact zeros.
//
//===----------------------------------------------------------------------===//

#include "tests/unit/kernels/KernelTestUtils.h"

#include "oracle/Kernels.h"
#include "runtime/cpu/Kernels.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <thread>

using namespace attnc;
using namespace attnc::kernel_test;

namespace {

enum class MaskCase {
  None,
  /// Additive [B, 1, 1, Sk]: 0 or -inf per key (padding), batch b pads its
  /// last 3b + 2 keys and batch 2 all of them.
  Padding,
  /// Additive [1, 1, Sq, Sk] random values, some -inf, one row all -inf.
  Additive,
  /// Keep-mask [B, Hq, Sq, Sk], random, one row all false.
  Keep,
  /// Keep-mask [1, Hq, 1, Sk] (broadcast over batch and queries).
  KeepKeys,
  /// Additive [Sq, Sk] stored transposed (strides 0, 0, 1, Sq).
  AdditiveTransposed,
  /// Additive [B, 1, Sq, Sk], 0 or the lowest float (as frameworks build
  /// padding masks): hidden keys get weight 0, but a row hidden entirely
  /// is uniform (the value is finite), not zero.
  Lowest,
};

struct AttentionCase {
  std::string name;
  int64_t batch, heads, kvHeads, sq, sk, d, dv;
  MaskCase mask = MaskCase::None;
  int causal = 0;
  /// Q, K, V and out in [B, S, H, D] order with padded rows.
  bool strided = false;
  float scale = 0; // 0: 1/sqrt(d)
};

std::ostream &operator<<(std::ostream &os, const AttentionCase &c) {
  return os << c.name;
}

/// One operand: its logical [B, H, S, D] values and where they are stored.
struct Operand {
  int64_t b, h, s, d;
  int64_t strides[3];
  std::vector<float> storage;
  OracleTensor logical;

  Operand(int64_t b, int64_t h, int64_t s, int64_t d, bool strided,
          uint64_t seed)
      : b(b), h(h), s(s), d(d) {
    int64_t row = strided ? d + 3 : d;
    if (strided) {
      strides[0] = s * h * row, strides[1] = row, strides[2] = h * row;
    } else {
      strides[0] = h * s * row, strides[1] = s * row, strides[2] = row;
    }
    storage.assign(b * strides[0] + 64, kSentinel);
    logical.shape = {b, h, s, d};
    logical.data.resize(b * h * s * d);
    Random rng(seed);
    for (int64_t i = 0; i < b; ++i)
      for (int64_t j = 0; j < h; ++j)
        for (int64_t k = 0; k < s; ++k)
          for (int64_t c = 0; c < d; ++c) {
            float x = rng.uniform(-1.0f, 1.0f);
            storage[offset(i, j, k) + c] = x;
            logical.data[((i * h + j) * s + k) * d + c] = x;
          }
  }
  int64_t offset(int64_t i, int64_t j, int64_t k) const {
    return i * strides[0] + j * strides[1] + k * strides[2];
  }
};

/// The mask in both forms: the oracle's tensor and the kernel's buffer.
struct MaskData {
  OracleTensor tensor;
  std::vector<float> additive;
  std::vector<uint8_t> keep;
  int64_t strides[4] = {0, 0, 0, 0};
};

MaskData makeMask(const AttentionCase &c) {
  MaskData m;
  Random rng(99);
  int64_t b = c.batch, h = c.heads, sq = c.sq, sk = c.sk;
  switch (c.mask) {
  case MaskCase::None:
    break;
  case MaskCase::Padding:
    m.tensor.shape = {b, 1, 1, sk};
    for (int64_t i = 0; i < b; ++i)
      for (int64_t j = 0; j < sk; ++j)
        m.additive.push_back(i == 2 || j >= sk - i * 3 - 2 ? -INFINITY : 0.0f);
    m.strides[0] = sk, m.strides[3] = 1;
    break;
  case MaskCase::Additive:
  case MaskCase::AdditiveTransposed:
    m.tensor.shape = {1, 1, sq, sk};
    m.additive.resize(sq * sk);
    for (int64_t i = 0; i < sq; ++i)
      for (int64_t j = 0; j < sk; ++j) {
        float x = rng.uniform(-3.0f, 1.0f);
        if (rng.uniform(0.0f, 1.0f) < 0.1f || i == sq / 2)
          x = -INFINITY;
        int64_t at = c.mask == MaskCase::Additive ? i * sk + j : j * sq + i;
        m.additive[at] = x;
      }
    if (c.mask == MaskCase::Additive)
      m.strides[2] = sk, m.strides[3] = 1;
    else
      m.strides[2] = 1, m.strides[3] = sq;
    break;
  case MaskCase::Lowest:
    m.tensor.shape = {b, 1, sq, sk};
    for (int64_t i = 0; i < b * sq; ++i)
      for (int64_t j = 0; j < sk; ++j)
        m.additive.push_back(i % sq < 3 || j % 4 == 1 ? -3.4028234663852886e38f
                                                      : 0.0f);
    m.strides[0] = sq * sk, m.strides[2] = sk, m.strides[3] = 1;
    break;
  case MaskCase::Keep:
    m.tensor.shape = {b, h, sq, sk};
    for (int64_t i = 0; i < b * h * sq; ++i)
      for (int64_t j = 0; j < sk; ++j)
        m.keep.push_back(i == sq / 2 ? 0 : rng.uniform(0.0f, 1.0f) < 0.7f);
    m.strides[0] = h * sq * sk, m.strides[1] = sq * sk, m.strides[2] = sk;
    m.strides[3] = 1;
    break;
  case MaskCase::KeepKeys:
    m.tensor.shape = {1, h, 1, sk};
    for (int64_t i = 0; i < h; ++i)
      for (int64_t j = 0; j < sk; ++j)
        m.keep.push_back(j % 3 != 1);
    m.strides[1] = sk, m.strides[3] = 1;
    break;
  }
  // The oracle's tensor holds the logical [..., Sq, Sk] values.
  if (c.mask == MaskCase::AdditiveTransposed) {
    m.tensor.data.resize(sq * sk);
    for (int64_t i = 0; i < sq; ++i)
      for (int64_t j = 0; j < sk; ++j)
        m.tensor.data[i * sk + j] = m.additive[j * sq + i];
  } else if (!m.additive.empty()) {
    m.tensor.data.assign(m.additive.begin(), m.additive.end());
  } else {
    m.tensor.data.assign(m.keep.begin(), m.keep.end());
  }
  return m;
}

class AttentionKernelTest : public ::testing::TestWithParam<AttentionCase> {};

TEST_P(AttentionKernelTest, MatchesOracle) {
  const AttentionCase &c = GetParam();
  Operand q(c.batch, c.heads, c.sq, c.d, c.strided, 1);
  Operand k(c.batch, c.kvHeads, c.sk, c.d, c.strided, 2);
  Operand v(c.batch, c.kvHeads, c.sk, c.dv, c.strided, 3);
  Operand out(c.batch, c.heads, c.sq, c.dv, c.strided, 4);
  std::fill(out.storage.begin(), out.storage.end(), kSentinel);
  MaskData mask = makeMask(c);
  float scale = c.scale != 0 ? c.scale : 1.0f / std::sqrt(float(c.d));

  attnc_attention_args a = {};
  a.q = q.storage.data(), a.k = k.storage.data(), a.v = v.storage.data();
  a.out = out.storage.data();
  a.batch = c.batch, a.heads = c.heads, a.kv_heads = c.kvHeads;
  a.sq = c.sq, a.sk = c.sk, a.d = c.d, a.dv = c.dv;
  for (int i = 0; i < 3; ++i) {
    a.q_stride[i] = q.strides[i];
    a.k_stride[i] = k.strides[i];
    a.v_stride[i] = v.strides[i];
    a.out_stride[i] = out.strides[i];
  }
  a.mask_kind = mask.keep.empty() ? (mask.additive.empty() ? 0 : 1) : 2;
  a.mask = a.mask_kind == 1   ? static_cast<const void *>(mask.additive.data())
           : a.mask_kind == 2 ? static_cast<const void *>(mask.keep.data())
                              : nullptr;
  for (int i = 0; i < 4; ++i)
    a.mask_stride[i] = mask.strides[i];
  a.causal = c.causal;
  a.scale = scale;
  runOnTwoThreads(attnc_k_attention_tasks(&a), attnc_k_attention_scratch(&a),
                  [&](int64_t begin, int64_t end, void *scratch) {
                    attnc_k_attention(&a, begin, end, scratch);
                  });

  kernels::Mask oracleMask;
  if (a.mask_kind) {
    oracleMask.values = &mask.tensor;
    oracleMask.isBool = a.mask_kind == 2;
  }
  auto want = kernels::attention(q.logical, k.logical, v.logical, oracleMask,
                                 scale, mlir::attn::CausalKind(c.causal), {});
  ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());

  // Every stored element is compared; a query whose keys are all masked
  // must be exactly 0 (the oracle gives 0 there too).
  Comparison cmp(kFp32TargetTolerance, "out");
  int64_t fullyMasked = 0;
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h)
      for (int64_t i = 0; i < c.sq; ++i) {
        bool anyVisible = false;
        for (int64_t j = 0; j < c.sk && !anyVisible; ++j) {
          bool visible = kernels::causalVisible(
              mlir::attn::CausalKind(c.causal), i, j, c.sq, c.sk);
          if (visible && a.mask_kind) {
            int64_t at = b * mask.strides[0] + h * mask.strides[1] +
                         i * mask.strides[2] + j * mask.strides[3];
            visible = a.mask_kind == 1 ? mask.additive[at] != -INFINITY
                                       : mask.keep[at] != 0;
          }
          anyVisible = visible;
        }
        fullyMasked += !anyVisible;
        for (int64_t d = 0; d < c.dv; ++d) {
          float got = out.storage[out.offset(b, h, i) + d];
          double expected =
              want->data[((b * c.heads + h) * c.sq + i) * c.dv + d];
          if (!anyVisible)
            cmp.exact(got, 0.0, {b, h, i, d}, " (every key masked)");
          else
            cmp.check(got, expected, {b, h, i, d});
        }
      }
  EXPECT_TRUE(cmp.result()) << c.name;
  if (c.mask == MaskCase::Keep || c.mask == MaskCase::Additive ||
      (c.mask == MaskCase::Padding && c.batch >= 3)) {
    EXPECT_GT(fullyMasked, 0) << "the case should contain a fully masked row";
  }
  // Padding of strided rows and memory past the output stay untouched.
  std::vector<bool> written(out.storage.size());
  for (int64_t b = 0; b < c.batch; ++b)
    for (int64_t h = 0; h < c.heads; ++h)
      for (int64_t i = 0; i < c.sq; ++i)
        for (int64_t d = 0; d < c.dv; ++d)
          written[out.offset(b, h, i) + d] = true;
  EXPECT_EQ(countStrayWrites(out.storage, written), 0)
      << "elements written outside the output";
}

std::vector<AttentionCase> attentionCases() {
  using M = MaskCase;
  std::vector<AttentionCase> cases = {
      // name, batch, heads, kv heads, sq, sk, d, dv, mask, causal, strided
      {"single_token", 1, 1, 1, 1, 1, 32, 32},
      {"seven", 1, 4, 4, 7, 7, 64, 64},
      {"b3_h4_s129_d80", 3, 4, 4, 129, 129, 80, 80},
      {"b1_h8_s129_d128", 1, 8, 8, 129, 129, 128, 128},
      {"gqa_8_over_2", 1, 8, 2, 129, 129, 64, 64},
      {"s1000_d64", 1, 2, 2, 1000, 1000, 64, 64},
      {"s2048_d32", 1, 1, 1, 2048, 2048, 32, 32},
      {"cross_129_500", 1, 4, 4, 129, 500, 64, 64},
      {"cross_500_129", 1, 4, 4, 500, 129, 32, 32},
      {"decode_1_500", 3, 8, 2, 1, 500, 64, 64},
      {"decode_1_500_bottom_right", 1, 8, 2, 1, 500, 128, 128, M::None, 2},
      {"odd_dims_d2", 1, 2, 2, 33, 40, 2, 2},
      {"odd_dims_d17_dv5", 2, 2, 1, 70, 65, 17, 5},
      {"dv_ne_d", 1, 4, 4, 100, 100, 64, 80},
      {"scale_2", 1, 2, 2, 64, 64, 64, 64, M::None, 0, false, 2.0f},
      {"top_left_square", 1, 4, 4, 129, 129, 64, 64, M::None, 1},
      {"top_left_1000", 1, 2, 2, 1000, 1000, 64, 64, M::None, 1},
      {"bottom_right_square", 1, 4, 4, 129, 129, 80, 80, M::None, 2},
      {"top_left_sq_lt_sk", 1, 2, 2, 100, 300, 64, 64, M::None, 1},
      {"bottom_right_sq_lt_sk", 1, 2, 2, 100, 300, 64, 64, M::None, 2},
      {"top_left_sq_gt_sk", 1, 2, 2, 300, 100, 32, 32, M::None, 1},
      {"bottom_right_sq_gt_sk", 1, 2, 2, 300, 100, 32, 32, M::None, 2},
      {"padding_mask", 3, 4, 4, 129, 129, 64, 64, M::Padding},
      {"padding_mask_causal", 3, 2, 2, 70, 70, 32, 32, M::Padding, 1},
      {"additive_mask", 1, 4, 2, 129, 129, 64, 64, M::Additive},
      {"additive_mask_causal", 1, 2, 2, 200, 200, 64, 64, M::Additive, 1},
      {"additive_mask_transposed", 1, 2, 2, 65, 77, 32, 32,
       M::AdditiveTransposed},
      {"keep_mask", 3, 4, 4, 129, 129, 64, 64, M::Keep},
      {"lowest_float_mask", 2, 2, 2, 70, 90, 32, 32, M::Lowest},
      {"lowest_float_mask_causal", 2, 2, 2, 70, 70, 32, 32, M::Lowest, 1},
      {"keep_mask_bottom_right", 1, 4, 4, 7, 129, 80, 80, M::Keep, 2},
      {"keep_mask_keys", 3, 4, 4, 129, 129, 64, 64, M::KeepKeys},
      {"strided", 3, 4, 2, 129, 129, 64, 64, M::None, 0, true},
      {"strided_causal_mask", 1, 4, 4, 129, 70, 17, 80, M::Keep, 2, true},
      {"strided_decode", 1, 8, 2, 1, 500, 64, 64, M::Padding, 0, true},
      // Grouped-query heads sharing a tile's lanes (short query sequences).
      {"gqa_packed_7_keep_bottom_right", 2, 8, 2, 7, 300, 64, 64, M::Keep, 2},
      {"gqa_packed_20_straddling_tiles", 1, 8, 2, 20, 100, 32, 48, M::Additive,
       1, true},
      {"gqa_packed_keep_keys", 3, 4, 1, 3, 129, 80, 80, M::KeepKeys},
  };
  return cases;
}

INSTANTIATE_TEST_SUITE_P(
    ATTNC_KERNEL_BLOCKING, AttentionKernelTest,
    ::testing::ValuesIn(attentionCases()),
    [](const ::testing::TestParamInfo<AttentionCase> &info) {
      return info.param.name;
    });

} // namespace
