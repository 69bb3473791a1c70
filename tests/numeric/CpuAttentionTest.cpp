//===- CpuAttentionTest.cpp - attn.attention on the CPU target vs the oracle
//-===//
//
// One module holds every case of the matrix (batch, heads, GQA, Sq vs Sk,
// head dims, odd lengths, each mask kind and causal mode, fully masked rows)
// as separate attention ops, so the whole matrix costs one compile; each
// TEST_P checks its op's output against the fp64 oracle. Plus the tutorial
// example built from unfused ops.
//
//===----------------------------------------------------------------------===//

#include "tests/numeric/NumericHarness.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include "gtest/gtest.h"

#include <cmath>

using namespace attnc;
using namespace attnc::test;

namespace {

enum class MaskKind {
  None,
  AdditivePadding,
  Bool,
  BoolFullRow,
  AdditiveFullRow
};

struct AttentionCase {
  const char *name;
  int64_t b, hq, hkv, sq, sk, d, dv;
  MaskKind mask;
  const char *causal; // none | top_left | bottom_right
  float scale = 0;    // 0: the default 1/sqrt(D)
};

const AttentionCase kCases[] = {
    {"single_token", 1, 1, 1, 1, 1, 32, 32, MaskKind::None, "none"},
    {"odd7_h4_d64", 1, 4, 4, 7, 7, 64, 64, MaskKind::None, "none"},
    {"b3_h8_s129_causal", 3, 8, 8, 129, 129, 64, 64, MaskKind::None,
     "top_left"},
    {"gqa_8over2_d128_bottom_right", 1, 8, 2, 129, 129, 128, 128,
     MaskKind::None, "bottom_right"},
    {"decode_1x500", 1, 8, 8, 1, 500, 64, 64, MaskKind::None, "none"},
    {"decode_1x500_bottom_right_gqa", 1, 8, 2, 1, 500, 64, 64, MaskKind::None,
     "bottom_right"},
    {"cross_7x129_d80_padding", 1, 4, 4, 7, 129, 80, 80,
     MaskKind::AdditivePadding, "none"},
    {"b3_cross_129x7_bool", 3, 4, 4, 129, 7, 32, 32, MaskKind::Bool, "none"},
    {"s1000_d32_causal", 1, 1, 1, 1000, 1000, 32, 32, MaskKind::None,
     "top_left"},
    {"s1000_d128", 1, 1, 1, 1000, 1000, 128, 128, MaskKind::None, "none"},
    {"d80_causal_bool", 1, 4, 4, 129, 129, 80, 80, MaskKind::Bool, "top_left"},
    {"gqa_7x1000_padding_top_left", 1, 8, 2, 7, 1000, 64, 64,
     MaskKind::AdditivePadding, "top_left"},
    {"b3_129x7_bottom_right_empty_rows", 3, 8, 8, 129, 7, 64, 64,
     MaskKind::None, "bottom_right"},
    {"bool_row_fully_masked", 1, 4, 4, 7, 7, 64, 64, MaskKind::BoolFullRow,
     "none"},
    {"additive_row_all_minus_inf", 1, 4, 4, 33, 65, 32, 32,
     MaskKind::AdditiveFullRow, "none"},
    {"dv_differs_explicit_scale", 1, 2, 2, 33, 65, 64, 80, MaskKind::None,
     "none", 0.3f},
};

std::string tensorType(llvm::ArrayRef<int64_t> shape, llvm::StringRef element) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + element.str() + ">";
}

llvm::SmallVector<int64_t, 4> maskShape(const AttentionCase &c) {
  switch (c.mask) {
  case MaskKind::AdditivePadding:
    return {c.b, 1, 1, c.sk};
  case MaskKind::Bool:
  case MaskKind::BoolFullRow:
    return {c.b, 1, c.sq, c.sk};
  case MaskKind::AdditiveFullRow:
    return {1, c.hq, c.sq, c.sk};
  case MaskKind::None:
    return {};
  }
  return {};
}

/// The query row whose keys are all masked, or -1.
int64_t fullyMaskedRow(const AttentionCase &c) {
  if (c.mask == MaskKind::BoolFullRow)
    return c.sq / 2;
  if (c.mask == MaskKind::AdditiveFullRow)
    return 0;
  return -1;
}

std::string buildModule() {
  std::string args, results, body, returns, returnTypes;
  for (auto [i, c] : llvm::enumerate(kCases)) {
    std::string q = tensorType({c.b, c.hq, c.sq, c.d}, "f32");
    std::string k = tensorType({c.b, c.hkv, c.sk, c.d}, "f32");
    std::string v = tensorType({c.b, c.hkv, c.sk, c.dv}, "f32");
    std::string o = tensorType({c.b, c.hq, c.sq, c.dv}, "f32");
    std::string n = std::to_string(i);
    args += llvm::formatv("{0}%q{1}: {2}, %k{1}: {3}, %v{1}: {4}",
                          i ? ", " : "", n, q, k, v);
    std::string maskOperand, maskType;
    if (c.mask != MaskKind::None) {
      bool isBool = c.mask == MaskKind::Bool || c.mask == MaskKind::BoolFullRow;
      maskType = tensorType(maskShape(c), isBool ? "i1" : "f32");
      args += llvm::formatv(", %m{0}: {1}", n, maskType);
      maskOperand = " mask %m" + n;
      maskType = ", " + maskType;
    }
    std::string attrs = llvm::formatv("causal = #attn<causal {0}>", c.causal);
    if (c.scale != 0)
      attrs += llvm::formatv(", scale = {0} : f32", c.scale);
    body += llvm::formatv("    %o{0} = attn.attention %q{0}, %k{0}, %v{0}{1} "
                          "{{{2}} : ({3}, {4}, {5}{6}) -> {7}\n",
                          n, maskOperand, attrs, q, k, v, maskType, o);
    returns += (i ? ", %o" : "%o") + n;
    returnTypes += (i ? ", " : "") + o;
  }
  return llvm::formatv("func.func @forward({0}) -> ({1}) {{\n{2}    return {3} "
                       ": {1}\n}\n",
                       args, returnTypes, body, returns);
}

std::vector<HostTensor> buildInputs() {
  std::mt19937 rng(1234);
  std::vector<HostTensor> inputs;
  for (const AttentionCase &c : kCases) {
    inputs.push_back(randomTensor({c.b, c.hq, c.sq, c.d}, rng));
    inputs.push_back(randomTensor({c.b, c.hkv, c.sk, c.d}, rng));
    inputs.push_back(randomTensor({c.b, c.hkv, c.sk, c.dv}, rng));
    if (c.mask == MaskKind::None)
      continue;
    llvm::SmallVector<int64_t, 4> shape = maskShape(c);
    bool isBool = c.mask == MaskKind::Bool || c.mask == MaskKind::BoolFullRow;
    HostTensor m(isBool ? DTypeKind::Bool : DTypeKind::F32, shape);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::normal_distribution<double> normal(0.0, 1.0);
    int64_t sk = shape[3], sq = shape[2];
    for (int64_t i = 0; i < m.numElements(); ++i) {
      int64_t key = i % sk, row = (i / sk) % sq;
      double value = 0;
      switch (c.mask) {
      case MaskKind::AdditivePadding:
        // Each batch pads a different tail; the first key stays visible.
        value = key > 0 && key >= sk - (i / (sq * sk) + 1) * sk / 5 ? -10000.0
                                                                    : 0.0;
        break;
      case MaskKind::Bool:
        value = key == 0 || uniform(rng) < 0.8;
        break;
      case MaskKind::BoolFullRow:
        value = row != fullyMaskedRow(c) && (key == 0 || uniform(rng) < 0.8);
        break;
      case MaskKind::AdditiveFullRow:
        value = row == fullyMaskedRow(c) ? -INFINITY : normal(rng);
        break;
      case MaskKind::None:
        break;
      }
      m.setFromDouble(i, value);
    }
    inputs.push_back(std::move(m));
  }
  return inputs;
}

class AttentionConformance : public ::testing::TestWithParam<size_t> {
protected:
  static void SetUpTestSuite() {
    context = createContext().release();
    module = new mlir::OwningOpRef<mlir::ModuleOp>(
        parseModule(*context, buildModule()));
    if (!*module)
      return;
    std::vector<HostTensor> inputs = buildInputs();
    expected = new std::vector<OracleTensor>(evaluateOracle(**module, inputs));
    llvm::Expected<std::unique_ptr<TempLibrary>> lib =
        TempLibrary::compile(**module);
    if (!lib) {
      setupError = new std::string(llvm::toString(lib.takeError()));
      return;
    }
    llvm::Expected<std::unique_ptr<LoadedModel>> model = (*lib)->load();
    if (!model) {
      setupError = new std::string(llvm::toString(model.takeError()));
      return;
    }
    llvm::Expected<std::vector<HostTensor>> out = (*model)->run(inputs);
    if (!out) {
      setupError = new std::string(llvm::toString(out.takeError()));
      return;
    }
    got = new std::vector<HostTensor>(std::move(*out));
  }

  static mlir::MLIRContext *context;
  static mlir::OwningOpRef<mlir::ModuleOp> *module;
  static std::vector<OracleTensor> *expected;
  static std::vector<HostTensor> *got;
  static std::string *setupError;
};

mlir::MLIRContext *AttentionConformance::context;
mlir::OwningOpRef<mlir::ModuleOp> *AttentionConformance::module;
std::vector<OracleTensor> *AttentionConformance::expected;
std::vector<HostTensor> *AttentionConformance::got;
std::string *AttentionConformance::setupError;

TEST_P(AttentionConformance, MatchesOracle) {
  ASSERT_FALSE(setupError) << *setupError;
  ASSERT_TRUE(got && expected && expected->size() == got->size());
  size_t i = GetParam();
  const AttentionCase &c = kCases[i];
  expectClose((*got)[i], (*expected)[i], kFp32TargetTolerance, c.name);

  // Queries that see no key give exact zeros (not tiny values, not NaN).
  const float *out = (*got)[i].data<float>();
  int64_t offset = std::string(c.causal) == "bottom_right" ? c.sk - c.sq : 0;
  for (int64_t bh = 0; bh < c.b * c.hq; ++bh)
    for (int64_t r = 0; r < c.sq; ++r) {
      bool empty = r == fullyMaskedRow(c) ||
                   (std::string(c.causal) != "none" && r + offset < 0);
      for (int64_t x = 0; empty && x < c.dv; ++x)
        ASSERT_EQ(out[(bh * c.sq + r) * c.dv + x], 0.0f)
            << c.name << ": query " << r << " sees no key";
    }
}

INSTANTIATE_TEST_SUITE_P(Cpu, AttentionConformance,
                         ::testing::Range<size_t>(0, std::size(kCases)),
                         [](const ::testing::TestParamInfo<size_t> &info) {
                           return std::string(kCases[info.param].name);
                         });

/// The classic 3-token tutorial: unfused matmul / div / softmax / matmul,
/// with the weights of tests/data/seed_attention.json.
TEST(CpuTutorial, SeedAttention) {
  const char *dataDir = std::getenv("ATTNC_TEST_DATA");
  ASSERT_TRUE(dataDir) << "ATTNC_TEST_DATA is not set (run through ctest)";
  auto buffer = llvm::MemoryBuffer::getFile(std::string(dataDir) +
                                            "/seed_attention.json");
  ASSERT_TRUE(buffer) << "cannot read seed_attention.json";
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  ASSERT_TRUE(bool(json)) << llvm::toString(json.takeError());
  const llvm::json::Object &tutorial =
      *json->getAsObject()->getArray("cases")->front().getAsObject();
  const llvm::json::Object &given = *tutorial.getObject("inputs");
  auto matrix = [&](llvm::StringRef name) {
    std::vector<std::vector<double>> rows;
    for (const llvm::json::Value &row : *given.getArray(name)) {
      rows.emplace_back();
      for (const llvm::json::Value &x : *row.getAsArray())
        rows.back().push_back(*x.getAsNumber());
    }
    return rows;
  };
  auto literal = [&](llvm::StringRef name) {
    std::string s = "dense<[";
    for (auto [i, row] : llvm::enumerate(matrix(name))) {
      s += i ? ", [" : "[";
      for (auto [j, x] : llvm::enumerate(row))
        s += (j ? ", " : "") + std::to_string(x);
      s += "]";
    }
    return s + "]>";
  };
  std::string text =
      llvm::formatv(R"(
func.func @forward(%x: tensor<3x4xf32> {{attn.name = "X"}) -> (tensor<3x2xf32> {{attn.name = "out"}) {{
  %wq = attn.constant {0} : tensor<4x2xf32>
  %wk = attn.constant {1} : tensor<4x2xf32>
  %wv = attn.constant {2} : tensor<4x2xf32>
  %q = attn.matmul %x, %wq : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %k = attn.matmul %x, %wk : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %v = attn.matmul %x, %wv : (tensor<3x4xf32>, tensor<4x2xf32>) -> tensor<3x2xf32>
  %s = attn.matmul %q, %k {{transpose_rhs} : (tensor<3x2xf32>, tensor<3x2xf32>) -> tensor<3x3xf32>
  %c = attn.constant dense<1.41421354> : tensor<f32>
  %t = attn.div %s, %c : (tensor<3x3xf32>, tensor<f32>) -> tensor<3x3xf32>
  %p = attn.softmax %t {{axis = -1 : i64} : tensor<3x3xf32>
  %o = attn.matmul %p, %v : (tensor<3x3xf32>, tensor<3x2xf32>) -> tensor<3x2xf32>
  return %o : tensor<3x2xf32>
}
)",
                    literal("W_Q"), literal("W_K"), literal("W_V"));
  std::unique_ptr<mlir::MLIRContext> context = createContext();
  mlir::OwningOpRef<mlir::ModuleOp> module = parseModule(*context, text);
  ASSERT_TRUE(module);
  HostTensor x(DTypeKind::F32, {3, 4});
  for (auto [i, row] : llvm::enumerate(matrix("X")))
    for (auto [j, v] : llvm::enumerate(row))
      x.setFromDouble(i * 4 + j, v);
  llvm::Expected<std::unique_ptr<TempLibrary>> lib =
      TempLibrary::compile(*module);
  ASSERT_TRUE(bool(lib)) << llvm::toString(lib.takeError());
  llvm::Expected<std::unique_ptr<LoadedModel>> model = (*lib)->load();
  ASSERT_TRUE(bool(model)) << llvm::toString(model.takeError());
  llvm::Expected<std::vector<HostTensor>> out = (*model)->run({x});
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  const double expected[3][2] = {{18, 20}, {18, 20}, {18, 20}};
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 2; ++j)
      EXPECT_NEAR((*out)[0].getAsDouble(i * 2 + j), expected[i][j], 1e-5)
          << "out[" << i << "][" << j << "]";
}

} // namespace
