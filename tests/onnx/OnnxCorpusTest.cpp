//===- OnnxCorpusTest.cpp - current PyTorch exports against fp64 torch ----===//
//
// For every fixture of tests/onnx/corpus (Hugging Face models exported by
// torch.onnx's dynamo and TorchScript exporters, see
// scripts/make_onnx_corpus.sh): import it with its pinned input shapes, run
// the fp64 oracle on the committed inputs before and after the graph
// pipeline, require every softmax fused into attn.attention, then compile it
// for the cpu and vulkan targets and run it. Every result is compared with
// torch's float64 output, the oracle within kOnnxVsTorchTolerance and the
// f32 targets within kFp32TargetTolerance.
//
//===----------------------------------------------------------------------===//

#include "codegen/Target.h"
#include "driver/Pipeline.h"
#include "frontends/onnx/OnnxImporter.h"
#include "ir/AttnOps.h"
#include "ir/ModelConventions.h"
#include "oracle/Interpreter.h"
#include "support/Npy.h"
#include "support/Tolerances.h"
#include "tests/numeric/NumericHarness.h"
#include "tests/onnx/ReadLines.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace attnc;

using attnc::test::readLines;

namespace {

std::string corpusPath(llvm::StringRef fixture, llvm::StringRef name) {
  llvm::SmallString<256> path(ATTNC_ONNX_CORPUS);
  llvm::sys::path::append(path, fixture, name);
  return path.str().str();
}


/// The fixtures listed in corpus/fixtures.txt.
std::vector<std::string> fixtures() {
  return readLines(corpusPath("", "fixtures.txt"));
}

class OnnxCorpusTest : public testing::TestWithParam<std::string> {
protected:
  void SetUp() override {
    const std::string &fixture = GetParam();
    context = test::createContext();
    handler = std::make_unique<ScopedDiagnosticHandler>(
        context.get(), [&](Diagnostic &diag) {
          diagnostics += diag.str() + "\n";
          return success();
        });
    OnnxImportOptions options;
    for (const std::string &line : readLines(corpusPath(fixture, "fixture.txt")))
      if (llvm::StringRef(line).contains('='))
        options.inputShapes.push_back(line);
    module = importOnnxFile(corpusPath(fixture, "model.onnx"), *context,
                            options);
    ASSERT_TRUE(module) << diagnostics;
    func::FuncOp entry = attn::getEntryFunction(*module);
    ASSERT_TRUE(entry);
    for (unsigned i = 0; i < entry.getNumArguments(); ++i) {
      llvm::Expected<HostTensor> input = readNpy(
          corpusPath(fixture, "input_" + attn::getInputName(entry, i) + ".npy"));
      ASSERT_TRUE(bool(input)) << llvm::toString(input.takeError());
      inputs.push_back(std::move(*input));
    }
    ASSERT_EQ(entry.getNumResults(), 1u);
    llvm::Expected<HostTensor> reference =
        readNpy(corpusPath(fixture, "reference_0.npy"));
    ASSERT_TRUE(bool(reference)) << llvm::toString(reference.takeError());
    expected = toOracle(*reference);
  }

  /// Checks the oracle on `module`'s entry function against torch.
  void checkOracle(ModuleOp m, llvm::StringRef stage) {
    llvm::Expected<std::vector<OracleTensor>> outputs =
        evaluateFunction(attn::getEntryFunction(m), inputs);
    ASSERT_TRUE(bool(outputs)) << llvm::toString(outputs.takeError());
    test::expectClose(fromOracle((*outputs)[0], DTypeKind::F64), expected,
                      kOnnxVsTorchTolerance, stage);
  }

  std::unique_ptr<MLIRContext> context;
  std::unique_ptr<ScopedDiagnosticHandler> handler;
  std::string diagnostics;
  OwningOpRef<ModuleOp> module;
  std::vector<HostTensor> inputs;
  OracleTensor expected;
};

TEST(OnnxCorpus, HasFixtures) {
  EXPECT_GE(fixtures().size(), 1u)
      << "no fixtures listed in " << corpusPath("", "fixtures.txt");
}

TEST_P(OnnxCorpusTest, OracleMatchesTorchAndEverySoftmaxFuses) {
  checkOracle(*module, "imported");
  OwningOpRef<ModuleOp> optimized = module->clone();
  ASSERT_TRUE(succeeded(runGraphPipeline(*optimized, {}))) << diagnostics;
  checkOracle(*optimized, "optimised");
  int attentions = 0, softmaxes = 0;
  optimized->walk([&](Operation *op) {
    attentions += isa<attn::AttentionOp>(op);
    softmaxes += isa<attn::SoftmaxOp, attn::LogSoftmaxOp,
                     attn::ScaledMaskedSoftmaxOp>(op);
  });
  EXPECT_GE(attentions, 1);
  EXPECT_EQ(softmaxes, 0) << "softmaxes left unfused";
}

TEST_P(OnnxCorpusTest, CpuMatchesTorch) {
  llvm::Expected<std::vector<HostTensor>> got =
      test::compileAndRun(*module, inputs, "cpu");
  ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError()) << diagnostics;
  test::expectClose((*got)[0], expected, kFp32TargetTolerance, "cpu");
}

TEST_P(OnnxCorpusTest, VulkanMatchesTorch) {
  if (!llvm::is_contained(getTargetNames(), "vulkan"))
    GTEST_SKIP() << "this attnc was built without the vulkan target";
  llvm::Expected<std::vector<HostTensor>> got =
      test::compileAndRun(*module, inputs, "vulkan");
  ASSERT_TRUE(bool(got)) << llvm::toString(got.takeError()) << diagnostics;
  test::expectClose((*got)[0], expected, kFp32TargetTolerance, "vulkan");
}

INSTANTIATE_TEST_SUITE_P(Corpus, OnnxCorpusTest, testing::ValuesIn(fixtures()),
                         [](const testing::TestParamInfo<std::string> &info) {
                           return info.param;
                         });

} // namespace
