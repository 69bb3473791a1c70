//===- InputsTest.cpp - seeded inputs and --input checking ----------------===//

#include "driver/Inputs.h"
#include "ir/AttnOps.h"
#include "support/Npy.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace attnc;

namespace {

class InputsTest : public ::testing::Test {
protected:
  InputsTest() {
    context.loadDialect<attn::AttnDialect, func::FuncDialect>();
    module = parseSourceString<ModuleOp>(R"mlir(
      func.func @forward(%ids: tensor<3x40xi64> {attn.name = "tokens"},
                         %mask: tensor<4x16xi64> {attn.name = "attention_mask"},
                         %x: tensor<2x5xf32> {attn.name = "x"}) -> tensor<3x40x8xf32> {
        %t = attn.constant dense<1.0> : tensor<100x8xf32>
        %r = attn.reshape %ids : (tensor<3x40xi64>) -> tensor<120xi64>
        %g = attn.gather %t, %r : (tensor<100x8xf32>, tensor<120xi64>) -> tensor<120x8xf32>
        %o = attn.reshape %g : (tensor<120x8xf32>) -> tensor<3x40x8xf32>
        return %o : tensor<3x40x8xf32>
      })mlir", &context);
    func = *module->getOps<func::FuncOp>().begin();
  }

  MLIRContext context;
  OwningOpRef<ModuleOp> module;
  func::FuncOp func;
};

TEST_F(InputsTest, GatherIndicesStayInRange) {
  HostTensor ids = makeSeededInput(func, 0, 7);
  ASSERT_EQ(ids.dtype, DTypeKind::I64);
  bool sawLarge = false;
  for (int64_t i = 0; i < ids.numElements(); ++i) {
    int64_t v = ids.data<int64_t>()[i];
    EXPECT_GE(v, 0);
    EXPECT_LT(v, 100);
    sawLarge |= v >= 50;
  }
  EXPECT_TRUE(sawLarge) << "indices should spread over the whole table";
}

TEST_F(InputsTest, MasksKeepTheirFirstKeyAndPadSomeRows) {
  HostTensor mask = makeSeededInput(func, 1, 7);
  int64_t padded = 0;
  for (int64_t row = 0; row < 4; ++row) {
    EXPECT_EQ(mask.data<int64_t>()[row * 16], 1) << "row " << row;
    for (int64_t col = 0; col < 16; ++col)
      padded += mask.data<int64_t>()[row * 16 + col] == 0;
  }
  EXPECT_GT(padded, 0);
}

TEST_F(InputsTest, SeededInputsAreDeterministic) {
  HostTensor a = makeSeededInput(func, 2, 3), b = makeSeededInput(func, 2, 3),
             c = makeSeededInput(func, 2, 4);
  EXPECT_EQ(a.bytes, b.bytes);
  EXPECT_NE(a.bytes, c.bytes);
}

TEST_F(InputsTest, RejectsWrongDtypeAndUnknownName) {
  llvm::SmallString<128> dir;
  ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("inputs-test", dir));
  llvm::SmallString<128> path(dir);
  llvm::sys::path::append(path, "x.npy");
  HostTensor wrong(DTypeKind::F64, {2, 5});
  ASSERT_FALSE(writeNpy(path, wrong));
  llvm::Expected<std::vector<HostTensor>> r =
      collectInputs(func, {"x=" + path.str().str()}, 0);
  ASSERT_FALSE(static_cast<bool>(r));
  EXPECT_NE(llvm::toString(r.takeError()).find("expected [2, 5] f32, got [2, 5] f64"),
            std::string::npos);
  llvm::Expected<std::vector<HostTensor>> unknown =
      collectInputs(func, {"y=" + path.str().str()}, 0);
  ASSERT_FALSE(static_cast<bool>(unknown));
  EXPECT_NE(llvm::toString(unknown.takeError())
                .find("the model has no input named 'y' (inputs: tokens, "
                      "attention_mask, x)"),
            std::string::npos);
  llvm::sys::fs::remove_directories(dir);
}

} // namespace
