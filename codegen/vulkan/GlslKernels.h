//===- GlslKernels.h - helpers shared by the GLSL kernel emitters -*- C++ -*-//
//
// Internal to codegen/vulkan: errors naming an op, strides, bindings and
// push constants, used by GlslEmitter.cpp (fixed kernels) and
// GlslElementwise.cpp (generated elementwise and data-movement kernels).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_VULKAN_GLSLKERNELS_H
#define ATTNC_CODEGEN_VULKAN_GLSLKERNELS_H

#include "codegen/vulkan/GlslEmitter.h"

namespace attnc::vk {

/// "loc: 'attn.x': message" as an llvm::Error.
llvm::Error kernelError(mlir::Operation *op, const llvm::Twine &message);

/// "attn.matmul at loc(...)" or "copy to output 2".
std::string describeKernel(const Kernel &kernel);

/// The static shape of a tensor value.
llvm::ArrayRef<int64_t> shapeOf(mlir::Value v);

/// Row-major element strides of `shape`.
llvm::SmallVector<int64_t, 6> contiguousStrides(llvm::ArrayRef<int64_t> shape);

/// Element strides of a row-major tensor of shape `from` read at every
/// point of `to` (numpy broadcasting, aligned on the right; 0 where it
/// broadcasts).
llvm::SmallVector<int64_t, 6> broadcastStrides(llvm::ArrayRef<int64_t> from,
                                               llvm::ArrayRef<int64_t> to);

/// The GLSL type an element type is stored as on the device (float,
/// float16_t, int or uint).
std::string storageType(mlir::Type element);

/// Bytes `value` takes on the device (KernelAbi.h's storage).
int64_t deviceBytes(mlir::Value value);

/// Makes an f32 storage binding an array of vec4 (f16 ones stay scalar
/// arrays; NAME_STORE4 writes their groups of four).
void useVec4(ShaderBinding &binding);

/// The texel-buffer descriptor of an element type: float4 texels when
/// `vec4`, else one element per texel (r32ui for integers and booleans).
DescriptorKind texelKind(mlir::Type element, bool vec4);

/// The bit pattern of a float.
uint32_t floatBits(float value);

/// A storage-buffer binding of `value`'s buffer.
ShaderBinding bindValue(const Schedule &schedule, const WeightOffsets &weights,
                        mlir::Value value, std::string name, bool writes);

/// A uniform texel buffer binding of `value`'s buffer: float4 texels when
/// `vec4`, else one element per texel (r32ui for integers and booleans).
ShaderBinding bindTexels(const Schedule &schedule, const WeightOffsets &weights,
                         mlir::Value value, std::string name, bool vec4);

/// Appends a uint / int / float push constant.
void addPush(KernelProgram &program, llvm::StringRef name, int64_t value);
void addPushInt(KernelProgram &program, llvm::StringRef name, int64_t value);
void addPushFloat(KernelProgram &program, llvm::StringRef name, float value);

/// `groups` one-dimensional workgroups as (x, y, 1) within the 65535 limit
/// per dimension (shaders flatten them with attncGroupIndex()).
std::array<uint32_t, 3> flatGroups(int64_t groups);

/// Fails when `value` has too many elements for 32-bit indices.
llvm::Error checkElements(mlir::Operation *op, mlir::Value value);

/// A fused elementwise tree, or a final copy to an output.
llvm::Expected<KernelProgram>
emitElementwiseKernel(const Schedule &schedule, const WeightOffsets &weights,
                      const Kernel &kernel);

/// The epilogue of a matmul kernel (Kernel::hasEpilogue): appends a
/// binding for each other leaf of its elementwise tree to `program` and
/// returns the GLSL of `float attncEpilogue(uint e, float x)` and
/// `vec4 attncEpilogue4(uint i, vec4 x)`, the tree at element e (group of
/// four i) of the contiguous output with x the product there. Without an
/// epilogue both return x.
llvm::Expected<std::string> emitEpilogue(const Schedule &schedule,
                                         const WeightOffsets &weights,
                                         const Kernel &kernel,
                                         KernelProgram &program);

/// transpose, slice, broadcast_to, concat, split and causal_mask kernels.
llvm::Expected<KernelProgram>
emitDataMovementKernel(const Schedule &schedule, const WeightOffsets &weights,
                       const Kernel &kernel);

} // namespace attnc::vk

#endif // ATTNC_CODEGEN_VULKAN_GLSLKERNELS_H
