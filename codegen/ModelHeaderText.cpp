//===- ModelHeaderText.cpp - runtime/Model.h built into attnc -------------===//
//
// The assembler includes the header byte for byte (.incbin); CMake passes
// its path and rebuilds this file, without a compiler cache that could not
// see it, when it changes.
//
//===----------------------------------------------------------------------===//

#include "codegen/ModelLibrary.h"

__asm__(".section .rodata,\"a\",@progbits\n"
        "attnc_model_header_begin:\n"
        ".incbin \"" ATTNC_MODEL_HEADER_FILE "\"\n"
        "attnc_model_header_end:\n"
        ".previous\n");

extern "C" const char attnc_model_header_begin[], attnc_model_header_end[];

llvm::StringRef attnc::getModelHeaderText() {
  return llvm::StringRef(attnc_model_header_begin,
                         attnc_model_header_end - attnc_model_header_begin);
}
