//===- ConvertToF16.cpp - store an f32 model's tensors in half precision --===//
//
// Algorithm:
//  1. Each f32 argument gets an attn.cast to f16 at the top of the function;
//     its other uses read the cast.
//  2. Each f32 constant is rounded to f16 (finite values beyond f16's range
//     saturate to +-65504, infinities and NaN stay).
//  3. Every other op's f32 results become f16. Ops keep their attributes
//     (scales, epsilons stay f32); the targets compute in f32 whatever the
//     storage type, so only what is stored between kernels changes.
//  4. Each returned f16 value that the signature says is f32 is cast back
//     before the return, so the function type does not change.
//
//===----------------------------------------------------------------------===//

#include "ir/Constants.h"
#include "oracle/Interpreter.h"
#include "passes/Passes.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTTOF16
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// `type` with f16 elements when it is an f32 tensor; null otherwise.
RankedTensorType halfOf(Type type) {
  auto tensor = type.dyn_cast<RankedTensorType>();
  if (!tensor || !tensor.getElementType().isF32())
    return nullptr;
  return RankedTensorType::get(tensor.getShape(),
                               Float16Type::get(type.getContext()));
}

/// The f16 copy of an f32 constant, or failure when the oracle cannot read
/// its value (an elided weight).
FailureOr<ElementsAttr> roundConstant(ConstantOp op, RankedTensorType half) {
  llvm::Expected<std::vector<attnc::OracleTensor>> value =
      attnc::evaluateOp(op, {});
  if (!value) {
    op.emitError() << "cannot convert this constant to f16: "
                   << llvm::toString(value.takeError());
    return failure();
  }
  attnc::OracleTensor &t = value->front();
  for (double &x : t.data)
    if (std::isfinite(x))
      x = std::clamp(x, -65504.0, 65504.0);
  attnc::HostTensor host = attnc::fromOracle(t, attnc::DTypeKind::F16);
  std::string name = "f16";
  if (auto nameLoc = op.getLoc().dyn_cast<NameLoc>())
    name = nameLoc.getName().str();
  ArrayRef<char> bytes(reinterpret_cast<const char *>(host.bytes.data()),
                       host.bytes.size());
  return createElementsAttr(half, bytes, name);
}

struct ConvertToF16Pass
    : mlir::attn::impl::ConvertToF16Base<ConvertToF16Pass> {
  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    Block &entry = func.getBody().front();
    OpBuilder builder(func.getContext());
    llvm::SmallPtrSet<Operation *, 8> boundary;

    builder.setInsertionPointToStart(&entry);
    for (BlockArgument arg : entry.getArguments()) {
      RankedTensorType half = halfOf(arg.getType());
      if (!half || arg.use_empty())
        continue;
      auto cast = builder.create<CastOp>(arg.getLoc(), half, arg);
      arg.replaceAllUsesExcept(cast.getResult(), cast);
      boundary.insert(cast);
    }

    SmallVector<Operation *> ops;
    func.walk([&](Operation *op) {
      if (!boundary.count(op) && !isa<func::ReturnOp>(op))
        ops.push_back(op);
    });
    for (Operation *op : ops) {
      if (auto constant = dyn_cast<ConstantOp>(op)) {
        RankedTensorType half = halfOf(constant.getType());
        if (!half)
          continue;
        FailureOr<ElementsAttr> value = roundConstant(constant, half);
        if (failed(value))
          return signalPassFailure();
        builder.setInsertionPoint(constant);
        auto rounded = builder.create<ConstantOp>(constant.getLoc(), *value);
        constant.getResult().replaceAllUsesWith(rounded.getResult());
        constant.erase();
        continue;
      }
      for (OpResult result : op->getResults())
        if (RankedTensorType half = halfOf(result.getType()))
          result.setType(half);
    }

    auto ret = cast<func::ReturnOp>(entry.getTerminator());
    builder.setInsertionPoint(ret);
    for (auto [i, want] : llvm::enumerate(func.getResultTypes())) {
      Value value = ret.getOperand(i);
      if (value.getType() == want)
        continue;
      auto cast = builder.create<CastOp>(value.getLoc(), want, value);
      ret.setOperand(i, cast.getResult());
    }
  }
};

} // namespace

std::unique_ptr<Pass> mlir::attn::createConvertToF16Pass() {
  return std::make_unique<ConvertToF16Pass>();
}
