//===- VulkanTarget.cpp - the Vulkan code generator -----------------------===//
//
// Algorithm:
//  1. Schedule the entry function with 4-byte device elements and strided
//     attention views (no transpose kernels around attention).
//  2. Convert every weight to device words (KernelAbi.h) at 64-byte aligned
//     offsets of one weights blob.
//  3. Emit a KernelProgram per kernel; kernels with the same GLSL share one
//     shader module per variant.
//  4. Compile each module with glslang and validate it with SPIRV-Tools.
//  5. Serialise modules, dispatches and weights into the program blob and
//     link it, with attnc_rt_info, against the Vulkan runtime archive.
//
//===----------------------------------------------------------------------===//

#include "codegen/vulkan/VulkanTarget.h"

#include "codegen/ModelLibrary.h"
#include "codegen/ModelObject.h"
#include "codegen/PhaseTimer.h"
#include "codegen/Schedule.h"
#include "codegen/vulkan/GlslEmitter.h"
#include "codegen/vulkan/SpirvCompiler.h"
#include "ir/AttnOps.h"
#include "ir/ModelConventions.h"
#include "runtime/Model.h"
#include "support/HostTensor.h"

#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/raw_ostream.h"

#include <cstring>
#include <map>

using namespace mlir;
using namespace attnc;
using namespace attnc::vk;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// Little-endian serialisation of the program blob.
class BlobWriter {
public:
  void u32(uint32_t v) { append(&v, 4); }
  void u64(uint64_t v) { append(&v, 8); }
  void string(llvm::StringRef s) {
    u32(s.size());
    bytes.append(s.data(), s.size());
  }
  void append(const void *data, size_t n) {
    bytes.append(static_cast<const char *>(data), n);
  }
  void alignTo(size_t alignment) {
    bytes.resize((bytes.size() + alignment - 1) / alignment * alignment, '\0');
  }
  size_t size() const { return bytes.size(); }
  std::string bytes;
};

/// A weight's C ABI bytes as device elements: f32, f16 and i32 as they are,
/// f64 as float, i64 narrowed to int32, bool as uint 0/1.
llvm::Expected<std::string> deviceWords(attn::ConstantOp op) {
  llvm::Expected<std::string> bytes = getConstantBytes(op);
  if (!bytes)
    return bytes.takeError();
  auto type = op.getType().cast<RankedTensorType>();
  Type element = type.getElementType();
  if (element.isF32() || element.isF16() || element.isInteger(32))
    return bytes;
  int64_t count = type.getNumElements();
  std::string words(count * 4, '\0');
  auto put = [&](int64_t i, const void *word) {
    std::memcpy(&words[i * 4], word, 4);
  };
  const char *src = bytes->data();
  for (int64_t i = 0; i < count; ++i) {
    if (element.isF64()) {
      double d;
      std::memcpy(&d, src + 8 * i, 8);
      float f = static_cast<float>(d);
      put(i, &f);
    } else if (element.isInteger(1)) {
      uint32_t b = src[i] != 0;
      put(i, &b);
    } else {
      int64_t v;
      std::memcpy(&v, src + 8 * i, 8);
      int32_t narrow =
          static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX));
      put(i, &narrow);
    }
  }
  return words;
}

/// A module ready for the blob: one shader source in one variant.
struct CompiledModule {
  std::string name;
  VariantKind variant;
  std::vector<uint32_t> spirv;
};

/// Everything the Vulkan target derives from a module.
struct VulkanProgram {
  Schedule schedule;
  std::string weights;
  std::vector<KernelProgram> kernels;
  /// Distinct GLSL sources and their names; kernel i uses sources[use[i]].
  std::vector<std::pair<std::string, std::string>> sources;
  std::vector<int> use;
  /// ProgramFeature bits the kernels need.
  uint32_t features = 0;
};

llvm::Expected<VulkanProgram> buildProgram(ModuleOp module, PhaseTimer &timer) {
  llvm::Expected<func::FuncOp> entry = attn::findEntryFunction(module);
  if (!entry)
    return entry.takeError();
  ScheduleOptions options;
  options.stridedAttentionViews = true;
  options.matmulEpilogues = true;
  options.elementBytes = elementDeviceBytes;
  llvm::Expected<Schedule> schedule = buildSchedule(*entry, options);
  if (!schedule)
    return schedule.takeError();
  VulkanProgram program{std::move(*schedule), {}, {}, {}, {}};
  timer.done("schedule");

  WeightOffsets offsets;
  for (Value v : program.schedule.constants) {
    llvm::Expected<std::string> words =
        deviceWords(cast<attn::ConstantOp>(v.getDefiningOp()));
    if (!words)
      return words.takeError();
    program.weights.resize((program.weights.size() + kBufferAlignment - 1) /
                           kBufferAlignment * kBufferAlignment);
    offsets.push_back(program.weights.size());
    program.weights += *words;
  }
  timer.done("weights");

  llvm::Expected<std::vector<KernelProgram>> kernels =
      emitKernelPrograms(program.schedule, offsets);
  if (!kernels)
    return kernels.takeError();
  program.kernels = std::move(*kernels);
  for (const KernelProgram &k : program.kernels)
    if (llvm::any_of(k.bindings, bindsHalf))
      program.features |= kFeature16BitStorage;
  std::map<std::string, int> bySource;
  std::map<std::string, int> familyCount;
  for (const KernelProgram &k : program.kernels) {
    if (k.variants.empty()) {
      program.use.push_back(-1);
      continue;
    }
    std::string probe = renderGlsl(k, k.family);
    auto it = bySource.find(probe);
    if (it == bySource.end()) {
      int n = familyCount[k.family]++;
      std::string name = k.family + "_" + std::to_string(n);
      it = bySource.emplace(probe, program.sources.size()).first;
      program.sources.push_back({name, renderGlsl(k, name)});
    }
    program.use.push_back(it->second);
  }
  timer.done("glsl");
  return program;
}

/// The label suffix and the macros that select a variant of a source.
std::pair<const char *, const char *> variantMacros(VariantKind kind) {
  switch (kind) {
  case VariantKind::Portable:
    return {"", ""};
  case VariantKind::Subgroup:
    return {" (subgroup variant)", "#define ATTNC_SUBGROUP 1\n"};
  case VariantKind::Coopmat:
    return {" (cooperative-matrix variant)", "#define ATTNC_COOPMAT 1\n"};
  case VariantKind::CoopmatEmulated:
    return {" (emulated cooperative-matrix variant)",
            "#define ATTNC_COOPMAT 1\n#define COOPMAT_EMULATED 1\n"};
  }
  return {"", ""};
}

using ModuleTable = std::vector<std::array<int, kVariantKinds>>;

/// Compiles every source in each variant its kernels launch;
/// moduleOf[source][variant] is the module's index, or -1.
llvm::Expected<std::vector<CompiledModule>>
compileModules(const VulkanProgram &program, ModuleTable &moduleOf) {
  std::vector<CompiledModule> modules;
  std::array<int, kVariantKinds> none;
  none.fill(-1);
  moduleOf.assign(program.sources.size(), none);
  std::vector<std::array<bool, kVariantKinds>> wanted(
      program.sources.size(), std::array<bool, kVariantKinds>{});
  for (auto [k, use] : llvm::enumerate(program.use))
    if (use >= 0)
      for (const KernelVariant &v : program.kernels[k].variants)
        wanted[use][static_cast<int>(v.kind)] = true;
  for (auto [i, source] : llvm::enumerate(program.sources)) {
    for (int kind = 0; kind < kVariantKinds; ++kind) {
      if (!wanted[i][kind])
        continue;
      auto variant = static_cast<VariantKind>(kind);
      auto [suffix, macros] = variantMacros(variant);
      llvm::Expected<std::vector<uint32_t>> spirv =
          compileComputeShader(source.second, source.first + suffix, macros);
      if (!spirv)
        return spirv.takeError();
      moduleOf[i][kind] = modules.size();
      modules.push_back({source.first, variant, std::move(*spirv)});
    }
  }
  return modules;
}

/// The program blob (KernelAbi.h).
std::string serialise(const VulkanProgram &program,
                      const std::vector<CompiledModule> &modules,
                      const ModuleTable &moduleOf) {
  func::FuncOp func = program.schedule.func;
  BlobWriter w;
  w.u32(kProgramMagic);
  w.u32(kProgramVersion);
  w.u32(program.features);
  w.u64(program.schedule.arenaBytes);
  w.u64(program.weights.size());
  size_t weightOffsetAt = w.size();
  w.u64(0);
  auto dtype = [](Type t) {
    std::optional<DTypeKind> kind =
        dtypeFromType(t.cast<RankedTensorType>().getElementType());
    return static_cast<uint32_t>(kind ? *kind : DTypeKind::F32);
  };
  w.u32(func.getNumArguments());
  for (Type t : func.getArgumentTypes()) {
    w.u32(dtype(t));
    w.u64(t.cast<RankedTensorType>().getNumElements());
  }
  w.u32(func.getNumResults());
  for (Type t : func.getResultTypes()) {
    w.u32(dtype(t));
    w.u64(t.cast<RankedTensorType>().getNumElements());
  }
  w.u32(modules.size());
  for (const CompiledModule &m : modules) {
    w.string(m.name);
    w.u32(static_cast<uint32_t>(m.variant));
    w.u32(m.spirv.size());
    w.append(m.spirv.data(), m.spirv.size() * 4);
  }
  uint32_t dispatches = 0;
  for (int use : program.use)
    dispatches += use >= 0;
  w.u32(dispatches);
  for (auto [k, kernel] : llvm::enumerate(program.kernels)) {
    int source = program.use[k];
    if (source < 0)
      continue;
    w.string(kernel.label);
    w.u32(kernel.bindings.size());
    for (const ShaderBinding &b : kernel.bindings) {
      w.u32(static_cast<uint32_t>(b.kind));
      w.u32(static_cast<uint32_t>(b.buffer));
      w.u32(b.index);
      w.u64(b.offset);
      w.u64(b.bytes);
    }
    w.u32(kernel.push.size() * 4);
    for (const PushField &f : kernel.push)
      w.u32(f.bits);
    std::vector<const KernelVariant *> present;
    for (const KernelVariant &v : kernel.variants)
      if (moduleOf[source][static_cast<int>(v.kind)] >= 0)
        present.push_back(&v);
    w.u32(present.size());
    for (const KernelVariant *v : present) {
      w.u32(static_cast<uint32_t>(v->kind));
      w.u32(moduleOf[source][static_cast<int>(v->kind)]);
      for (uint32_t g : v->groups)
        w.u32(g);
      w.u32(v->sharedBytes);
      w.u32(v->spec.size());
      for (auto [id, value] : v->spec) {
        w.u32(id);
        w.u32(value);
      }
    }
  }
  w.alignTo(kBufferAlignment);
  uint64_t weightOffset = w.size();
  std::memcpy(&w.bytes[weightOffsetAt], &weightOffset, 8);
  w.bytes += program.weights;
  return w.bytes;
}

class VulkanTarget : public Target {
public:
  llvm::StringRef getName() const override { return "vulkan"; }

  bool canEmit(EmitKind kind) const override {
    return kind == EmitKind::Glsl || kind == EmitKind::Spirv ||
           kind == EmitKind::Library;
  }

  llvm::Error emit(ModuleOp module, EmitKind kind, llvm::raw_ostream &os,
                   const CompileOptions &options) override {
    PhaseTimer timer("vulkan", options.timing);
    llvm::Expected<VulkanProgram> program = buildProgram(module, timer);
    if (!program)
      return program.takeError();
    if (kind == EmitKind::Glsl) {
      for (auto [i, source] : llvm::enumerate(program->sources)) {
        os << "// ===== shader " << source.first << ", used by:";
        for (auto [k, use] : llvm::enumerate(program->use))
          if (use == static_cast<int>(i))
            os << "\n//   dispatch " << k << ": " << program->kernels[k].label;
        os << "\n" << source.second << "\n";
      }
      return llvm::Error::success();
    }
    if (kind != EmitKind::Spirv)
      return makeError("the vulkan target cannot emit '" + emitKindName(kind) +
                       "'");
    ModuleTable moduleOf;
    llvm::Expected<std::vector<CompiledModule>> modules =
        compileModules(*program, moduleOf);
    if (!modules)
      return modules.takeError();
    timer.done("spirv");
    // "ATTNCSPV", u32 count, then per module: u32 name length, name, u32
    // variant, u32 word count, the words (docs/vulkan-target.md).
    BlobWriter w;
    w.append("ATTNCSPV", 8);
    w.u32(modules->size());
    for (const CompiledModule &m : *modules) {
      w.string(m.name);
      w.u32(static_cast<uint32_t>(m.variant));
      w.u32(m.spirv.size());
      w.append(m.spirv.data(), m.spirv.size() * 4);
    }
    os.write(w.bytes.data(), w.bytes.size());
    return llvm::Error::success();
  }

  llvm::Error compileLibrary(ModuleOp module, llvm::StringRef outputPath,
                             const CompileOptions &options) override {
    PhaseTimer timer("vulkan", options.timing);
    llvm::Expected<VulkanProgram> program = buildProgram(module, timer);
    if (!program)
      return program.takeError();
    ModuleTable moduleOf;
    llvm::Expected<std::vector<CompiledModule>> modules =
        compileModules(*program, moduleOf);
    if (!modules)
      return modules.takeError();
    timer.done("spirv");
    std::string blob = serialise(*program, *modules, moduleOf);

    llvm::LLVMContext context;
    llvm::Module object("attnc_vulkan_model", context);
    addModelInfo(object, program->schedule.func, attn::getModelName(module),
                 "vulkan");
    addByteArray(object, "attnc_vk_program", blob, kBufferAlignment);
    llvm::Expected<std::string> bytes = emitHostObject(object);
    if (!bytes)
      return bytes.takeError();
    timer.done("object");
    llvm::Expected<std::string> archive =
        findRuntimeArchive("libattnc_vulkan_runtime.a", "ATTNC_VULKAN_RUNTIME",
                           ATTNC_VULKAN_RUNTIME_BUILD_PATH);
    if (!archive)
      return archive.takeError();
    LibraryLinkInputs inputs;
    inputs.archives = {*archive};
    inputs.libraries = {"-lvulkan"};
    if (llvm::Error e = linkModelLibrary(*bytes, inputs, outputPath))
      return e;
    timer.done("link");
    return llvm::Error::success();
  }
};

} // namespace

std::unique_ptr<Target> attnc::createVulkanTarget() {
  return std::make_unique<VulkanTarget>();
}
