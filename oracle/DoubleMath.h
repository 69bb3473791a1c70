//===- DoubleMath.h - the oracle's scalar primitives -----------*- C++ -*-===//
//
// The scalar math ops::evaluate() builds the oracle's elementwise results
// with: every value a double, computed with C's <cmath>. Integers are whole
// doubles and booleans 0 or 1.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_ORACLE_DOUBLEMATH_H
#define ATTNC_ORACLE_DOUBLEMATH_H

#include "oracle/Kernels.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

namespace attnc::kernels {

/// Scalars in double; `operands` says whether they hold integers (integer
/// division and powers) and `to` what convert() produces.
struct DoubleMath {
  using Value = double;
  ops::ScalarKind operands = ops::ScalarKind::Float;
  CastKind to = CastKind::ToFloat;

  static double flag(bool v) { return v ? 1.0 : 0.0; }
  bool integers() const { return operands != ops::ScalarKind::Float; }

  double constant(double, double v) { return v; }
  double add(double a, double b) { return a + b; }
  double sub(double a, double b) { return a - b; }
  double mul(double a, double b) { return a * b; }
  double div(double a, double b) {
    if (!integers())
      return a / b;
    // Exact in integers; values past ±2^63 (not exact in fp64 anyway)
    // cannot be converted. The caller rules out a zero divisor.
    if (std::fabs(a) < 9.2e18 && std::fabs(b) < 9.2e18)
      return static_cast<double>(static_cast<int64_t>(a) /
                                 static_cast<int64_t>(b));
    return std::trunc(a / b);
  }
  double pow(double a, double b) { return std::pow(a, b); }
  double max(double a, double b) {
    return std::isnan(a) || std::isnan(b) ? nan() : std::max(a, b);
  }
  double min(double a, double b) {
    return std::isnan(a) || std::isnan(b) ? nan() : std::min(a, b);
  }
  double neg(double a) { return -a; }
  double abs(double a) { return std::fabs(a); }
  double exp(double a) { return std::exp(a); }
  double log(double a) { return std::log(a); }
  double tanh(double a) { return std::tanh(a); }
  double erf(double a) { return std::erf(a); }
  double sqrt(double a) { return std::sqrt(a); }
  double logicalAnd(double a, double b) { return flag(a != 0 && b != 0); }
  double logicalOr(double a, double b) { return flag(a != 0 || b != 0); }
  double logicalNot(double a) { return flag(a == 0); }
  double isNaN(double a) { return flag(std::isnan(a)); }
  double select(double cond, double t, double f) { return cond != 0 ? t : f; }
  double compare(mlir::attn::CompareKind kind, double a, double b) {
    using mlir::attn::CompareKind;
    switch (kind) {
    case CompareKind::eq:
      return flag(a == b);
    case CompareKind::ne:
      return flag(a != b);
    case CompareKind::lt:
      return flag(a < b);
    case CompareKind::le:
      return flag(a <= b);
    case CompareKind::gt:
      return flag(a > b);
    case CompareKind::ge:
      return flag(a >= b);
    }
    llvm_unreachable("unknown CompareKind");
  }
  /// The oracle does not model storage precision; cast() checks the range
  /// of integer targets before converting.
  double convert(double a) {
    switch (to) {
    case CastKind::ToFloat:
      return a;
    case CastKind::ToBool:
      return flag(a != 0);
    case CastKind::ToI32:
    case CastKind::ToI64:
      return std::trunc(a);
    }
    llvm_unreachable("unknown CastKind");
  }

private:
  static double nan() { return std::numeric_limits<double>::quiet_NaN(); }
};

} // namespace attnc::kernels

#endif // ATTNC_ORACLE_DOUBLEMATH_H
