//===- ModelConventions.h - how a module describes a model ------*- C++ -*-===//
//
// The conventions front ends write and the driver and targets read: the
// entry function (@forward, or the module's only public function), the
// `attn.name` of its arguments and results, and the module's
// `attn.model_name`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_IR_MODELCONVENTIONS_H
#define ATTNC_IR_MODELCONVENTIONS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace mlir::attn {

/// The name front ends give the entry function.
constexpr llvm::StringLiteral kEntryFunctionName = "forward";

/// The model's entry: the function named @forward, else the module's only
/// public function with a body; otherwise an error saying why there is none.
llvm::Expected<func::FuncOp> findEntryFunction(ModuleOp module);

/// findEntryFunction for callers that report through diagnostics: emits the
/// error at the module and returns null.
func::FuncOp getEntryFunction(ModuleOp module);

/// The `attn.name` of argument `index`, or "input<index>".
std::string getInputName(func::FuncOp func, unsigned index);

/// The `attn.name` of result `index`, or "output<index>".
std::string getOutputName(func::FuncOp func, unsigned index);

/// Names argument / result `index` of `func` (its `attn.name`).
void setInputName(func::FuncOp func, unsigned index, llvm::StringRef name);
void setOutputName(func::FuncOp func, unsigned index, llvm::StringRef name);

/// The model's name: the module's `attn.model_name`, else "model".
std::string getModelName(ModuleOp module);

/// Sets the module's `attn.model_name`.
void setModelName(ModuleOp module, llvm::StringRef name);

} // namespace mlir::attn

#endif // ATTNC_IR_MODELCONVENTIONS_H
