//===- KernelTestUtils.h - helpers of the CPU kernel tests ------*- C++ -*-===//
//
// Seeded random values, running a kernel's tasks on two threads with their
// own scratch, and an element-wise comparison against the oracle that keeps
// the worst element (index and both values) for the failure message.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TESTS_UNIT_KERNELS_KERNELTESTUTILS_H
#define ATTNC_TESTS_UNIT_KERNELS_KERNELTESTUTILS_H

#include "support/Tolerances.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

// The kernel library's register blocking, which prefixes the test names
// (the tests run once per blocking).
#ifndef ATTNC_KERNEL_BLOCKING
#define ATTNC_KERNEL_BLOCKING Kernels
#endif

namespace attnc::kernel_test {

/// What buffers hold before a kernel runs, so stray writes show.
constexpr float kSentinel = 1234.5f;

class Random {
public:
  explicit Random(uint64_t seed) : engine(seed) {}
  float uniform(float lo, float hi) {
    return std::uniform_real_distribution<float>(lo, hi)(engine);
  }

private:
  std::mt19937_64 engine;
};

/// Runs tasks [0, tasks) as a model library does: two workers, each with its
/// own 64-byte aligned scratch, the first taking the first half of the tasks
/// one call at a time, the second the rest in one call.
inline void
runOnTwoThreads(int64_t tasks, int64_t scratchBytes,
                const std::function<void(int64_t, int64_t, void *)> &fn) {
  size_t bytes = size_t(scratchBytes + 63) / 64 * 64 + 64;
  void *scratch[2] = {std::aligned_alloc(64, bytes),
                      std::aligned_alloc(64, bytes)};
  int64_t half = tasks / 2;
  std::thread second([&] { fn(half, tasks, scratch[1]); });
  for (int64_t t = 0; t < half; ++t)
    fn(t, t + 1, scratch[0]);
  second.join();
  std::free(scratch[0]);
  std::free(scratch[1]);
}

/// Compares elements as |got - want| <= atol + rtol·|want| and remembers
/// the worst one relative to its allowance.
class Comparison {
public:
  /// `name` is the compared tensor's name in messages.
  Comparison(Tolerance tol, std::string name)
      : tol(tol), name(std::move(name)) {}

  /// `index` names the element in the failure message (e.g. b, h, i, d).
  void check(double got, double want, std::vector<int64_t> index) {
    ++count;
    double allowed = tol.atol + tol.rtol * std::fabs(want);
    double ratio = std::fabs(got - want) / allowed;
    if (std::isnan(got) || std::isnan(ratio))
      ratio = INFINITY;
    note(ratio > 1, ratio, got, want, std::move(index), "");
  }
  /// got must equal want exactly (and not be NaN); `why` goes in the
  /// failure message.
  void exact(double got, double want, std::vector<int64_t> index,
             const char *why) {
    ++count;
    bool bad = !(got == want);
    note(bad, bad ? INFINITY : 0, got, want, std::move(index), why);
  }

  ::testing::AssertionResult result() const {
    if (failures == 0)
      return ::testing::AssertionSuccess();
    std::ostringstream os;
    os.precision(9);
    os << failures << " of " << count << " elements out of tolerance (atol "
       << tol.atol << ", rtol " << tol.rtol << "); worst at " << name << "[";
    for (size_t i = 0; i < worstIndex.size(); ++i)
      os << (i ? ", " : "") << worstIndex[i];
    os << "]" << worstWhy << ": got " << worstGot << ", expected " << worstWant;
    return ::testing::AssertionFailure() << os.str();
  }

private:
  void note(bool bad, double ratio, double got, double want,
            std::vector<int64_t> index, const char *why) {
    failures += bad;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worstGot = got;
      worstWant = want;
      worstIndex = std::move(index);
      worstWhy = why;
    }
  }

  Tolerance tol;
  std::string name;
  int64_t count = 0, failures = 0;
  double worstRatio = -1, worstGot = 0, worstWant = 0;
  std::vector<int64_t> worstIndex;
  std::string worstWhy;
};

/// Elements of `buffer` not marked in `written` that no longer hold the
/// sentinel.
inline int64_t countStrayWrites(const std::vector<float> &buffer,
                                const std::vector<bool> &written) {
  int64_t stray = 0;
  for (size_t i = 0; i < buffer.size(); ++i)
    stray += !written[i] && buffer[i] != kSentinel;
  return stray;
}

} // namespace attnc::kernel_test

#endif // ATTNC_TESTS_UNIT_KERNELS_KERNELTESTUTILS_H
