//===- FoldConstants.cpp - evaluate constant subgraphs at compile time ----===//
//
// Algorithm:
//  1. Walk the function in order; an attn op (other than attn.constant)
//     whose operands are all attn.constant results is foldable, as is
//     attn.causal_mask, which has no operands.
//  2. Evaluate it with the fp64 reference interpreter (the same semantics as
//     every back end), round to the result element type and replace it with
//     attn.constant ops. Because the walk is in order, whole constant
//     subgraphs (mask construction, weight transposes) collapse.
//  3. Results above `max-elements`, results larger than their operands (a
//     broadcast, a generated mask: folding would only grow the data) and ops
//     the interpreter rejects (an out-of-range gather index) stay for run
//     time.
//
//===----------------------------------------------------------------------===//

#include "ir/Constants.h"
#include "oracle/Interpreter.h"
#include "passes/Passes.h"

#include "llvm/ADT/DenseMap.h"

namespace mlir::attn {
#define GEN_PASS_DEF_FOLDCONSTANTS
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

struct FoldConstantsPass : mlir::attn::impl::FoldConstantsBase<FoldConstantsPass> {
  using FoldConstantsBase::FoldConstantsBase;

  void runOnOperation() override {
    llvm::DenseMap<Value, attnc::OracleTensor> values;
    SmallVector<Operation *> ops;
    getOperation().walk([&](Operation *op) {
      if (op->getDialect() == getContext().getLoadedDialect<AttnDialect>() &&
          !isa<ConstantOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops)
      foldOne(op, values);
  }

private:
  /// The interpreter's value of a constant, decoded once per pass run.
  const attnc::OracleTensor *lookup(Value v,
                                    llvm::DenseMap<Value, attnc::OracleTensor> &values) {
    auto it = values.find(v);
    if (it != values.end())
      return &it->second;
    auto constant = v.getDefiningOp<ConstantOp>();
    if (!constant)
      return nullptr;
    llvm::Expected<std::vector<attnc::OracleTensor>> decoded =
        attnc::evaluateOp(constant, {});
    if (!decoded) {
      llvm::consumeError(decoded.takeError());
      return nullptr;
    }
    return &(values[v] = std::move((*decoded)[0]));
  }

  void foldOne(Operation *op,
               llvm::DenseMap<Value, attnc::OracleTensor> &values) {
    if (op->getNumResults() == 0)
      return;
    // Never grow the constant data: a broadcast or a generated mask stays
    // an op (the fusions evaluate masks themselves when they need to).
    int64_t operandElements = kInlineConstantLimit;
    for (Value operand : op->getOperands()) {
      int64_t n = operand.getType().cast<RankedTensorType>().getNumElements();
      // A splat operand costs nothing in the IR but its decoded copy does.
      if (n > maxElements)
        return;
      operandElements += n;
    }
    for (Type type : op->getResultTypes()) {
      auto tensor = type.dyn_cast<RankedTensorType>();
      if (!tensor || tensor.getNumElements() > maxElements ||
          tensor.getNumElements() > operandElements)
        return;
    }
    // Decode nothing unless every operand is a constant: weights are large.
    if (llvm::any_of(op->getOperands(), [&](Value v) {
          return !v.getDefiningOp<ConstantOp>() && !values.count(v);
        }))
      return;
    SmallVector<attnc::DTypeKind> dtypes;
    for (Type type : op->getResultTypes()) {
      std::optional<attnc::DTypeKind> dtype = attnc::dtypeFromType(
          type.cast<RankedTensorType>().getElementType());
      if (!dtype)
        return;
      dtypes.push_back(*dtype);
    }
    SmallVector<attnc::OracleTensor> operands;
    for (Value operand : op->getOperands()) {
      const attnc::OracleTensor *t = lookup(operand, values);
      if (!t)
        return;
      operands.push_back(*t);
    }
    llvm::Expected<std::vector<attnc::OracleTensor>> results =
        attnc::evaluateOp(op, operands);
    if (!results) {
      llvm::consumeError(results.takeError());
      return;
    }
    OpBuilder builder(op);
    std::string name = "folded";
    if (auto nameLoc = op->getLoc().dyn_cast<NameLoc>())
      name = nameLoc.getName().str();
    for (auto [result, value, dtype] :
         llvm::zip(op->getResults(), *results, dtypes)) {
      auto type = result.getType().cast<RankedTensorType>();
      attnc::HostTensor host = attnc::fromOracle(value, dtype);
      ArrayRef<char> bytes(reinterpret_cast<const char *>(host.bytes.data()),
                           host.bytes.size());
      auto constant = builder.create<ConstantOp>(
          op->getLoc(), createElementsAttr(type, bytes, name));
      values[constant.getResult()] = std::move(value);
      result.replaceAllUsesWith(constant.getResult());
    }
    op->erase();
  }
};

} // namespace

std::unique_ptr<Pass> mlir::attn::createFoldConstantsPass() {
  return std::make_unique<FoldConstantsPass>();
}
