//===- ConvertFloatStorage.cpp - store f32 tensors as f16, or back --------===//
//
// Algorithm (for to=f16; to=f32 swaps the two types):
//  1. Each f32 argument gets an attn.cast to f16 at the top of the function;
//     its other uses read the cast.
//  2. Each f32 constant is rounded to f16 (finite values beyond f16's range
//     saturate to +-65504, infinities and NaN stay).
//  3. Every other op's f32 results become f16. Ops keep their attributes
//     (scales, epsilons stay f32); the targets compute in f32 whatever the
//     storage type, so only what is stored between kernels changes.
//  4. Each returned value whose type the signature does not have is cast
//     back before the return, so the function type does not change.
//
//===----------------------------------------------------------------------===//

#include "ir/Constants.h"
#include "oracle/Interpreter.h"
#include "passes/Passes.h"

#include <cmath>

namespace mlir::attn {
#define GEN_PASS_DEF_CONVERTFLOATSTORAGE
#include "passes/Passes.h.inc"
} // namespace mlir::attn

using namespace mlir;
using namespace mlir::attn;

namespace {

/// `type` with `to` elements when it is a tensor of `from`; null otherwise.
RankedTensorType convertedType(Type type, Type from, Type to) {
  auto tensor = type.dyn_cast<RankedTensorType>();
  if (!tensor || tensor.getElementType() != from)
    return nullptr;
  return RankedTensorType::get(tensor.getShape(), to);
}

/// The constant `op` as `type` (f16 or f32), or failure when the oracle
/// cannot read its value (an elided weight).
FailureOr<ElementsAttr> convertConstant(ConstantOp op, RankedTensorType type) {
  llvm::Expected<std::vector<attnc::OracleTensor>> value =
      attnc::evaluateOp(op, {});
  if (!value) {
    op.emitError() << "cannot convert this constant to " << type << ": "
                   << llvm::toString(value.takeError());
    return failure();
  }
  attnc::OracleTensor &t = value->front();
  bool half = type.getElementType().isF16();
  if (half)
    for (double &x : t.data)
      if (std::isfinite(x))
        x = std::clamp(x, -65504.0, 65504.0);
  attnc::HostTensor host = attnc::fromOracle(t, half ? attnc::DTypeKind::F16
                                                     : attnc::DTypeKind::F32);
  std::string name = half ? "f16" : "f32";
  if (auto nameLoc = op.getLoc().dyn_cast<NameLoc>())
    name = nameLoc.getName().str();
  ArrayRef<char> bytes(reinterpret_cast<const char *>(host.bytes.data()),
                       host.bytes.size());
  return createElementsAttr(type, bytes, name);
}

struct ConvertFloatStoragePass
    : mlir::attn::impl::ConvertFloatStorageBase<ConvertFloatStoragePass> {
  using ConvertFloatStorageBase::ConvertFloatStorageBase;
  explicit ConvertFloatStoragePass(bool toHalf) { to = toHalf ? "f16" : "f32"; }

  void runOnOperation() override {
    func::FuncOp func = getOperation();
    if (func.isExternal())
      return;
    if (to != "f16" && to != "f32") {
      func.emitError() << "attn-convert-float-storage: to must be f16 or f32, "
                          "got '"
                       << to << "'";
      return signalPassFailure();
    }
    MLIRContext *context = func.getContext();
    Type half = Float16Type::get(context), single = Float32Type::get(context);
    Type from = to == "f16" ? single : half, into = to == "f16" ? half : single;
    auto convert = [&](Type t) { return convertedType(t, from, into); };
    Block &entry = func.getBody().front();
    OpBuilder builder(func.getContext());
    llvm::SmallPtrSet<Operation *, 8> boundary;

    builder.setInsertionPointToStart(&entry);
    for (BlockArgument arg : entry.getArguments()) {
      RankedTensorType type = convert(arg.getType());
      if (!type || arg.use_empty())
        continue;
      auto cast = builder.create<CastOp>(arg.getLoc(), type, arg);
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
        RankedTensorType type = convert(constant.getType());
        if (!type)
          continue;
        FailureOr<ElementsAttr> value = convertConstant(constant, type);
        if (failed(value))
          return signalPassFailure();
        builder.setInsertionPoint(constant);
        auto rounded = builder.create<ConstantOp>(constant.getLoc(), *value);
        constant.getResult().replaceAllUsesWith(rounded.getResult());
        constant.erase();
        continue;
      }
      for (OpResult result : op->getResults())
        if (RankedTensorType type = convert(result.getType()))
          result.setType(type);
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

std::unique_ptr<Pass> mlir::attn::createConvertFloatStoragePass() {
  return std::make_unique<ConvertFloatStoragePass>();
}

std::unique_ptr<Pass> mlir::attn::createConvertFloatStoragePass(bool toHalf) {
  return std::make_unique<ConvertFloatStoragePass>(toHalf);
}

bool mlir::attn::hasHalfTensors(Operation *root) {
  auto isHalf = [](Type t) {
    auto tensor = t.dyn_cast<RankedTensorType>();
    return tensor && tensor.getElementType().isF16();
  };
  WalkResult found = root->walk([&](Operation *op) {
    return llvm::any_of(op->getResultTypes(), isHalf) ||
                   llvm::any_of(op->getOperandTypes(), isHalf)
               ? WalkResult::interrupt()
               : WalkResult::advance();
  });
  return found.wasInterrupted();
}

LogicalResult mlir::attn::storeHalfAsFloat(ModuleOp module) {
  if (!hasHalfTensors(module))
    return success();
  PassManager pm(module.getContext());
  pm.addNestedPass<func::FuncOp>(
      createConvertFloatStoragePass(/*toHalf=*/false));
  return pm.run(module);
}
