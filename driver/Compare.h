//===- Compare.h - comparing results against a reference -------*- C++ -*-===//
//
// Elementwise error statistics between a result and its reference, judged
// against a Tolerance from support/Tolerances.h.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DRIVER_COMPARE_H
#define ATTNC_DRIVER_COMPARE_H

#include "support/Tolerances.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>

namespace attnc {

/// How far `got` is from `expected`.
struct ErrorStats {
  double maxAbs = 0;    ///< max |got - expected|
  double maxRel = 0;    ///< max |got - expected| / max(|expected|, floor),
                        ///< floor = 1e-3 * max |expected| (no blow-up at 0)
  double excess = 0;    ///< max |got - expected| / (atol + rtol * |expected|)
  int64_t worst = -1;   ///< index of the element with the largest excess
  double worstGot = 0, worstExpected = 0;
  bool sizeMismatch = false;
  /// True when every element is within the tolerance (NaN never is).
  bool passed = true;
};

/// Compares elementwise; NaN or inf where the reference is finite fails.
ErrorStats compareValues(llvm::ArrayRef<double> got,
                         llvm::ArrayRef<double> expected, Tolerance tolerance);

/// "max abs 1.2e-07  max rel 3.4e-06" (+ the worst element when it failed).
void printStats(llvm::raw_ostream &os, const ErrorStats &stats);

} // namespace attnc

#endif // ATTNC_DRIVER_COMPARE_H
