//===- AttentionCases.cpp - the attention conformance matrix --------------===//

#include "tests/numeric/AttentionCases.h"

#include "tests/numeric/NumericHarness.h"

#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/MemoryBuffer.h"

#include "gtest/gtest.h"

#include <cmath>
#include <cstdlib>

using namespace attnc;
using namespace attnc::test;

namespace {

const AttentionCase kConformanceCases[] = {
    {"single_token", 1, 1, 1, 1, 1, 32, 32, MaskKind::None, "none"},
    {"odd7_h4_d64", 1, 4, 4, 7, 7, 64, 64, MaskKind::None, "none"},
    {"b3_h8_s129_causal", 3, 8, 8, 129, 129, 64, 64, MaskKind::None,
     "top_left"},
    {"gqa_8over2_d128_bottom_right", 1, 8, 2, 129, 129, 128, 128,
     MaskKind::None, "bottom_right"},
    {"decode_1x500", 1, 8, 8, 1, 500, 64, 64, MaskKind::None, "none"},
    {"decode_1x500_gqa_bottom_right", 1, 8, 2, 1, 500, 64, 64, MaskKind::None,
     "bottom_right"},
    {"cross_7x129_d80_padding", 1, 4, 4, 7, 129, 80, 80, MaskKind::Padding,
     "none"},
    {"b3_cross_129x7_keep_mask", 3, 4, 4, 129, 7, 32, 32, MaskKind::Keep,
     "none"},
    {"s1000_d32_causal", 1, 1, 1, 1000, 1000, 32, 32, MaskKind::None,
     "top_left"},
    {"s1000_d128", 1, 1, 1, 1000, 1000, 128, 128, MaskKind::None, "none"},
    {"d80_causal_keep_mask", 1, 4, 4, 129, 129, 80, 80, MaskKind::Keep,
     "top_left"},
    {"gqa_7x1000_padding_top_left", 1, 8, 2, 7, 1000, 64, 64, MaskKind::Padding,
     "top_left"},
    {"b3_129x7_bottom_right_empty_rows", 3, 8, 8, 129, 7, 64, 64,
     MaskKind::None, "bottom_right"},
    {"keep_mask_row_fully_masked", 1, 4, 4, 7, 7, 64, 64, MaskKind::KeepFullRow,
     "none"},
    {"additive_row_all_minus_inf", 1, 4, 4, 33, 65, 32, 32,
     MaskKind::AdditiveFullRow, "none"},
    {"additive_row_all_finfo_min", 1, 2, 2, 9, 12, 32, 32,
     MaskKind::AdditiveMinRow, "none"},
    {"dv_differs_explicit_scale", 1, 2, 2, 33, 65, 64, 80, MaskKind::None,
     "none", 0.3f},
};

std::string tensorType(llvm::ArrayRef<int64_t> shape, llvm::StringRef element) {
  std::string s = "tensor<";
  for (int64_t d : shape)
    s += std::to_string(d) + "x";
  return s + element.str() + ">";
}

bool isKeepMask(MaskKind kind) {
  return kind == MaskKind::Keep || kind == MaskKind::KeepFullRow;
}

llvm::SmallVector<int64_t, 4> maskShape(const AttentionCase &c) {
  switch (c.mask) {
  case MaskKind::Padding:
    return {c.b, 1, 1, c.sk};
  case MaskKind::Keep:
  case MaskKind::KeepFullRow:
    return {c.b, 1, c.sq, c.sk};
  case MaskKind::AdditiveFullRow:
  case MaskKind::AdditiveMinRow:
    return {1, c.hq, c.sq, c.sk};
  case MaskKind::None:
    break;
  }
  return {};
}

/// The query row whose keys are all masked by the mask, or -1.
int64_t fullyMaskedRow(const AttentionCase &c) {
  if (c.mask == MaskKind::KeepFullRow)
    return c.sq / 2;
  if (c.mask == MaskKind::AdditiveFullRow)
    return 0;
  return -1;
}

std::string denseLiteral(const std::vector<std::vector<double>> &m) {
  std::string s = "dense<[";
  for (auto [i, row] : llvm::enumerate(m)) {
    s += i ? ", [" : "[";
    for (auto [j, x] : llvm::enumerate(row))
      s += (j ? ", " : "") + std::to_string(x);
    s += "]";
  }
  return s + "]>";
}

} // namespace

llvm::ArrayRef<AttentionCase> test::getConformanceCases() {
  return kConformanceCases;
}

llvm::ArrayRef<AttentionCase> test::getVulkanExtraCases() {
  static const AttentionCase cases[] = {
      {"head_dim_6_not_vec4", 1, 2, 1, 9, 11, 6, 6, MaskKind::Padding,
       "bottom_right"},
      {"transposed_views_b3_gqa", 3, 4, 2, 17, 23, 16, 16, MaskKind::None,
       "top_left", 0, true},
      {"causal_d256", 1, 2, 2, 40, 40, 256, 256, MaskKind::None, "top_left"},
      {"causal_d264_bottom_right", 1, 2, 1, 20, 29, 264, 264, MaskKind::Padding,
       "bottom_right"},
      {"causal_offset_3_h2", 2, 2, 2, 70, 73, 32, 32, MaskKind::None,
       "bottom_right"},
  };
  return cases;
}

std::string test::buildAttentionModule(llvm::ArrayRef<AttentionCase> cases,
                                       llvm::StringRef element) {
  std::string args, body, returns, types;
  for (auto [i, c] : llvm::enumerate(cases)) {
    std::string n = std::to_string(i);
    std::string q = tensorType({c.b, c.hq, c.sq, c.d}, element);
    std::string k = tensorType({c.b, c.hkv, c.sk, c.d}, element);
    std::string v = tensorType({c.b, c.hkv, c.sk, c.dv}, element);
    std::string o = tensorType({c.b, c.hq, c.sq, c.dv}, element);
    std::string qIn = "%q" + n, kIn = "%k" + n, vIn = "%v" + n;
    std::string result = o;
    if (c.transposed) {
      std::string qt = tensorType({c.b, c.sq, c.hq, c.d}, element);
      std::string kt = tensorType({c.b, c.sk, c.hkv, c.d}, element);
      std::string vt = tensorType({c.b, c.sk, c.hkv, c.dv}, element);
      result = tensorType({c.b, c.sq, c.hq, c.dv}, element);
      args += llvm::formatv("{0}%q{1}: {2}, %k{1}: {3}, %v{1}: {4}",
                            i ? ", " : "", n, qt, kt, vt);
      const char *perm = "{perm = array<i64: 0, 2, 1, 3>}";
      body +=
          llvm::formatv("    %tq{0} = attn.transpose %q{0} {1} : ({2}) -> "
                        "{3}\n    %tk{0} = attn.transpose %k{0} {1} : ({4}) "
                        "-> {5}\n    %tv{0} = attn.transpose %v{0} {1} : "
                        "({6}) -> {7}\n",
                        n, perm, qt, q, kt, k, vt, v);
      qIn = "%tq" + n, kIn = "%tk" + n, vIn = "%tv" + n;
    } else {
      args += llvm::formatv("{0}%q{1}: {2}, %k{1}: {3}, %v{1}: {4}",
                            i ? ", " : "", n, q, k, v);
    }
    std::string maskOperand, maskType;
    if (c.mask != MaskKind::None) {
      maskType = tensorType(
          maskShape(c), isKeepMask(c.mask) ? llvm::StringRef("i1") : element);
      args += llvm::formatv(", %m{0}: {1}", n, maskType);
      maskOperand = " mask %m" + n;
      maskType = ", " + maskType;
    }
    std::string attrs = llvm::formatv("causal = #attn<causal {0}>", c.causal);
    if (c.scale != 0)
      attrs += llvm::formatv(", scale = {0} : f32", c.scale);
    body += llvm::formatv("    %a{0} = attn.attention {1}, {2}, {3}{4} {{{5}} "
                          ": ({6}, {7}, {8}{9}) -> {10}\n",
                          n, qIn, kIn, vIn, maskOperand, attrs, q, k, v,
                          maskType, o);
    if (c.transposed)
      body += llvm::formatv("    %o{0} = attn.transpose %a{0} {{perm = "
                            "array<i64: 0, 2, 1, 3>} : ({1}) -> {2}\n",
                            n, o, result);
    returns += std::string(i ? ", " : "") + (c.transposed ? "%o" : "%a") + n;
    types += (i ? ", " : "") + result;
  }
  return llvm::formatv("func.func @forward({0}) -> ({1}) {{\n{2}    return "
                       "{3} : {1}\n}\n",
                       args, types, body, returns);
}

std::vector<HostTensor>
test::buildAttentionInputs(llvm::ArrayRef<AttentionCase> cases,
                           DTypeKind floats) {
  std::mt19937 rng(1234);
  std::vector<HostTensor> inputs;
  for (const AttentionCase &c : cases) {
    if (c.transposed) {
      inputs.push_back(randomTensor({c.b, c.sq, c.hq, c.d}, rng, floats));
      inputs.push_back(randomTensor({c.b, c.sk, c.hkv, c.d}, rng, floats));
      inputs.push_back(randomTensor({c.b, c.sk, c.hkv, c.dv}, rng, floats));
    } else {
      inputs.push_back(randomTensor({c.b, c.hq, c.sq, c.d}, rng, floats));
      inputs.push_back(randomTensor({c.b, c.hkv, c.sk, c.d}, rng, floats));
      inputs.push_back(randomTensor({c.b, c.hkv, c.sk, c.dv}, rng, floats));
    }
    if (c.mask == MaskKind::None)
      continue;
    llvm::SmallVector<int64_t, 4> shape = maskShape(c);
    HostTensor m(isKeepMask(c.mask) ? DTypeKind::Bool : floats, shape);
    std::uniform_real_distribution<double> uniform(0.0, 1.0);
    std::normal_distribution<double> normal(0.0, 1.0);
    int64_t sk = shape[3], sq = shape[2];
    for (int64_t i = 0; i < m.numElements(); ++i) {
      int64_t key = i % sk, row = (i / sk) % sq, batch = i / (sq * sk);
      double value = 0;
      switch (c.mask) {
      case MaskKind::Padding:
        // BERT-style: each batch pads a different tail, key 0 stays.
        value = key > 0 && key >= sk - (batch + 1) * sk / 5 ? -10000.0 : 0.0;
        break;
      case MaskKind::Keep:
        value = key == 0 || uniform(rng) < 0.8;
        break;
      case MaskKind::KeepFullRow:
        value = row != fullyMaskedRow(c) && (key == 0 || uniform(rng) < 0.8);
        break;
      case MaskKind::AdditiveFullRow:
        value = row == fullyMaskedRow(c) ? -INFINITY : normal(rng);
        break;
      case MaskKind::AdditiveMinRow:
        value = row == 0 ? -3.4028234663852886e38 : normal(rng);
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

void test::expectEmptyQueriesAreZero(const AttentionCase &c,
                                     const HostTensor &out) {
  int64_t offset = std::string(c.causal) == "bottom_right" ? c.sk - c.sq : 0;
  for (int64_t b = 0; b < c.b; ++b)
    for (int64_t h = 0; h < c.hq; ++h)
      for (int64_t r = 0; r < c.sq; ++r) {
        bool empty = r == fullyMaskedRow(c) ||
                     (std::string(c.causal) != "none" && r + offset < 0);
        int64_t base = c.transposed ? ((b * c.sq + r) * c.hq + h) * c.dv
                                    : ((b * c.hq + h) * c.sq + r) * c.dv;
        for (int64_t x = 0; empty && x < c.dv; ++x)
          ASSERT_EQ(out.getAsDouble(base + x), 0.0)
              << c.name << ": query " << r << " sees no key";
      }
}

std::optional<llvm::json::Value> test::loadSeedAttention() {
  const char *dataDir = std::getenv("ATTNC_TEST_DATA");
  if (!dataDir) {
    ADD_FAILURE() << "ATTNC_TEST_DATA is not set (run through ctest)";
    return std::nullopt;
  }
  auto buffer = llvm::MemoryBuffer::getFile(std::string(dataDir) +
                                            "/seed_attention.json");
  if (!buffer) {
    ADD_FAILURE() << "cannot read seed_attention.json";
    return std::nullopt;
  }
  llvm::Expected<llvm::json::Value> json =
      llvm::json::parse((*buffer)->getBuffer());
  if (!json) {
    ADD_FAILURE() << llvm::toString(json.takeError());
    return std::nullopt;
  }
  return std::move(*json);
}

std::vector<std::vector<double>> test::matrixOf(const llvm::json::Array &rows) {
  std::vector<std::vector<double>> m;
  for (const llvm::json::Value &row : rows) {
    m.emplace_back();
    for (const llvm::json::Value &x : *row.getAsArray())
      m.back().push_back(x.getAsNumber().value_or(NAN));
  }
  return m;
}

std::string test::seedTutorialModule(const llvm::json::Object &inputs) {
  return llvm::formatv(R"(
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
                       denseLiteral(matrixOf(*inputs.getArray("W_Q"))),
                       denseLiteral(matrixOf(*inputs.getArray("W_K"))),
                       denseLiteral(matrixOf(*inputs.getArray("W_V"))));
}

HostTensor test::seedTutorialInput(const llvm::json::Object &inputs) {
  HostTensor x(DTypeKind::F32, {3, 4});
  for (auto [i, row] : llvm::enumerate(matrixOf(*inputs.getArray("X"))))
    for (auto [j, value] : llvm::enumerate(row))
      x.setFromDouble(i * 4 + j, value);
  return x;
}
