//===- EmbeddedData.h - kernel bitcode built into attnc ---------*- C++ -*-===//
//
// The kernel library bitcode, compiled from runtime/cpu/kernels when attnc
// is built and embedded in the attnc binary so that compiling a model does
// not need the file at run time.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CPU_EMBEDDEDDATA_H
#define ATTNC_CODEGEN_CPU_EMBEDDEDDATA_H

#include "llvm/ADT/StringRef.h"

namespace attnc::cpu {

/// The kernel library bitcode every model module is linked with, register
/// blocked for AVX-512's 32 vector registers or for AVX2's 16.
llvm::StringRef getKernelBitcode(bool avx512Registers);

} // namespace attnc::cpu

#endif // ATTNC_CODEGEN_CPU_EMBEDDEDDATA_H
