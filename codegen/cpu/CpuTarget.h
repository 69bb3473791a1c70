//===- CpuTarget.h - the LLVM CPU code generator ---------------*- C++ -*-===//
//
// `--target=cpu`: a model becomes an LLVM module (generated loop nests plus
// the kernel library's bitcode), optimised for one CPU and linked with the
// CPU runtime into a shared library. docs/cpu-target.md describes it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CPU_CPUTARGET_H
#define ATTNC_CODEGEN_CPU_CPUTARGET_H

#include "codegen/Target.h"

namespace attnc {

/// Creates the CPU target.
std::unique_ptr<Target> createCpuTarget();

/// The width in bits of the float vector FMAs that code for `cpu` (an LLVM
/// CPU name, or "native") uses: 512 with AVX-512, 256 with AVX2 and FMA,
/// else 128. Fails on an unknown CPU name.
llvm::Expected<unsigned> getCpuVectorBits(llvm::StringRef cpu);

} // namespace attnc

#endif // ATTNC_CODEGEN_CPU_CPUTARGET_H
