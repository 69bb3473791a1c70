//===- MatmulKernelTest.cpp - attnc_k_matmul against the oracle -----------===//
//
// Runs the CPU GEMM kernel over odd and blocked sizes, every transpose
// combination, padded leading dimensions and up to three batch dims with
// either operand broadcast, split over two threads, and compares with the
// fp64 oracle's matmul at the fp32 target tolerance.
//
//===----------------------------------------------------------------------===//

#include "tests/unit/kernels/KernelTestUtils.h"

#include "oracle/Kernels.h"
#include "runtime/cpu/Kernels.h"

#include <gtest/gtest.h>

using namespace attnc;
using namespace attnc::kernel_test;

namespace {

struct MatmulCase {
  std::string name;
  int64_t m, n, k;
  bool transA = false, transB = false;
  /// Extra elements per row beyond the row length (lda/ldb/ldc padding).
  int64_t pad = 0;
  std::array<int64_t, 3> batch = {1, 1, 1};
  /// Batch dims where A or B has extent 1 (a batch stride of 0).
  std::array<bool, 3> broadcastA = {false, false, false};
  std::array<bool, 3> broadcastB = {false, false, false};
};

std::ostream &operator<<(std::ostream &os, const MatmulCase &c) {
  return os << c.name;
}

/// A batched operand of `rows x cols` matrices (as stored) with leading
/// dimension cols + pad.
struct Matrices {
  std::array<int64_t, 3> dims, strides;
  int64_t rows, cols, ld;
  std::vector<float> storage;
  OracleTensor logical;

  Matrices(const std::array<int64_t, 3> &batch,
           const std::array<bool, 3> &broadcast, int64_t rows, int64_t cols,
           int64_t pad, uint64_t seed)
      : rows(rows), cols(cols), ld(cols + pad) {
    int64_t size = rows * ld;
    for (int d = 2; d >= 0; --d) {
      dims[d] = broadcast[d] ? 1 : batch[d];
      strides[d] = broadcast[d] ? 0 : size;
      size *= dims[d];
    }
    storage.assign(size + 64, kSentinel);
    logical.shape = {dims[0], dims[1], dims[2], rows, cols};
    Random rng(seed);
    for (int64_t b = 0; b < dims[0] * dims[1] * dims[2]; ++b)
      for (int64_t r = 0; r < rows; ++r)
        for (int64_t c = 0; c < cols; ++c) {
          float x = rng.uniform(-1.0f, 1.0f);
          storage[b * rows * ld + r * ld + c] = x;
          logical.data.push_back(x);
        }
  }
};

class MatmulKernelTest : public ::testing::TestWithParam<MatmulCase> {};

TEST_P(MatmulKernelTest, MatchesOracle) {
  const MatmulCase &c = GetParam();
  Matrices a(c.batch, c.broadcastA, c.transA ? c.k : c.m, c.transA ? c.m : c.k,
             c.pad, 1);
  Matrices b(c.batch, c.broadcastB, c.transB ? c.n : c.k, c.transB ? c.k : c.n,
             c.pad, 2);
  std::array<bool, 3> none = {false, false, false};
  Matrices out(c.batch, none, c.m, c.n, c.pad, 3);
  std::fill(out.storage.begin(), out.storage.end(), kSentinel);

  attnc_matmul_args args = {};
  args.a = a.storage.data(), args.b = b.storage.data();
  args.c = out.storage.data();
  args.m = c.m, args.n = c.n, args.k = c.k;
  args.lda = a.ld, args.ldb = b.ld, args.ldc = out.ld;
  args.trans_a = c.transA, args.trans_b = c.transB;
  for (int d = 0; d < 3; ++d) {
    args.batch[d] = c.batch[d];
    args.a_batch_stride[d] = a.strides[d];
    args.b_batch_stride[d] = b.strides[d];
    args.c_batch_stride[d] = out.strides[d];
  }
  runOnTwoThreads(attnc_k_matmul_tasks(&args), attnc_k_matmul_scratch(&args),
                  [&](int64_t begin, int64_t end, void *scratch) {
                    attnc_k_matmul(&args, begin, end, scratch);
                  });

  auto want = kernels::matmul(a.logical, b.logical, c.transA, c.transB);
  ASSERT_TRUE(bool(want)) << llvm::toString(want.takeError());
  Comparison cmp(kFp32TargetTolerance, "C");
  std::vector<bool> written(out.storage.size());
  int64_t batches = c.batch[0] * c.batch[1] * c.batch[2];
  for (int64_t bat = 0; bat < batches; ++bat)
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) {
        int64_t at = bat * c.m * out.ld + i * out.ld + j;
        written[at] = true;
        cmp.check(out.storage[at], want->data[(bat * c.m + i) * c.n + j],
                  {bat, i, j});
      }
  EXPECT_TRUE(cmp.result()) << c.name;
  EXPECT_EQ(countStrayWrites(out.storage, written), 0)
      << "elements written outside C";
}

std::vector<MatmulCase> matmulCases() {
  std::array<int64_t, 3> b23 = {2, 3, 1}, b223 = {2, 2, 3};
  std::array<bool, 3> none = {false, false, false};
  return {
      // name, m, n, k, transA, transB, pad, batch, broadcastA, broadcastB
      {"one", 1, 1, 1},
      {"odd_7x13x5", 7, 13, 5},
      {"k_zero", 5, 9, 0},
      {"gemv_row", 1, 1000, 64},
      {"tall_129x33x300", 129, 33, 300},
      {"blocked_400x1100x600", 400, 1100, 600},
      {"trans_a", 65, 100, 77, true, false},
      {"trans_b", 65, 100, 77, false, true},
      {"trans_both", 65, 100, 77, true, true},
      {"trans_b_blocked", 300, 130, 520, false, true},
      {"padded_ld", 50, 70, 90, false, false, 5},
      {"padded_ld_trans", 50, 70, 90, true, true, 3},
      {"batch_weights_shared",
       37,
       45,
       29,
       false,
       true,
       0,
       b23,
       none,
       {true, true, true}},
      {"batch3_broadcast_a",
       20,
       33,
       17,
       false,
       false,
       2,
       b223,
       {false, true, false},
       none},
      {"batch3_broadcast_b",
       64,
       64,
       64,
       true,
       false,
       0,
       b223,
       none,
       {true, false, true}},
  };
}

INSTANTIATE_TEST_SUITE_P(ATTNC_KERNEL_BLOCKING, MatmulKernelTest,
                         ::testing::ValuesIn(matmulCases()),
                         [](const ::testing::TestParamInfo<MatmulCase> &info) {
                           return info.param.name;
                         });

} // namespace
