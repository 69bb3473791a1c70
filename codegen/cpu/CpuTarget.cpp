//===- CpuTarget.cpp - the LLVM CPU code generator ------------------------===//
//
// Algorithm:
//  1. Schedule the entry function (attention operands as strided views).
//  2. Emit the model's LLVM module (ModelEmitter) and verify it.
//  3. Link the embedded kernel library bitcode into it (only what is used),
//     internalise everything but the runtime's entry points, and set the
//     chosen CPU and its features on every function.
//  4. Run the O3 pipeline with the target machine, then emit an object (or
//     the IR / assembly --emit asks for) and link it into the library.
//
//===----------------------------------------------------------------------===//

#include "codegen/cpu/CpuTarget.h"

#include "codegen/ModelLibrary.h"
#include "codegen/ModelObject.h"
#include "codegen/PhaseTimer.h"
#include "codegen/Schedule.h"
#include "codegen/cpu/EmbeddedData.h"
#include "codegen/cpu/ModelEmitter.h"
#include "ir/ModelConventions.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Verifier.h"
#include "llvm/Linker/Linker.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/Host.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/IPO/Internalize.h"

#include <set>

using namespace attnc;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// An optimised model module and the machine it targets.
struct CompiledModule {
  std::unique_ptr<llvm::LLVMContext> context;
  std::unique_ptr<llvm::Module> module;
  std::unique_ptr<llvm::TargetMachine> machine;
  /// Functions the model itself defines (not the kernel library's).
  std::set<std::string> ownFunctions;
};

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createTargetMachine(llvm::StringRef cpuOption) {
  llvm::Expected<const llvm::Target *> target = getHostTarget();
  if (!target)
    return target.takeError();
  std::string triple = llvm::sys::getProcessTriple();
  std::string cpu, features;
  if (cpuOption.empty() || cpuOption == "native") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::StringMap<bool> hostFeatures;
    if (llvm::sys::getHostCPUFeatures(hostFeatures)) {
      std::vector<std::string> list;
      for (auto &f : hostFeatures)
        list.push_back((f.second ? "+" : "-") + f.first().str());
      std::sort(list.begin(), list.end());
      features = llvm::join(list, ",");
    }
  } else {
    cpu = cpuOption.str();
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        (*target)->createMCSubtargetInfo(triple, "", ""));
    if (!info || !info->isCPUStringValid(cpu))
      return makeError(
          "unknown CPU '" + cpu + "' for " + triple +
          " (use an LLVM CPU name such as x86-64-v3, skylake-avx512 "
          "or znver4, or 'native'; `llc-16 -mcpu=help` lists them)");
  }
  llvm::TargetOptions options;
  std::unique_ptr<llvm::TargetMachine> machine((*target)->createTargetMachine(
      triple, cpu, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOpt::Aggressive));
  if (!machine)
    return makeError("cannot create an LLVM target machine for " + cpu);
  return machine;
}

/// Links the kernel library, register-blocked for the vector registers
/// `machine`'s CPU has, into `module`.
llvm::Error linkKernelLibrary(llvm::Module &module,
                              llvm::TargetMachine &machine) {
  bool avx512 = machine.getMCSubtargetInfo()->checkFeatures("+avx512f");
  llvm::MemoryBufferRef buffer(cpu::getKernelBitcode(avx512),
                               "attnc_cpu_kernels.bc");
  llvm::Expected<std::unique_ptr<llvm::Module>> library =
      llvm::parseBitcodeFile(buffer, module.getContext());
  if (!library)
    return makeError("the embedded kernel library does not parse: " +
                     llvm::toString(library.takeError()));
  (*library)->setTargetTriple(module.getTargetTriple());
  (*library)->setDataLayout(module.getDataLayout());
  if (llvm::Linker::linkModules(module, std::move(*library),
                                llvm::Linker::Flags::LinkOnlyNeeded))
    return makeError("linking the kernel library into the model failed");
  for (llvm::Function &f : module)
    if (f.isDeclaration() && (f.getName().startswith("attnc_k_") ||
                              f.getName().startswith("attnc_m_")))
      return makeError("the kernel library lacks '" + f.getName() + "'");
  return llvm::Error::success();
}

/// The ISA extensions, among those some x86-64 CPUs lack, that code for
/// `machine` may use ("avx2,fma,avx512f,..."): the runtime refuses to create
/// a model on a CPU without one of them instead of faulting in a kernel.
std::string requiredIsaFeatures(llvm::TargetMachine &machine) {
  static const char *const kChecked[] = {
      "sse4.2",     "popcnt",     "avx",          "avx2",
      "fma",        "f16c",       "bmi",          "bmi2",
      "avx512f",    "avx512cd",   "avx512bw",     "avx512dq",
      "avx512vl",   "avx512vnni", "avx512bf16",   "avx512fp16",
      "avx512ifma", "avx512vbmi", "avx512vbmi2",  "avx512bitalg",
      "avx512vpopcntdq"};
  const llvm::MCSubtargetInfo *info = machine.getMCSubtargetInfo();
  std::vector<std::string> used;
  for (const char *feature : kChecked)
    if (info->checkFeatures(std::string("+") + feature))
      used.push_back(feature);
  return llvm::join(used, ",");
}

/// Internalises all but the runtime's entry points, so unused library code
/// is dropped and the rest can be inlined, and targets every function at
/// `cpu` with `features`.
void prepareForOptimization(llvm::Module &module,
                            llvm::TargetMachine &machine) {
  llvm::StringRef cpu = machine.getTargetCPU();
  llvm::StringRef features = machine.getTargetFeatureString();
  bool wide = machine.getMCSubtargetInfo()->checkFeatures("+avx512f");
  std::set<std::string> keep;
  for (llvm::StringRef name : cpu::getRuntimeEntryPoints())
    keep.insert(name.str());
  llvm::internalizeModule(module, [&](const llvm::GlobalValue &gv) {
    return keep.count(gv.getName().str()) > 0;
  });
  for (llvm::Function &f : module) {
    if (f.isDeclaration())
      continue;
    f.removeFnAttr("tune-cpu");
    f.addFnAttr("target-cpu", cpu);
    if (features.empty())
      f.removeFnAttr("target-features");
    else
      f.addFnAttr("target-features", features);
    // Generated loops use the full vector width where the CPU has AVX-512
    // (LLVM otherwise prefers 256 bits on several AVX-512 cores).
    if (wide)
      f.addFnAttr("prefer-vector-width", "512");
  }
}

void optimize(llvm::Module &module, llvm::TargetMachine &machine) {
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PipelineTuningOptions tuning;
  tuning.LoopVectorization = true;
  tuning.SLPVectorization = true;
  llvm::PassBuilder builder(&machine, tuning);
  builder.registerModuleAnalyses(mam);
  builder.registerCGSCCAnalyses(cgam);
  builder.registerFunctionAnalyses(fam);
  builder.registerLoopAnalyses(lam);
  builder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager pipeline =
      builder.buildPerModuleDefaultPipeline(llvm::OptimizationLevel::O3);
  pipeline.run(module, mam);
}

llvm::Expected<CompiledModule> compileModule(mlir::ModuleOp module,
                                             const CompileOptions &options,
                                             PhaseTimer &timer) {
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      createTargetMachine(options.cpu);
  if (!machine)
    return machine.takeError();
  // The kernels compute and store f32: an f16 model runs on an f32 copy of
  // its graph behind the same f16 signature.
  mlir::OwningOpRef<mlir::ModuleOp> widened;
  if (mlir::attn::hasHalfTensors(module)) {
    widened = module.clone();
    if (mlir::failed(mlir::attn::storeHalfAsFloat(*widened)))
      return makeError("cannot widen the model's f16 tensors to f32");
    module = *widened;
  }
  llvm::Expected<mlir::func::FuncOp> entry =
      mlir::attn::findEntryFunction(module);
  if (!entry)
    return entry.takeError();
  ScheduleOptions scheduleOptions;
  scheduleOptions.stridedAttentionViews = true;
  llvm::Expected<Schedule> schedule = buildSchedule(*entry, scheduleOptions);
  if (!schedule)
    return schedule.takeError();
  timer.done("schedule");

  CompiledModule result;
  result.machine = std::move(*machine);
  result.context = std::make_unique<llvm::LLVMContext>();
  result.module =
      std::make_unique<llvm::Module>("attnc_model", *result.context);
  llvm::Module &m = *result.module;
  m.setTargetTriple(result.machine->getTargetTriple().str());
  m.setDataLayout(result.machine->createDataLayout());
  llvm::StringRef cpu = result.machine->getTargetCPU();
  if (llvm::Error e =
          cpu::emitModel(*schedule, mlir::attn::getModelName(module), cpu,
                         requiredIsaFeatures(*result.machine), m))
    return std::move(e);
  std::string verifyMessage;
  llvm::raw_string_ostream verifyStream(verifyMessage);
  if (llvm::verifyModule(m, &verifyStream))
    return makeError("internal error: the generated LLVM module is invalid: " +
                     verifyStream.str());
  for (llvm::Function &f : m)
    if (!f.isDeclaration())
      result.ownFunctions.insert(f.getName().str());
  timer.done("emit LLVM IR");

  if (llvm::Error e = linkKernelLibrary(m, *result.machine))
    return std::move(e);
  prepareForOptimization(m, *result.machine);
  timer.done("link kernel library");
  optimize(m, *result.machine);
  timer.done("optimise (O3)");
  return result;
}

llvm::Error emitMachineCode(CompiledModule &compiled,
                            llvm::raw_pwrite_stream &os,
                            llvm::CodeGenFileType type) {
  llvm::legacy::PassManager passes;
  if (compiled.machine->addPassesToEmitFile(passes, os, nullptr, type))
    return makeError("the LLVM target cannot emit this file type");
  passes.run(*compiled.module);
  return llvm::Error::success();
}

class CpuTarget : public Target {
public:
  llvm::StringRef getName() const override { return "cpu"; }

  bool canEmit(EmitKind kind) const override {
    return kind == EmitKind::Llvm || kind == EmitKind::Asm ||
           kind == EmitKind::Library;
  }

  llvm::Error emit(mlir::ModuleOp module, EmitKind kind, llvm::raw_ostream &os,
                   const CompileOptions &options) override {
    if (kind == EmitKind::Library)
      return makeError("--emit=lib: use -o FILE to write the library");
    if (!canEmit(kind))
      return makeError("the cpu target cannot emit '" + emitKindName(kind) +
                       "'");
    PhaseTimer timer("cpu", options.timing);
    llvm::Expected<CompiledModule> compiled =
        compileModule(module, options, timer);
    if (!compiled)
      return compiled.takeError();
    llvm::Module &m = *compiled->module;
    if (kind == EmitKind::Llvm) {
      os << "; attnc cpu model for " << compiled->machine->getTargetCPU()
         << ", optimised; the kernel library's functions are not shown\n";
      for (llvm::GlobalVariable &g : m.globals())
        if (g.getName() != "attnc_weights")
          g.print(os), os << "\n";
      for (llvm::Function &f : m)
        if (!f.isDeclaration() &&
            compiled->ownFunctions.count(f.getName().str()))
          f.print(os);
      return llvm::Error::success();
    }
    // Assembly: the weights as one `.zero` line instead of megabytes of bytes.
    if (llvm::GlobalVariable *w = m.getGlobalVariable("attnc_weights", true))
      w->setInitializer(llvm::Constant::getNullValue(w->getValueType()));
    llvm::SmallString<0> text;
    llvm::raw_svector_ostream buffer(text);
    if (llvm::Error e =
            emitMachineCode(*compiled, buffer, llvm::CGFT_AssemblyFile))
      return e;
    os << text;
    return llvm::Error::success();
  }

  llvm::Error compileLibrary(mlir::ModuleOp module, llvm::StringRef outputPath,
                             const CompileOptions &options) override {
    PhaseTimer timer("cpu", options.timing);
    llvm::Expected<CompiledModule> compiled =
        compileModule(module, options, timer);
    if (!compiled)
      return compiled.takeError();
    llvm::SmallString<0> object;
    llvm::raw_svector_ostream os(object);
    if (llvm::Error e = emitMachineCode(*compiled, os, llvm::CGFT_ObjectFile))
      return e;
    timer.done("emit object");
    compiled->module.reset();
    llvm::Expected<std::string> archive =
        findRuntimeArchive("libattnc_cpu_runtime.a", "ATTNC_CPU_RUNTIME",
                           ATTNC_CPU_RUNTIME_BUILD_PATH);
    if (!archive)
      return archive.takeError();
    LibraryLinkInputs inputs;
    inputs.archives = {*archive};
    if (llvm::Error e = linkModelLibrary(object, inputs, outputPath))
      return e;
    timer.done("link library");
    return llvm::Error::success();
  }
};

} // namespace

llvm::Expected<unsigned> attnc::getCpuVectorBits(llvm::StringRef cpu) {
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> machine =
      createTargetMachine(cpu);
  if (!machine)
    return machine.takeError();
  const llvm::MCSubtargetInfo *info = (*machine)->getMCSubtargetInfo();
  if (info->checkFeatures("+avx512f"))
    return 512;
  return info->checkFeatures("+avx2,+fma") ? 256 : 128;
}

std::unique_ptr<Target> attnc::createCpuTarget() {
  return std::make_unique<CpuTarget>();
}
