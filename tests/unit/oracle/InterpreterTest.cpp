//===- InterpreterTest.cpp - the fp64 reference interpreter ---------------===//
//
// Functions written in the attn dialect, evaluated and compared with hand
// numbers (the tutorial attention of tests/data/seed_attention.json and the
// masking rule), closed forms and naive loops written here. Each comparison
// states its tolerance and prints the index and both values on failure.
//
//===----------------------------------------------------------------------===//

#include "oracle/Interpreter.h"

#include "ir/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <cmath>
#include <functional>
#include <random>
#include <sstream>

using namespace attnc;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

//===----------------------------------------------------------------------===//
// Helpers
//===----------------------------------------------------------------------===//

std::string show(double v) {
  std::ostringstream os;
  os.precision(17);
  os << v;
  return os.str();
}

/// |got - want| <= atol + rtol * |want| element by element; infinities must
/// match exactly and an expected NaN needs a NaN. Reports the first bad
/// index with both values.
::testing::AssertionResult allClose(const std::vector<double> &got,
                                    const std::vector<double> &want,
                                    double atol, double rtol) {
  if (got.size() != want.size())
    return ::testing::AssertionFailure()
           << "got " << got.size() << " elements, expected " << want.size();
  for (size_t i = 0; i < got.size(); ++i) {
    double g = got[i], w = want[i];
    bool ok = std::isnan(w)   ? std::isnan(g)
              : std::isinf(w) ? g == w
                              : std::fabs(g - w) <= atol + rtol * std::fabs(w);
    if (!ok)
      return ::testing::AssertionFailure()
             << "element " << i << ": got " << show(g) << ", expected "
             << show(w) << " (atol " << atol << ", rtol " << rtol << ")";
  }
  return ::testing::AssertionSuccess();
}

::testing::AssertionResult allClose(const OracleTensor &got,
                                    llvm::ArrayRef<int64_t> shape,
                                    const std::vector<double> &want,
                                    double atol, double rtol) {
  if (llvm::ArrayRef<int64_t>(got.shape) != shape) {
    std::ostringstream os;
    for (int64_t d : got.shape)
      os << d << ' ';
    return ::testing::AssertionFailure() << "unexpected shape: " << os.str();
  }
  return allClose(got.data, want, atol, rtol);
}

::testing::AssertionResult noNaN(const OracleTensor &t) {
  for (size_t i = 0; i < t.data.size(); ++i)
    if (std::isnan(t.data[i]))
      return ::testing::AssertionFailure() << "NaN at element " << i;
  return ::testing::AssertionSuccess();
}

HostTensor host(DTypeKind dtype, llvm::ArrayRef<int64_t> shape,
                const std::vector<double> &values) {
  HostTensor t(dtype, shape);
  EXPECT_EQ(static_cast<int64_t>(values.size()), t.numElements());
  for (size_t i = 0; i < values.size() && int64_t(i) < t.numElements(); ++i)
    t.setFromDouble(i, values[i]);
  return t;
}

HostTensor f64(llvm::ArrayRef<int64_t> shape,
               const std::vector<double> &values) {
  return host(DTypeKind::F64, shape, values);
}

std::vector<double> randomValues(size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<double> v(n);
  for (double &x : v)
    x = dist(rng);
  return v;
}

/// All numbers of a nested JSON array, row-major.
void flatten(const nlohmann::json &j, std::vector<double> &out) {
  if (j.is_array()) {
    for (const nlohmann::json &e : j)
      flatten(e, out);
    return;
  }
  out.push_back(j.get<double>());
}

std::vector<double> flat(const nlohmann::json &j) {
  std::vector<double> out;
  flatten(j, out);
  return out;
}

nlohmann::json loadSeedCase(llvm::StringRef name) {
  const char *env = std::getenv("ATTNC_TEST_DATA");
  std::string dir = env ? env : ATTNC_TEST_DATA_DIR;
  auto buffer = llvm::MemoryBuffer::getFile(dir + "/seed_attention.json");
  if (!buffer) {
    ADD_FAILURE() << "cannot read " << dir << "/seed_attention.json";
    return {};
  }
  nlohmann::json all = nlohmann::json::parse((*buffer)->getBuffer().str());
  for (const nlohmann::json &c : all["cases"])
    if (c["name"] == name.str())
      return c;
  ADD_FAILURE() << "no case " << name.str() << " in seed_attention.json";
  return {};
}

class InterpreterTest : public ::testing::Test {
protected:
  InterpreterTest()
      : handler(&context, [this](mlir::Diagnostic &d) {
          diagnostics += d.str() + "\n";
          return mlir::success();
        }) {
    context.loadDialect<mlir::attn::AttnDialect, mlir::func::FuncDialect>();
  }

  /// Parses `source` and returns its function @main (null on failure, with
  /// the parser's diagnostics reported).
  mlir::func::FuncOp parse(llvm::StringRef source) {
    diagnostics.clear();
    module = mlir::parseSourceString<mlir::ModuleOp>(
        source, mlir::ParserConfig(&context));
    if (!module) {
      ADD_FAILURE() << "parse failed:\n" << diagnostics;
      return nullptr;
    }
    auto func = module->lookupSymbol<mlir::func::FuncOp>("main");
    if (!func)
      ADD_FAILURE() << "no @main";
    return func;
  }

  /// Parses and evaluates @main, failing the test on any error.
  std::vector<OracleTensor> run(llvm::StringRef source,
                                llvm::ArrayRef<HostTensor> inputs = {}) {
    mlir::func::FuncOp func = parse(source);
    if (!func)
      return {};
    llvm::Expected<std::vector<OracleTensor>> results =
        evaluateFunction(func, inputs);
    if (!results) {
      ADD_FAILURE() << "evaluation failed: "
                    << llvm::toString(results.takeError());
      return {};
    }
    return std::move(*results);
  }

  /// Parses and evaluates @main, expecting an error; returns its message.
  std::string runError(llvm::StringRef source,
                       llvm::ArrayRef<HostTensor> inputs = {}) {
    mlir::func::FuncOp func = parse(source);
    if (!func)
      return "";
    llvm::Expected<std::vector<OracleTensor>> results =
        evaluateFunction(func, inputs);
    if (results) {
      ADD_FAILURE() << "evaluation succeeded, expected an error";
      return "";
    }
    return llvm::toString(results.takeError());
  }

  mlir::MLIRContext context;
  std::string diagnostics;
  mlir::ScopedDiagnosticHandler handler;
  mlir::OwningOpRef<mlir::ModuleOp> module;
};

#define ASSERT_RESULTS(results, n) ASSERT_EQ((results).size(), size_t(n))

//===----------------------------------------------------------------------===//
// The tutorial attention (seed_attention.json)
//===----------------------------------------------------------------------===//

std::vector<HostTensor> tutorialInputs(const nlohmann::json &c) {
  const nlohmann::json &in = c["inputs"];
  return {f64({3, 4}, flat(in["X"])), f64({4, 2}, flat(in["W_Q"])),
          f64({4, 2}, flat(in["W_K"])), f64({4, 2}, flat(in["W_V"]))};
}

TEST_F(InterpreterTest, TutorialUnfusedMatchesEveryIntermediate) {
  nlohmann::json c = loadSeedCase("tutorial_3x4_attention");
  ASSERT_FALSE(c.is_null());
  ASSERT_EQ(c["d_k"].get<int>(), 2);
  std::vector<OracleTensor> r = run(R"mlir(
func.func @main(%x: tensor<3x4xf64>, %wq: tensor<4x2xf64>,
                %wk: tensor<4x2xf64>, %wv: tensor<4x2xf64>)
    -> (tensor<3x2xf64>, tensor<3x2xf64>, tensor<3x2xf64>, tensor<3x3xf64>,
        tensor<3x3xf64>, tensor<3x3xf64>, tensor<3x2xf64>) {
  %q = attn.matmul %x, %wq : (tensor<3x4xf64>, tensor<4x2xf64>) -> tensor<3x2xf64>
  %k = attn.matmul %x, %wk : (tensor<3x4xf64>, tensor<4x2xf64>) -> tensor<3x2xf64>
  %v = attn.matmul %x, %wv : (tensor<3x4xf64>, tensor<4x2xf64>) -> tensor<3x2xf64>
  %qkt = attn.matmul %q, %k {transpose_rhs} : (tensor<3x2xf64>, tensor<3x2xf64>) -> tensor<3x3xf64>
  %dk = attn.constant dense<2.0> : tensor<f64>
  %sqrt = attn.sqrt %dk : tensor<f64>
  %s = attn.div %qkt, %sqrt : (tensor<3x3xf64>, tensor<f64>) -> tensor<3x3xf64>
  %p = attn.softmax %s {axis = -1 : i64} : tensor<3x3xf64>
  %o = attn.matmul %p, %v : (tensor<3x3xf64>, tensor<3x2xf64>) -> tensor<3x2xf64>
  return %q, %k, %v, %qkt, %s, %p, %o : tensor<3x2xf64>, tensor<3x2xf64>,
      tensor<3x2xf64>, tensor<3x3xf64>, tensor<3x3xf64>, tensor<3x3xf64>,
      tensor<3x2xf64>
}
)mlir",
                                    tutorialInputs(c));
  ASSERT_RESULTS(r, 7);
  const nlohmann::json &mid = c["intermediates"];
  const double rtol = 1e-12;
  EXPECT_TRUE(allClose(r[0], {3, 2}, flat(mid["Q"]), 0, rtol)) << "Q";
  EXPECT_TRUE(allClose(r[1], {3, 2}, flat(mid["K"]), 0, rtol)) << "K";
  EXPECT_TRUE(allClose(r[2], {3, 2}, flat(mid["V"]), 0, rtol)) << "V";
  EXPECT_TRUE(allClose(r[3], {3, 3}, flat(mid["QKt"]), 0, rtol)) << "QKt";
  EXPECT_TRUE(allClose(r[4], {3, 3}, flat(mid["scores"]), 0, rtol)) << "scores";
  EXPECT_TRUE(allClose(r[5], {3, 3}, flat(mid["softmax"]), 0, rtol))
      << "softmax";
  EXPECT_TRUE(allClose(r[6], {3, 2}, flat(c["out"]), 0, rtol)) << "out";
  EXPECT_TRUE(allClose(r[6], {3, 2}, {18, 20, 18, 20, 18, 20}, 1e-13, 0))
      << "the tutorial's final answer";
}

TEST_F(InterpreterTest, TutorialFusedAttention) {
  nlohmann::json c = loadSeedCase("tutorial_3x4_attention");
  ASSERT_FALSE(c.is_null());
  // Scale given explicitly (1/sqrt(2) as an f32 attribute) and by default
  // (1/sqrt(D) in double).
  std::vector<OracleTensor> r = run(R"mlir(
func.func @main(%x: tensor<3x4xf64>, %wq: tensor<4x2xf64>,
                %wk: tensor<4x2xf64>, %wv: tensor<4x2xf64>)
    -> (tensor<3x2xf64>, tensor<3x2xf64>) {
  %q = attn.matmul %x, %wq : (tensor<3x4xf64>, tensor<4x2xf64>) -> tensor<3x2xf64>
  %k = attn.matmul %x, %wk : (tensor<3x4xf64>, tensor<4x2xf64>) -> tensor<3x2xf64>
  %v = attn.matmul %x, %wv : (tensor<3x4xf64>, tensor<4x2xf64>) -> tensor<3x2xf64>
  %q4 = attn.reshape %q : (tensor<3x2xf64>) -> tensor<1x1x3x2xf64>
  %k4 = attn.reshape %k : (tensor<3x2xf64>) -> tensor<1x1x3x2xf64>
  %v4 = attn.reshape %v : (tensor<3x2xf64>) -> tensor<1x1x3x2xf64>
  %a = attn.attention %q4, %k4, %v4 {scale = 0.707106769 : f32}
      : (tensor<1x1x3x2xf64>, tensor<1x1x3x2xf64>, tensor<1x1x3x2xf64>) -> tensor<1x1x3x2xf64>
  %b = attn.attention %q4, %k4, %v4
      : (tensor<1x1x3x2xf64>, tensor<1x1x3x2xf64>, tensor<1x1x3x2xf64>) -> tensor<1x1x3x2xf64>
  %a2 = attn.reshape %a : (tensor<1x1x3x2xf64>) -> tensor<3x2xf64>
  %b2 = attn.reshape %b : (tensor<1x1x3x2xf64>) -> tensor<3x2xf64>
  return %a2, %b2 : tensor<3x2xf64>, tensor<3x2xf64>
}
)mlir",
                                    tutorialInputs(c));
  ASSERT_RESULTS(r, 2);
  for (int i = 0; i < 2; ++i) {
    SCOPED_TRACE(i == 0 ? "explicit scale" : "default scale");
    EXPECT_TRUE(allClose(r[i], {3, 2}, flat(c["out"]), 0, 1e-12));
    EXPECT_TRUE(allClose(r[i], {3, 2}, {18, 20, 18, 20, 18, 20}, 1e-13, 0));
  }
}

//===----------------------------------------------------------------------===//
// Masking: exactly zero weight, fully masked rows give zeros
//===----------------------------------------------------------------------===//

/// The masked-score case: weights [1/(1+e), e/(1+e), 0].
void expectMaskedWeights(const OracleTensor &t, size_t offset,
                         const nlohmann::json &c) {
  ASSERT_GE(t.data.size(), offset + 3);
  const double e = std::exp(1.0);
  EXPECT_EQ(t.data[offset + 2], 0.0) << "the masked weight must be exactly 0";
  EXPECT_NEAR(t.data[offset + 0], 1.0 / (1.0 + e), 1e-15);
  EXPECT_NEAR(t.data[offset + 1], e / (1.0 + e), 1e-15);
  std::vector<double> row(t.data.begin() + offset, t.data.begin() + offset + 3);
  EXPECT_TRUE(allClose(row, flat(c["correct"]["softmax"]), 1e-15, 0));
}

TEST_F(InterpreterTest, MaskedScoreGetsExactlyZeroWeight) {
  nlohmann::json c = loadSeedCase("masked_score_must_be_minus_inf");
  ASSERT_FALSE(c.is_null());
  std::vector<double> scores = flat(c["scores"]);
  ASSERT_EQ(scores, (std::vector<double>{1, 2, 3}));
  std::vector<double> keep;
  for (const nlohmann::json &m : c["mask_true_means_masked"][0])
    keep.push_back(m.get<bool>() ? 0.0 : 1.0);
  // V = identity, so attention's output row is its weight row.
  std::vector<double> eye = {1, 0, 0, 0, 1, 0, 0, 0, 1};
  std::vector<OracleTensor> r =
      run(R"mlir(
func.func @main(%s: tensor<1x3xf64>, %keep: tensor<1x3xi1>,
                %add: tensor<1x3xf64>, %s2: tensor<2x3xf64>,
                %q: tensor<1x1x1x1xf64>, %k: tensor<1x1x3x1xf64>,
                %v: tensor<1x1x3x3xf64>, %q2: tensor<1x1x2x1xf64>)
    -> (tensor<1x3xf64>, tensor<1x3xf64>, tensor<2x3xf64>,
        tensor<1x3xf64>, tensor<1x3xf64>,
        tensor<1x1x1x3xf64>, tensor<1x1x1x3xf64>, tensor<1x1x2x3xf64>) {
  %b = attn.scaled_masked_softmax %s mask %keep {scale = 1.0 : f32}
      : (tensor<1x3xf64>, tensor<1x3xi1>) -> tensor<1x3xf64>
  %a = attn.scaled_masked_softmax %s mask %add {scale = 1.0 : f32}
      : (tensor<1x3xf64>, tensor<1x3xf64>) -> tensor<1x3xf64>
  %c = attn.scaled_masked_softmax %s2 {scale = 1.0 : f32, causal = #attn<causal top_left>}
      : (tensor<2x3xf64>) -> tensor<2x3xf64>
  %ninf = attn.constant dense<0xFFF0000000000000> : tensor<f64>
  %sel = attn.select %keep, %s, %ninf
      : (tensor<1x3xi1>, tensor<1x3xf64>, tensor<f64>) -> tensor<1x3xf64>
  %ub = attn.softmax %sel {axis = 1 : i64} : tensor<1x3xf64>
  %sum = attn.add %s, %add : (tensor<1x3xf64>, tensor<1x3xf64>) -> tensor<1x3xf64>
  %ua = attn.softmax %sum {axis = -1 : i64} : tensor<1x3xf64>
  %keep4 = attn.reshape %keep : (tensor<1x3xi1>) -> tensor<1x1x1x3xi1>
  %ab = attn.attention %q, %k, %v mask %keep4 {scale = 1.0 : f32}
      : (tensor<1x1x1x1xf64>, tensor<1x1x3x1xf64>, tensor<1x1x3x3xf64>, tensor<1x1x1x3xi1>) -> tensor<1x1x1x3xf64>
  %aa = attn.attention %q, %k, %v mask %add {scale = 1.0 : f32}
      : (tensor<1x1x1x1xf64>, tensor<1x1x3x1xf64>, tensor<1x1x3x3xf64>, tensor<1x3xf64>) -> tensor<1x1x1x3xf64>
  %ac = attn.attention %q2, %k, %v {scale = 1.0 : f32, causal = #attn<causal top_left>}
      : (tensor<1x1x2x1xf64>, tensor<1x1x3x1xf64>, tensor<1x1x3x3xf64>) -> tensor<1x1x2x3xf64>
  return %b, %a, %c, %ub, %ua, %ab, %aa, %ac : tensor<1x3xf64>, tensor<1x3xf64>,
      tensor<2x3xf64>, tensor<1x3xf64>, tensor<1x3xf64>,
      tensor<1x1x1x3xf64>, tensor<1x1x1x3xf64>, tensor<1x1x2x3xf64>
}
)mlir",
          {f64({1, 3}, scores), host(DTypeKind::Bool, {1, 3}, keep),
           f64({1, 3}, {0, 0, -10000}), f64({2, 3}, {1, 2, 3, 1, 2, 3}),
           f64({1, 1, 1, 1}, {1}), f64({1, 1, 3, 1}, {1, 2, 3}),
           f64({1, 1, 3, 3}, eye), f64({1, 1, 2, 1}, {1, 1})});
  ASSERT_RESULTS(r, 8);
  const char *names[] = {"scaled_masked_softmax, boolean mask",
                         "scaled_masked_softmax, additive -10000",
                         "scaled_masked_softmax, causal (row 1)",
                         "select + softmax",
                         "add + softmax",
                         "attention, boolean mask",
                         "attention, additive -10000",
                         "attention, causal (row 1)"};
  for (int i = 0; i < 8; ++i) {
    SCOPED_TRACE(names[i]);
    bool causal = i == 2 || i == 7;
    expectMaskedWeights(r[i], causal ? 3 : 0, c);
    if (causal) {
      std::vector<double> row0(r[i].data.begin(), r[i].data.begin() + 3);
      EXPECT_TRUE(allClose(row0, {1, 0, 0}, 0, 0)) << "row 0 sees only key 0";
    }
  }
}

TEST_F(InterpreterTest, FullyMaskedRowsGiveZerosNotNaN) {
  std::vector<double> x = {-kInf, -kInf, -kInf, 0.5, 1.0, -kInf};
  std::vector<OracleTensor> r = run(
      R"mlir(
func.func @main(%x: tensor<2x3xf64>, %s: tensor<2x3xf64>,
                %keep: tensor<2x3xi1>, %q: tensor<1x1x2x2xf64>,
                %k: tensor<1x1x3x2xf64>, %v: tensor<1x1x3x2xf64>,
                %add: tensor<2x3xf64>)
    -> (tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>,
        tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>) {
  %sm = attn.softmax %x {axis = 1 : i64} : tensor<2x3xf64>
  %lsm = attn.log_softmax %x {axis = 1 : i64} : tensor<2x3xf64>
  %smb = attn.scaled_masked_softmax %s mask %keep {scale = 0.5 : f32}
      : (tensor<2x3xf64>, tensor<2x3xi1>) -> tensor<2x3xf64>
  %sma = attn.scaled_masked_softmax %s mask %add {scale = 0.5 : f32}
      : (tensor<2x3xf64>, tensor<2x3xf64>) -> tensor<2x3xf64>
  %ab = attn.attention %q, %k, %v mask %keep
      : (tensor<1x1x2x2xf64>, tensor<1x1x3x2xf64>, tensor<1x1x3x2xf64>, tensor<2x3xi1>) -> tensor<1x1x2x2xf64>
  %aa = attn.attention %q, %k, %v mask %add
      : (tensor<1x1x2x2xf64>, tensor<1x1x3x2xf64>, tensor<1x1x3x2xf64>, tensor<2x3xf64>) -> tensor<1x1x2x2xf64>
  return %sm, %lsm, %smb, %sma, %ab, %aa : tensor<2x3xf64>, tensor<2x3xf64>,
      tensor<2x3xf64>, tensor<2x3xf64>, tensor<1x1x2x2xf64>, tensor<1x1x2x2xf64>
}
)mlir",
      {f64({2, 3}, x), f64({2, 3}, {1, 2, 3, 4, 5, 6}),
       host(DTypeKind::Bool, {2, 3}, {0, 0, 0, 1, 0, 1}),
       f64({1, 1, 2, 2}, {1, 2, 3, 4}), f64({1, 1, 3, 2}, {1, 0, 0, 1, 1, 1}),
       // An inf in V behind a masked key
       // must not leak into the output.
       f64({1, 1, 3, 2}, {5, 6, kInf, 8, 9, 10}),
       f64({2, 3}, {-kInf, -kInf, -kInf, 0, -kInf, 0})});
  ASSERT_RESULTS(r, 6);
  for (const OracleTensor &t : r)
    EXPECT_TRUE(noNaN(t));
  // Softmax row 0 (all -inf) is zeros; row 1 has weight only where finite.
  const double w = 1.0 / (1.0 + std::exp(-0.5));
  EXPECT_TRUE(allClose(r[0], {2, 3}, {0, 0, 0, 1 - w, w, 0}, 1e-15, 0));
  EXPECT_TRUE(allClose(
      r[1], {2, 3}, {-kInf, -kInf, -kInf, std::log(1 - w), std::log(w), -kInf},
      1e-15, 0));
  // Row 1 keeps keys 0 and 2: scores 4*0.5 = 2 and 6*0.5 = 3.
  const double e = std::exp(1.0);
  std::vector<double> keptRow = {0, 0, 0, 1 / (1 + e), 0, e / (1 + e)};
  EXPECT_TRUE(allClose(r[2], {2, 3}, keptRow, 1e-15, 0));
  EXPECT_TRUE(allClose(r[3], {2, 3}, keptRow, 1e-15, 0));
  // Attention: query 0 sees nothing (zeros); query 1 = (3, 4) sees keys 0
  // and 2 with scores (3, 7)/sqrt(2).
  double s0 = 3 / std::sqrt(2.0), s2 = 7 / std::sqrt(2.0);
  double p0 = 1 / (1 + std::exp(s2 - s0)), p2 = 1 - p0;
  std::vector<double> attn = {0, 0, p0 * 5 + p2 * 9, p0 * 6 + p2 * 10};
  EXPECT_TRUE(allClose(r[4], {1, 1, 2, 2}, attn, 1e-14, 0));
  EXPECT_TRUE(allClose(r[5], {1, 1, 2, 2}, attn, 1e-14, 0));
  EXPECT_EQ(r[4].data[0], 0.0);
  EXPECT_EQ(r[4].data[1], 0.0);
}

//===----------------------------------------------------------------------===//
// Attention: GQA, packed form, causal alignment, against naive loops
//===----------------------------------------------------------------------===//

/// A naive attention over split-form [B, H, S, D] data. `mask(b, h, i, j)`
/// returns the additive term, -inf meaning masked.
std::vector<double> naiveAttention(
    const std::vector<double> &q, const std::vector<double> &k,
    const std::vector<double> &v, int64_t b, int64_t hq, int64_t hkv,
    int64_t sq, int64_t sk, int64_t d, int64_t dv, double scale,
    const std::function<double(int64_t, int64_t, int64_t, int64_t)> &mask) {
  std::vector<double> out(b * hq * sq * dv, 0.0);
  for (int64_t bi = 0; bi < b; ++bi)
    for (int64_t h = 0; h < hq; ++h) {
      int64_t kh = h / (hq / hkv);
      for (int64_t i = 0; i < sq; ++i) {
        std::vector<double> s(sk);
        double max = -kInf;
        for (int64_t j = 0; j < sk; ++j) {
          double dot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot += q[((bi * hq + h) * sq + i) * d + c] *
                   k[((bi * hkv + kh) * sk + j) * d + c];
          s[j] = dot * scale + mask(bi, h, i, j);
          max = std::max(max, s[j]);
        }
        if (max == -kInf)
          continue;
        double sum = 0;
        for (double &x : s)
          sum += (x = std::exp(x - max));
        for (int64_t j = 0; j < sk; ++j)
          for (int64_t c = 0; c < dv; ++c)
            out[((bi * hq + h) * sq + i) * dv + c] +=
                s[j] / sum * v[((bi * hkv + kh) * sk + j) * dv + c];
      }
    }
  return out;
}

TEST_F(InterpreterTest, GroupedQueryAttentionEqualsRepeatedHeads) {
  std::vector<double> q = randomValues(2 * 4 * 3 * 4, 1),
                      k = randomValues(2 * 2 * 5 * 4, 2),
                      v = randomValues(2 * 2 * 5 * 3, 3);
  std::vector<double> m = {0, -1, 0, -kInf, 0.5, 0, 0, -kInf, 0, 0};
  std::vector<OracleTensor> r =
      run(R"mlir(
func.func @main(%q: tensor<2x4x3x4xf64>, %k: tensor<2x2x5x4xf64>,
                %v: tensor<2x2x5x3xf64>, %m: tensor<2x1x1x5xf64>)
    -> (tensor<2x4x3x3xf64>, tensor<2x4x3x3xf64>) {
  %a = attn.attention %q, %k, %v mask %m
      : (tensor<2x4x3x4xf64>, tensor<2x2x5x4xf64>, tensor<2x2x5x3xf64>, tensor<2x1x1x5xf64>) -> tensor<2x4x3x3xf64>
  %k5 = attn.reshape %k : (tensor<2x2x5x4xf64>) -> tensor<2x2x1x5x4xf64>
  %kb = attn.broadcast_to %k5 : (tensor<2x2x1x5x4xf64>) -> tensor<2x2x2x5x4xf64>
  %kr = attn.reshape %kb : (tensor<2x2x2x5x4xf64>) -> tensor<2x4x5x4xf64>
  %v5 = attn.reshape %v : (tensor<2x2x5x3xf64>) -> tensor<2x2x1x5x3xf64>
  %vb = attn.broadcast_to %v5 : (tensor<2x2x1x5x3xf64>) -> tensor<2x2x2x5x3xf64>
  %vr = attn.reshape %vb : (tensor<2x2x2x5x3xf64>) -> tensor<2x4x5x3xf64>
  %b = attn.attention %q, %kr, %vr mask %m
      : (tensor<2x4x3x4xf64>, tensor<2x4x5x4xf64>, tensor<2x4x5x3xf64>, tensor<2x1x1x5xf64>) -> tensor<2x4x3x3xf64>
  return %a, %b : tensor<2x4x3x3xf64>, tensor<2x4x3x3xf64>
}
)mlir",
          {f64({2, 4, 3, 4}, q), f64({2, 2, 5, 4}, k), f64({2, 2, 5, 3}, v),
           f64({2, 1, 1, 5}, m)});
  ASSERT_RESULTS(r, 2);
  EXPECT_TRUE(allClose(r[0], {2, 4, 3, 3}, r[1].data, 1e-15, 0))
      << "GQA vs heads repeated";
  std::vector<double> want = naiveAttention(
      q, k, v, 2, 4, 2, 3, 5, 4, 3, 0.5,
      [&](int64_t b, int64_t, int64_t, int64_t j) { return m[b * 5 + j]; });
  EXPECT_TRUE(allClose(r[0], {2, 4, 3, 3}, want, 1e-13, 1e-12))
      << "GQA vs naive loops";
}

TEST_F(InterpreterTest, PackedFormEqualsSplitForm) {
  // B=2, Sq=3, Sk=5, Hq=4, Hkv=2, D=4, Dv=3; boolean mask and causal.
  std::vector<double> keep = {1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 1, 1};
  std::vector<OracleTensor> r = run(
      R"mlir(
func.func @main(%q: tensor<2x3x16xf64>, %k: tensor<2x5x8xf64>,
                %v: tensor<2x5x6xf64>, %m: tensor<1x1x3x5xi1>)
    -> (tensor<2x3x12xf64>, tensor<2x3x12xf64>) {
  %p = attn.attention %q, %k, %v mask %m
      {num_heads = 4 : i64, num_kv_heads = 2 : i64, causal = #attn<causal bottom_right>}
      : (tensor<2x3x16xf64>, tensor<2x5x8xf64>, tensor<2x5x6xf64>, tensor<1x1x3x5xi1>) -> tensor<2x3x12xf64>
  %q4 = attn.reshape %q : (tensor<2x3x16xf64>) -> tensor<2x3x4x4xf64>
  %qs = attn.transpose %q4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x3x4x4xf64>) -> tensor<2x4x3x4xf64>
  %k4 = attn.reshape %k : (tensor<2x5x8xf64>) -> tensor<2x5x2x4xf64>
  %ks = attn.transpose %k4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x4xf64>) -> tensor<2x2x5x4xf64>
  %v4 = attn.reshape %v : (tensor<2x5x6xf64>) -> tensor<2x5x2x3xf64>
  %vs = attn.transpose %v4 {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x5x2x3xf64>) -> tensor<2x2x5x3xf64>
  %o = attn.attention %qs, %ks, %vs mask %m {causal = #attn<causal bottom_right>}
      : (tensor<2x4x3x4xf64>, tensor<2x2x5x4xf64>, tensor<2x2x5x3xf64>, tensor<1x1x3x5xi1>) -> tensor<2x4x3x3xf64>
  %ot = attn.transpose %o {perm = array<i64: 0, 2, 1, 3>} : (tensor<2x4x3x3xf64>) -> tensor<2x3x4x3xf64>
  %s = attn.reshape %ot : (tensor<2x3x4x3xf64>) -> tensor<2x3x12xf64>
  return %p, %s : tensor<2x3x12xf64>, tensor<2x3x12xf64>
}
)mlir",
      {f64({2, 3, 16}, randomValues(96, 4)),
       f64({2, 5, 8}, randomValues(80, 5)), f64({2, 5, 6}, randomValues(60, 6)),
       host(DTypeKind::Bool, {1, 1, 3, 5}, keep)});
  ASSERT_RESULTS(r, 2);
  EXPECT_TRUE(allClose(r[0], {2, 3, 12}, r[1].data, 1e-15, 0));
  EXPECT_TRUE(noNaN(r[0]));
}

TEST_F(InterpreterTest, CausalAlignmentWithSqNotSk) {
  // Sq = 2, Sk = 4, V = identity: the output rows are the weights.
  std::vector<double> eye(16, 0.0);
  for (int i = 0; i < 4; ++i)
    eye[i * 5] = 1;
  std::vector<OracleTensor> r =
      run(R"mlir(
func.func @main(%q: tensor<1x1x2x3xf64>, %k: tensor<1x1x4x3xf64>,
                %v: tensor<1x1x4x4xf64>)
    -> (tensor<2x4xi1>, tensor<2x4xi1>, tensor<1x1x2x4xf64>,
        tensor<1x1x2x4xf64>, tensor<1x1x2x4xf64>, tensor<1x1x2x4xf64>) {
  %tl = attn.causal_mask {causal = #attn<causal top_left>} : tensor<2x4xi1>
  %br = attn.causal_mask {causal = #attn<causal bottom_right>} : tensor<2x4xi1>
  %a = attn.attention %q, %k, %v {causal = #attn<causal top_left>}
      : (tensor<1x1x2x3xf64>, tensor<1x1x4x3xf64>, tensor<1x1x4x4xf64>) -> tensor<1x1x2x4xf64>
  %b = attn.attention %q, %k, %v mask %tl
      : (tensor<1x1x2x3xf64>, tensor<1x1x4x3xf64>, tensor<1x1x4x4xf64>, tensor<2x4xi1>) -> tensor<1x1x2x4xf64>
  %c = attn.attention %q, %k, %v {causal = #attn<causal bottom_right>}
      : (tensor<1x1x2x3xf64>, tensor<1x1x4x3xf64>, tensor<1x1x4x4xf64>) -> tensor<1x1x2x4xf64>
  %d = attn.attention %q, %k, %v mask %br
      : (tensor<1x1x2x3xf64>, tensor<1x1x4x3xf64>, tensor<1x1x4x4xf64>, tensor<2x4xi1>) -> tensor<1x1x2x4xf64>
  return %tl, %br, %a, %b, %c, %d : tensor<2x4xi1>, tensor<2x4xi1>,
      tensor<1x1x2x4xf64>, tensor<1x1x2x4xf64>, tensor<1x1x2x4xf64>,
      tensor<1x1x2x4xf64>
}
)mlir",
          {f64({1, 1, 2, 3}, randomValues(6, 7)),
           f64({1, 1, 4, 3}, randomValues(12, 8)), f64({1, 1, 4, 4}, eye)});
  ASSERT_RESULTS(r, 6);
  EXPECT_TRUE(allClose(r[0], {2, 4}, {1, 0, 0, 0, 1, 1, 0, 0}, 0, 0))
      << "top_left: j <= i";
  EXPECT_TRUE(allClose(r[1], {2, 4}, {1, 1, 1, 0, 1, 1, 1, 1}, 0, 0))
      << "bottom_right: j <= i + (Sk - Sq)";
  EXPECT_TRUE(allClose(r[2], {1, 1, 2, 4}, r[3].data, 1e-15, 0));
  EXPECT_TRUE(allClose(r[4], {1, 1, 2, 4}, r[5].data, 1e-15, 0));
  for (int64_t i = 0; i < 8; ++i) {
    EXPECT_EQ(r[2].data[i] == 0.0, r[0].data[i] == 0.0) << "top_left " << i;
    EXPECT_EQ(r[4].data[i] == 0.0, r[1].data[i] == 0.0) << "bottom_right " << i;
  }
  EXPECT_EQ(r[2].data[0], 1.0) << "query 0 sees only key 0";
}

TEST_F(InterpreterTest, ScaledMaskedSoftmaxBroadcastsMaskAgainstNaive) {
  std::vector<double> x = randomValues(2 * 2 * 3, 9);
  std::vector<double> add = {0.25, -kInf, -0.5};
  std::vector<OracleTensor> r = run(R"mlir(
func.func @main(%x: tensor<2x2x3xf64>, %m: tensor<1x3xf64>) -> tensor<2x2x3xf64> {
  %y = attn.scaled_masked_softmax %x mask %m {scale = 0.5 : f32}
      : (tensor<2x2x3xf64>, tensor<1x3xf64>) -> tensor<2x2x3xf64>
  return %y : tensor<2x2x3xf64>
}
)mlir",
                                    {f64({2, 2, 3}, x), f64({1, 3}, add)});
  ASSERT_RESULTS(r, 1);
  std::vector<double> want(12);
  for (int row = 0; row < 4; ++row) {
    double a = std::exp(x[row * 3] * 0.5 + 0.25),
           c = std::exp(x[row * 3 + 2] * 0.5 - 0.5);
    want[row * 3] = a / (a + c);
    want[row * 3 + 1] = 0;
    want[row * 3 + 2] = c / (a + c);
  }
  EXPECT_TRUE(allClose(r[0], {2, 2, 3}, want, 1e-15, 1e-14));
}

TEST_F(InterpreterTest, LargeScoresAreStable) {
  // exp(1000) overflows even in double: only the max-subtracted softmax
  // gives [e^-1, 1, e^-2] / (1 + e^-1 + e^-2).
  std::vector<OracleTensor> r =
      run(R"mlir(
func.func @main(%x: tensor<1x3xf64>, %q: tensor<1x1x1x1xf64>,
                %k: tensor<1x1x3x1xf64>, %v: tensor<1x1x3x3xf64>)
    -> (tensor<1x3xf64>, tensor<1x3xf64>, tensor<1x1x1x3xf64>) {
  %0 = attn.softmax %x {axis = 1 : i64} : tensor<1x3xf64>
  %1 = attn.scaled_masked_softmax %x {scale = 1.0 : f32} : (tensor<1x3xf64>) -> tensor<1x3xf64>
  %2 = attn.attention %q, %k, %v {scale = 1.0 : f32}
      : (tensor<1x1x1x1xf64>, tensor<1x1x3x1xf64>, tensor<1x1x3x3xf64>) -> tensor<1x1x1x3xf64>
  return %0, %1, %2 : tensor<1x3xf64>, tensor<1x3xf64>, tensor<1x1x1x3xf64>
}
)mlir",
          {f64({1, 3}, {1000, 1001, 999}), f64({1, 1, 1, 1}, {1}),
           f64({1, 1, 3, 1}, {1000, 1001, 999}),
           f64({1, 1, 3, 3}, {1, 0, 0, 0, 1, 0, 0, 0, 1})});
  ASSERT_RESULTS(r, 3);
  double z = 1 + std::exp(-1.0) + std::exp(-2.0);
  std::vector<double> want = {std::exp(-1.0) / z, 1 / z, std::exp(-2.0) / z};
  EXPECT_TRUE(allClose(r[0], {1, 3}, want, 1e-15, 1e-14)) << "softmax";
  EXPECT_TRUE(allClose(r[1], {1, 3}, want, 1e-15, 1e-14))
      << "scaled_masked_softmax";
  EXPECT_TRUE(allClose(r[2], {1, 1, 1, 3}, want, 1e-15, 1e-14)) << "attention";
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, BinaryOpsBroadcast) {
  std::vector<OracleTensor> r =
      run(R"mlir(
func.func @main(%a: tensor<2x3xf64>, %b: tensor<3xf64>, %c: tensor<2x1xf64>,
                %s: tensor<f64>)
    -> (tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>,
        tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>) {
  %add = attn.add %a, %b : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64>
  %sub = attn.sub %c, %b : (tensor<2x1xf64>, tensor<3xf64>) -> tensor<2x3xf64>
  %mul = attn.mul %a, %s : (tensor<2x3xf64>, tensor<f64>) -> tensor<2x3xf64>
  %div = attn.div %a, %c : (tensor<2x3xf64>, tensor<2x1xf64>) -> tensor<2x3xf64>
  %pow = attn.pow %a, %s : (tensor<2x3xf64>, tensor<f64>) -> tensor<2x3xf64>
  %max = attn.max %a, %b : (tensor<2x3xf64>, tensor<3xf64>) -> tensor<2x3xf64>
  %min = attn.min %c, %a : (tensor<2x1xf64>, tensor<2x3xf64>) -> tensor<2x3xf64>
  return %add, %sub, %mul, %div, %pow, %max, %min : tensor<2x3xf64>,
      tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>, tensor<2x3xf64>,
      tensor<2x3xf64>, tensor<2x3xf64>
}
)mlir",
          {f64({2, 3}, {1, 2, 3, 4, 5, 6}), f64({3}, {10, kNaN, -1}),
           f64({2, 1}, {2, 4}), f64({}, {2})});
  ASSERT_RESULTS(r, 7);
  const std::vector<int64_t> s = {2, 3};
  EXPECT_TRUE(allClose(r[0], s, {11, kNaN, 2, 14, kNaN, 5}, 0, 0));
  EXPECT_TRUE(allClose(r[1], s, {-8, kNaN, 3, -6, kNaN, 5}, 0, 0));
  EXPECT_TRUE(allClose(r[2], s, {2, 4, 6, 8, 10, 12}, 0, 0));
  EXPECT_TRUE(allClose(r[3], s, {0.5, 1, 1.5, 1, 1.25, 1.5}, 0, 0));
  EXPECT_TRUE(allClose(r[4], s, {1, 4, 9, 16, 25, 36}, 0, 0));
  // max/min propagate NaN as numpy.maximum does.
  EXPECT_TRUE(allClose(r[5], s, {10, kNaN, 3, 10, kNaN, 6}, 0, 0));
  EXPECT_TRUE(allClose(r[6], s, {1, 2, 2, 4, 4, 4}, 0, 0));
}

TEST_F(InterpreterTest, IntegerLogicalCompareSelect) {
  std::vector<OracleTensor> r =
      run(R"mlir(
func.func @main(%a: tensor<4xi32>, %b: tensor<4xi32>, %p: tensor<2x1xi1>,
                %q: tensor<2xi1>, %x: tensor<2xf64>, %e: tensor<4xi32>)
    -> (tensor<4xi32>, tensor<4xi32>, tensor<2x2xi1>, tensor<2x2xi1>,
        tensor<2xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>,
        tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<2x2xf64>) {
  %div = attn.div %a, %b : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %pow = attn.pow %a, %e : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi32>
  %and = attn.and %p, %q : (tensor<2x1xi1>, tensor<2xi1>) -> tensor<2x2xi1>
  %or = attn.or %p, %q : (tensor<2x1xi1>, tensor<2xi1>) -> tensor<2x2xi1>
  %not = attn.not %q : tensor<2xi1>
  %eq = attn.compare %a, %b {predicate = #attn<cmp eq>} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %ne = attn.compare %a, %b {predicate = #attn<cmp ne>} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %lt = attn.compare %a, %b {predicate = #attn<cmp lt>} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %le = attn.compare %a, %b {predicate = #attn<cmp le>} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %gt = attn.compare %a, %b {predicate = #attn<cmp gt>} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %ge = attn.compare %a, %b {predicate = #attn<cmp ge>} : (tensor<4xi32>, tensor<4xi32>) -> tensor<4xi1>
  %zero = attn.constant dense<0.0> : tensor<f64>
  %sel = attn.select %p, %x, %zero : (tensor<2x1xi1>, tensor<2xf64>, tensor<f64>) -> tensor<2x2xf64>
  return %div, %pow, %and, %or, %not, %eq, %ne, %lt, %le, %gt, %ge, %sel
      : tensor<4xi32>, tensor<4xi32>, tensor<2x2xi1>, tensor<2x2xi1>,
        tensor<2xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>, tensor<4xi1>,
        tensor<4xi1>, tensor<4xi1>, tensor<2x2xf64>
}
)mlir",
          {host(DTypeKind::I32, {4}, {-7, 7, -8, 3}),
           host(DTypeKind::I32, {4}, {2, -2, 3, 3}),
           host(DTypeKind::Bool, {2, 1}, {1, 0}),
           host(DTypeKind::Bool, {2}, {1, 0}), f64({2}, {1.5, -2.5}),
           host(DTypeKind::I32, {4}, {2, 1, 0, 3})});
  ASSERT_RESULTS(r, 12);
  EXPECT_TRUE(allClose(r[0], {4}, {-3, -3, -2, 1}, 0, 0))
      << "integer division truncates toward zero";
  EXPECT_TRUE(allClose(r[1], {4}, {49, 7, 1, 27}, 0, 0));
  EXPECT_TRUE(allClose(r[2], {2, 2}, {1, 0, 0, 0}, 0, 0));
  EXPECT_TRUE(allClose(r[3], {2, 2}, {1, 1, 1, 0}, 0, 0));
  EXPECT_TRUE(allClose(r[4], {2}, {0, 1}, 0, 0));
  EXPECT_TRUE(allClose(r[5], {4}, {0, 0, 0, 1}, 0, 0));
  EXPECT_TRUE(allClose(r[6], {4}, {1, 1, 1, 0}, 0, 0));
  EXPECT_TRUE(allClose(r[7], {4}, {1, 0, 1, 0}, 0, 0));
  EXPECT_TRUE(allClose(r[8], {4}, {1, 0, 1, 1}, 0, 0));
  EXPECT_TRUE(allClose(r[9], {4}, {0, 1, 0, 0}, 0, 0));
  EXPECT_TRUE(allClose(r[10], {4}, {0, 1, 0, 1}, 0, 0));
  EXPECT_TRUE(allClose(r[11], {2, 2}, {1.5, -2.5, 0, 0}, 0, 0));
}

TEST_F(InterpreterTest, IntegerDivisionByZeroAndNegativePowerAreErrors) {
  std::string message = runError(
      R"mlir(
func.func @main(%a: tensor<2xi64>, %b: tensor<2xi64>) -> tensor<2xi64> {
  %d = attn.div %a, %b : (tensor<2xi64>, tensor<2xi64>) -> tensor<2xi64>
  return %d : tensor<2xi64>
}
)mlir",
      {host(DTypeKind::I64, {2}, {1, 2}), host(DTypeKind::I64, {2}, {1, 0})});
  EXPECT_NE(message.find("'attn.div' op"), std::string::npos) << message;
  EXPECT_NE(message.find("division by zero"), std::string::npos) << message;

  message = runError(
      R"mlir(
func.func @main(%a: tensor<2xi32>, %b: tensor<2xi32>) -> tensor<2xi32> {
  %d = attn.pow %a, %b : (tensor<2xi32>, tensor<2xi32>) -> tensor<2xi32>
  return %d : tensor<2xi32>
}
)mlir",
      {host(DTypeKind::I32, {2}, {2, 2}), host(DTypeKind::I32, {2}, {1, -2})});
  EXPECT_NE(message.find("negative exponent -2"), std::string::npos) << message;
}

TEST_F(InterpreterTest, UnaryOps) {
  std::vector<double> x = {-3.5, -1, -0.25, 0, 0.3, 1, 2.5, 7};
  std::vector<double> pos = {0.01, 0.5, 1, 2, 3, 10, 100, 1e6};
  std::vector<OracleTensor> r = run(R"mlir(
func.func @main(%x: tensor<8xf64>, %p: tensor<8xf64>)
    -> (tensor<8xf64>, tensor<8xf64>, tensor<8xf64>, tensor<8xf64>,
        tensor<8xf64>, tensor<8xf64>, tensor<8xf64>, tensor<8xf64>,
        tensor<8xf64>, tensor<8xf64>, tensor<8xf64>, tensor<8xf64>) {
  %0 = attn.exp %x : tensor<8xf64>
  %1 = attn.log %p : tensor<8xf64>
  %2 = attn.tanh %x : tensor<8xf64>
  %3 = attn.erf %x : tensor<8xf64>
  %4 = attn.sqrt %p : tensor<8xf64>
  %5 = attn.rsqrt %p : tensor<8xf64>
  %6 = attn.neg %x : tensor<8xf64>
  %7 = attn.abs %x : tensor<8xf64>
  %8 = attn.relu %x : tensor<8xf64>
  %9 = attn.sigmoid %x : tensor<8xf64>
  %10 = attn.gelu %x : tensor<8xf64>
  %11 = attn.gelu %x {approximate = #attn<gelu tanh>} : tensor<8xf64>
  return %0, %1, %2, %3, %4, %5, %6, %7, %8, %9, %10, %11 : tensor<8xf64>,
      tensor<8xf64>, tensor<8xf64>, tensor<8xf64>, tensor<8xf64>,
      tensor<8xf64>, tensor<8xf64>, tensor<8xf64>, tensor<8xf64>,
      tensor<8xf64>, tensor<8xf64>, tensor<8xf64>
}
)mlir",
                                    {f64({8}, x), f64({8}, pos)});
  ASSERT_RESULTS(r, 12);
  using Fn = std::function<double(double)>;
  const double pi = 3.14159265358979323846;
  std::vector<std::pair<const char *, Fn>> fns = {
      {"exp", [](double v) { return std::exp(v); }},
      {"log", [](double v) { return std::log(v); }},
      {"tanh", [](double v) { return std::tanh(v); }},
      {"erf", [](double v) { return std::erf(v); }},
      {"sqrt", [](double v) { return std::sqrt(v); }},
      {"rsqrt", [](double v) { return 1 / std::sqrt(v); }},
      {"neg", [](double v) { return -v; }},
      {"abs", [](double v) { return std::fabs(v); }},
      {"relu", [](double v) { return v > 0 ? v : 0.0; }},
      {"sigmoid", [](double v) { return 1 / (1 + std::exp(-v)); }},
      {"gelu erf",
       [](double v) { return 0.5 * v * (1 + std::erf(v / std::sqrt(2.0))); }},
      {"gelu tanh", [pi](double v) {
         return 0.5 * v *
                (1 + std::tanh(std::sqrt(2 / pi) * (v + 0.044715 * v * v * v)));
       }}};
  for (size_t i = 0; i < fns.size(); ++i) {
    const std::vector<double> &in = (i == 1 || i == 4 || i == 5) ? pos : x;
    std::vector<double> want;
    for (double v : in)
      want.push_back(fns[i].second(v));
    EXPECT_TRUE(allClose(r[i], {8}, want, 0, 1e-15)) << fns[i].first;
  }
  // A spot value: GELU(1) = 0.8413447460685429 (erf form).
  EXPECT_NEAR(r[10].data[5], 0.8413447460685429, 1e-15);
}

TEST_F(InterpreterTest, Casts) {
  std::vector<OracleTensor> r = run(R"mlir(
func.func @main(%x: tensor<5xf64>, %b: tensor<2xi1>)
    -> (tensor<5xi32>, tensor<5xi1>, tensor<2xf32>, tensor<5xf16>, tensor<5xi64>) {
  %0 = attn.cast %x : tensor<5xf64> to tensor<5xi32>
  %1 = attn.cast %x : tensor<5xf64> to tensor<5xi1>
  %2 = attn.cast %b : tensor<2xi1> to tensor<2xf32>
  %3 = attn.cast %x : tensor<5xf64> to tensor<5xf16>
  %4 = attn.cast %0 : tensor<5xi32> to tensor<5xi64>
  return %0, %1, %2, %3, %4 : tensor<5xi32>, tensor<5xi1>, tensor<2xf32>,
      tensor<5xf16>, tensor<5xi64>
}
)mlir",
                                    {f64({5}, {2.7, -2.7, 0.1, -0.0, 3}),
                                     host(DTypeKind::Bool, {2}, {1, 0})});
  ASSERT_RESULTS(r, 5);
  EXPECT_TRUE(allClose(r[0], {5}, {2, -2, 0, 0, 3}, 0, 0))
      << "to integer truncates toward zero";
  EXPECT_TRUE(allClose(r[1], {5}, {1, 1, 1, 0, 1}, 0, 0)) << "to i1 is x != 0";
  EXPECT_TRUE(allClose(r[2], {2}, {1, 0}, 0, 0));
  // The oracle keeps the double: f16 storage is not modelled.
  EXPECT_TRUE(allClose(r[3], {5}, {2.7, -2.7, 0.1, -0.0, 3}, 0, 0));
  EXPECT_TRUE(allClose(r[4], {5}, {2, -2, 0, 0, 3}, 0, 0));

  std::string message = runError(R"mlir(
func.func @main(%x: tensor<1xf64>) -> tensor<1xi32> {
  %0 = attn.cast %x : tensor<1xf64> to tensor<1xi32>
  return %0 : tensor<1xi32>
}
)mlir",
                                 {f64({1}, {3e9})});
  EXPECT_NE(message.find("does not fit in i32"), std::string::npos) << message;
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, Reductions) {
  std::vector<double> x(24);
  for (int i = 0; i < 24; ++i)
    x[i] = (i * 7 % 11) - 5.0;
  std::vector<OracleTensor> r = run(R"mlir(
func.func @main(%x: tensor<2x3x4xf64>)
    -> (tensor<3xf64>, tensor<2x1x4xf64>, tensor<2x3xf64>, tensor<1x1x1xf64>) {
  %0 = attn.reduce %x {kind = #attn<reduce sum>, axes = array<i64: 0, 2>} : (tensor<2x3x4xf64>) -> tensor<3xf64>
  %1 = attn.reduce %x {kind = #attn<reduce mean>, axes = array<i64: 1>, keep_dims = true} : (tensor<2x3x4xf64>) -> tensor<2x1x4xf64>
  %2 = attn.reduce %x {kind = #attn<reduce max>, axes = array<i64: -1>} : (tensor<2x3x4xf64>) -> tensor<2x3xf64>
  %3 = attn.reduce %x {kind = #attn<reduce min>, axes = array<i64: 0, 1, 2>, keep_dims = true} : (tensor<2x3x4xf64>) -> tensor<1x1x1xf64>
  return %0, %1, %2, %3 : tensor<3xf64>, tensor<2x1x4xf64>, tensor<2x3xf64>, tensor<1x1x1xf64>
}
)mlir",
                                    {f64({2, 3, 4}, x)});
  ASSERT_RESULTS(r, 4);
  auto at = [&](int a, int b, int c) { return x[(a * 3 + b) * 4 + c]; };
  std::vector<double> sum(3, 0), mean(8, 0), max(6, -kInf);
  double min = kInf;
  for (int a = 0; a < 2; ++a)
    for (int b = 0; b < 3; ++b)
      for (int c = 0; c < 4; ++c) {
        sum[b] += at(a, b, c);
        mean[a * 4 + c] += at(a, b, c) / 3;
        max[a * 3 + b] = std::max(max[a * 3 + b], at(a, b, c));
        min = std::min(min, at(a, b, c));
      }
  EXPECT_TRUE(allClose(r[0], {3}, sum, 0, 0));
  EXPECT_TRUE(allClose(r[1], {2, 1, 4}, mean, 1e-15, 1e-15));
  EXPECT_TRUE(allClose(r[2], {2, 3}, max, 0, 0));
  EXPECT_TRUE(allClose(r[3], {1, 1, 1}, {min}, 0, 0));
}

TEST_F(InterpreterTest, SoftmaxOnInnerAxis) {
  std::vector<double> x = randomValues(2 * 3 * 2, 11);
  std::vector<OracleTensor> r = run(R"mlir(
func.func @main(%x: tensor<2x3x2xf64>) -> (tensor<2x3x2xf64>, tensor<2x3x2xf64>) {
  %0 = attn.softmax %x {axis = 1 : i64} : tensor<2x3x2xf64>
  %1 = attn.log_softmax %x {axis = -2 : i64} : tensor<2x3x2xf64>
  return %0, %1 : tensor<2x3x2xf64>, tensor<2x3x2xf64>
}
)mlir",
                                    {f64({2, 3, 2}, x)});
  ASSERT_RESULTS(r, 2);
  std::vector<double> sm(12), lsm(12);
  for (int a = 0; a < 2; ++a)
    for (int c = 0; c < 2; ++c) {
      double sum = 0;
      for (int b = 0; b < 3; ++b)
        sum += std::exp(x[(a * 3 + b) * 2 + c]);
      for (int b = 0; b < 3; ++b) {
        int i = (a * 3 + b) * 2 + c;
        sm[i] = std::exp(x[i]) / sum;
        lsm[i] = x[i] - std::log(sum);
      }
    }
  EXPECT_TRUE(allClose(r[0], {2, 3, 2}, sm, 1e-16, 1e-14));
  EXPECT_TRUE(allClose(r[1], {2, 3, 2}, lsm, 1e-15, 1e-14));
}

TEST_F(InterpreterTest, LayerNorm) {
  std::vector<double> x = randomValues(24, 12), scale = randomValues(12, 13),
                      bias = randomValues(12, 14);
  std::vector<OracleTensor> r =
      run(R"mlir(
func.func @main(%x: tensor<2x3x4xf64>, %s: tensor<3x4xf64>, %b: tensor<3x4xf64>)
    -> (tensor<2x3x4xf64>, tensor<2x3x4xf64>) {
  %0 = attn.layer_norm %x scale %s bias %b {axis = -2 : i64, epsilon = 1.0e-5 : f32}
      : (tensor<2x3x4xf64>, tensor<3x4xf64>, tensor<3x4xf64>) -> tensor<2x3x4xf64>
  %1 = attn.layer_norm %x {epsilon = 0.5 : f32} : (tensor<2x3x4xf64>) -> tensor<2x3x4xf64>
  return %0, %1 : tensor<2x3x4xf64>, tensor<2x3x4xf64>
}
)mlir",
          {f64({2, 3, 4}, x), f64({3, 4}, scale), f64({3, 4}, bias)});
  ASSERT_RESULTS(r, 2);
  auto norm = [&](int64_t outer, int64_t inner, double eps, bool affine) {
    std::vector<double> out(x.size());
    for (int64_t o = 0; o < outer; ++o) {
      double mean = 0, var = 0;
      for (int64_t i = 0; i < inner; ++i)
        mean += x[o * inner + i] / inner;
      for (int64_t i = 0; i < inner; ++i)
        var += std::pow(x[o * inner + i] - mean, 2) / inner;
      for (int64_t i = 0; i < inner; ++i) {
        double y = (x[o * inner + i] - mean) / std::sqrt(var + eps);
        out[o * inner + i] = affine ? y * scale[i] + bias[i] : y;
      }
    }
    return out;
  };
  // The epsilon attribute is f32: 1e-5 as stored, not the decimal.
  EXPECT_TRUE(allClose(r[0], {2, 3, 4}, norm(2, 12, double(1e-5f), true), 1e-14,
                       1e-13));
  EXPECT_TRUE(allClose(r[1], {2, 3, 4}, norm(6, 4, 0.5, false), 1e-14, 1e-13));
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

/// Naive lhs[b][m][k] · rhs[b][k][n] over explicit batch offsets.
std::vector<double> naiveMatmul(const std::vector<double> &a,
                                const std::vector<double> &b, int64_t m,
                                int64_t k, int64_t n, bool ta, bool tb) {
  std::vector<double> c(m * n, 0.0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < n; ++j)
      for (int64_t p = 0; p < k; ++p)
        c[i * n + j] += (ta ? a[p * m + i] : a[i * k + p]) *
                        (tb ? b[j * k + p] : b[p * n + j]);
  return c;
}

TEST_F(InterpreterTest, MatmulTransposesAndBatchBroadcast) {
  // lhs [2, 1, 3, 4] (or [2, 1, 4, 3] transposed), rhs [3, 4, 5] (or
  // [3, 5, 4]): the result is [2, 3, 3, 5].
  std::vector<double> lhs = randomValues(24, 15), rhs = randomValues(60, 16);
  std::vector<OracleTensor> r =
      run(R"mlir(
func.func @main(%a: tensor<2x1x3x4xf64>, %at: tensor<2x1x4x3xf64>,
                %b: tensor<3x4x5xf64>, %bt: tensor<3x5x4xf64>)
    -> (tensor<2x3x3x5xf64>, tensor<2x3x3x5xf64>, tensor<2x3x3x5xf64>,
        tensor<2x3x3x5xf64>) {
  %0 = attn.matmul %a, %b : (tensor<2x1x3x4xf64>, tensor<3x4x5xf64>) -> tensor<2x3x3x5xf64>
  %1 = attn.matmul %at, %b {transpose_lhs} : (tensor<2x1x4x3xf64>, tensor<3x4x5xf64>) -> tensor<2x3x3x5xf64>
  %2 = attn.matmul %a, %bt {transpose_rhs} : (tensor<2x1x3x4xf64>, tensor<3x5x4xf64>) -> tensor<2x3x3x5xf64>
  %3 = attn.matmul %at, %bt {transpose_lhs, transpose_rhs} : (tensor<2x1x4x3xf64>, tensor<3x5x4xf64>) -> tensor<2x3x3x5xf64>
  return %0, %1, %2, %3 : tensor<2x3x3x5xf64>, tensor<2x3x3x5xf64>,
      tensor<2x3x3x5xf64>, tensor<2x3x3x5xf64>
}
)mlir",
          {f64({2, 1, 3, 4}, lhs), f64({2, 1, 4, 3}, lhs), f64({3, 4, 5}, rhs),
           f64({3, 5, 4}, rhs)});
  ASSERT_RESULTS(r, 4);
  for (int variant = 0; variant < 4; ++variant) {
    bool ta = variant & 1, tb = variant & 2;
    std::vector<double> want;
    for (int b0 = 0; b0 < 2; ++b0)
      for (int b1 = 0; b1 < 3; ++b1) {
        std::vector<double> a(lhs.begin() + b0 * 12,
                              lhs.begin() + b0 * 12 + 12);
        std::vector<double> b(rhs.begin() + b1 * 20,
                              rhs.begin() + b1 * 20 + 20);
        std::vector<double> c = naiveMatmul(a, b, 3, 4, 5, ta, tb);
        want.insert(want.end(), c.begin(), c.end());
      }
    EXPECT_TRUE(allClose(r[variant], {2, 3, 3, 5}, want, 1e-15, 1e-14))
        << "transpose_lhs " << ta << ", transpose_rhs " << tb;
  }
}

TEST_F(InterpreterTest, MatmulAcrossCacheBlocksIsExactAndFast) {
  // Sizes that cross the kernel's k and n block edges, and a d_model 512
  // projection to keep the oracle usable on real models.
  const int64_t m = 70, k = 300, n = 600;
  std::vector<double> a = randomValues(m * k, 17), b = randomValues(k * n, 18);
  std::vector<OracleTensor> r = run(R"mlir(
func.func @main(%a: tensor<70x300xf64>, %b: tensor<300x600xf64>) -> tensor<70x600xf64> {
  %0 = attn.matmul %a, %b : (tensor<70x300xf64>, tensor<300x600xf64>) -> tensor<70x600xf64>
  return %0 : tensor<70x600xf64>
}
)mlir",
                                    {f64({m, k}, a), f64({k, n}, b)});
  ASSERT_RESULTS(r, 1);
  // The same summation order (increasing k) as the naive loop; the margin
  // only covers a compiler contracting to FMA.
  EXPECT_TRUE(allClose(r[0], {m, n}, naiveMatmul(a, b, m, k, n, false, false),
                       1e-12, 0));

}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, ReshapeTransposeBroadcastSlice) {
  std::vector<double> x(20);
  for (int i = 0; i < 20; ++i)
    x[i] = i;
  std::vector<OracleTensor> r = run(R"mlir(
func.func @main(%x: tensor<4x5xf64>, %v: tensor<3x1xf64>)
    -> (tensor<2x10xf64>, tensor<5x4xf64>, tensor<2x3x4xf64>, tensor<2x2xf64>) {
  %0 = attn.reshape %x : (tensor<4x5xf64>) -> tensor<2x10xf64>
  %1 = attn.transpose %x {perm = array<i64: 1, 0>} : (tensor<4x5xf64>) -> tensor<5x4xf64>
  %2 = attn.broadcast_to %v : (tensor<3x1xf64>) -> tensor<2x3x4xf64>
  %3 = attn.slice %x {starts = array<i64: 0, 1>, limits = array<i64: 4, 5>, strides = array<i64: 2, 3>}
      : (tensor<4x5xf64>) -> tensor<2x2xf64>
  return %0, %1, %2, %3 : tensor<2x10xf64>, tensor<5x4xf64>, tensor<2x3x4xf64>, tensor<2x2xf64>
}
)mlir",
                                    {f64({4, 5}, x), f64({3, 1}, {7, 8, 9})});
  ASSERT_RESULTS(r, 4);
  EXPECT_TRUE(allClose(r[0], {2, 10}, x, 0, 0));
  std::vector<double> t;
  for (int j = 0; j < 5; ++j)
    for (int i = 0; i < 4; ++i)
      t.push_back(i * 5 + j);
  EXPECT_TRUE(allClose(r[1], {5, 4}, t, 0, 0));
  std::vector<double> b;
  for (int rep = 0; rep < 2; ++rep)
    for (double v : {7, 8, 9})
      b.insert(b.end(), 4, v);
  EXPECT_TRUE(allClose(r[2], {2, 3, 4}, b, 0, 0));
  // Rows 0 and 2, columns 1 and 4.
  EXPECT_TRUE(allClose(r[3], {2, 2}, {1, 4, 11, 14}, 0, 0));
}

TEST_F(InterpreterTest, ConcatAndSplit) {
  std::vector<OracleTensor> r =
      run(R"mlir(
func.func @main(%a: tensor<2x1xf64>, %b: tensor<2x2xf64>, %c: tensor<2x0xf64>)
    -> (tensor<2x3xf64>, tensor<1x3xf64>, tensor<0x3xf64>, tensor<1x3xf64>) {
  %0 = attn.concat %a, %b, %c {axis = -1 : i64}
      : (tensor<2x1xf64>, tensor<2x2xf64>, tensor<2x0xf64>) -> tensor<2x3xf64>
  %1:3 = attn.split %0 {axis = 0 : i64, sizes = array<i64: 1, 0, 1>}
      : (tensor<2x3xf64>) -> (tensor<1x3xf64>, tensor<0x3xf64>, tensor<1x3xf64>)
  return %0, %1#0, %1#1, %1#2 : tensor<2x3xf64>, tensor<1x3xf64>, tensor<0x3xf64>, tensor<1x3xf64>
}
)mlir",
          {f64({2, 1}, {1, 4}), f64({2, 2}, {2, 3, 5, 6}), f64({2, 0}, {})});
  ASSERT_RESULTS(r, 4);
  EXPECT_TRUE(allClose(r[0], {2, 3}, {1, 2, 3, 4, 5, 6}, 0, 0));
  EXPECT_TRUE(allClose(r[1], {1, 3}, {1, 2, 3}, 0, 0));
  EXPECT_TRUE(allClose(r[2], {0, 3}, {}, 0, 0));
  EXPECT_TRUE(allClose(r[3], {1, 3}, {4, 5, 6}, 0, 0));
}

TEST_F(InterpreterTest, GatherWithNegativeIndices) {
  std::vector<double> table;
  for (int i = 0; i < 10; ++i)
    table.push_back(i * 10);
  std::vector<OracleTensor> r =
      run(R"mlir(
func.func @main(%t: tensor<5x2xf64>, %i: tensor<2x2xi64>, %j: tensor<3xi32>)
    -> (tensor<2x2x2xf64>, tensor<5x3xf64>) {
  %0 = attn.gather %t, %i : (tensor<5x2xf64>, tensor<2x2xi64>) -> tensor<2x2x2xf64>
  %1 = attn.gather %t, %j {axis = 1 : i64} : (tensor<5x2xf64>, tensor<3xi32>) -> tensor<5x3xf64>
  return %0, %1 : tensor<2x2x2xf64>, tensor<5x3xf64>
}
)mlir",
          {f64({5, 2}, table), host(DTypeKind::I64, {2, 2}, {0, -1, 4, -5}),
           host(DTypeKind::I32, {3}, {1, -2, 1})});
  ASSERT_RESULTS(r, 2);
  EXPECT_TRUE(allClose(r[0], {2, 2, 2}, {0, 10, 80, 90, 80, 90, 0, 10}, 0, 0));
  std::vector<double> cols;
  for (int row = 0; row < 5; ++row)
    for (int c : {1, 0, 1})
      cols.push_back(table[row * 2 + c]);
  EXPECT_TRUE(allClose(r[1], {5, 3}, cols, 0, 0));
}

TEST_F(InterpreterTest, GatherOutOfRangeNamesOpLocationIndexAndRange) {
  const char *source = R"mlir(
func.func @main(%t: tensor<5x2xf64>, %i: tensor<3xi64>) -> tensor<3x2xf64> {
  %0 = attn.gather %t, %i : (tensor<5x2xf64>, tensor<3xi64>) -> tensor<3x2xf64>
  return %0 : tensor<3x2xf64>
}
)mlir";
  for (double bad : {5.0, -6.0}) {
    std::string message =
        runError(source, {f64({5, 2}, std::vector<double>(10, 1.0)),
                          host(DTypeKind::I64, {3}, {0, bad, 1})});
    EXPECT_NE(message.find("'attn.gather' op"), std::string::npos) << message;
    EXPECT_NE(message.find("loc("), std::string::npos) << message;
    EXPECT_NE(message.find(":3:"), std::string::npos)
        << "the op is on line 3: " << message;
    EXPECT_NE(message.find("index " + std::to_string(int(bad))),
              std::string::npos)
        << message;
    EXPECT_NE(message.find("[-5, 5)"), std::string::npos) << message;
  }
}

//===----------------------------------------------------------------------===//
// Constants
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, DenseConstants) {
  std::vector<OracleTensor> r = run(R"mlir(
func.func @main() -> (tensor<2x2xf32>, tensor<3xf16>, tensor<2xi1>,
                      tensor<2xi64>, tensor<2x2xi32>, tensor<2xf64>) {
  %0 = attn.constant dense<[[1.5, -2.0], [0.25, 3.0]]> : tensor<2x2xf32>
  %1 = attn.constant dense<0.1> : tensor<3xf16>
  %2 = attn.constant dense<[true, false]> : tensor<2xi1>
  %3 = attn.constant dense<[-9007199254740992, 7]> : tensor<2xi64>
  %4 = attn.constant dense<-3> : tensor<2x2xi32>
  %5 = attn.constant dense<[0.1, 1.0e300]> : tensor<2xf64>
  return %0, %1, %2, %3, %4, %5 : tensor<2x2xf32>, tensor<3xf16>, tensor<2xi1>,
      tensor<2xi64>, tensor<2x2xi32>, tensor<2xf64>
}
)mlir");
  ASSERT_RESULTS(r, 6);
  EXPECT_TRUE(allClose(r[0], {2, 2}, {1.5, -2, 0.25, 3}, 0, 0));
  double half01 = halfToFloat(0x2e66);
  EXPECT_TRUE(allClose(r[1], {3}, {half01, half01, half01}, 0, 0))
      << "an f16 constant holds the f16 value";
  EXPECT_TRUE(allClose(r[2], {2}, {1, 0}, 0, 0));
  EXPECT_TRUE(allClose(r[3], {2}, {-9007199254740992.0, 7}, 0, 0));
  EXPECT_TRUE(allClose(r[4], {2, 2}, {-3, -3, -3, -3}, 0, 0));
  EXPECT_TRUE(allClose(r[5], {2}, {0.1, 1e300}, 0, 0));
}

TEST_F(InterpreterTest, DenseResourceConstants) {
  // Blob hex: a little-endian u32 alignment, then the element bytes.
  std::vector<OracleTensor> r = run(R"mlir(
func.func @main() -> (tensor<2xf32>, tensor<2xf16>, tensor<2xf64>,
                      tensor<2xi32>, tensor<2xi64>, tensor<3xi1>) {
  %0 = attn.constant dense_resource<w_f32> : tensor<2xf32>
  %1 = attn.constant dense_resource<w_f16> : tensor<2xf16>
  %2 = attn.constant dense_resource<w_f64> : tensor<2xf64>
  %3 = attn.constant dense_resource<w_i32> : tensor<2xi32>
  %4 = attn.constant dense_resource<w_i64> : tensor<2xi64>
  %5 = attn.constant dense_resource<w_i1> : tensor<3xi1>
  return %0, %1, %2, %3, %4, %5 : tensor<2xf32>, tensor<2xf16>, tensor<2xf64>,
      tensor<2xi32>, tensor<2xi64>, tensor<3xi1>
}
{-#
  dialect_resources: {
    builtin: {
      w_f32: "0x040000000000803F000000C0",
      w_f16: "0x02000000003C00C0",
      w_f64: "0x08000000000000000000F03F00000000000000C0",
      w_i32: "0x0400000005000000FDFFFFFF",
      w_i64: "0x080000000500000000000000FDFFFFFFFFFFFFFF",
      w_i1: "0x01000000010001"
    }
  }
#-}
)mlir");
  ASSERT_RESULTS(r, 6);
  EXPECT_TRUE(allClose(r[0], {2}, {1, -2}, 0, 0)) << "f32";
  EXPECT_TRUE(allClose(r[1], {2}, {1, -2}, 0, 0)) << "f16";
  EXPECT_TRUE(allClose(r[2], {2}, {1, -2}, 0, 0)) << "f64";
  EXPECT_TRUE(allClose(r[3], {2}, {5, -3}, 0, 0)) << "i32";
  EXPECT_TRUE(allClose(r[4], {2}, {5, -3}, 0, 0)) << "i64";
  EXPECT_TRUE(allClose(r[5], {3}, {1, 0, 1}, 0, 0)) << "i1";
}

TEST_F(InterpreterTest, ElidedOrMissizedResourceIsAnError) {
  std::string message = runError(R"mlir(
func.func @main() -> tensor<4xf32> {
  %0 = attn.constant dense_resource<__elided__> : tensor<4xf32>
  return %0 : tensor<4xf32>
}
)mlir");
  EXPECT_NE(message.find("'attn.constant' op"), std::string::npos) << message;
  EXPECT_NE(message.find("has no data"), std::string::npos) << message;

  message = runError(R"mlir(
func.func @main() -> tensor<4xf32> {
  %0 = attn.constant dense_resource<short> : tensor<4xf32>
  return %0 : tensor<4xf32>
}
{-# dialect_resources: { builtin: { short: "0x040000000000803F" } } #-}
)mlir");
  EXPECT_NE(message.find("holds 4 bytes"), std::string::npos) << message;
  EXPECT_NE(message.find("needs 16"), std::string::npos) << message;
}

//===----------------------------------------------------------------------===//
// evaluateFunction / evaluateOp contracts
//===----------------------------------------------------------------------===//

TEST_F(InterpreterTest, RejectsWrongInputs) {
  const char *source = R"mlir(
func.func @main(%x: tensor<2x16xf32> {attn.name = "x"},
                %mask: tensor<2x16xi64> {attn.name = "mask"},
                %y: tensor<3xf64>) -> tensor<2x16xf32> {
  return %x : tensor<2x16xf32>
}
)mlir";
  HostTensor x(DTypeKind::F32, {2, 16}), y(DTypeKind::F64, {3});
  EXPECT_EQ(runError(source, {x, HostTensor(DTypeKind::I64, {2, 15}), y}),
            "input #1 'mask': expected shape [2, 16] (i64), got [2, 15] (i64)");
  EXPECT_EQ(runError(source, {x, HostTensor(DTypeKind::I32, {2, 16}), y}),
            "input #1 'mask': expected shape [2, 16] (i64), got [2, 16] (i32)");
  EXPECT_EQ(runError(source, {x, HostTensor(DTypeKind::I64, {2, 16}),
                              HostTensor(DTypeKind::F64, {4})}),
            "input #2: expected shape [3] (f64), got [4] (f64)");
  std::string message = runError(source, {x});
  EXPECT_NE(message.find("takes 3 inputs, got 1"), std::string::npos)
      << message;
}

TEST_F(InterpreterTest, UnknownOpIsAnErrorNamingIt) {
  std::string message = runError(R"mlir(
func.func private @helper(tensor<2xf64>) -> tensor<2xf64>
func.func @main(%x: tensor<2xf64>) -> tensor<2xf64> {
  %0 = func.call @helper(%x) : (tensor<2xf64>) -> tensor<2xf64>
  return %0 : tensor<2xf64>
}
)mlir",
                                 {f64({2}, {1, 2})});
  EXPECT_NE(message.find("'func.call' op"), std::string::npos) << message;
  EXPECT_NE(message.find("loc("), std::string::npos) << message;
  EXPECT_NE(message.find(":4:"), std::string::npos) << message;
}

TEST_F(InterpreterTest, EvaluateOpInIsolation) {
  mlir::func::FuncOp func = parse(R"mlir(
func.func @main(%a: tensor<2xf64>, %b: tensor<2xf64>) -> tensor<2xf64> {
  %0 = attn.add %a, %b : (tensor<2xf64>, tensor<2xf64>) -> tensor<2xf64>
  return %0 : tensor<2xf64>
}
)mlir");
  ASSERT_TRUE(func);
  mlir::Operation *add = &func.getBody().front().front();
  OracleTensor a{{2}, {1, 2}}, b{{2}, {10, 20}};
  llvm::Expected<std::vector<OracleTensor>> r = evaluateOp(add, {a, b});
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_TRUE(allClose((*r)[0], {2}, {11, 22}, 0, 0));

  OracleTensor wrong{{3}, {1, 2, 3}};
  r = evaluateOp(add, {a, wrong});
  ASSERT_FALSE(bool(r));
  std::string message = llvm::toString(r.takeError());
  EXPECT_NE(message.find("operand #1"), std::string::npos) << message;

  r = evaluateOp(add, {a});
  ASSERT_FALSE(bool(r));
  message = llvm::toString(r.takeError());
  EXPECT_NE(message.find("expected 2 operand values"), std::string::npos)
      << message;
}

TEST_F(InterpreterTest, ObserverSeesEveryOpAndCanStop) {
  mlir::func::FuncOp func = parse(R"mlir(
func.func @main(%a: tensor<2xf64>) -> tensor<2xf64> {
  %0 = attn.exp %a : tensor<2xf64>
  %1 = attn.neg %0 : tensor<2xf64>
  %2 = attn.abs %1 : tensor<2xf64>
  return %2 : tensor<2xf64>
}
)mlir");
  ASSERT_TRUE(func);
  std::vector<std::string> seen;
  std::vector<HostTensor> inputs = {f64({2}, {0, 1})};
  auto r = evaluateFunction(
      func, inputs,
      [&](mlir::Operation *op, llvm::ArrayRef<OracleTensor> results) {
        seen.push_back(op->getName().getStringRef().str());
        EXPECT_EQ(results.size(), 1u);
        return true;
      });
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  EXPECT_EQ(seen,
            (std::vector<std::string>{"attn.exp", "attn.neg", "attn.abs"}));
  EXPECT_TRUE(allClose((*r)[0], {2}, {1, std::exp(1.0)}, 0, 0));

  int calls = 0;
  r = evaluateFunction(func, inputs,
                       [&](mlir::Operation *, llvm::ArrayRef<OracleTensor>) {
                         return ++calls < 2;
                       });
  ASSERT_TRUE(bool(r)) << llvm::toString(r.takeError());
  EXPECT_EQ(calls, 2);
  EXPECT_TRUE(r->empty()) << "a stopped evaluation returns no results";
}

} // namespace
