//===- Bench.cpp - attnc bench: timing a compiled model -------------------===//

#include "driver/Bench.h"

#include "codegen/cpu/CpuTarget.h"
#include "driver/Inputs.h"
#include "driver/LoadedModel.h"
#include "ir/AttnOps.h"
#include "ir/ModelConventions.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/Path.h"

#include <algorithm>
#include <chrono>
#include <thread>

using namespace mlir;
using namespace attnc;

double attnc::countFlops(func::FuncOp func) {
  double flops = 0;
  func.walk([&](Operation *op) {
    if (auto matmul = dyn_cast<attn::MatmulOp>(op)) {
      auto out = matmul.getType().cast<RankedTensorType>();
      auto lhs = matmul.getLhs().getType().cast<RankedTensorType>();
      int64_t k = matmul.getTransposeLhs() ? lhs.getShape()[lhs.getRank() - 2]
                                           : lhs.getShape().back();
      flops += 2.0 * out.getNumElements() * k;
    } else if (auto attention = dyn_cast<attn::AttentionOp>(op)) {
      auto q = attention.getQuery().getType().cast<RankedTensorType>();
      auto k = attention.getKey().getType().cast<RankedTensorType>();
      if (attention.isPacked())
        return; // split-heads runs before code generation
      int64_t b = q.getDimSize(0), h = q.getDimSize(1), sq = q.getDimSize(2),
              d = q.getDimSize(3), sk = k.getDimSize(2);
      double pairs = 0;
      int64_t offset = attention.getCausal() == attn::CausalKind::bottom_right
                           ? sk - sq
                           : 0;
      for (int64_t i = 0; i < sq; ++i)
        pairs += attention.getCausal() == attn::CausalKind::none
                     ? sk
                     : std::clamp<int64_t>(i + offset + 1, 0, sk);
      flops += 4.0 * b * h * d * pairs;
    }
  });
  return flops;
}

namespace {

using Clock = std::chrono::steady_clock;

typedef float Vec16 __attribute__((vector_size(64)));
typedef float Vec8 __attribute__((vector_size(32)));
typedef float Vec4 __attribute__((vector_size(16)));

/// Independent FMA chains, enough of them to keep two FMA pipes busy.
template <typename vec, int Width>
__attribute__((always_inline)) inline double fmaLoop(long iterations) {
  vec acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = vec{} + 1.0f + i * 1e-3f;
  vec a = vec{} + 0.999999f, b = vec{} + 1e-7f;
  for (long it = 0; it < iterations; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = acc[i] * a + b;
  float sum = 0;
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < Width; ++j)
      sum += acc[i][j];
  return sum;
}

__attribute__((target("avx512f"))) double fmaAvx512(long n) {
  return fmaLoop<Vec16, 16>(n);
}
__attribute__((target("avx2,fma"))) double fmaAvx2(long n) {
  return fmaLoop<Vec8, 8>(n);
}

/// The vector width the FMA loop uses for `vectorBits`: at most what this
/// CPU has.
unsigned fmaBits(unsigned vectorBits) {
  if (vectorBits >= 512 && __builtin_cpu_supports("avx512f"))
    return 512;
  if (vectorBits >= 256 && __builtin_cpu_supports("avx2") &&
      __builtin_cpu_supports("fma"))
    return 256;
  return 128;
}

double runFma(unsigned bits, long n) {
  if (bits == 512)
    return fmaAvx512(n);
  if (bits == 256)
    return fmaAvx2(n);
  return fmaLoop<Vec4, 4>(n);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// Warms up, then times `reps` runs; returns the median in ms.
llvm::Expected<double> timeRuns(LoadedModel &model,
                                const std::vector<HostTensor> &inputs,
                                int reps, bool deviceTime) {
  for (int i = 0; i < 3; ++i)
    if (llvm::Expected<std::vector<HostTensor>> r = model.run(inputs); !r)
      return r.takeError();
  std::vector<double> times;
  for (int i = 0; i < std::max(reps, 1); ++i) {
    auto start = Clock::now();
    if (llvm::Expected<std::vector<HostTensor>> r = model.run(inputs); !r)
      return r.takeError();
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - start)
                    .count();
    double device = model.getLastRunMs();
    times.push_back(deviceTime && device >= 0 ? device : ms);
  }
  return median(times);
}

} // namespace

double attnc::measurePeakGflops(int threads, unsigned vectorBits) {
  unsigned bits = fmaBits(vectorBits);
  unsigned n = threads > 0 ? threads : std::thread::hardware_concurrency();
  const long iterations = 20'000'000;
  std::vector<std::thread> pool;
  auto start = Clock::now();
  // The sums are stored so the loops cannot be optimised away.
  std::vector<double> sums(n);
  for (unsigned t = 0; t < n; ++t)
    pool.emplace_back([&, t] { sums[t] = runFma(bits, iterations); });
  for (std::thread &t : pool)
    t.join();
  double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  static volatile double sink;
  for (double s : sums)
    sink = sink + s;
  // 12 chains of bits / 32 lanes, two FLOPs per FMA.
  double flopsPerIteration = 12.0 * (bits / 32) * 2;
  return n * iterations * flopsPerIteration / seconds * 1e-9;
}

LogicalResult attnc::benchModel(ModuleOp module, const BenchOptions &options,
                                llvm::raw_ostream &os) {
  func::FuncOp entry = attn::getEntryFunction(module);
  if (!entry)
    return failure();
  llvm::Expected<std::unique_ptr<Target>> target = createTarget(options.target);
  if (!target) {
    llvm::errs() << "attnc: error: " << llvm::toString(target.takeError())
                 << "\n";
    return failure();
  }
  llvm::SmallString<128> dir;
  if (llvm::sys::fs::createUniqueDirectory("attnc-bench", dir))
    return failure();
  auto cleanup = llvm::make_scope_exit([&] { llvm::sys::fs::remove_directories(dir); });
  llvm::SmallString<128> library(dir);
  llvm::sys::path::append(library, "libmodel.so");
  if (llvm::Error error =
          (*target)->compileLibrary(module, library, options.compile)) {
    llvm::errs() << "attnc: error: " << llvm::toString(std::move(error)) << "\n";
    return failure();
  }
  llvm::Expected<std::vector<HostTensor>> inputs =
      collectInputs(entry, options.inputSpecs, options.seed);
  llvm::Expected<std::unique_ptr<LoadedModel>> model =
      LoadedModel::load(library, options.runtime);
  if (!inputs || !model) {
    llvm::errs() << "attnc: error: "
                 << llvm::toString(inputs ? model.takeError()
                                          : inputs.takeError())
                 << "\n";
    return failure();
  }
  bool gpu = options.target == "vulkan";
  llvm::Expected<double> ms = timeRuns(**model, *inputs, options.reps, gpu);
  if (!ms) {
    llvm::errs() << "attnc: error: " << llvm::toString(ms.takeError()) << "\n";
    return failure();
  }
  double gflops = countFlops(entry) / (*ms * 1e-3) * 1e-9;
  os << "device: " << (*model)->getDevice() << "\n";
  os << "median " << llvm::format("%.3f", *ms) << " ms over " << options.reps
     << (gpu ? " runs (GPU timestamps)" : " runs") << ", "
     << llvm::format("%.1f", gflops) << " GFLOP/s";
  if (!gpu) {
    // The peak at the vector width the library's code uses (--cpu).
    llvm::Expected<unsigned> bits = getCpuVectorBits(options.compile.cpu);
    if (!bits) {
      llvm::errs() << "attnc: error: " << llvm::toString(bits.takeError())
                   << "\n";
      return failure();
    }
    unsigned measured = fmaBits(*bits);
    double peak = measurePeakGflops(options.runtime.num_threads, measured);
    os << ", " << llvm::format("%.0f", 100.0 * gflops / peak)
       << "% of the measured " << measured << "-bit FMA peak ("
       << llvm::format("%.0f", peak) << " GFLOP/s)";
  }
  os << "\n";
  return success();
}

LogicalResult attnc::benchLibrary(llvm::StringRef path,
                                  const BenchOptions &options,
                                  llvm::raw_ostream &os) {
  llvm::Expected<std::unique_ptr<LoadedModel>> model =
      LoadedModel::load(path, options.runtime);
  if (!model) {
    llvm::errs() << "attnc: error: " << llvm::toString(model.takeError())
                 << "\n";
    return failure();
  }
  std::vector<HostTensor> inputs;
  for (const TensorDesc &d : (*model)->getInputs())
    inputs.emplace_back(d.dtype, d.shape);
  bool gpu = (*model)->getTarget() == "vulkan";
  llvm::Expected<double> ms = timeRuns(**model, inputs, options.reps, gpu);
  if (!ms) {
    llvm::errs() << "attnc: error: " << llvm::toString(ms.takeError()) << "\n";
    return failure();
  }
  os << "device: " << (*model)->getDevice() << "\nmedian "
     << llvm::format("%.3f", *ms) << " ms over " << options.reps
     << " runs (zero inputs; compile from the model for GFLOP/s)\n";
  return success();
}
