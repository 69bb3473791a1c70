//===- VulkanTargetTest.cpp - --emit, libraries and errors of the target --===//
//
// The Vulkan target end to end on small modules: what --emit=glsl and
// --emit=spirv print, the library and header it writes (and that a failed
// compile leaves nothing), and errors a library reports through the C ABI.
//
//===----------------------------------------------------------------------===//

#include "codegen/Target.h"
#include "driver/LoadedModel.h"
#include "driver/ModelLoader.h"
#include "driver/Pipeline.h"

#include "mlir/Parser/Parser.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include "spirv-tools/libspirv.hpp"
#include "gtest/gtest.h"

#include <map>

using namespace mlir;
using namespace attnc;

namespace {

const char *kGatherModel = R"(
func.func @forward(%ids: tensor<2x3xi64> {attn.name = "ids"}) -> (tensor<2x3x4xf32> {attn.name = "rows"}) {
  %table = attn.constant dense<[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0], [8.0, 9.0, 10.0, 11.0]]> : tensor<3x4xf32>
  %0 = attn.gather %table, %ids : (tensor<3x4xf32>, tensor<2x3xi64>) -> tensor<2x3x4xf32>
  %1 = attn.mul %0, %0 : (tensor<2x3x4xf32>, tensor<2x3x4xf32>) -> tensor<2x3x4xf32>
  return %1 : tensor<2x3x4xf32>
}
)";

class VulkanTargetTest : public ::testing::Test {
protected:
  void SetUp() override {
    registerModelDialects(context);
    llvm::Expected<std::unique_ptr<Target>> created = createTarget("vulkan");
    ASSERT_TRUE(bool(created)) << llvm::toString(created.takeError());
    target = std::move(*created);
    SmallString<128> path;
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("attnc-vk-test", path));
    dir = path.str().str();
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  OwningOpRef<ModuleOp> parse(const char *text) {
    OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(text, &context);
    EXPECT_TRUE(module);
    if (module) {
      EXPECT_TRUE(succeeded(runGraphPipeline(*module, PipelineRunOptions())));
    }
    return module;
  }
  std::string pathIn(llvm::StringRef name) {
    SmallString<128> path(dir);
    llvm::sys::path::append(path, name);
    return path.str().str();
  }

  MLIRContext context;
  std::unique_ptr<Target> target;
  std::string dir;
};

TEST_F(VulkanTargetTest, EmitsGlslWithItsInterface) {
  OwningOpRef<ModuleOp> module = parse(kGatherModel);
  ASSERT_TRUE(module);
  std::string text;
  llvm::raw_string_ostream os(text);
  ASSERT_FALSE(bool(target->emit(*module, EmitKind::Glsl, os, {})));
  for (const char *expected :
       {"// ===== shader gather_0", "// ===== shader elementwise_0",
        "// bindings (set 0):", "layout(push_constant) uniform Params",
        "// push constants:", "#version 450", "atomicCompSwap",
        "dispatch 0: attn.gather"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
}

TEST_F(VulkanTargetTest, EmitsSpirvModulesInAContainer) {
  OwningOpRef<ModuleOp> module = parse(kGatherModel);
  ASSERT_TRUE(module);
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  ASSERT_FALSE(bool(target->emit(*module, EmitKind::Spirv, os, {})));
  os.flush();
  ASSERT_GT(bytes.size(), 16u);
  EXPECT_EQ(bytes.substr(0, 8), "ATTNCSPV");
  uint32_t count;
  std::memcpy(&count, bytes.data() + 8, 4);
  EXPECT_EQ(count, 2u);
  uint32_t magic = 0x07230203;
  EXPECT_NE(bytes.find(std::string(reinterpret_cast<char *>(&magic), 4)),
            std::string::npos);
}

/// (name, variant) -> SPIR-V words of an --emit=spirv container.
std::map<std::pair<std::string, uint32_t>, std::vector<uint32_t>>
readContainer(const std::string &bytes) {
  std::map<std::pair<std::string, uint32_t>, std::vector<uint32_t>> modules;
  size_t at = 12;
  uint32_t count;
  std::memcpy(&count, bytes.data() + 8, 4);
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t n, variant, words;
    std::memcpy(&n, bytes.data() + at, 4);
    std::string name = bytes.substr(at + 4, n);
    at += 4 + n;
    std::memcpy(&variant, bytes.data() + at, 4);
    std::memcpy(&words, bytes.data() + at + 4, 4);
    at += 8;
    std::vector<uint32_t> spirv(words);
    std::memcpy(spirv.data(), bytes.data() + at, 4 * words);
    at += 4 * words;
    modules[{name, variant}] = std::move(spirv);
  }
  return modules;
}

// f16 attention and matmul get GL_NV_cooperative_matrix modules (variant
// 2) and their emulated form (3), each accepted by spirv-val for Vulkan 1.1;
// f32 kernels get neither.
TEST_F(VulkanTargetTest, CooperativeMatrixModulesForF16PassSpirvVal) {
  OwningOpRef<ModuleOp> module = parse(R"(
func.func @forward(%q: tensor<1x4x40x64xf16>, %k: tensor<1x2x50x64xf16>,
                   %v: tensor<1x2x50x64xf16>, %w: tensor<64x48xf16>,
                   %x: tensor<8x64xf32>, %y: tensor<64x8xf32>)
    -> (tensor<1x4x40x48xf16>, tensor<8x8xf32>) {
  %a = attn.attention %q, %k, %v {causal = #attn<causal top_left>} : (tensor<1x4x40x64xf16>, tensor<1x2x50x64xf16>, tensor<1x2x50x64xf16>) -> tensor<1x4x40x64xf16>
  %m = attn.matmul %a, %w : (tensor<1x4x40x64xf16>, tensor<64x48xf16>) -> tensor<1x4x40x48xf16>
  %f = attn.matmul %x, %y : (tensor<8x64xf32>, tensor<64x8xf32>) -> tensor<8x8xf32>
  return %m, %f : tensor<1x4x40x48xf16>, tensor<8x8xf32>
}
)");
  ASSERT_TRUE(module);
  std::string bytes;
  llvm::raw_string_ostream os(bytes);
  ASSERT_FALSE(bool(target->emit(*module, EmitKind::Spirv, os, {})));
  os.flush();
  auto modules = readContainer(bytes);
  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_1);
  std::string messages;
  tools.SetMessageConsumer(
      [&](spv_message_level_t, const char *, const spv_position_t &,
          const char *text) { messages += std::string(text) + "\n"; });
  const uint32_t kCapabilityCooperativeMatrixNV = 5357;
  for (const char *name : {"attention_0", "matmul_0"})
    for (uint32_t variant : {2u, 3u}) {
      auto it = modules.find({name, variant});
      ASSERT_NE(it, modules.end()) << name << " variant " << variant;
      EXPECT_TRUE(tools.Validate(it->second)) << name << ": " << messages;
      bool coop = false;
      const std::vector<uint32_t> &w = it->second;
      for (size_t i = 5; i + 1 < w.size(); i += w[i] >> 16 ? w[i] >> 16 : 1)
        coop |= (w[i] & 0xffff) == 17 /*OpCapability*/ &&
                w[i + 1] == kCapabilityCooperativeMatrixNV;
      EXPECT_EQ(coop, variant == 2u) << name << " variant " << variant;
    }
  EXPECT_EQ(modules.count({"matmul_1", 2u}), 0u) << "the f32 matmul";
  EXPECT_EQ(modules.count({"matmul_1", 3u}), 0u) << "the f32 matmul";
  EXPECT_EQ(modules.count({"matmul_1", 0u}), 1u) << "the f32 matmul";
}

// Bias, GELU and residual after a matmul run in the matmul's shader (its
// epilogue): no elementwise kernel, and the shader reads the bias and the
// residual after A and B.
TEST_F(VulkanTargetTest, MatmulConsumersRunInItsEpilogue) {
  OwningOpRef<ModuleOp> module = parse(R"(
func.func @forward(%x: tensor<4x8xf32>, %w: tensor<8x12xf32>, %b: tensor<12xf32>, %r: tensor<4x12xf32>) -> tensor<4x12xf32> {
  %0 = attn.matmul %x, %w : (tensor<4x8xf32>, tensor<8x12xf32>) -> tensor<4x12xf32>
  %1 = attn.add %0, %b : (tensor<4x12xf32>, tensor<12xf32>) -> tensor<4x12xf32>
  %2 = attn.gelu %1 : tensor<4x12xf32>
  %3 = attn.add %2, %r : (tensor<4x12xf32>, tensor<4x12xf32>) -> tensor<4x12xf32>
  return %3 : tensor<4x12xf32>
}
)");
  ASSERT_TRUE(module);
  std::string text;
  llvm::raw_string_ostream os(text);
  ASSERT_FALSE(bool(target->emit(*module, EmitKind::Glsl, os, {})));
  os.flush();
  EXPECT_EQ(text.find("// ===== shader elementwise"), std::string::npos);
  for (const char *expected :
       {"// ===== shader matmul_0", "//   3 epi0: readonly storage buffer",
        "//   4 epi1: readonly storage buffer", "attncErf(",
        "cBuf_STORE(e, attncEpilogue(e, x))"})
    EXPECT_NE(text.find(expected), std::string::npos) << expected;
}

TEST_F(VulkanTargetTest, WritesTheLibraryAndHeaderAndRunsIt) {
  OwningOpRef<ModuleOp> module = parse(kGatherModel);
  ASSERT_TRUE(module);
  std::string lib = pathIn("libgather.so");
  llvm::Error e = target->compileLibrary(*module, lib, {});
  ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
  EXPECT_TRUE(llvm::sys::fs::exists(lib));
  EXPECT_TRUE(llvm::sys::fs::exists(pathIn("libgather.h")));

  attnc_options options = {};
  options.struct_size = sizeof(options);
  options.enable_validation = 1;
  llvm::Expected<std::unique_ptr<LoadedModel>> model =
      LoadedModel::load(lib, options);
  if (!model) {
    std::string message = llvm::toString(model.takeError());
    if (message.find("no Vulkan driver") != std::string::npos)
      GTEST_SKIP() << message;
    FAIL() << message;
  }
  EXPECT_EQ((*model)->getTarget(), "vulkan");
  EXPECT_EQ((*model)->getDevice().rfind("vulkan: ", 0), 0u);
  HostTensor ids(DTypeKind::I64, {2, 3});
  int64_t values[] = {0, 2, -1, 1, -3, 2};
  std::memcpy(ids.bytes.data(), values, sizeof(values));
  llvm::Expected<std::vector<HostTensor>> out = (*model)->run({ids});
  ASSERT_TRUE(bool(out)) << llvm::toString(out.takeError());
  const float *rows = (*out)[0].data<float>();
  // Row 2 (index -1) squared, then row 0 (index -3).
  EXPECT_EQ(rows[2 * 4 + 1], 81.0f);
  EXPECT_EQ(rows[4 * 4 + 3], 9.0f);

  // An index outside [-3, 3) is a run-time error with the op and index.
  values[4] = 3;
  std::memcpy(ids.bytes.data(), values, sizeof(values));
  out = (*model)->run({ids});
  ASSERT_FALSE(bool(out));
  std::string message = llvm::toString(out.takeError());
  EXPECT_NE(message.find("attn.gather"), std::string::npos) << message;
  EXPECT_NE(message.find("index 3 is out of range [-3, 3)"), std::string::npos)
      << message;
  // An i64 index beyond int32 saturates and is still reported.
  values[4] = int64_t(1) << 40;
  std::memcpy(ids.bytes.data(), values, sizeof(values));
  out = (*model)->run({ids});
  ASSERT_FALSE(bool(out));
  llvm::consumeError(out.takeError());
  // The model still runs after an error.
  values[4] = 0;
  std::memcpy(ids.bytes.data(), values, sizeof(values));
  out = (*model)->run({ids});
  EXPECT_TRUE(bool(out)) << llvm::toString(out.takeError());
}

TEST_F(VulkanTargetTest, AnUnknownDeviceFailsCreateWithAClearError) {
  OwningOpRef<ModuleOp> module = parse(kGatherModel);
  ASSERT_TRUE(module);
  std::string lib = pathIn("libdevice.so");
  llvm::Error e = target->compileLibrary(*module, lib, {});
  ASSERT_FALSE(bool(e)) << llvm::toString(std::move(e));
  attnc_options options = {};
  options.struct_size = sizeof(options);
  options.device = "no-such-device-xyz";
  llvm::Expected<std::unique_ptr<LoadedModel>> model =
      LoadedModel::load(lib, options);
  ASSERT_FALSE(bool(model));
  std::string message = llvm::toString(model.takeError());
  EXPECT_NE(message.find("Vulkan"), std::string::npos) << message;
}

TEST_F(VulkanTargetTest, AFailedCompileLeavesNothing) {
  OwningOpRef<ModuleOp> module = parse(R"(
func.func @forward(%x: tensor<4x3xi1>) -> tensor<4xi1> {
  %0 = attn.reduce %x {kind = #attn<reduce max>, axes = array<i64: 1>} : (tensor<4x3xi1>) -> tensor<4xi1>
  return %0 : tensor<4xi1>
}
)");
  ASSERT_TRUE(module);
  std::string lib = pathIn("libbad.so");
  llvm::Error e = target->compileLibrary(*module, lib, {});
  ASSERT_TRUE(bool(e));
  EXPECT_NE(llvm::toString(std::move(e)).find("attn.reduce"),
            std::string::npos);
  EXPECT_FALSE(llvm::sys::fs::exists(lib));
  EXPECT_FALSE(llvm::sys::fs::exists(pathIn("libbad.h")));
  // A library in a directory that does not exist: an error, no crash.
  OwningOpRef<ModuleOp> good = parse(kGatherModel);
  e = target->compileLibrary(*good, pathIn("missing/libx.so"), {});
  EXPECT_TRUE(bool(e));
  llvm::consumeError(std::move(e));
}

} // namespace
