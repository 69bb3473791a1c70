//===- AttnDialect.h - the attn dialect ------------------------*- C++ -*-===//
//
// Declares the attn dialect and its enum attributes (causal alignment,
// reduction, comparison and GELU kinds).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_IR_ATTNDIALECT_H
#define ATTNC_IR_ATTNDIALECT_H

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectImplementation.h"

#include "ir/AttnDialect.h.inc"
#include "ir/AttnEnums.h.inc"

#define GET_ATTRDEF_CLASSES
#include "ir/AttnAttrs.h.inc"

#endif // ATTNC_IR_ATTNDIALECT_H
