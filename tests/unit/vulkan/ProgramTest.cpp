//===- ProgramTest.cpp - parsing the program blob -------------------------===//

#include "runtime/vulkan/Program.h"

#include "gtest/gtest.h"

#include <cstring>

using namespace attnc::vk;

namespace {

/// A minimal blob: one f32 input and output of 4 elements, one module, one
/// dispatch with one binding and one variant, 64 bytes of weights.
std::vector<uint8_t> minimalBlob() {
  std::vector<uint8_t> b;
  auto u32 = [&](uint32_t v) {
    b.insert(b.end(), reinterpret_cast<uint8_t *>(&v),
             reinterpret_cast<uint8_t *>(&v) + 4);
  };
  auto u64 = [&](uint64_t v) {
    b.insert(b.end(), reinterpret_cast<uint8_t *>(&v),
             reinterpret_cast<uint8_t *>(&v) + 8);
  };
  auto str = [&](const char *s) {
    u32(std::strlen(s));
    b.insert(b.end(), s, s + std::strlen(s));
  };
  u32(kProgramMagic);
  u32(kProgramVersion);
  u32(0);   // features
  u64(256); // arena
  u64(64);  // weights
  size_t weightOffsetAt = b.size();
  u64(0);
  u32(1), u32(1 /*f32*/), u64(4); // inputs
  u32(1), u32(1), u64(4);         // outputs
  u32(1), str("copy_0"), u32(0), u32(2), u32(0x07230203), u32(0x00010300);
  u32(1); // dispatches
  str("copy to output 0");
  u32(1), u32(0), u32(1), u32(0), u64(0), u64(16); // binding
  u32(4), u32(42);                                 // push
  u32(1), u32(0), u32(0), u32(1), u32(1), u32(1), u32(0), u32(1), u32(0),
      u32(8); // variant with one spec constant
  while (b.size() % 64)
    b.push_back(0);
  uint64_t offset = b.size();
  std::memcpy(&b[weightOffsetAt], &offset, 8);
  b.resize(b.size() + 64, 0xab);
  return b;
}

TEST(ProgramTest, ParsesEveryField) {
  std::vector<uint8_t> blob = minimalBlob();
  Program p;
  std::string error;
  ASSERT_TRUE(parseProgram(blob.data(), blob.size(), p, error)) << error;
  EXPECT_EQ(p.arenaBytes, 256u);
  EXPECT_EQ(p.weightBytes, 64u);
  EXPECT_EQ(p.weights[0], 0xab);
  ASSERT_EQ(p.inputs.size(), 1u);
  EXPECT_EQ(p.inputs[0].elements, 4u);
  ASSERT_EQ(p.modules.size(), 1u);
  EXPECT_EQ(p.modules[0].name, "copy_0");
  EXPECT_EQ(p.modules[0].spirv.size(), 2u);
  ASSERT_EQ(p.dispatches.size(), 1u);
  const ProgramDispatch &d = p.dispatches[0];
  EXPECT_EQ(d.label, "copy to output 0");
  ASSERT_EQ(d.bindings.size(), 1u);
  EXPECT_EQ(d.bindings[0].buffer, BufferKind::Output);
  EXPECT_EQ(d.bindings[0].bytes, 16u);
  EXPECT_EQ(d.push.size(), 4u);
  ASSERT_EQ(d.variants.size(), 1u);
  EXPECT_EQ(d.variants[0].groups[0], 1u);
  ASSERT_EQ(d.variants[0].spec.size(), 1u);
  EXPECT_EQ(d.variants[0].spec[0].second, 8u);
}

TEST(ProgramTest, EveryTruncationIsAnErrorNotACrash) {
  std::vector<uint8_t> blob = minimalBlob();
  for (size_t size = 0; size < blob.size() - 64; ++size) {
    Program p;
    std::string error;
    EXPECT_FALSE(parseProgram(blob.data(), size, p, error)) << size;
    EXPECT_FALSE(error.empty());
  }
}

TEST(ProgramTest, RejectsAnotherFormatAndBadModuleIndices) {
  std::vector<uint8_t> blob = minimalBlob();
  Program p;
  std::string error;
  blob[0] ^= 1;
  EXPECT_FALSE(parseProgram(blob.data(), blob.size(), p, error));
  EXPECT_NE(error.find("unknown format"), std::string::npos);
  blob[0] ^= 1;
  // Huge counts are refused before anything is allocated.
  std::vector<uint8_t> big = blob;
  uint32_t count = 0xffffffffu;
  std::memcpy(&big[32], &count, 4); // numInputs
  EXPECT_FALSE(parseProgram(big.data(), big.size(), p, error));
}

} // namespace
