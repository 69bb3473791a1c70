//===- Compare.cpp - comparing results against a reference ----------------===//

#include "driver/Compare.h"

#include "llvm/Support/Format.h"

#include <cmath>

using namespace attnc;

ErrorStats attnc::compareValues(llvm::ArrayRef<double> got,
                                llvm::ArrayRef<double> expected,
                                Tolerance tolerance) {
  ErrorStats stats;
  if (got.size() != expected.size()) {
    stats.sizeMismatch = true;
    stats.passed = false;
    return stats;
  }
  double scale = 0;
  for (double e : expected)
    if (std::isfinite(e))
      scale = std::max(scale, std::fabs(e));
  double floor = std::max(1e-3 * scale, 1e-30);
  for (size_t i = 0; i < got.size(); ++i) {
    double g = got[i], e = expected[i];
    double diff;
    if (g == e) // also equal infinities
      diff = 0;
    else if (std::isnan(g) || std::isnan(e) || std::isinf(g) || std::isinf(e))
      diff = INFINITY;
    else
      diff = std::fabs(g - e);
    double excess = diff / (tolerance.atol + tolerance.rtol * std::fabs(e));
    stats.maxAbs = std::max(stats.maxAbs, diff);
    stats.maxRel = std::max(stats.maxRel, diff / std::max(std::fabs(e), floor));
    if (excess > stats.excess || stats.worst < 0) {
      stats.excess = excess;
      stats.worst = static_cast<int64_t>(i);
      stats.worstGot = g;
      stats.worstExpected = e;
    }
  }
  stats.passed = stats.excess <= 1.0;
  return stats;
}

void attnc::printStats(llvm::raw_ostream &os, const ErrorStats &stats) {
  if (stats.sizeMismatch) {
    os << "size mismatch";
    return;
  }
  os << "max abs " << llvm::format("%.2e", stats.maxAbs) << "  max rel "
     << llvm::format("%.2e", stats.maxRel);
  if (!stats.passed)
    os << "  (worst at flat index " << stats.worst << ": got "
       << llvm::format("%.9g", stats.worstGot) << ", expected "
       << llvm::format("%.9g", stats.worstExpected) << ")";
}
