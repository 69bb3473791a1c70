//===- Program.cpp - the program blob a model library carries -------------===//

#include "runtime/vulkan/Program.h"

#include <cstring>

using namespace attnc::vk;

namespace {

/// Reads little-endian fields; once a read runs past the end every later
/// read fails too.
class Reader {
public:
  Reader(const uint8_t *data, size_t size) : data(data), size(size) {}

  bool ok() const { return good; }
  size_t offset() const { return at; }

  uint32_t u32() {
    uint32_t v = 0;
    read(&v, 4);
    return v;
  }
  uint64_t u64() {
    uint64_t v = 0;
    read(&v, 8);
    return v;
  }
  std::string string() {
    uint32_t n = u32();
    if (!take(n))
      return "";
    return std::string(reinterpret_cast<const char *>(data + at - n), n);
  }
  /// A count of items of at least `minBytes` each that fits what is left.
  uint32_t count(size_t minBytes) {
    uint32_t n = u32();
    if (good && n > (size - at) / minBytes)
      good = false;
    return good ? n : 0;
  }
  void read(void *out, size_t n) {
    if (take(n))
      std::memcpy(out, data + at - n, n);
  }

private:
  bool take(size_t n) {
    if (!good || n > size - at) {
      good = false;
      return false;
    }
    at += n;
    return true;
  }

  const uint8_t *data;
  size_t size, at = 0;
  bool good = true;
};

} // namespace

bool attnc::vk::parseProgram(const uint8_t *data, size_t size, Program &program,
                             std::string &error) {
  Reader r(data, size);
  if (r.u32() != kProgramMagic || r.u32() != kProgramVersion) {
    error = "the library's Vulkan program has an unknown format (recompile "
            "the model with this attnc)";
    return false;
  }
  program.features = r.u32();
  program.arenaBytes = r.u64();
  program.weightBytes = r.u64();
  uint64_t weightOffset = r.u64();
  for (auto *tensors : {&program.inputs, &program.outputs}) {
    uint32_t n = r.count(12);
    tensors->resize(n);
    for (ProgramTensor &t : *tensors) {
      t.dtype = static_cast<int32_t>(r.u32());
      t.elements = r.u64();
    }
  }
  uint32_t modules = r.count(12);
  program.modules.resize(modules);
  for (ProgramModule &m : program.modules) {
    m.name = r.string();
    m.variant = static_cast<VariantKind>(r.u32());
    uint32_t words = r.count(4);
    m.spirv.resize(words);
    r.read(m.spirv.data(), words * 4u);
  }
  uint32_t dispatches = r.count(16);
  program.dispatches.resize(dispatches);
  for (ProgramDispatch &d : program.dispatches) {
    d.label = r.string();
    d.bindings.resize(r.count(28));
    for (ProgramBinding &b : d.bindings) {
      b.kind = static_cast<DescriptorKind>(r.u32());
      if (r.ok() && static_cast<uint32_t>(b.kind) >
                        static_cast<uint32_t>(DescriptorKind::TexelHalf))
        error = "dispatch '" + d.label + "' has an unknown binding kind";
      b.buffer = static_cast<BufferKind>(r.u32());
      b.index = r.u32();
      b.offset = r.u64();
      b.bytes = r.u64();
    }
    uint32_t pushBytes = r.count(1);
    d.push.resize(pushBytes);
    r.read(d.push.data(), pushBytes);
    d.variants.resize(r.count(28));
    for (ProgramVariant &v : d.variants) {
      v.kind = static_cast<VariantKind>(r.u32());
      v.module = r.u32();
      for (uint32_t &g : v.groups)
        g = r.u32();
      v.sharedBytes = r.u32();
      v.spec.resize(r.count(8));
      for (auto &[id, value] : v.spec) {
        id = r.u32();
        value = r.u32();
      }
      if (r.ok() && v.module >= program.modules.size())
        error = "dispatch '" + d.label + "' names a missing shader";
      if (r.ok() && static_cast<uint32_t>(v.kind) >= kVariantKinds)
        error = "dispatch '" + d.label + "' has an unknown shader variant";
    }
    if (r.ok() && d.push.size() > kMaxPushConstantBytes)
      error = "dispatch '" + d.label + "' has too many push constants";
    if (r.ok() && d.variants.empty())
      error = "dispatch '" + d.label + "' has no shader";
  }
  if (!r.ok() || weightOffset > size ||
      program.weightBytes > size - weightOffset)
    error = "the library's Vulkan program is truncated or damaged";
  if (!error.empty())
    return false;
  program.weights = data + weightOffset;
  return true;
}
