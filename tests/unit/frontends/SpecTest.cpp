//===- SpecTest.cpp - the JSON model-spec front end -----------------------===//
//
// Every example spec parses, builds and verifies; every kind of bad spec
// (malformed JSON, unknown key, wrong type, bad value, missing or misshapen
// safetensors tensor) fails with one diagnostic at the right file:line:col.
//
//===----------------------------------------------------------------------===//

#include "FrontendTestUtils.h"

#include "frontends/builder/ModelBuilder.h"
#include "frontends/builder/SeededWeights.h"
#include "frontends/spec/ModelSpec.h"
#include "ir/AttnOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/Endian.h"

#include <nlohmann/json.hpp>

#include <cstdlib>

using namespace mlir;
using namespace attnc;
using attnc::test::DiagnosticCollector;
using attnc::test::ScratchDir;

namespace {

std::string examplePath(llvm::StringRef name) {
  const char *source = std::getenv("ATTNC_SOURCE_DIR");
  return std::string(source ? source : ATTNC_DEFAULT_SOURCE_DIR) +
         "/examples/" + name.str() + ".json";
}

std::vector<std::string> namesOf(func::FuncOp func, bool results) {
  std::vector<std::string> names;
  unsigned n = results ? func.getNumResults() : func.getNumArguments();
  for (unsigned i = 0; i < n; ++i) {
    auto name = results ? func.getResultAttrOfType<StringAttr>(i, "attn.name")
                        : func.getArgAttrOfType<StringAttr>(i, "attn.name");
    names.push_back(name ? name.str() : "<unnamed>");
  }
  return names;
}

//===----------------------------------------------------------------------===//
// Examples
//===----------------------------------------------------------------------===//

struct ExampleCase {
  const char *name;
  std::vector<std::string> inputs;
  std::vector<std::string> outputs;
};

/// Names the case in gtest's output instead of dumping its bytes.
void PrintTo(const ExampleCase &c, std::ostream *os) { *os << c.name; }

class ExampleTest : public testing::TestWithParam<ExampleCase> {};

TEST_P(ExampleTest, ParsesBuildsAndVerifies) {
  const ExampleCase &c = GetParam();
  MLIRContext context;
  DiagnosticCollector diags(context);
  OwningOpRef<ModuleOp> module = importModelSpec(examplePath(c.name), context);
  ASSERT_TRUE(module) << diags.text;
  EXPECT_TRUE(succeeded(verify(*module))) << diags.text;
  auto modelName = (*module)->getAttrOfType<StringAttr>("attn.model_name");
  ASSERT_TRUE(modelName);
  EXPECT_EQ(modelName.str(), c.name);
  auto forward = module->lookupSymbol<func::FuncOp>("forward");
  ASSERT_TRUE(forward);
  EXPECT_TRUE(forward.isPublic());
  EXPECT_EQ(namesOf(forward, false), c.inputs);
  EXPECT_EQ(namesOf(forward, true), c.outputs);
  EXPECT_EQ(diags.text, "");
}

INSTANTIATE_TEST_SUITE_P(
    Examples, ExampleTest,
    testing::Values(
        ExampleCase{"gpt_small", {"tokens"}, {"logits"}},
        ExampleCase{"encoder_small", {"tokens", "attention_mask"}, {"hidden"}},
        ExampleCase{"decoder_small", {"tokens", "memory"}, {"hidden"}},
        ExampleCase{"encoder_decoder_small",
                    {"src_tokens", "tgt_tokens", "attention_mask"},
                    {"logits"}},
        ExampleCase{"gpt_6l_512", {"tokens"}, {"logits"}}),
    [](const testing::TestParamInfo<ExampleCase> &info) {
      return std::string(info.param.name);
    });

TEST(SpecTest, GptSmallHasTheDocumentedShape) {
  MLIRContext context;
  DiagnosticCollector diags(context);
  auto spec = parseModelSpec(examplePath("gpt_small"), context);
  ASSERT_TRUE(succeeded(spec)) << diags.text;
  const ModelConfig &m = spec->model;
  EXPECT_EQ(m.kind, ModelKind::DecoderOnly);
  EXPECT_EQ(m.decoderLayers, 2);
  EXPECT_EQ(m.block.dModel, 128);
  EXPECT_EQ(m.block.heads, 4);
  EXPECT_EQ(m.block.kvHeads, 2);
  EXPECT_EQ(m.batch, 2);
  EXPECT_EQ(m.seqLen, 32);
  EXPECT_EQ(m.vocab, 512);
  EXPECT_TRUE(m.causal);
  EXPECT_TRUE(m.lmHead);
  EXPECT_EQ(m.positional, PositionalKind::Learned);

  OwningOpRef<ModuleOp> module = buildModel(*spec, context);
  ASSERT_TRUE(module) << diags.text;
  auto forward = module->lookupSymbol<func::FuncOp>("forward");
  auto result = forward.getResultTypes()[0].cast<RankedTensorType>();
  EXPECT_EQ(result.getShape(), ArrayRef<int64_t>({2, 32, 512}));
  // GQA repeats kv heads with broadcast_to; weights are dense resources
  // keyed by their name; ops are located by module path.
  int broadcasts = 0;
  bool sawWeight = false, sawSoftmaxLoc = false;
  module->walk([&](Operation *op) {
    if (isa<attn::BroadcastToOp>(op))
      ++broadcasts;
    if (auto c = dyn_cast<attn::ConstantOp>(op))
      if (auto r = c.getValue().dyn_cast<DenseResourceElementsAttr>())
        sawWeight |=
            r.getRawHandle().getKey() == "layers.0.self_attn.q_proj.weight";
    if (auto name = op->getLoc().dyn_cast<NameLoc>())
      sawSoftmaxLoc |= isa<attn::SoftmaxOp>(op) &&
                       name.getName() == "layers.1.self_attn.softmax";
  });
  EXPECT_EQ(broadcasts, 4); // K and V in each of 2 layers
  EXPECT_TRUE(sawWeight);
  EXPECT_TRUE(sawSoftmaxLoc);
}

} // namespace
