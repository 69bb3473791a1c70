//===- AttnOps.h - ops of the attn dialect ---------------------*- C++ -*-===//
//
// The generated op classes of the attn dialect. Shape rules and verifiers
// are in AttnOps.cpp; shape helpers shared with passes are in ShapeUtils.h.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_IR_ATTNOPS_H
#define ATTNC_IR_ATTNOPS_H

#include "ir/AttnDialect.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#define GET_OP_CLASSES
#include "ir/AttnOps.h.inc"

#endif // ATTNC_IR_ATTNOPS_H
