//===- EmbeddedData.h - files built into attnc for the CPU target -*- C++ -*-===//
//
// The kernel library bitcode (compiled from runtime/cpu/kernels when attnc
// is built) and the ABI header runtime/Model.h, embedded in the attnc
// binary so that compiling a model needs neither file at run time.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CPU_EMBEDDEDDATA_H
#define ATTNC_CODEGEN_CPU_EMBEDDEDDATA_H

#include "llvm/ADT/StringRef.h"

namespace attnc::cpu {

/// The kernel library bitcode every model module is linked with, register
/// blocked for AVX-512's 32 vector registers or for AVX2's 16.
llvm::StringRef getKernelBitcode(bool avx512Registers);

/// runtime/Model.h, copied next to every library attnc writes.
llvm::StringRef getModelHeader();

} // namespace attnc::cpu

#endif // ATTNC_CODEGEN_CPU_EMBEDDEDDATA_H
