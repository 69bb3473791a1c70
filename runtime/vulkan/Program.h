//===- Program.h - the program blob a model library carries ----*- C++ -*-===//
//
// Parses the bytes of `attnc_vk_program` (format in codegen/vulkan/
// KernelAbi.h): the inputs and outputs, SPIR-V modules, the dispatch table
// and where the weights are. The parser checks every size against the blob,
// so a damaged library is an error, not a crash.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_VULKAN_PROGRAM_H
#define ATTNC_RUNTIME_VULKAN_PROGRAM_H

#include "codegen/vulkan/KernelAbi.h"

#include <array>
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

namespace attnc::vk {

struct ProgramTensor {
  int32_t dtype = 0; ///< attnc_dtype
  uint64_t elements = 0;
  /// Bytes on the device (KernelAbi.h's storage).
  uint64_t deviceBytes() const { return elements * deviceElementBytes(dtype); }
};

struct ProgramModule {
  std::string name;
  VariantKind variant = VariantKind::Portable;
  std::vector<uint32_t> spirv;
};

struct ProgramBinding {
  DescriptorKind kind = DescriptorKind::Storage;
  BufferKind buffer = BufferKind::Arena;
  uint32_t index = 0;
  uint64_t offset = 0, bytes = 0;
};

struct ProgramVariant {
  VariantKind kind = VariantKind::Portable;
  uint32_t module = 0;
  std::array<uint32_t, 3> groups = {1, 1, 1};
  uint32_t sharedBytes = 0;
  std::vector<std::pair<uint32_t, uint32_t>> spec;
};

struct ProgramDispatch {
  std::string label;
  std::vector<ProgramBinding> bindings;
  std::vector<uint8_t> push;
  std::vector<ProgramVariant> variants;
};

struct Program {
  /// ProgramFeature bits.
  uint32_t features = 0;
  uint64_t arenaBytes = 0, weightBytes = 0;
  const uint8_t *weights = nullptr;
  std::vector<ProgramTensor> inputs, outputs;
  std::vector<ProgramModule> modules;
  std::vector<ProgramDispatch> dispatches;
};

/// Parses `size` bytes at `data` (which must outlive `program`, whose
/// weights point into it). Returns false with `error` set on a malformed
/// blob.
bool parseProgram(const uint8_t *data, size_t size, Program &program,
                  std::string &error);

} // namespace attnc::vk

#endif // ATTNC_RUNTIME_VULKAN_PROGRAM_H
