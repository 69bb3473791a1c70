//===- ThreadPool.h - the CPU runtime's worker threads ---------*- C++ -*-===//
//
// A fixed set of workers created once per model instance, each with its own
// scratch memory. A parallel call hands out task chunks from one atomic
// counter, so uneven tasks (causal attention rows) still balance; idle
// workers spin briefly, then sleep on a condition variable.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_CPU_THREADPOOL_H
#define ATTNC_RUNTIME_CPU_THREADPOOL_H

#include "runtime/cpu/CpuAbi.h"

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace attnc::rt {

class ThreadPool {
public:
  /// Starts `threads - 1` workers (the caller of run is the first) and
  /// allocates `scratchBytes` of scratch for each. Check valid() after.
  ThreadPool(int threads, int64_t scratchBytes);
  ~ThreadPool();
  ThreadPool(const ThreadPool &) = delete;
  ThreadPool &operator=(const ThreadPool &) = delete;

  /// False when a scratch allocation failed.
  bool valid() const { return ok; }
  int numThreads() const { return static_cast<int>(scratch.size()); }

  /// Runs tasks [0, tasks) of `fn` and returns when all are done.
  void run(attnc_cpu_task_fn fn, const void *args, int64_t tasks);

private:
  struct FreeDeleter {
    void operator()(void *p) const;
  };
  void workerLoop(int index);
  void work(void *workerScratch);

  std::vector<std::unique_ptr<void, FreeDeleter>> scratch;
  std::vector<std::thread> workers;
  bool ok = true;

  // The current job; written by run() only while no worker reads it.
  attnc_cpu_task_fn jobFn = nullptr;
  const void *jobArgs = nullptr;
  int64_t jobTasks = 0, jobChunk = 1;
  std::atomic<int64_t> nextTask{0};
  std::atomic<int> busyWorkers{0};
  std::atomic<uint64_t> generation{0};

  std::mutex mutex;
  std::condition_variable wake;
  std::atomic<int> sleepers{0};
  std::atomic<bool> stopping{false};
};

} // namespace attnc::rt

#endif // ATTNC_RUNTIME_CPU_THREADPOOL_H
