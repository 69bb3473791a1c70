//===- Backend.cpp - the CPU runtime behind the C ABI ---------------------===//
//
// createBackend for CPU model libraries: one arena and one thread pool with
// per-worker scratch, sized by the generated object and allocated once at
// create; run calls the generated attnc_cpu_run over the caller's buffers
// and reports the first run-time error a kernel recorded.
//
//===----------------------------------------------------------------------===//

#include "runtime/common/Backend.h"
#include "runtime/cpu/CpuAbi.h"
#include "runtime/cpu/ThreadPool.h"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <mutex>
#include <sched.h>
#include <system_error>

struct attnc_cpu_context {
  attnc::rt::ThreadPool *pool = nullptr;
  std::atomic<int32_t> failed{0};
  std::mutex errorMutex;
  std::string error;
};

extern "C" void attnc_cpu_parallel(attnc_cpu_context *ctx, attnc_cpu_task_fn fn,
                                   const void *args, int64_t tasks) {
  ctx->pool->run(fn, args, tasks);
}

extern "C" void attnc_cpu_fail(attnc_cpu_context *ctx, const char *what,
                               int64_t index, int64_t limit) {
  std::lock_guard<std::mutex> lock(ctx->errorMutex);
  if (ctx->failed.exchange(1))
    return;
  ctx->error = std::string(what) + ": index " + std::to_string(index) +
               " is out of range [" + std::to_string(-limit) + ", " +
               std::to_string(limit) + ")";
}

extern "C" int32_t attnc_cpu_failed(attnc_cpu_context *ctx) {
  return ctx->failed.load(std::memory_order_relaxed);
}

namespace {

/// The most worker threads a model takes (more than any machine's cores; a
/// larger request is a mistake, not a tuning).
constexpr int kMaxThreads = 1024;

/// The cores this process may run on.
int availableCores() {
  cpu_set_t set;
  if (sched_getaffinity(0, sizeof(set), &set) == 0)
    return std::max(CPU_COUNT(&set), 1);
  return std::max<int>(std::thread::hardware_concurrency(), 1);
}

/// The extensions in `required` (comma-separated) that this CPU lacks.
std::string missingFeatures(const std::string &required) {
  __builtin_cpu_init();
  struct Feature {
    const char *name;
    bool present;
  };
  // __builtin_cpu_supports takes string literals only, hence the table.
  const Feature known[] = {
      {"sse4.2", __builtin_cpu_supports("sse4.2") != 0},
      {"popcnt", __builtin_cpu_supports("popcnt") != 0},
      {"avx", __builtin_cpu_supports("avx") != 0},
      {"avx2", __builtin_cpu_supports("avx2") != 0},
      {"fma", __builtin_cpu_supports("fma") != 0},
      {"f16c", __builtin_cpu_supports("f16c") != 0},
      {"bmi", __builtin_cpu_supports("bmi") != 0},
      {"bmi2", __builtin_cpu_supports("bmi2") != 0},
      {"avx512f", __builtin_cpu_supports("avx512f") != 0},
      {"avx512cd", __builtin_cpu_supports("avx512cd") != 0},
      {"avx512bw", __builtin_cpu_supports("avx512bw") != 0},
      {"avx512dq", __builtin_cpu_supports("avx512dq") != 0},
      {"avx512vl", __builtin_cpu_supports("avx512vl") != 0},
      {"avx512vnni", __builtin_cpu_supports("avx512vnni") != 0},
      {"avx512bf16", __builtin_cpu_supports("avx512bf16") != 0},
      {"avx512fp16", __builtin_cpu_supports("avx512fp16") != 0},
      {"avx512ifma", __builtin_cpu_supports("avx512ifma") != 0},
      {"avx512vbmi", __builtin_cpu_supports("avx512vbmi") != 0},
      {"avx512vbmi2", __builtin_cpu_supports("avx512vbmi2") != 0},
      {"avx512bitalg", __builtin_cpu_supports("avx512bitalg") != 0},
      {"avx512vpopcntdq", __builtin_cpu_supports("avx512vpopcntdq") != 0}};
  std::string missing;
  size_t begin = 0;
  while (begin < required.size()) {
    size_t end = required.find(',', begin);
    if (end == std::string::npos)
      end = required.size();
    std::string name = required.substr(begin, end - begin);
    for (const Feature &f : known)
      if (name == f.name && !f.present)
        missing += (missing.empty() ? "" : ", ") + name;
    begin = end + 1;
  }
  return missing;
}

struct FreeDeleter {
  void operator()(void *p) const { std::free(p); }
};

class CpuBackend : public attnc::rt::Backend {
public:
  CpuBackend(int threads, int64_t scratchBytes) : pool(threads, scratchBytes) {
    context.pool = &pool;
  }

  bool allocate() {
    if (!pool.valid())
      return false;
    size_t bytes = static_cast<size_t>((attnc_cpu_arena_bytes + 63) / 64 * 64);
    arena.reset(std::aligned_alloc(64, bytes ? bytes : 64));
    return arena != nullptr;
  }

  std::string describeDevice() const override {
    int n = pool.numThreads();
    return "cpu: " + std::to_string(n) + (n == 1 ? " thread, " : " threads, ") +
           "code for " + attnc_cpu_target_cpu;
  }

  attnc_status run(const void *const *inputs, void *const *outputs,
                   std::string &error) override {
    context.failed.store(0);
    context.error.clear();
    auto start = std::chrono::steady_clock::now();
    int32_t result = attnc_cpu_run(&context, inputs, outputs, arena.get());
    lastMs = std::chrono::duration<double, std::milli>(
                 std::chrono::steady_clock::now() - start)
                 .count();
    if (result == 0 && !context.failed.load())
      return ATTNC_OK;
    error = context.error.empty() ? "a kernel failed" : context.error;
    return ATTNC_ERROR_RUNTIME;
  }

  double lastRunMs() const override { return lastMs; }

private:
  attnc::rt::ThreadPool pool;
  attnc_cpu_context context;
  std::unique_ptr<void, FreeDeleter> arena;
  double lastMs = -1.0;
};

} // namespace

std::unique_ptr<attnc::rt::Backend>
attnc::rt::createBackend(const attnc_rt_model_info &,
                         const attnc_options &options, attnc_status &status,
                         std::string &error) {
  if (options.num_threads < 0 || options.num_threads > kMaxThreads) {
    status = ATTNC_ERROR_INVALID_ARGUMENT;
    error = "num_threads must be in [0, " + std::to_string(kMaxThreads) +
            "] (0 = all cores), got " + std::to_string(options.num_threads);
    return nullptr;
  }
  std::string missing = missingFeatures(attnc_cpu_required_features);
  if (!missing.empty()) {
    status = ATTNC_ERROR_DEVICE;
    error = std::string("this library was compiled for ") +
            attnc_cpu_target_cpu + " and uses " + missing +
            ", which this CPU lacks; compile it again on this machine "
            "(--cpu=native) or for an older CPU (e.g. --cpu=x86-64-v3)";
    return nullptr;
  }
  int threads = options.num_threads ? options.num_threads : availableCores();
  std::unique_ptr<CpuBackend> backend;
  try {
    backend = std::make_unique<CpuBackend>(threads, attnc_cpu_scratch_bytes());
  } catch (const std::system_error &e) {
    status = ATTNC_ERROR_RUNTIME;
    error = "cannot start " + std::to_string(threads) +
            " worker threads: " + e.what();
    return nullptr;
  }
  if (!backend->allocate()) {
    status = ATTNC_ERROR_OUT_OF_MEMORY;
    error = "cannot allocate the arena (" +
            std::to_string(attnc_cpu_arena_bytes) + " bytes) or scratch";
    return nullptr;
  }
  return backend;
}
