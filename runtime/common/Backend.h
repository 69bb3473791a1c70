//===- Backend.h - what a target runtime provides to the C ABI --*- C++ -*-===//
//
// The C ABI in Abi.cpp is the same for every target; a target's runtime
// (runtime/cpu, runtime/vulkan) supplies createBackend, which builds the
// object that uploads weights, plans buffers and runs the kernels.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_RUNTIME_COMMON_BACKEND_H
#define ATTNC_RUNTIME_COMMON_BACKEND_H

#include "runtime/Model.h"
#include "runtime/common/ModelInfo.h"

#include <memory>
#include <string>

namespace attnc::rt {

/// One model instance on one target.
class Backend {
public:
  virtual ~Backend() = default;
  /// What the instance runs on ("cpu: 2 threads, avx512f", ...).
  virtual std::string describeDevice() const = 0;
  /// Runs once. Inputs and outputs are already checked against the model's
  /// description and passed in declaration order; on failure `error` says
  /// why.
  virtual attnc_status run(const void *const *inputs, void *const *outputs,
                           std::string &error) = 0;
  /// Device time of the last run in ms, negative when unknown.
  virtual double lastRunMs() const { return -1.0; }
};

/// Implemented by each target runtime: creates an instance for the model
/// `info` describes, or returns null with `status` and `error` set.
std::unique_ptr<Backend> createBackend(const attnc_rt_model_info &info,
                                       const attnc_options &options,
                                       attnc_status &status,
                                       std::string &error);

} // namespace attnc::rt

#endif // ATTNC_RUNTIME_COMMON_BACKEND_H
