//===- EmbeddedData.cpp - kernel bitcode built into attnc -----------------===//
//
// The assembler includes the files byte for byte (.incbin); CMake passes
// their paths and rebuilds this file, without a compiler cache that could
// not see them, when they change.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/EmbeddedData.h"

__asm__(".section .rodata,\"a\",@progbits\n"
        ".balign 16\n"
        "attnc_cpu_bitcode_avx512_begin:\n"
        ".incbin \"" ATTNC_CPU_BITCODE_AVX512_FILE "\"\n"
        "attnc_cpu_bitcode_avx512_end:\n"
        ".balign 16\n"
        "attnc_cpu_bitcode_avx2_begin:\n"
        ".incbin \"" ATTNC_CPU_BITCODE_AVX2_FILE "\"\n"
        "attnc_cpu_bitcode_avx2_end:\n"
        ".previous\n");

extern "C" const char attnc_cpu_bitcode_avx512_begin[],
    attnc_cpu_bitcode_avx512_end[];
extern "C" const char attnc_cpu_bitcode_avx2_begin[],
    attnc_cpu_bitcode_avx2_end[];

llvm::StringRef attnc::cpu::getKernelBitcode(bool avx512Registers) {
  if (avx512Registers)
    return llvm::StringRef(attnc_cpu_bitcode_avx512_begin,
                           attnc_cpu_bitcode_avx512_end -
                               attnc_cpu_bitcode_avx512_begin);
  return llvm::StringRef(attnc_cpu_bitcode_avx2_begin,
                         attnc_cpu_bitcode_avx2_end -
                             attnc_cpu_bitcode_avx2_begin);
}
