//===- ModelObject.h - the model's constant data as an object file -*- C++ -*-//
//
// Target-independent pieces of a model library's generated object: the
// attnc_rt_info description every library defines (runtime/common/
// ModelInfo.h), byte arrays of constant data, the C ABI bytes of a weight,
// and emitting an LLVM module as a relocatable object for this host.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_MODELOBJECT_H
#define ATTNC_CODEGEN_MODELOBJECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace llvm {
class Module;
} // namespace llvm

namespace mlir::attn {
class ConstantOp;
} // namespace mlir::attn

namespace attnc {

/// The model's name: the module's `attn.model_name`, else "model".
std::string getModelName(mlir::ModuleOp module);

/// The `attn.name` of argument / result `index` of `func`, or
/// "input<i>" / "output<i>" (as the driver names them).
std::string getIoName(mlir::func::FuncOp func, unsigned index, bool input);

/// The row-major bytes of a weight in the C ABI's layout (i1: one byte per
/// element), splats expanded; fails, naming the op, on an elided or
/// unsupported constant.
llvm::Expected<std::string> getConstantBytes(mlir::attn::ConstantOp op);

/// Defines `attnc_rt_info` in `module`: the model's name, `target` and the
/// name, dtype and shape of each argument and result of `func`.
void addModelInfo(llvm::Module &module, mlir::func::FuncOp func,
                  llvm::StringRef modelName, llvm::StringRef target);

/// Defines the external constant `symbol` holding `bytes` (aligned to
/// `alignment`) and the uint64 `<symbol>_size` holding its size.
void addByteArray(llvm::Module &module, llvm::StringRef symbol,
                  llvm::StringRef bytes, unsigned alignment);

/// Compiles `module` (data only, or code for a generic x86-64) into a
/// position-independent ELF object for this host; returns its bytes.
llvm::Expected<std::string> emitHostObject(llvm::Module &module);

} // namespace attnc

#endif // ATTNC_CODEGEN_MODELOBJECT_H
