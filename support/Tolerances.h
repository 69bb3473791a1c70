//===- Tolerances.h - every numeric tolerance attnc checks with -*- C++ -*-===//
//
// The one place tolerances are decided; docs/tolerances.md explains each.
// An element passes when |got - expected| <= atol + rtol * |expected|.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_SUPPORT_TOLERANCES_H
#define ATTNC_SUPPORT_TOLERANCES_H

namespace attnc {

struct Tolerance {
  double atol;
  double rtol;
};

/// The fp64 oracle against PyTorch in float64 on the same graph: both are
/// exact up to fp64 rounding.
constexpr Tolerance kOracleVsTorchTolerance = {1e-9, 1e-9};

/// The oracle on a graph before and after the pipeline. Fusion keeps the
/// math but stores scales and folded constants in the graph's element type
/// (f32), which moves results by a few f32 ulps of the scores.
constexpr Tolerance kPipelineTolerance = {1e-5, 1e-5};

/// The fp64 oracle on an imported ONNX model against PyTorch running the
/// same model in float32 (tests/onnx): torch's float32 rounding and
/// summation order through a few layers, about 1e-6 here, with headroom for
/// deeper models.
constexpr Tolerance kOnnxVsTorchTolerance = {1e-4, 1e-4};

/// A compiled fp32 target against the fp64 oracle: fp32 storage and
/// accumulation, a different summation order and fast exp.
constexpr Tolerance kFp32TargetTolerance = {2e-4, 2e-4};

/// Anything stored in half precision against the fp64 oracle: an f16 model
/// or graph on a target, an f32 model run with --precision=f16, or the
/// oracle on a graph whose constants the pipeline rounded to f16. Each
/// stored tensor carries a rounding of up to 2^-11 relative, and a model
/// chains several of them (docs/tolerances.md).
constexpr Tolerance kF16Tolerance = {2e-2, 2e-2};

} // namespace attnc

#endif // ATTNC_SUPPORT_TOLERANCES_H
