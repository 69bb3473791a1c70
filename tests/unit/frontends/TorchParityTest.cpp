//===- TorchParityTest.cpp - spec models against PyTorch ------------------===//
//
// For each model kind, tests/torch/torch_reference.py writes seeded float32
// weights (safetensors), seeded inputs and the float64 PyTorch outputs; the
// test imports the same spec with those weights, runs the fp64 oracle and
// requires |attnc - torch| <= 1e-9 · max(1, |torch|) for every element.
//
//===----------------------------------------------------------------------===//

#include "FrontendTestUtils.h"

#include "frontends/spec/ModelSpec.h"
#include "oracle/Interpreter.h"
#include "support/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Program.h"

#include <cmath>
#include <cstdlib>

using namespace mlir;
using namespace attnc;
using attnc::test::DiagnosticCollector;
using attnc::test::formatIndex;
using attnc::test::ScratchDir;

namespace {

constexpr double kRelativeTolerance = 1e-9;

struct ParityCase {
  const char *name;
  /// The spec without its "weights" entry.
  const char *spec;
};

std::string sourceDir() {
  const char *source = std::getenv("ATTNC_SOURCE_DIR");
  return source ? source : ATTNC_DEFAULT_SOURCE_DIR;
}

/// Runs torch_reference.py on `specPath`, writing into `outDir`.
int runReference(const std::string &specPath, const std::string &outDir) {
  std::string script = sourceDir() + "/tests/torch/torch_reference.py";
  llvm::StringRef args[] = {ATTNC_PYTHON, script, specPath, outDir};
  std::string error;
  int rc = llvm::sys::ExecuteAndWait(ATTNC_PYTHON, args, std::nullopt, {},
                                     /*SecondsToWait=*/600, 0, &error);
  if (!error.empty())
    ADD_FAILURE() << "running " << script << ": " << error;
  return rc;
}

void expectClose(const std::string &name, const OracleTensor &got,
                 const HostTensor &want) {
  ASSERT_EQ(llvm::ArrayRef<int64_t>(got.shape),
            llvm::ArrayRef<int64_t>(want.shape))
      << "output " << name;
  double worst = -1;
  int64_t worstIndex = 0;
  for (int64_t i = 0; i < want.numElements(); ++i) {
    double a = got.data[i], b = want.getAsDouble(i);
    double excess = std::abs(a - b) / std::max(1.0, std::abs(b));
    if (std::isnan(excess))
      excess = INFINITY;
    if (excess > worst) {
      worst = excess;
      worstIndex = i;
    }
  }
  EXPECT_LE(worst, kRelativeTolerance)
      << "output " << name << ": worst element "
      << formatIndex(worstIndex, want.shape) << " attnc "
      << std::setprecision(17) << got.data[worstIndex] << " torch "
      << want.getAsDouble(worstIndex);
}

/// Names the case in gtest's output instead of dumping its bytes.
void PrintTo(const ParityCase &c, std::ostream *os) { *os << c.name; }

class TorchParityTest : public testing::TestWithParam<ParityCase> {};

TEST_P(TorchParityTest, OracleMatchesTorch) {
  ScratchDir dir;
  std::string spec = GetParam().spec;
  spec.insert(spec.rfind('}'),
              ",\n  \"weights\": {\"file\": \"weights.safetensors\"}\n");
  std::string specPath = dir.write("spec.json", spec);
  ASSERT_EQ(runReference(specPath, dir.path), 0);

  MLIRContext context;
  DiagnosticCollector diags(context);
  OwningOpRef<ModuleOp> module = importModelSpec(specPath, context);
  ASSERT_TRUE(module) << diags.text;
  auto forward = module->lookupSymbol<func::FuncOp>("forward");
  std::vector<HostTensor> inputs;
  for (unsigned i = 0; i < forward.getNumArguments(); ++i) {
    auto name = forward.getArgAttrOfType<StringAttr>(i, "attn.name");
    llvm::Expected<HostTensor> input =
        readNpy(dir.file((name.getValue() + ".npy").str()));
    ASSERT_TRUE(bool(input)) << llvm::toString(input.takeError());
    inputs.push_back(std::move(*input));
  }
  llvm::Expected<std::vector<OracleTensor>> outputs =
      evaluateFunction(forward, inputs);
  ASSERT_TRUE(bool(outputs)) << llvm::toString(outputs.takeError());
  for (unsigned i = 0; i < forward.getNumResults(); ++i) {
    std::string name =
        forward.getResultAttrOfType<StringAttr>(i, "attn.name").str();
    llvm::Expected<HostTensor> expected =
        readNpy(dir.file("expected_" + name + ".npy"));
    ASSERT_TRUE(bool(expected)) << llvm::toString(expected.takeError());
    expectClose(name, (*outputs)[i], *expected);
  }
}

// Between them the cases cover every kind and every style knob; head size 8
// makes sqrt(D) inexact in f32, so the constants' rounding is exercised.
INSTANTIATE_TEST_SUITE_P(
    Models, TorchParityTest,
    testing::Values(ParityCase{"EncoderPaddingPostNorm", R"({
  "kind": "encoder", "layers": 2, "d_model": 32, "heads": 4, "ffn": 64,
  "vocab": 50, "batch": 3, "seq_len": 9, "norm": "post",
  "activation": "relu", "padding_mask": true, "positional": "sinusoidal",
  "scale_style": "mul_scores", "mask_style": "select", "k_transpose": "op"
})"},
                    ParityCase{"DecoderCrossAttention", R"({
  "kind": "decoder", "layers": 2, "d_model": 32, "heads": 4, "ffn": 48,
  "batch": 2, "seq_len": 7, "memory_seq_len": 11, "norm": "pre",
  "activation": "gelu", "padding_mask": true, "positional": "learned",
  "max_positions": 10, "scale_style": "mul_query",
  "mask_style": "additive", "k_transpose": "flag"
})"},
                    ParityCase{"GptGroupedQueryCausal", R"({
  "kind": "decoder-only", "layers": 2, "d_model": 32, "heads": 4,
  "kv_heads": 2, "ffn": 64, "vocab": 61, "batch": 2, "seq_len": 10,
  "max_positions": 16, "activation": "gelu_tanh", "embed_scale": false,
  "scale_style": "div_scores", "mask_style": "select", "k_transpose": "flag"
})"},
                    ParityCase{"EncoderDecoder", R"({
  "kind": "encoder-decoder", "encoder_layers": 2, "decoder_layers": 1,
  "d_model": 32, "heads": 4, "kv_heads": 1, "ffn": 64, "vocab": 40,
  "batch": 2, "seq_len": 8, "tgt_seq_len": 6, "norm": "post",
  "final_norm": true, "activation": "gelu", "padding_mask": true,
  "lm_head": true, "scale_style": "div_scores", "mask_style": "additive",
  "k_transpose": "op"
})"}),
    [](const testing::TestParamInfo<ParityCase> &info) {
      return std::string(info.param.name);
    });

} // namespace
