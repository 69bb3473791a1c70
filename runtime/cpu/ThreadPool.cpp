//===- ThreadPool.cpp - the CPU runtime's worker threads ------------------===//
//
// Workers wait for a new job generation, take chunks of tasks until none
// are left, and report when done; the calling thread works too, so a pool
// of one thread is a plain loop.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/ThreadPool.h"

#include <algorithm>
#include <cstdlib>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define ATTNC_PAUSE() _mm_pause()
#else
#define ATTNC_PAUSE() ((void)0)
#endif

using namespace attnc::rt;

namespace {
/// Pauses before a worker sleeps (well under a millisecond): long enough to
/// cover the gap between two kernels of one run, short enough not to hold a
/// shared core for long after a run.
constexpr int kSpinIterations = 20000;
} // namespace

void ThreadPool::FreeDeleter::operator()(void *p) const { std::free(p); }

ThreadPool::ThreadPool(int threads, int64_t scratchBytes) {
  threads = std::max(threads, 1);
  size_t bytes =
      static_cast<size_t>((std::max<int64_t>(scratchBytes, 64) + 63) / 64 * 64);
  for (int i = 0; i < threads; ++i) {
    void *p = std::aligned_alloc(64, bytes);
    if (!p) {
      ok = false;
      return;
    }
    scratch.emplace_back(p);
  }
  for (int i = 1; i < threads; ++i)
    workers.emplace_back([this, i] { workerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mutex);
    stopping.store(true);
    generation.fetch_add(1);
  }
  wake.notify_all();
  for (std::thread &t : workers)
    t.join();
}

void ThreadPool::work(void *workerScratch) {
  for (;;) {
    int64_t begin = nextTask.fetch_add(jobChunk, std::memory_order_relaxed);
    if (begin >= jobTasks)
      return;
    jobFn(jobArgs, begin, std::min(begin + jobChunk, jobTasks), workerScratch);
  }
}

void ThreadPool::workerLoop(int index) {
  uint64_t seen = 0;
  for (;;) {
    uint64_t current = generation.load(std::memory_order_acquire);
    for (int spin = 0; current == seen && spin < kSpinIterations; ++spin) {
      ATTNC_PAUSE();
      current = generation.load(std::memory_order_acquire);
    }
    if (current == seen) {
      std::unique_lock<std::mutex> lock(mutex);
      sleepers.fetch_add(1);
      wake.wait(lock, [&] { return generation.load() != seen || stopping; });
      sleepers.fetch_sub(1);
      current = generation.load();
    }
    seen = current;
    if (stopping.load())
      return;
    work(scratch[index].get());
    busyWorkers.fetch_sub(1, std::memory_order_acq_rel);
  }
}

void ThreadPool::run(attnc_cpu_task_fn fn, const void *args, int64_t tasks) {
  if (tasks <= 0)
    return;
  if (workers.empty() || tasks == 1) {
    fn(args, 0, tasks, scratch[0].get());
    return;
  }
  jobFn = fn;
  jobArgs = args;
  jobTasks = tasks;
  // Several chunks per thread keep the load even without making the shared
  // counter hot.
  jobChunk = std::max<int64_t>(1, tasks / (8 * numThreads()));
  nextTask.store(0, std::memory_order_relaxed);
  busyWorkers.store(static_cast<int>(workers.size()),
                    std::memory_order_relaxed);
  generation.fetch_add(1); // seq_cst: pairs with a sleeper's registration
  if (sleepers.load() > 0) {
    { std::lock_guard<std::mutex> lock(mutex); }
    wake.notify_all();
  }
  work(scratch[0].get());
  for (int spin = 0; busyWorkers.load(std::memory_order_acquire) != 0; ++spin) {
    if (spin < kSpinIterations)
      ATTNC_PAUSE();
    else
      std::this_thread::yield();
  }
}
