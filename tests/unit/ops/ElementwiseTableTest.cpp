//===- ElementwiseTableTest.cpp - ops/ElementwiseOps.def against the dialect -//
//
// Every elementwise attn op (each predicate and GELU form) is one entry of
// the table, with the op's operand count, and every entry is reached by an
// op; values are tested where they are computed (oracle and both targets).
//
//===----------------------------------------------------------------------===//

#include "ops/Elementwise.h"

#include "ir/AttnDialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"

#include <gtest/gtest.h>

#include <set>

using namespace attnc;

namespace {

// One use of each elementwise op, in the order of the kinds expected below.
constexpr const char *kOps = R"mlir(
func.func @f(%a: tensor<4xf32>, %b: tensor<4xf32>, %p: tensor<4xi1>,
             %q: tensor<4xi1>) {
  %0 = attn.add %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %1 = attn.sub %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %2 = attn.mul %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %3 = attn.div %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %4 = attn.pow %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %5 = attn.max %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %6 = attn.min %a, %b : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %7 = attn.neg %a : tensor<4xf32>
  %8 = attn.abs %a : tensor<4xf32>
  %9 = attn.relu %a : tensor<4xf32>
  %10 = attn.exp %a : tensor<4xf32>
  %11 = attn.log %a : tensor<4xf32>
  %12 = attn.tanh %a : tensor<4xf32>
  %13 = attn.erf %a : tensor<4xf32>
  %14 = attn.sqrt %a : tensor<4xf32>
  %15 = attn.rsqrt %a : tensor<4xf32>
  %16 = attn.sigmoid %a : tensor<4xf32>
  %17 = attn.gelu %a : tensor<4xf32>
  %18 = attn.gelu %a {approximate = #attn<gelu tanh>} : tensor<4xf32>
  %19 = attn.and %p, %q : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %20 = attn.or %p, %q : (tensor<4xi1>, tensor<4xi1>) -> tensor<4xi1>
  %21 = attn.not %p : tensor<4xi1>
  %22 = attn.compare %a, %b {predicate = #attn<cmp eq>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %23 = attn.compare %a, %b {predicate = #attn<cmp ne>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %24 = attn.compare %a, %b {predicate = #attn<cmp lt>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %25 = attn.compare %a, %b {predicate = #attn<cmp le>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %26 = attn.compare %a, %b {predicate = #attn<cmp gt>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %27 = attn.compare %a, %b {predicate = #attn<cmp ge>} : (tensor<4xf32>, tensor<4xf32>) -> tensor<4xi1>
  %28 = attn.select %p, %a, %b : (tensor<4xi1>, tensor<4xf32>, tensor<4xf32>) -> tensor<4xf32>
  %29 = attn.cast %p : tensor<4xi1> to tensor<4xf32>
  %30 = attn.softmax %a {axis = 0 : i64} : tensor<4xf32>
  return
}
)mlir";

TEST(ElementwiseTableTest, EveryOpIsOneEntryWithItsArity) {
  mlir::MLIRContext context;
  context.loadDialect<mlir::attn::AttnDialect, mlir::func::FuncDialect>();
  mlir::OwningOpRef<mlir::ModuleOp> module =
      mlir::parseSourceString<mlir::ModuleOp>(kOps, &context);
  ASSERT_TRUE(module);
  using K = ops::ElementwiseKind;
  const K expected[] = {K::Add,   K::Sub,     K::Mul,     K::Div,      K::Pow,
                        K::Max,   K::Min,     K::Neg,     K::Abs,      K::Relu,
                        K::Exp,   K::Log,     K::Tanh,    K::Erf,      K::Sqrt,
                        K::Rsqrt, K::Sigmoid, K::GeluErf, K::GeluTanh, K::And,
                        K::Or,    K::Not,     K::Eq,      K::Ne,       K::Lt,
                        K::Le,    K::Gt,      K::Ge,      K::Select,   K::Cast};
  std::set<K> seen;
  size_t index = 0;
  module->walk([&](mlir::Operation *op) {
    if (!op->getDialect() || op->getDialect()->getNamespace() != "attn")
      return;
    std::optional<K> kind = ops::classifyElementwise(op);
    if (mlir::isa<mlir::attn::SoftmaxOp>(op)) {
      EXPECT_FALSE(kind) << "softmax is not elementwise";
      return;
    }
    ASSERT_TRUE(kind) << "no entry for op #" << index;
    ASSERT_LT(index, std::size(expected));
    EXPECT_EQ(*kind, expected[index])
        << "op #" << index << " is " << ops::getInfo(*kind).name;
    EXPECT_EQ(ops::getInfo(*kind).arity, op->getNumOperands())
        << ops::getInfo(*kind).name;
    EXPECT_EQ(ops::checkOperands(
                  *kind, ops::scalarKindOf(op->getOperand(0).getType())),
              nullptr)
        << ops::getInfo(*kind).name;
    seen.insert(*kind);
    ++index;
  });
  EXPECT_EQ(index, std::size(expected));
  EXPECT_EQ(seen.size(), std::size(expected)) << "an entry no op reaches";
}

TEST(ElementwiseTableTest, OperandKindsAreChecked) {
  using K = ops::ElementwiseKind;
  using S = ops::ScalarKind;
  EXPECT_STREQ(ops::checkOperands(K::Add, S::Bool),
               "arithmetic on booleans is not supported");
  EXPECT_EQ(ops::checkOperands(K::Add, S::Int), nullptr);
  EXPECT_STREQ(ops::checkOperands(K::Exp, S::Int), "needs float operands");
  EXPECT_STREQ(ops::checkOperands(K::Not, S::Float), "needs boolean operands");
  EXPECT_EQ(ops::checkOperands(K::Max, S::Bool), nullptr);
  EXPECT_EQ(ops::checkOperands(K::Cast, S::Bool), nullptr);
}

} // namespace
