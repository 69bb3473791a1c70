//===- GlslEmitter.h - compute shaders from a schedule ---------*- C++ -*-===//
//
// Turns each kernel of a Schedule into a KernelProgram: the GLSL compute
// shader that runs it (a fixed template for attention, matmul, softmax,
// layer norm, reductions and gather; generated code for fused elementwise
// trees and data movement), its bindings in the KernelAbi.h order, its push
// constants and the launch of each shader variant.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_VULKAN_GLSLEMITTER_H
#define ATTNC_CODEGEN_VULKAN_GLSLEMITTER_H

#include "codegen/Schedule.h"
#include "codegen/vulkan/KernelAbi.h"

#include "llvm/Support/Error.h"

#include <array>
#include <string>
#include <vector>

namespace attnc::vk {

/// One binding of a shader and the device bytes it views.
struct ShaderBinding {
  std::string name; ///< GLSL identifier
  DescriptorKind kind = DescriptorKind::Storage;
  std::string elementType; ///< storage buffers: "float", "int" or "uint"
  bool writes = false;
  BufferKind buffer = BufferKind::Arena;
  uint32_t index = 0; ///< input / output number
  int64_t offset = 0; ///< bytes into the buffer
  int64_t bytes = 0;
};

/// One member of the push-constant block.
struct PushField {
  std::string name;
  std::string type = "uint"; ///< "uint", "int" or "float"
  uint32_t bits = 0;         ///< the value's bit pattern
};

/// A specialisation constant the GLSL declares (`layout(constant_id)`), or
/// one that sets the workgroup size (declared by the `in` layout instead).
struct SpecConstant {
  uint32_t id = 0;
  std::string name; ///< empty for a workgroup-size constant
  uint32_t defaultValue = 1;
};

/// How one variant of a kernel's shader is launched.
struct KernelVariant {
  VariantKind kind = VariantKind::Portable;
  std::array<uint32_t, 3> groups = {1, 1, 1};
  /// (id, value) pairs.
  std::vector<std::pair<uint32_t, uint32_t>> spec;
  /// Shared memory the variant needs.
  uint32_t sharedBytes = 0;
};

/// The shader, bindings and launches of one Schedule kernel.
struct KernelProgram {
  /// The shader family ("attention", "elementwise", ...); the target makes
  /// it unique per distinct source.
  std::string family;
  /// What the kernel computes, for --emit=glsl and run-time errors:
  /// "attn.gather at loc(...)".
  std::string label;
  /// `#define NAME VALUE` lines ahead of the body.
  std::vector<std::pair<std::string, std::string>> defines;
  std::vector<ShaderBinding> bindings;
  std::vector<PushField> push;
  /// The `layout(...) in;` arguments, e.g. "local_size_x = 128".
  std::string workgroup;
  std::vector<SpecConstant> specConstants;
  /// The GLSL after the declarations: helper chunks and main().
  std::string body;
  /// True when the body uses ATTNC_SUBGROUP (two variants are built).
  bool subgroupVariant = false;
  /// True when the body also has ATTNC_COOPMAT variants (COOPMAT_EMULATED
  /// 0 and 1).
  bool coopmatVariant = false;
  std::vector<KernelVariant> variants;
};

/// Bytes one element of type `element` takes on the device (KernelAbi.h's
/// storage); the schedule's ScheduleOptions::elementBytes.
int64_t elementDeviceBytes(mlir::Type element);

/// Whether a binding reads or writes f16 data (the shader needs 16-bit
/// storage).
bool bindsHalf(const ShaderBinding &binding);

/// Byte offsets of the weights (Schedule::constants order) inside the one
/// weights buffer.
using WeightOffsets = std::vector<int64_t>;

/// Builds the program of every kernel of `schedule` (built with 4-byte
/// device elements). Errors name the op and say what is unsupported.
llvm::Expected<std::vector<KernelProgram>>
emitKernelPrograms(const Schedule &schedule, const WeightOffsets &weights);

/// The complete GLSL source of `program`, with a header comment listing its
/// bindings, push constants, specialisation constants and workgroup size.
/// Both variants compile from this text (ATTNC_SUBGROUP is predefined by the
/// compiler for the subgroup variant).
std::string renderGlsl(const KernelProgram &program, llvm::StringRef name);

} // namespace attnc::vk

#endif // ATTNC_CODEGEN_VULKAN_GLSLEMITTER_H
