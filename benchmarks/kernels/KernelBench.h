//===- KernelBench.h - helpers of the CPU kernel benchmarks -----*- C++ -*-===//
//
// What the attention and matmul kernel benchmarks share: a persistent worker
// pool that runs a kernel's tasks the way a model library does (an atomic
// task counter, one scratch buffer per worker), a wait for an idle machine,
// median timing and command-line parsing.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_BENCHMARKS_KERNELS_KERNELBENCH_H
#define ATTNC_BENCHMARKS_KERNELS_KERNELBENCH_H

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace attnc::bench {

inline double now() {
  return std::chrono::duration<double>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

/// 64-byte aligned, zero-filled floats (or bytes) freed with std::free.
inline void *alignedAlloc(size_t bytes) {
  size_t rounded = (bytes + 63) / 64 * 64;
  void *p = std::aligned_alloc(64, rounded ? rounded : 64);
  std::memset(p, 0, rounded);
  return p;
}

/// Runs `tasks` tasks on `threads` threads (the caller is worker 0), each
/// worker with its own scratch: either every worker takes one task at a
/// time from an atomic counter (dynamic), or worker w runs the w-th
/// contiguous range of tasks in one call (static). The workers spin between
/// runs so a run's start costs no wakeup.
class WorkerPool {
public:
  using Body = std::function<void(int64_t begin, int64_t end, void *scratch)>;

  WorkerPool(int threads, int64_t scratchBytes, bool dynamic = true)
      : threads(threads), dynamic(dynamic) {
    for (int w = 0; w < threads; ++w)
      scratch.push_back(alignedAlloc(scratchBytes));
    for (int w = 1; w < threads; ++w)
      workers.emplace_back([this, w] { workerLoop(w); });
  }
  ~WorkerPool() {
    stop.store(true);
    generation.fetch_add(1);
    for (std::thread &t : workers)
      t.join();
    for (void *p : scratch)
      std::free(p);
  }

  void run(int64_t numTasks, const Body &fn) {
    body = &fn;
    total = numTasks;
    next.store(0);
    pending.store(threads - 1);
    generation.fetch_add(1, std::memory_order_release);
    work(0);
    while (pending.load(std::memory_order_acquire) != 0)
      std::this_thread::yield();
  }

private:
  void work(int w) {
    if (!dynamic) {
      int64_t begin = total * w / threads, end = total * (w + 1) / threads;
      if (begin < end)
        (*body)(begin, end, scratch[w]);
      return;
    }
    for (;;) {
      int64_t begin = next.fetch_add(1);
      if (begin >= total)
        return;
      (*body)(begin, begin + 1, scratch[w]);
    }
  }
  void workerLoop(int w) {
    uint64_t seen = 0;
    for (;;) {
      uint64_t g;
      while ((g = generation.load(std::memory_order_acquire)) == seen)
        std::this_thread::yield();
      seen = g;
      if (stop.load())
        return;
      work(w);
      pending.fetch_sub(1, std::memory_order_release);
    }
  }

  int threads;
  bool dynamic;
  std::vector<void *> scratch;
  std::vector<std::thread> workers;
  const Body *body = nullptr;
  int64_t total = 0;
  std::atomic<int64_t> next{0};
  std::atomic<int> pending{0};
  std::atomic<uint64_t> generation{0};
  std::atomic<bool> stop{false};
};

/// CPU seconds used by every process on the machine (from /proc/stat).
inline double machineBusySeconds() {
  FILE *f = std::fopen("/proc/stat", "r");
  if (!f)
    return 0;
  unsigned long long u = 0, n = 0, s = 0, idle = 0, iow = 0, irq = 0, sirq = 0;
  int got = std::fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu", &u, &n, &s,
                        &idle, &iow, &irq, &sirq);
  std::fclose(f);
  if (got != 7)
    return 0;
  return double(u + n + s + irq + sirq) / sysconf(_SC_CLK_TCK);
}

/// Waits (at most `maxWait` seconds) until other processes use less than a
/// tenth of a core: timings taken while someone compiles are low.
inline void waitIdle(double maxWait = 30) {
  double start = now();
  while (now() - start < maxWait) {
    double b0 = machineBusySeconds();
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
    if (machineBusySeconds() - b0 < 0.025)
      return;
  }
  std::fprintf(stderr, "warning: machine busy, measuring anyway\n");
}

inline double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Median seconds of `fn` over at least `minReps` runs and `minTime`
/// seconds, after two warm-up runs.
inline double timeMedian(const std::function<void()> &fn, int minReps,
                         double minTime) {
  fn();
  fn();
  std::vector<double> t;
  double start = now();
  while (int(t.size()) < minReps ||
         (now() - start < minTime && t.size() < 1000)) {
    double a = now();
    fn();
    t.push_back(now() - a);
  }
  return median(t);
}

/// Independent FMA chains (12 of 16 lanes: enough to keep two FMA pipes
/// busy) for `iterations` steps; returns a sum so the loop is kept.
__attribute__((noinline)) inline float fmaChains(long iterations) {
  typedef float v16 __attribute__((vector_size(64)));
  v16 acc[12];
  for (int i = 0; i < 12; ++i)
    acc[i] = v16{} + 1.0f + i * 1e-3f;
  v16 a = v16{} + 0.999999f, b = v16{} + 1e-7f;
  for (long it = 0; it < iterations; ++it)
    for (int i = 0; i < 12; ++i)
      acc[i] = acc[i] * a + b;
  float sum = 0;
  for (int i = 0; i < 12; ++i)
    for (int j = 0; j < 16; ++j)
      sum += acc[i][j];
  return sum;
}

/// The machine's 16-lane FMA peak in GFLOP/s on `threads` threads (the
/// loop `attnc bench` times), the median of 5 runs.
inline double measureFmaPeak(int threads) {
  const long iterations = 10'000'000;
  std::vector<double> runs;
  for (int r = 0; r < 5; ++r) {
    std::vector<float> sums(threads);
    std::vector<std::thread> pool;
    double start = now();
    for (int t = 0; t < threads; ++t)
      pool.emplace_back([&, t] { sums[t] = fmaChains(iterations); });
    for (std::thread &t : pool)
      t.join();
    double sec = now() - start;
    static volatile float sink;
    for (float s : sums)
      sink = sink + s;
    runs.push_back(threads * iterations * 12.0 * 16 * 2 / sec * 1e-9);
  }
  std::sort(runs.begin(), runs.end());
  return runs[runs.size() / 2];
}

/// "2,1" -> {2, 1}.
inline std::vector<int> parseList(const char *s) {
  std::vector<int> out;
  for (const char *p = s; *p;) {
    out.push_back(std::atoi(p));
    while (*p && *p != ',')
      ++p;
    if (*p == ',')
      ++p;
  }
  return out;
}

/// "350,175" -> {350, 175}.
inline std::vector<double> parseDoubles(const char *s) {
  std::vector<double> out;
  for (const char *p = s; *p;) {
    out.push_back(std::atof(p));
    while (*p && *p != ',')
      ++p;
    if (*p == ',')
      ++p;
  }
  return out;
}

/// Deterministic values in [-1, 1).
inline void fillRandom(float *p, int64_t n, uint64_t seed) {
  uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
  for (int64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    p[i] = float(int64_t(x >> 40) - (1ll << 23)) / float(1 << 23);
  }
}

} // namespace attnc::bench

#endif // ATTNC_BENCHMARKS_KERNELS_KERNELBENCH_H
