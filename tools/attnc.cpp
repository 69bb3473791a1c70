//===- attnc.cpp - the attnc driver ----------------------------------------===//
//
// `attnc compile | run | verify | bench`: import a model (.json spec, .mlir,
// .onnx), run the graph pipeline, and emit a stage, build a library, run it,
// check it against the fp64 oracle or time it. Every user error ends in one
// message with a location and a non-zero exit.
//
//===----------------------------------------------------------------------===//

#include "codegen/Target.h"
#include "driver/Bench.h"
#include "driver/Inputs.h"
#include "driver/LoadedModel.h"
#include "driver/ModelLoader.h"
#include "driver/Pipeline.h"
#include "driver/Verify.h"
#include "ir/ModelConventions.h"
#include "oracle/Interpreter.h"
#include "support/Npy.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Support/FileUtilities.h"
#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
using namespace attnc;
namespace cl = llvm::cl;

namespace {

cl::OptionCategory category("attnc options");

cl::SubCommand compileCmd("compile",
                          "Compile a model to a shared library, or print "
                          "one stage (--emit)");
cl::SubCommand runCmd("run", "Run a model or a compiled library on .npy "
                             "inputs and write .npy outputs");
cl::SubCommand verifyCmd("verify", "Check the optimised graph and compiled "
                                   "targets against the fp64 oracle");
cl::SubCommand benchCmd("bench", "Time a model's compiled library");

// Options shared by several commands are declared once, for all of them.
cl::opt<std::string> modelPath(cl::Positional, cl::Required,
                               cl::desc("<model.json|model.mlir|model.onnx"
                                        "|libmodel.so>"),
                               cl::sub(compileCmd), cl::sub(runCmd),
                               cl::sub(verifyCmd), cl::sub(benchCmd),
                               cl::cat(category));
cl::opt<std::string> targetName(
    "target",
    cl::desc("compile/bench: cpu | vulkan; run: oracle | cpu | vulkan; "
             "verify: comma-separated list of cpu, vulkan (the optimised "
             "graph is always checked)"),
    cl::sub(compileCmd), cl::sub(runCmd), cl::sub(verifyCmd),
    cl::sub(benchCmd), cl::cat(category));
cl::list<std::string> inputShapes(
    "input-shape", cl::desc("pin a dynamic ONNX input: NAME=2x32"),
    cl::sub(compileCmd), cl::sub(runCmd), cl::sub(verifyCmd),
    cl::sub(benchCmd), cl::cat(category));
cl::opt<bool> printIRAfterAll("print-ir-after-all",
                              cl::desc("print the IR after every pass "
                                       "(stderr; weights elided)"),
                              cl::sub(compileCmd), cl::sub(verifyCmd),
                              cl::cat(category));
cl::list<std::string> printIRAfter(
    "print-ir-after", cl::CommaSeparated,
    cl::desc("print the IR after the named passes (e.g. "
             "attn-fuse-attention)"),
    cl::sub(compileCmd), cl::sub(verifyCmd), cl::cat(category));
cl::opt<std::string> dumpIR("dump-ir",
                            cl::desc("write one numbered, re-parsable .mlir "
                                     "file per pass into DIR"),
                            cl::value_desc("DIR"), cl::sub(compileCmd),
                            cl::sub(verifyCmd), cl::cat(category));
cl::opt<bool> timing("timing", cl::desc("print the time of each phase"),
                     cl::sub(compileCmd), cl::sub(verifyCmd),
                     cl::cat(category));
cl::opt<bool> reportFusion(
    "report-fusion",
    cl::desc("report every softmax: fused into attn.attention, or why not"),
    cl::sub(compileCmd), cl::sub(verifyCmd), cl::cat(category));
cl::opt<std::string> cpuName("cpu",
                             cl::desc("CPU to generate code for (LLVM name, "
                                      "default: this host)"),
                             cl::init("native"), cl::sub(compileCmd),
                             cl::sub(runCmd), cl::sub(verifyCmd),
                             cl::sub(benchCmd), cl::cat(category));
cl::opt<std::string> precision(
    "precision",
    cl::desc("f32 (default) | f16: store every f32 tensor, weights included, "
             "as f16 on the device; kernels still accumulate in f32 and the "
             "library's inputs and outputs stay f32 (vulkan target only)"),
    cl::init("f32"), cl::sub(compileCmd), cl::sub(runCmd), cl::sub(verifyCmd),
    cl::sub(benchCmd), cl::cat(category));
cl::list<std::string> inputs("input",
                             cl::desc("an input as NAME=FILE.npy (repeatable; "
                                      "missing inputs are seeded)"),
                             cl::sub(runCmd), cl::sub(verifyCmd),
                             cl::sub(benchCmd), cl::cat(category));
cl::opt<uint64_t> seed("seed", cl::desc("seed of generated inputs"),
                       cl::init(0), cl::sub(runCmd), cl::sub(verifyCmd),
                       cl::sub(benchCmd), cl::cat(category));
cl::opt<int> threads("threads",
                     cl::desc("CPU worker threads (0 = all cores; at most 1024)"),
                     cl::init(0), cl::sub(runCmd), cl::sub(verifyCmd),
                     cl::sub(benchCmd), cl::cat(category));
cl::opt<std::string> device("device",
                            cl::desc("Vulkan device: index or name substring "
                                     "(default: ATTNC_VK_DEVICE, else the "
                                     "best GPU, else lavapipe)"),
                            cl::sub(runCmd), cl::sub(verifyCmd),
                            cl::sub(benchCmd), cl::cat(category));

// compile
cl::opt<std::string> outputPath("o", cl::desc("output file ('-' = stdout)"),
                                cl::value_desc("FILE"), cl::sub(compileCmd),
                                cl::cat(category));
cl::opt<std::string> emit("emit",
                          cl::desc("print a stage instead of building a "
                                   "library: mlir | llvm | asm | glsl | "
                                   "spirv"),
                          cl::sub(compileCmd), cl::cat(category));
cl::opt<bool> elideWeights("elide-weights",
                           cl::desc("--emit=mlir: leave out the weight blobs"),
                           cl::sub(compileCmd), cl::cat(category));

// run
cl::opt<std::string> outputDir("output",
                               cl::desc("directory for NAME.npy outputs"),
                               cl::value_desc("DIR"), cl::sub(runCmd),
                               cl::cat(category));

// verify
cl::opt<bool> bisect("bisect",
                     cl::desc("run the oracle after every pass and name the "
                              "first one that changes the numbers"),
                     cl::sub(verifyCmd), cl::cat(category));

// bench
cl::opt<int> reps("reps", cl::desc("timed runs (median reported)"),
                  cl::init(20), cl::sub(benchCmd), cl::cat(category));

/// Prints diagnostics whose location is a model path (NameLoc, as front ends
/// name ops after their layer) as "path: severity: message"; file locations
/// fall through to the SourceMgr handler, which shows the source line.
LogicalResult printNamedDiagnostic(Diagnostic &diag) {
  auto name = diag.getLocation().dyn_cast<NameLoc>();
  if (!name || name.getChildLoc().isa<FileLineColLoc>())
    return failure();
  llvm::raw_ostream &os = llvm::errs();
  os << name.getName().getValue() << ": ";
  switch (diag.getSeverity()) {
  case DiagnosticSeverity::Error: os << "error: "; break;
  case DiagnosticSeverity::Warning: os << "warning: "; break;
  case DiagnosticSeverity::Remark: os << "remark: "; break;
  case DiagnosticSeverity::Note: os << "note: "; break;
  }
  os << diag.str() << "\n";
  for (Diagnostic &note : diag.getNotes())
    os << "  note: " << note.str() << "\n";
  return success();
}

int fail(const llvm::Twine &message) {
  llvm::errs() << "attnc: error: " << message << "\n";
  return 1;
}

bool isLibrary(llvm::StringRef path) {
  return path.endswith(".so") || path.contains(".so.");
}

PipelineRunOptions pipelineOptions() {
  PipelineRunOptions options;
  options.printing.printAfterAll = printIRAfterAll;
  options.printing.printAfter.assign(printIRAfter.begin(), printIRAfter.end());
  options.printing.dumpDir = dumpIR;
  options.reportFusion = reportFusion;
  options.halfPrecision = precision == "f16";
  return options;
}

attnc_options runtimeOptions() {
  attnc_options options = {};
  options.struct_size = sizeof(attnc_options);
  options.num_threads = threads;
  options.device = device.empty() ? nullptr : device.c_str();
  return options;
}

CompileOptions compileOptions() {
  CompileOptions options;
  options.cpu = cpuName;
  options.timing = timing;
  return options;
}

OwningOpRef<ModuleOp> load(MLIRContext &context) {
  LoadOptions options;
  options.inputShapes.assign(inputShapes.begin(), inputShapes.end());
  return loadModel(modelPath, context, options);
}

int runCompile(MLIRContext &context) {
  std::optional<EmitKind> stage = EmitKind::Library;
  if (!emit.empty() && !(stage = parseEmitKind(emit)))
    return fail("unknown --emit=" + emit +
                " (expected mlir, llvm, asm, glsl or spirv)");
  if (*stage != EmitKind::Mlir && targetName.empty())
    return fail("choose a target: --target=cpu or --target=vulkan (or "
                "--emit=mlir for the optimised graph)");
  std::unique_ptr<Target> target;
  if (!targetName.empty()) {
    llvm::Expected<std::unique_ptr<Target>> created = createTarget(targetName);
    if (!created)
      return fail(llvm::toString(created.takeError()));
    target = std::move(*created);
    if (*stage != EmitKind::Library && !target->canEmit(*stage))
      return fail("target '" + targetName + "' has no stage '" + emit + "'");
  }
  if (*stage == EmitKind::Library && outputPath.empty())
    return fail("missing -o FILE for the library");

  DefaultTimingManager tm;
  tm.setEnabled(timing);
  TimingScope root = tm.getRootScope();
  OwningOpRef<ModuleOp> module;
  {
    TimingScope scope = root.nest("import");
    module = load(context);
  }
  if (!module)
    return 1;
  if (failed(runGraphPipeline(*module, pipelineOptions(), &root)))
    return 1;

  if (*stage == EmitKind::Library) {
    TimingScope scope = root.nest("code generation (" + targetName + ")");
    if (llvm::Error error =
            target->compileLibrary(*module, outputPath, compileOptions()))
      return fail(llvm::toString(std::move(error)));
    return 0;
  }
  std::string error;
  std::string out = outputPath.empty() ? "-" : outputPath.getValue();
  std::unique_ptr<llvm::ToolOutputFile> file = openOutputFile(out, &error);
  if (!file)
    return fail(error);
  if (*stage == EmitKind::Mlir) {
    printModule(*module, file->os(), elideWeights);
  } else {
    TimingScope scope = root.nest("code generation (" + targetName + ")");
    if (llvm::Error e =
            target->emit(*module, *stage, file->os(), compileOptions()))
      return fail(llvm::toString(std::move(e)));
  }
  file->keep();
  return 0;
}

/// Writes `tensors` as DIR/<output name>.npy.
int writeOutputs(llvm::ArrayRef<std::string> names,
                 llvm::ArrayRef<HostTensor> tensors) {
  if (outputDir.empty()) {
    for (auto [name, t] : llvm::zip(names, tensors))
      llvm::outs() << name << ": " << describeTensorType(t.shape, t.dtype)
                   << "\n";
    return 0;
  }
  if (std::error_code ec = llvm::sys::fs::create_directories(outputDir))
    return fail("cannot create --output directory '" + outputDir +
                "': " + ec.message());
  for (auto [name, t] : llvm::zip(names, tensors)) {
    std::string file = name;
    for (char &c : file)
      if (!llvm::isAlnum(c) && c != '_' && c != '-' && c != '.')
        c = '_';
    llvm::SmallString<256> path(outputDir.getValue());
    llvm::sys::path::append(path, file + ".npy");
    if (llvm::Error error = writeNpy(path, t))
      return fail(llvm::toString(std::move(error)));
    llvm::outs() << "wrote " << path << " ("
                 << describeTensorType(t.shape, t.dtype) << ")\n";
  }
  return 0;
}

/// Inputs for a library: matched by name against its descriptions.
llvm::Expected<std::vector<HostTensor>>
libraryInputs(const LoadedModel &model) {
  std::vector<HostTensor> result;
  for (const TensorDesc &desc : model.getInputs()) {
    std::string prefix = desc.name + "=";
    auto it = llvm::find_if(inputs, [&](const std::string &s) {
      return llvm::StringRef(s).startswith(prefix);
    });
    if (it == inputs.end())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(), "missing --input %s=FILE.npy (%s)",
          desc.name.c_str(),
          describeTensorType(desc.shape, desc.dtype).c_str());
    llvm::Expected<HostTensor> t = readNpy(it->substr(prefix.size()));
    if (!t)
      return t.takeError();
    result.push_back(std::move(*t));
  }
  for (const std::string &spec : inputs) {
    llvm::StringRef name = llvm::StringRef(spec).split('=').first;
    if (llvm::none_of(model.getInputs(),
                      [&](const TensorDesc &d) { return d.name == name; }))
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "the library has no input named '%s'",
                                     name.str().c_str());
  }
  return result;
}

int runLibrary() {
  llvm::Expected<std::unique_ptr<LoadedModel>> model =
      LoadedModel::load(modelPath, runtimeOptions());
  if (!model)
    return fail(llvm::toString(model.takeError()));
  llvm::Expected<std::vector<HostTensor>> args = libraryInputs(**model);
  if (!args)
    return fail(llvm::toString(args.takeError()));
  llvm::Expected<std::vector<HostTensor>> results = (*model)->run(*args);
  if (!results)
    return fail(llvm::toString(results.takeError()));
  std::vector<std::string> names;
  for (const TensorDesc &d : (*model)->getOutputs())
    names.push_back(d.name);
  llvm::errs() << "ran on " << (*model)->getDevice() << "\n";
  return writeOutputs(names, *results);
}

/// Compiles `module` for `target` into a temporary library, runs it on
/// `args` and writes the outputs.
int runOnTarget(ModuleOp module, llvm::StringRef target,
                llvm::ArrayRef<HostTensor> args,
                llvm::ArrayRef<std::string> names) {
  llvm::Expected<std::unique_ptr<Target>> created = createTarget(target);
  if (!created)
    return fail(llvm::toString(created.takeError()));
  if (failed(runGraphPipeline(module, pipelineOptions())))
    return 1;
  llvm::SmallString<128> dir;
  if (std::error_code ec = llvm::sys::fs::createUniqueDirectory("attnc-run", dir))
    return fail("cannot create a temporary directory: " + ec.message());
  auto cleanup = llvm::make_scope_exit([&] { llvm::sys::fs::remove_directories(dir); });
  llvm::SmallString<128> library(dir);
  llvm::sys::path::append(library, "libmodel.so");
  if (llvm::Error e = (*created)->compileLibrary(module, library, compileOptions()))
    return fail(llvm::toString(std::move(e)));
  llvm::Expected<std::unique_ptr<LoadedModel>> model =
      LoadedModel::load(library, runtimeOptions());
  if (!model)
    return fail(llvm::toString(model.takeError()));
  llvm::Expected<std::vector<HostTensor>> results = (*model)->run(args);
  if (!results)
    return fail(llvm::toString(results.takeError()));
  llvm::errs() << "ran on " << (*model)->getDevice() << "\n";
  return writeOutputs(names, *results);
}

int runModel(MLIRContext &context) {
  if (isLibrary(modelPath))
    return runLibrary();
  OwningOpRef<ModuleOp> module = load(context);
  if (!module)
    return 1;
  std::string target = targetName.empty() ? "oracle" : targetName.getValue();
  func::FuncOp entry = attn::getEntryFunction(*module);
  llvm::Expected<std::vector<HostTensor>> args =
      collectInputs(entry, inputs, seed);
  if (!args)
    return fail(llvm::toString(args.takeError()));
  std::vector<std::string> names;
  for (unsigned i = 0; i < entry.getNumResults(); ++i)
    names.push_back(attn::getOutputName(entry, i));
  if (target != "oracle")
    return runOnTarget(*module, target, *args, names);
  llvm::Expected<std::vector<OracleTensor>> results =
      evaluateFunction(entry, *args);
  if (!results)
    return fail(llvm::toString(results.takeError()));
  std::vector<HostTensor> tensors;
  for (unsigned i = 0; i < results->size(); ++i) {
    auto type = entry.getResultTypes()[i].cast<RankedTensorType>();
    tensors.push_back(
        fromOracle((*results)[i], *dtypeFromType(type.getElementType())));
  }
  llvm::errs() << "ran on the fp64 oracle\n";
  return writeOutputs(names, tensors);
}

int runVerify(MLIRContext &context) {
  OwningOpRef<ModuleOp> module = load(context);
  if (!module)
    return 1;
  VerifyOptions options;
  llvm::SmallVector<llvm::StringRef> targets;
  llvm::StringRef(targetName).split(targets, ',', -1, false);
  for (llvm::StringRef t : targets)
    options.targets.push_back(t.trim().str());
  options.inputSpecs.assign(inputs.begin(), inputs.end());
  options.seed = seed;
  options.bisect = bisect;
  options.pipeline = pipelineOptions();
  options.compile = compileOptions();
  options.runtime = runtimeOptions();
  return succeeded(verifyModel(*module, options, llvm::outs())) ? 0 : 1;
}

int runBench(MLIRContext &context) {
  if (reps < 1)
    return fail("--reps must be at least 1, got " + std::to_string(reps));
  BenchOptions options;
  options.target = targetName;
  options.reps = reps;
  options.inputSpecs.assign(inputs.begin(), inputs.end());
  options.seed = seed;
  options.compile = compileOptions();
  options.runtime = runtimeOptions();
  if (isLibrary(modelPath))
    return succeeded(benchLibrary(modelPath, options, llvm::outs())) ? 0 : 1;
  if (targetName.empty())
    return fail("choose a target: --target=cpu or --target=vulkan");
  OwningOpRef<ModuleOp> module = load(context);
  if (!module || failed(runGraphPipeline(*module, pipelineOptions())))
    return 1;
  return succeeded(benchModel(*module, options, llvm::outs())) ? 0 : 1;
}

} // namespace

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  for (cl::SubCommand *sub :
       {&*cl::TopLevelSubCommand, &compileCmd, &runCmd, &verifyCmd, &benchCmd})
    cl::HideUnrelatedOptions(category, *sub);
  cl::SetVersionPrinter([](llvm::raw_ostream &os) {
    os << "attnc 0.1 (LLVM/MLIR " << LLVM_VERSION_STRING << ")\n";
  });
  cl::ParseCommandLineOptions(
      argc, argv,
      "attnc: a compute-graph compiler for Transformers\n\n"
      "  attnc compile MODEL --emit=mlir            the optimised graph\n"
      "  attnc compile MODEL --target=cpu -o lib.so a shared library\n"
      "  attnc run lib.so --input x=x.npy --output DIR\n"
      "  attnc verify MODEL [--target=cpu,vulkan] [--bisect]\n"
      "  attnc bench MODEL --target=cpu\n\n"
      "MODEL is a .json model spec, an .mlir file in the attn dialect or an "
      ".onnx file.\n'attnc COMMAND --help' lists a command's options.\n");

  MLIRContext context;
  registerModelDialects(context);
  context.printOpOnDiagnostic(false);
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  context.getDiagEngine().registerHandler(printNamedDiagnostic);

  if (precision != "f32" && precision != "f16")
    return fail("unknown --precision=" + precision + " (expected f32 or f16)");
  if (precision == "f16") {
    llvm::SmallVector<llvm::StringRef> targets;
    llvm::StringRef(targetName).split(targets, ',', -1, false);
    if (llvm::any_of(targets, [](llvm::StringRef t) { return t.trim() == "cpu"; }))
      return fail("--precision=f16 is for the vulkan target: the cpu target "
                  "computes and stores f32 (it runs f16 models through an "
                  "f32 copy)");
  }
  if (compileCmd)
    return runCompile(context);
  if (runCmd)
    return runModel(context);
  if (verifyCmd)
    return runVerify(context);
  if (benchCmd)
    return runBench(context);
  llvm::errs() << "attnc: error: expected a command: compile, run, verify or "
                  "bench (see attnc --help)\n";
  return 1;
}
