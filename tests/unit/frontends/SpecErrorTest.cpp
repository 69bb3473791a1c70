//===- SpecErrorTest.cpp - bad model specs and weight files ---------------===//
//
// Each bad spec must give exactly the diagnostic a user can act on, at the
// file:line:col of the offending key or value; safetensors problems are
// reported at the spec's "file" value and name the tensor.
//
//===----------------------------------------------------------------------===//

#include "FrontendTestUtils.h"

#include "frontends/builder/ModelBuilder.h"
#include "frontends/spec/ModelSpec.h"
#include "ir/AttnOps.h"

#include "mlir/IR/DialectResourceBlobManager.h"
#include "mlir/IR/Verifier.h"
#include "llvm/Support/Endian.h"

#include <nlohmann/json.hpp>

#include <map>

using namespace mlir;
using namespace attnc;
using attnc::test::DiagnosticCollector;
using attnc::test::ScratchDir;

namespace {

struct BadSpec {
  const char *name;
  const char *text;
  /// "line:col" of the diagnostic.
  const char *where;
  const char *message;
};

/// Names the case in gtest's output instead of dumping its bytes.
void PrintTo(const BadSpec &c, std::ostream *os) { *os << c.name; }

class BadSpecTest : public testing::TestWithParam<BadSpec> {};

TEST_P(BadSpecTest, FailsWithLocatedMessage) {
  const BadSpec &c = GetParam();
  ScratchDir dir;
  std::string path = dir.write("spec.json", c.text);
  MLIRContext context;
  DiagnosticCollector diags(context);
  EXPECT_FALSE(importModelSpec(path, context));
  std::string expected = path + ":" + c.where + ": ";
  EXPECT_NE(diags.text.find(expected), std::string::npos)
      << "expected a diagnostic at " << expected << ", got:\n"
      << diags.text;
  EXPECT_NE(diags.text.find(c.message), std::string::npos)
      << "expected '" << c.message << "' in:\n"
      << diags.text;
  EXPECT_EQ(std::count(diags.text.begin(), diags.text.end(), '\n'), 1)
      << diags.text;
}

INSTANTIATE_TEST_SUITE_P(
    Specs, BadSpecTest,
    testing::Values(
        BadSpec{"MalformedJson",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,,\n"
                "  \"d_model\": 16\n}\n",
                "3:15", "syntax error while parsing object key"},
        BadSpec{"EmptyFile", "", "1:1", "syntax error"},
        BadSpec{"DuplicateKey",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"layers\": 2\n}\n",
                "4:3", "duplicate key 'layers'"},
        BadSpec{"NotAnObject", "[1, 2]\n", "1:1",
                "a model spec must be a JSON object, got array"},
        BadSpec{"UnknownKey",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"hedas\": 2,\n  \"seq_len\": 4\n}\n",
                "5:3",
                "unknown key 'hedas' in the model spec; did you mean "
                "'heads'? (allowed keys: name, description, kind"},
        BadSpec{"UnknownWeightsKey",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 4,\n"
                "  \"weights\": {\"seed\": 1, \"stdev\": 0.1}\n}\n",
                "7:26",
                "unknown key 'stdev' in 'weights'; did you mean 'std'?"},
        BadSpec{
            "WrongType",
            "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
            "  \"d_model\": \"16\",\n  \"heads\": 2,\n  \"seq_len\": 4\n}\n",
            "4:14", "'d_model' must be an integer, got string \"16\""},
        BadSpec{"WrongBoolType",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 4,\n"
                "  \"causal\": \"yes\"\n}\n",
                "7:13", "'causal' must be true or false, got string"},
        BadSpec{"FractionalLayers",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1.5,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 4\n}\n",
                "3:13", "'layers' must be an integer, got number 1.5"},
        BadSpec{"HeadsDoNotDivide",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 3,\n  \"seq_len\": 4\n}\n",
                "5:12", "heads (3) must divide d_model (16)"},
        BadSpec{"KvHeadsDoNotDivide",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 4,\n  \"kv_heads\": 3,\n"
                "  \"seq_len\": 4\n}\n",
                "6:15", "kv_heads (3) must divide heads (4)"},
        BadSpec{"UnknownKind",
                "{\n  \"kind\": \"encdoer\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 4\n}\n",
                "2:11",
                "unknown kind 'encdoer' (expected encoder, decoder, "
                "decoder-only, encoder-decoder)"},
        BadSpec{"UnknownActivation",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 4,\n"
                "  \"activation\": \"swish\"\n}\n",
                "7:17",
                "unknown activation 'swish' (expected relu, gelu, gelu_tanh)"},
        BadSpec{"UnknownNorm",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 4,\n"
                "  \"norm\": \"sandwich\"\n}\n",
                "7:11", "unknown norm 'sandwich' (expected pre, post)"},
        BadSpec{"ZeroLayers",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 0,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 4\n}\n",
                "3:13", "'layers' must be >= 1, got 0"},
        BadSpec{"SizeTooLarge",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 4,\n"
                "  \"vocab\": 3000000000\n}\n",
                "7:12",
                "'vocab' is 3000000000, more than attnc supports (2147483648)"},
        BadSpec{"TableTooLarge",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 4,\n"
                "  \"vocab\": 1000000000\n}\n",
                "1:1",
                "model 'spec': a size, or a weight or table built from sizes, "
                "exceeds 2147483648 elements"},
        BadSpec{"MissingHeads",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"seq_len\": 4\n}\n",
                "1:1", "missing required key 'heads'"},
        BadSpec{"LmHeadWithoutVocab",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 4,\n"
                "  \"lm_head\": true\n}\n",
                "7:14", "'lm_head' needs 'vocab'"},
        BadSpec{"LearnedPositionsTooShort",
                "{\n  \"kind\": \"decoder-only\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 8,\n"
                "  \"max_positions\": 4\n}\n",
                "7:20",
                "max_positions (4) must cover the longest sequence (8)"},
        BadSpec{"TgtSeqLenOutsideEncoderDecoder",
                "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                "  \"d_model\": 16,\n  \"heads\": 2,\n  \"seq_len\": 4,\n"
                "  \"tgt_seq_len\": 4\n}\n",
                "7:18", "'tgt_seq_len' only applies to kind encoder-decoder"}),
    [](const testing::TestParamInfo<BadSpec> &info) {
      return std::string(info.param.name);
    });

//===----------------------------------------------------------------------===//
// Safetensors weights
//===----------------------------------------------------------------------===//

/// Records the name and shape of every weight a build asks for.
class RecordingWeights : public WeightSource {
public:
  LogicalResult load(StringRef name, ArrayRef<int64_t> shape, WeightRoleKind,
                     MutableArrayRef<float> out) override {
    shapes[name.str()] = std::vector<int64_t>(shape.begin(), shape.end());
    for (size_t i = 0; i < out.size(); ++i)
      out[i] = 0.25f * static_cast<float>(i % 7);
    return success();
  }
  std::map<std::string, std::vector<int64_t>> shapes;
};

struct TensorEntry {
  std::string dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

/// An f32 entry whose element i is 0.25 · (i mod 7).
TensorEntry f32Entry(const std::vector<int64_t> &shape) {
  int64_t count = 1;
  for (int64_t d : shape)
    count *= d;
  std::vector<float> values(count);
  for (int64_t i = 0; i < count; ++i)
    values[i] = 0.25f * static_cast<float>(i % 7);
  return {"F32", shape,
          std::string(reinterpret_cast<const char *>(values.data()),
                      values.size() * sizeof(float))};
}

std::string
safetensorsImage(const std::map<std::string, TensorEntry> &entries) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const auto &[name, e] : entries) {
    header[name] = {
        {"dtype", e.dtype},
        {"shape", e.shape},
        {"data_offsets", {data.size(), data.size() + e.bytes.size()}}};
    data += e.bytes;
  }
  std::string text = header.dump();
  text.append((8 - text.size() % 8) % 8, ' ');
  char length[8];
  llvm::support::endian::write64le(length, text.size());
  return std::string(length, 8) + text + data;
}

const char *kWeightsSpec = "{\n  \"kind\": \"encoder\",\n  \"layers\": 1,\n"
                           "  \"d_model\": 8,\n  \"heads\": 2,\n"
                           "  \"seq_len\": 4,\n"
                           "  \"weights\": {\"file\": \"w.safetensors\"}\n}\n";

class SafetensorsSpecTest : public testing::Test {
protected:
  void SetUp() override {
    specPath = dir.write("spec.json", kWeightsSpec);
    auto spec = parseModelSpec(specPath, context);
    ASSERT_TRUE(succeeded(spec)) << diags.text;
    // A context of its own, so that the blob keys of this build do not
    // make the test's build rename its blobs.
    MLIRContext recordingContext;
    RecordingWeights recorder;
    ASSERT_TRUE(buildTransformerModel(spec->model, recorder, recordingContext));
    for (const auto &[name, shape] : recorder.shapes)
      entries[name] = f32Entry(shape);
  }

  /// Writes the weights file, less its last `truncate` bytes, and imports
  /// the spec.
  OwningOpRef<ModuleOp> import(size_t truncate = 0) {
    std::string image = safetensorsImage(entries);
    image.resize(image.size() - truncate);
    dir.write("w.safetensors", image);
    return importModelSpec(specPath, context);
  }

  std::string at() const { return specPath + ":7:23: "; }

  ScratchDir dir;
  MLIRContext context;
  DiagnosticCollector diags{context};
  std::string specPath;
  std::map<std::string, TensorEntry> entries;
};

TEST_F(SafetensorsSpecTest, LoadsEveryTensor) {
  // One tensor stored as F64 is converted to f32 on load.
  std::vector<double> wide = {1.5, -2.0, 0.25, 3.0, 4.0, 5.0, 6.0, 7.0};
  entries["layers.0.norm1.weight"] = {
      "F64",
      {8},
      std::string(reinterpret_cast<const char *>(wide.data()), 8 * 8)};
  OwningOpRef<ModuleOp> module = import();
  ASSERT_TRUE(module) << diags.text;
  EXPECT_TRUE(succeeded(verify(*module)));
  bool checked = false;
  module->walk([&](attn::ConstantOp op) {
    auto r = op.getValue().dyn_cast<DenseF32ResourceElementsAttr>();
    if (!r || r.getRawHandle().getKey() != "layers.0.norm1.weight")
      return;
    std::optional<ArrayRef<float>> values = r.tryGetAsArrayRef();
    ASSERT_TRUE(values);
    for (size_t i = 0; i < wide.size(); ++i)
      EXPECT_EQ((*values)[i], static_cast<float>(wide[i]));
    checked = true;
  });
  EXPECT_TRUE(checked);
}

TEST_F(SafetensorsSpecTest, MissingTensorIsNamed) {
  entries.erase("layers.0.ffn.fc2.bias");
  EXPECT_FALSE(import());
  EXPECT_NE(diags.text.find(at() + "weights file 'w.safetensors' has no "
                                   "tensor 'layers.0.ffn.fc2.bias' (expected "
                                   "[8])"),
            std::string::npos)
      << diags.text;
}

TEST_F(SafetensorsSpecTest, WrongShapeSaysExpectedAndGot) {
  entries["layers.0.ffn.fc1.weight"] = f32Entry({8, 32});
  EXPECT_FALSE(import());
  EXPECT_NE(diags.text.find(at() + "tensor 'layers.0.ffn.fc1.weight' in "
                                   "weights file 'w.safetensors' has shape "
                                   "[8, 32], expected [32, 8]"),
            std::string::npos)
      << diags.text;
}

TEST_F(SafetensorsSpecTest, OffsetsOutsideTheFileAreRejected) {
  EXPECT_FALSE(import(/*truncate=*/16));
  EXPECT_NE(diags.text.find(at() + "weights file: bad safetensors header: "),
            std::string::npos)
      << diags.text;
  EXPECT_NE(diags.text.find("data_offsets are outside the"), std::string::npos)
      << diags.text;
}

TEST_F(SafetensorsSpecTest, SizeMismatchIsRejected) {
  entries["layers.0.norm1.bias"].bytes.resize(4 * 7);
  EXPECT_FALSE(import());
  EXPECT_NE(diags.text.find("tensor 'layers.0.norm1.bias' spans 28 bytes, but "
                            "its dtype and shape need 32"),
            std::string::npos)
      << diags.text;
}

TEST_F(SafetensorsSpecTest, MissingFileIsReported) {
  EXPECT_FALSE(importModelSpec(specPath, context));
  EXPECT_NE(diags.text.find(at() + "weights file: cannot read '"),
            std::string::npos)
      << diags.text;
}

} // namespace
