//===- Npy.h - numpy .npy files --------------------------------*- C++ -*-===//
//
// Reads and writes version 1/2/3 .npy files of the dtypes attnc supports
// (<f2 <f4 <f8 |b1 <i4 <i8, C order), with errors that say what is wrong.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_SUPPORT_NPY_H
#define ATTNC_SUPPORT_NPY_H

#include "support/HostTensor.h"
#include "llvm/Support/Error.h"

namespace attnc {

/// Parses a .npy image held in memory; `name` is used in error messages.
llvm::Expected<HostTensor> parseNpy(llvm::StringRef contents, llvm::StringRef name);
/// Reads a .npy file.
llvm::Expected<HostTensor> readNpy(llvm::StringRef path);
/// Writes a .npy file (version 1.0), atomically: a failed write leaves nothing.
llvm::Error writeNpy(llvm::StringRef path, const HostTensor &tensor);

} // namespace attnc

#endif // ATTNC_SUPPORT_NPY_H
