//===- ModelObject.h - the model's constant data as an object file -*- C++ -*-//
//
// Target-independent pieces of a model library's generated object: the
// attnc_rt_info description every library defines (runtime/common/
// ModelInfo.h), the C ABI's dtypes and the bytes of a weight, byte arrays
// of constant data, and this host's LLVM target and relocatable objects.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_MODELOBJECT_H
#define ATTNC_CODEGEN_MODELOBJECT_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>

namespace llvm {
class GlobalVariable;
class Module;
class Target;
} // namespace llvm

namespace mlir::attn {
class ConstantOp;
} // namespace mlir::attn

namespace attnc {

/// The C ABI's attnc_dtype code of an element type (runtime/Model.h).
int32_t getAbiDtype(mlir::Type elementType);

/// Bytes per element in the C ABI's layout (i1: one byte).
int64_t getAbiElementBytes(mlir::Type elementType);

/// The row-major bytes of a weight in the C ABI's layout (i1: one byte per
/// element), splats expanded; fails, naming the op and its location, on an
/// elided or unsupported constant.
llvm::Expected<std::string> getConstantBytes(mlir::attn::ConstantOp op);

/// Defines `attnc_rt_info` in `module`: the model's name, `target` and the
/// name, dtype and shape of each argument and result of `func`.
void addModelInfo(llvm::Module &module, mlir::func::FuncOp func,
                  llvm::StringRef modelName, llvm::StringRef target);

/// A private NUL-terminated string constant `name` holding `text`.
llvm::GlobalVariable *addStringConstant(llvm::Module &module,
                                        llvm::StringRef text,
                                        const llvm::Twine &name);

/// Defines the external constant `symbol` holding `bytes` (aligned to
/// `alignment`) and the uint64 `<symbol>_size` holding its size.
void addByteArray(llvm::Module &module, llvm::StringRef symbol,
                  llvm::StringRef bytes, unsigned alignment);

/// The LLVM target of this host's triple (llvm::sys::getProcessTriple()),
/// its native target initialised on first use.
llvm::Expected<const llvm::Target *> getHostTarget();

/// Compiles `module` (data only, or code for a generic x86-64) into a
/// position-independent ELF object for this host; returns its bytes.
llvm::Expected<std::string> emitHostObject(llvm::Module &module);

} // namespace attnc

#endif // ATTNC_CODEGEN_MODELOBJECT_H
