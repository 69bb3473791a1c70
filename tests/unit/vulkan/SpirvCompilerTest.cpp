//===- SpirvCompilerTest.cpp - glslang in process, SPIRV-Tools validation -===//

#include "codegen/vulkan/SpirvCompiler.h"

#include "gtest/gtest.h"

using namespace attnc::vk;

namespace {

TEST(SpirvCompilerTest, CompilesAndValidatesAComputeShader) {
  llvm::Expected<std::vector<uint32_t>> spirv = compileComputeShader(
      "#version 450\nlayout(local_size_x = 1) in;\n"
      "layout(std430, binding = 0) buffer B { float d[]; } b;\n"
      "void main() { b.d[0] = 1.0; }\n",
      "ok_shader");
  ASSERT_TRUE(bool(spirv)) << llvm::toString(spirv.takeError());
  ASSERT_GT(spirv->size(), 5u);
  EXPECT_EQ((*spirv)[0], 0x07230203u);
}

TEST(SpirvCompilerTest, APreambleDefinesTheVariant) {
  const char *source =
      "#version 450\n#if ATTNC_SUBGROUP\n"
      "#extension GL_KHR_shader_subgroup_arithmetic : require\n#endif\n"
      "layout(local_size_x = 8) in;\n"
      "layout(std430, binding = 0) buffer B { float d[]; } b;\n"
      "void main() {\n#if ATTNC_SUBGROUP\n  b.d[0] = subgroupAdd(1.0);\n"
      "#else\n  b.d[0] = 1.0;\n#endif\n}\n";
  EXPECT_TRUE(
      bool(compileComputeShader(source, "v0", "#define ATTNC_SUBGROUP 0\n")));
  EXPECT_TRUE(
      bool(compileComputeShader(source, "v1", "#define ATTNC_SUBGROUP 1\n")));
}

TEST(SpirvCompilerTest, AnErrorNamesTheShaderAndQuotesTheLine) {
  llvm::Expected<std::vector<uint32_t>> spirv = compileComputeShader(
      "#version 450\nlayout(local_size_x = 1) in;\n"
      "void main() {\n  float x = undefined_thing + 1.0;\n}\n",
      "broken_shader");
  ASSERT_FALSE(bool(spirv));
  std::string message = llvm::toString(spirv.takeError());
  EXPECT_NE(message.find("internal compiler error"), std::string::npos)
      << message;
  EXPECT_NE(message.find("'broken_shader'"), std::string::npos) << message;
  EXPECT_NE(message.find("| "
                         "  float x = undefined_thing + 1.0;"),
            std::string::npos)
      << message;
}

TEST(SpirvCompilerTest, FindsTheSourceLineOfAnInstruction) {
  const uint32_t header[] = {0x07230203, 0x00010300, 0, 100, 0};
  std::vector<uint32_t> words(header, header + 5);
  auto instruction = [&](uint32_t opcode, std::vector<uint32_t> operands) {
    words.push_back(uint32_t(operands.size() + 1) << 16 | opcode);
    words.insert(words.end(), operands.begin(), operands.end());
  };
  instruction(0, {});         // 1: OpNop, no line yet
  instruction(8, {1, 42, 7}); // 2: OpLine file 1, line 42
  instruction(0, {});         // 3: OpNop at line 42
  instruction(317, {});       // 4: OpNoLine
  instruction(0, {});         // 5: OpNop, no line
  EXPECT_EQ(sourceLineOfInstruction(words, 1), 0u);
  EXPECT_EQ(sourceLineOfInstruction(words, 3), 42u);
  EXPECT_EQ(sourceLineOfInstruction(words, 5), 0u);
  EXPECT_EQ(sourceLineOfInstruction(words, 99), 0u);
  words.push_back(0); // a malformed tail is tolerated
  EXPECT_EQ(sourceLineOfInstruction(words, 7), 0u);
}

} // namespace
