//===- LoadedModel.h - running a compiled model library --------*- C++ -*-===//
//
// Opens a library attnc compiled (any target), checks its ABI version and
// runs it on HostTensors through the C ABI of runtime/Model.h.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DRIVER_LOADEDMODEL_H
#define ATTNC_DRIVER_LOADEDMODEL_H

#include "runtime/Model.h"
#include "support/HostTensor.h"

#include "llvm/Support/Error.h"

#include <memory>
#include <string>
#include <vector>

namespace attnc {

/// One input or output as the library describes it.
struct TensorDesc {
  std::string name;
  DTypeKind dtype;
  llvm::SmallVector<int64_t, 4> shape;
};

/// A dlopen-ed model library with one model instance.
class LoadedModel {
public:
  /// Loads `path` and creates an instance with `options`.
  static llvm::Expected<std::unique_ptr<LoadedModel>>
  load(llvm::StringRef path, const attnc_options &options);
  ~LoadedModel();

  const std::string &getTarget() const { return target; }
  const std::string &getDevice() const { return device; }
  const std::vector<TensorDesc> &getInputs() const { return inputs; }
  const std::vector<TensorDesc> &getOutputs() const { return outputs; }

  /// Runs once; inputs in declaration order.
  llvm::Expected<std::vector<HostTensor>> run(llvm::ArrayRef<HostTensor> in);
  /// Device time of the last run (ms), negative when unknown.
  double getLastRunMs() const;

private:
  struct Api;
  LoadedModel() = default;
  void *handle = nullptr;
  std::unique_ptr<Api> api;
  attnc_model *model = nullptr;
  std::string target, device;
  std::vector<TensorDesc> inputs, outputs;
};

} // namespace attnc

#endif // ATTNC_DRIVER_LOADEDMODEL_H
