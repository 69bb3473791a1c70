//===- KernelAbi.h - the contract between Vulkan shaders and runtime -*- C++
//-*-//
//
// What the Vulkan code generator and runtime/vulkan agree on: how tensors are
// stored on the device, the fixed binding order of every shader, the status
// buffer through which kernels report errors, and the layout of the program
// blob (SPIR-V modules, dispatch table, weights) a model library carries.
// Plain C++ with no LLVM types, so the runtime can include it.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_VULKAN_KERNELABI_H
#define ATTNC_CODEGEN_VULKAN_KERNELABI_H

#include <cstdint>

namespace attnc::vk {

//===----------------------------------------------------------------------===//
// Storage
//===----------------------------------------------------------------------===//
//
// Floating-point tensors are stored in their own width where the device
// has it, everything else in one 32-bit word per element:
//   f32 -> float, f16 -> float16_t (16-bit storage; arithmetic stays f32),
//   f64 -> float (computed in f32)
//   i32, i64      -> int    (i64 is narrowed to i32, saturating)
//   bool (i1)     -> uint   (0 or 1)
// The runtime converts inputs on the host while filling the staging buffer
// and converts outputs back while reading it; weights are converted when the
// library is compiled. A saturated i64 gather index stays out of range, so
// the gather reports it instead of reading a wrapped row. Shaders that touch
// f16 storage need storageBuffer16BitAccess (kFeature16BitStorage).

/// Bytes of one element of C ABI dtype `dtype` (attnc_dtype) on the device.
constexpr int64_t deviceElementBytes(int32_t dtype) {
  return dtype == 0 /*ATTNC_F16*/ ? 2 : 4;
}

/// Offsets of tensors inside the arena and the weights buffer are multiples
/// of this; a device whose minStorageBufferOffsetAlignment or
/// minTexelBufferOffsetAlignment is larger cannot run the model.
constexpr int64_t kBufferAlignment = 64;

/// The largest push-constant block a shader uses (the guaranteed minimum of
/// maxPushConstantsSize).
constexpr uint32_t kMaxPushConstantBytes = 128;

//===----------------------------------------------------------------------===//
// Bindings
//===----------------------------------------------------------------------===//
//
// Each shader has one descriptor set (set 0). Its bindings come in this fixed
// order, numbered from 0:
//   1. the kernel's outputs, in Schedule Kernel::outputs order;
//   2. the kernel's inputs that live in buffers, in Kernel::inputs order
//      (single-element weights are folded into the GLSL as literals and have
//      no binding);
//   3. the status buffer, last, only for kernels that can fail (gather).
// Outputs and the inputs of elementwise and data-movement kernels are
// storage buffers; attention, matmul and the row kernels (softmax, masked
// softmax, layer norm, reduce) read their inputs through uniform texel
// buffers (see DescriptorKind). Attention's bindings are: 0 output, 1 Q,
// 2 K, 3 V, [4 mask]; matmul's: 0 C, 1 A, 2 B.

/// How a binding is declared and which Vulkan descriptor it takes.
enum class DescriptorKind : uint32_t {
  /// `buffer { T d[]; }`: VK_DESCRIPTOR_TYPE_STORAGE_BUFFER.
  Storage = 0,
  /// `uniform samplerBuffer` over R32G32B32A32_SFLOAT texels.
  TexelFloat4 = 1,
  /// `uniform samplerBuffer` over R32_SFLOAT texels.
  TexelFloat = 2,
  /// `uniform usamplerBuffer` over R32_UINT texels (integers, keep-masks).
  TexelUint = 3,
  /// `uniform samplerBuffer` over R16G16B16A16_SFLOAT texels (f16 data).
  TexelHalf4 = 4,
  /// `uniform samplerBuffer` over R16_SFLOAT texels (f16 data).
  TexelHalf = 5,
};

/// Bytes of one texel of a texel-buffer descriptor (0 for storage buffers).
constexpr uint32_t texelBytes(DescriptorKind kind) {
  switch (kind) {
  case DescriptorKind::TexelFloat4:
    return 16;
  case DescriptorKind::TexelHalf4:
    return 8;
  case DescriptorKind::TexelFloat:
  case DescriptorKind::TexelUint:
    return 4;
  case DescriptorKind::TexelHalf:
    return 2;
  case DescriptorKind::Storage:
    break;
  }
  return 0;
}

/// Which device buffer a binding views.
enum class BufferKind : uint32_t {
  Input = 0,   ///< the staging target of input `index`
  Output = 1,  ///< the device buffer of output `index`
  Weights = 2, ///< the one buffer holding every weight
  Arena = 3,   ///< the one buffer holding every intermediate
  Status = 4,  ///< the status buffer
};

//===----------------------------------------------------------------------===//
// Status buffer
//===----------------------------------------------------------------------===//
//
// kStatusWords uint32 words, zeroed before each run. The first kernel to fail
// sets word 0 with atomicCompSwap and then fills in the rest; the runtime
// turns a non-zero code into ATTNC_ERROR_RUNTIME with the dispatch's label.

constexpr uint32_t kStatusWords = 4;
enum StatusWord : uint32_t {
  kStatusCode = 0,     ///< a StatusCode
  kStatusDispatch = 1, ///< the failing dispatch's index in the table
  kStatusValue = 2,    ///< the offending value (as int32 bits)
  kStatusLimit = 3,    ///< the limit it broke
};
enum StatusCode : uint32_t {
  kStatusOk = 0,
  kStatusIndexOutOfRange = 1, ///< gather: index outside [-limit, limit)
};

//===----------------------------------------------------------------------===//
// Shader variants
//===----------------------------------------------------------------------===//
//
// A shader may come in two variants compiled from the same GLSL with
// ATTNC_SUBGROUP 0 or 1, each with its own launch (specialisation constants
// and workgroup counts). The runtime uses the subgroup variant when the
// device supports basic, vote and arithmetic subgroup operations in compute
// shaders and is not a CPU device (there the portable variants, tuned for
// SIMD lanes, are the faster ones); ATTNC_VK_SUBGROUPS=0/1 overrides the
// choice. No variant depends on a particular subgroup size.

//
// Attention on f16 data also comes in two cooperative-matrix variants
// (ATTNC_COOPMAT 1): Coopmat, on GL_NV_cooperative_matrix, which the runtime
// picks on a device with VK_NV_cooperative_matrix, 16x16x16 f16 products
// with f32 accumulators and 32-lane subgroups; and CoopmatEmulated, the same
// tiling and data flow with the matrix operations in plain GLSL, which the
// runtime runs only when ATTNC_VK_COOPMAT=emulate asks for it (tests on
// devices without cooperative matrices). ATTNC_VK_COOPMAT=0 turns the
// cooperative-matrix variants off.
enum class VariantKind : uint32_t {
  Portable = 0,
  Subgroup = 1,
  Coopmat = 2,
  CoopmatEmulated = 3,
};
constexpr int kVariantKinds = 4;

//===----------------------------------------------------------------------===//
// Program blob
//===----------------------------------------------------------------------===//
//
// The model library defines `attnc_vk_program` (bytes) and
// `attnc_vk_program_size` (uint64). All integers are little-endian; strings
// are a uint32 byte count followed by the bytes; "u32[n]" is n words.
//
//   u32 kProgramMagic, u32 kProgramVersion, u32 features (ProgramFeature
//       bits every variant needs)
//   u64 arenaBytes, u64 weightBytes, u64 weightOffset (from the blob start,
//       kBufferAlignment-aligned)
//   u32 numInputs;  per input:  u32 dtype (attnc_dtype), u64 elements
//   u32 numOutputs; per output: u32 dtype, u64 elements
//   u32 numModules; per module: string name, u32 VariantKind,
//                               u32 wordCount, u32[wordCount] SPIR-V
//   u32 numDispatches; per dispatch:
//       string label            (op name and location, for error messages)
//       u32 numBindings; per binding:
//           u32 DescriptorKind, u32 BufferKind, u32 index,
//           u64 byteOffset, u64 byteSize
//       u32 pushBytes, u8[pushBytes] push constants (padded to 4)
//       u32 numVariants; per variant:
//           u32 VariantKind, u32 module index, u32 groups[3],
//           u32 sharedBytes (checked against the device's limit),
//           u32 numSpec; per constant: u32 id, u32 value
//   weights at weightOffset

constexpr uint32_t kProgramMagic = 0x504B5641u; // "AVKP"
constexpr uint32_t kProgramVersion = 2;

/// Device features a whole program needs, whichever variants run.
enum ProgramFeature : uint32_t {
  /// f16 tensors in storage and texel buffers: storageBuffer16BitAccess.
  kFeature16BitStorage = 1u << 0,
};

} // namespace attnc::vk

#endif // ATTNC_CODEGEN_VULKAN_KERNELABI_H
