//===- ShaderSources.h - the GLSL templates built into attnc ----*- C++ -*-===//
//
// The text of codegen/vulkan/shaders/*, embedded when attnc is built
// (EmbedShaders.cmake writes ShaderSources.cpp), so compiling a model reads
// no file at run time.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_VULKAN_SHADERSOURCES_H
#define ATTNC_CODEGEN_VULKAN_SHADERSOURCES_H

namespace attnc::vk::shaders {

/// common.glsl: constants and attncGroupIndex(), ahead of every body.
extern const char kCommon[];
/// math.glsl: erf, tanh, pow, ... for elementwise kernels.
extern const char kMath[];
/// reductions.glsl: workgroup sum / max / min for the row kernels.
extern const char kReductions[];
/// The kernel bodies.
extern const char kAttentionCommon[];
extern const char kAttention[];
extern const char kAttentionCoopmat[];
/// coopmat.glsl: real or emulated cooperative-matrix fragments.
extern const char kCoopmat[];
extern const char kMatmulCoopmat[];
extern const char kMatmul[];
extern const char kSoftmax[];
extern const char kLayerNorm[];
extern const char kReduce[];
extern const char kGather[];

} // namespace attnc::vk::shaders

#endif // ATTNC_CODEGEN_VULKAN_SHADERSOURCES_H
