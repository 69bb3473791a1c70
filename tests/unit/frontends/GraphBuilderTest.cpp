//===- GraphBuilderTest.cpp - the C++ graph builder -----------------------===//
//
// Module conventions (names, model name, dense-resource weights, NameLoc
// paths), error reporting without aborting, the attention forms each style
// knob selects, and the determinism of seeded weights.
//
//===----------------------------------------------------------------------===//

#include "FrontendTestUtils.h"

#include "frontends/builder/GraphBuilder.h"
#include "frontends/builder/ModelBuilder.h"
#include "frontends/builder/SeededWeights.h"
#include "frontends/builder/TransformerBuilder.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"

#include <map>

using namespace mlir;
using namespace attnc;
using attnc::test::DiagnosticCollector;

namespace {

TEST(GraphBuilderTest, FollowsTheModuleConventions) {
  MLIRContext context;
  SeededWeights weights(7, 0.02);
  GraphBuilder graph(context, "tiny", &weights);
  Value x = graph.input("hidden_in", {2, 3, 4}, graph.f32());
  Value y;
  {
    GraphBuilder::Scope layer(graph, "layers.0");
    TransformerBuilder t(graph, BlockConfig{4, 2, 2, 8});
    y = t.linear(x, 5, /*bias=*/true, "proj");
  }
  graph.output("hidden", y);
  OwningOpRef<ModuleOp> module = graph.finish();
  ASSERT_TRUE(module);
  EXPECT_TRUE(succeeded(verify(*module)));
  EXPECT_EQ((*module)->getAttrOfType<StringAttr>("attn.model_name").str(),
            "tiny");
  auto forward = module->lookupSymbol<func::FuncOp>("forward");
  EXPECT_EQ(forward.getArgAttrOfType<StringAttr>(0, "attn.name").str(),
            "hidden_in");
  EXPECT_EQ(forward.getResultAttrOfType<StringAttr>(0, "attn.name").str(),
            "hidden");
  std::vector<std::string> locs, keys;
  module->walk([&](Operation *op) {
    if (auto name = op->getLoc().dyn_cast<NameLoc>())
      locs.push_back(name.getName().str());
    if (auto c = dyn_cast<attn::ConstantOp>(op))
      keys.push_back(c.getValue()
                         .cast<DenseResourceElementsAttr>()
                         .getRawHandle()
                         .getKey()
                         .str());
  });
  EXPECT_NE(llvm::find(locs, "layers.0.proj.matmul"), locs.end());
  EXPECT_NE(llvm::find(locs, "layers.0.proj.bias_add"), locs.end());
  EXPECT_EQ(keys, (std::vector<std::string>{"layers.0.proj.weight",
                                            "layers.0.proj.bias"}));
  int transposedMatmuls = 0;
  module->walk(
      [&](attn::MatmulOp op) { transposedMatmuls += op.getTransposeRhs(); });
  EXPECT_EQ(transposedMatmuls, 1);
}

TEST(GraphBuilderTest, ShapeErrorIsADiagnosticNotAnAbort) {
  MLIRContext context;
  DiagnosticCollector diags(context);
  GraphBuilder graph(context, "bad");
  Value a = graph.input("a", {2, 3}, graph.f32());
  Value b = graph.input("b", {4, 5}, graph.f32());
  Value c;
  {
    GraphBuilder::Scope scope(graph, "block");
    c = graph.matmul(a, b, /*transposeRhs=*/false);
  }
  EXPECT_FALSE(c);
  // Later ops on the poisoned value are skipped without a second diagnostic.
  Value d = graph.reshape(c, {6});
  EXPECT_FALSE(d);
  Value e = graph.reshape(a, {7}, "bad_reshape");
  EXPECT_FALSE(e);
  graph.output("out", d);
  EXPECT_FALSE(graph.finish());
  EXPECT_NE(diags.text.find("block.matmul: 'attn.matmul' op contraction dims "
                            "differ: lhs dim 1 is 3, rhs dim 0 is 4"),
            std::string::npos)
      << diags.text;
  EXPECT_NE(diags.text.find("bad_reshape: 'attn.reshape' op cannot reshape "
                            "[2, 3] (6 elements) to [7]"),
            std::string::npos)
      << diags.text;
  EXPECT_EQ(std::count(diags.text.begin(), diags.text.end(), '\n'), 2)
      << diags.text;
}

/// Counts ops of each kind in a one-layer decoder-only model of `style`.
std::map<std::string, int> opCounts(const AttentionStyle &style) {
  MLIRContext context;
  ModelConfig c;
  c.kind = ModelKind::DecoderOnly;
  c.block = BlockConfig{16, 4, 2, 32};
  c.block.style = style;
  c.decoderLayers = 1;
  c.vocab = 11;
  c.seqLen = 5;
  c.maxPositions = 5;
  c.positional = PositionalKind::Learned;
  c.paddingMask = true;
  SeededWeights weights(1, 0.02);
  OwningOpRef<ModuleOp> module = buildTransformerModel(c, weights, context);
  std::map<std::string, int> counts;
  if (!module)
    return counts;
  module->walk(
      [&](Operation *op) { ++counts[op->getName().getStringRef().str()]; });
  return counts;
}

TEST(GraphBuilderTest, StyleKnobsSelectTheAttentionForms) {
  auto plain = opCounts(AttentionStyle());
  ASSERT_FALSE(plain.empty());
  EXPECT_EQ(plain["attn.causal_mask"], 1);
  EXPECT_EQ(plain["attn.select"], 2);       // causal + padding
  EXPECT_EQ(plain["attn.div"], 1);          // scores / sqrt(D)
  EXPECT_EQ(plain["attn.broadcast_to"], 2); // repeat_kv of K and V
  EXPECT_EQ(plain["attn.transpose"], 4);    // split q, k, v + merge

  auto other =
      opCounts({ScaleKind::MulQuery, MaskKind::Additive, KTransposeKind::Op});
  EXPECT_EQ(other["attn.causal_mask"], 0);
  EXPECT_EQ(other["attn.select"], 0);
  EXPECT_EQ(other["attn.div"], 0);
  EXPECT_EQ(other["attn.cast"], 1);                    // attention_mask to f32
  EXPECT_EQ(other["attn.transpose"], 5);               // plus the explicit Kᵀ
  EXPECT_EQ(other["attn.mul"], plain["attn.mul"] + 2); // q scale, BERT fill
}

TEST(SeededWeightsTest, DeterministicPerNameAndSeed) {
  SeededWeights a(5, 0.02), b(5, 0.02), c(6, 0.02);
  std::vector<float> x(9), y(9), z(9), w(9);
  ASSERT_TRUE(succeeded(a.load("w", {9}, WeightRoleKind::Matrix, x)));
  ASSERT_TRUE(succeeded(b.load("other", {9}, WeightRoleKind::Matrix, w)));
  ASSERT_TRUE(succeeded(b.load("w", {9}, WeightRoleKind::Matrix, y)));
  ASSERT_TRUE(succeeded(c.load("w", {9}, WeightRoleKind::Matrix, z)));
  EXPECT_EQ(x, y);
  EXPECT_NE(x, z);
  EXPECT_NE(x, w);
  std::vector<float> scale(1000);
  ASSERT_TRUE(succeeded(a.load("n", {1000}, WeightRoleKind::NormScale, scale)));
  double mean = 0;
  for (float v : scale)
    mean += v / 1000.0;
  EXPECT_NEAR(mean, 1.0, 0.01);
}

} // namespace
