//===- SpirvCompiler.h - GLSL to validated SPIR-V, in process --*- C++ -*-===//
//
// Compiles a GLSL compute shader to SPIR-V 1.3 for Vulkan 1.1 with the
// glslang library and validates the module with SPIRV-Tools. A failure is an
// internal compiler error naming the shader and quoting the offending GLSL
// line; there is no fallback.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_VULKAN_SPIRVCOMPILER_H
#define ATTNC_CODEGEN_VULKAN_SPIRVCOMPILER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <string>
#include <vector>

namespace attnc::vk {

/// Compiles `source` (the shader `name`) with `preamble` (e.g. "#define
/// ATTNC_SUBGROUP 1\n") ahead of it, and validates the result. A validation
/// failure quotes the GLSL line of the offending instruction (found through
/// the OpLine debug instructions of a recompile).
llvm::Expected<std::vector<uint32_t>>
compileComputeShader(llvm::StringRef source, llvm::StringRef name,
                     llvm::StringRef preamble = "");

/// The source line of the OpLine in effect at instruction `ordinal`
/// (1-based, as SPIRV-Tools numbers instructions) of `spirv`; 0 when there
/// is none.
unsigned sourceLineOfInstruction(llvm::ArrayRef<uint32_t> spirv,
                                 size_t ordinal);

} // namespace attnc::vk

#endif // ATTNC_CODEGEN_VULKAN_SPIRVCOMPILER_H
