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
/// Any malformed image (bad magic or version, truncated or unparsable
/// header, an unsupported dtype or Fortran order, data that does not match
/// the shape) is an error "<name>: <problem>"; nothing is read out of bounds.
llvm::Expected<HostTensor> parseNpy(llvm::StringRef contents,
                                    llvm::StringRef name);
/// Reads a .npy file.
llvm::Expected<HostTensor> readNpy(llvm::StringRef path);
/// Writes a .npy file (version 1.0, header padded to 64 bytes as numpy does)
/// to a temporary file beside `path`, then renames it over `path`: a failed
/// write leaves nothing behind.
llvm::Error writeNpy(llvm::StringRef path, const HostTensor &tensor);

} // namespace attnc

#endif // ATTNC_SUPPORT_NPY_H
