//===- AttnBuilders.h - creating attn ops without aborting ----*- C++ -*-===//
//
// Front ends and passes create ops whose result types are inferred. The
// generated builders abort when inference fails; createChecked reports the
// shape error as a diagnostic at the op's location and returns null instead.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_IR_ATTNBUILDERS_H
#define ATTNC_IR_ATTNBUILDERS_H

#include "ir/AttnOps.h"

#include "mlir/IR/Builders.h"

namespace mlir::attn {

/// Creates `OpTy` with inferred result types, or emits the shape error at
/// `loc` and returns a null op.
template <typename OpTy>
OpTy createChecked(OpBuilder &builder, Location loc, ValueRange operands,
                   ArrayRef<NamedAttribute> attributes = {}) {
  SmallVector<Type> types;
  DictionaryAttr dict = builder.getDictionaryAttr(attributes);
  if (failed(OpTy::inferReturnTypes(builder.getContext(), loc, operands, dict,
                                    /*regions=*/{}, types)))
    return nullptr;
  return builder.create<OpTy>(loc, types, operands, attributes);
}

/// A rank-0 `attn.constant` of a float or integer element type.
inline Value createScalarConstant(OpBuilder &builder, Location loc,
                                  Type elementType, double value) {
  auto type = RankedTensorType::get({}, elementType);
  Attribute element =
      elementType.isa<FloatType>()
          ? Attribute(builder.getFloatAttr(elementType, value))
          : Attribute(builder.getIntegerAttr(elementType,
                                             static_cast<int64_t>(value)));
  return builder.create<ConstantOp>(loc, DenseElementsAttr::get(type, element));
}

} // namespace mlir::attn

#endif // ATTNC_IR_ATTNBUILDERS_H
