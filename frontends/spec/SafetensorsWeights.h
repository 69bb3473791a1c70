//===- SafetensorsWeights.h - weights from a .safetensors file -*- C++ -*-===//
//
// A WeightSource reading f32 (or F64/F16/BF16, converted) tensors by name from
// a SafetensorsFile. A missing or misshapen tensor is reported at the spec
// location that named the file.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_SPEC_SAFETENSORSWEIGHTS_H
#define ATTNC_FRONTENDS_SPEC_SAFETENSORSWEIGHTS_H

#include "frontends/builder/WeightSource.h"
#include "frontends/spec/Safetensors.h"

#include "mlir/IR/Location.h"

namespace attnc {

/// Weights looked up by name in a safetensors file.
class SafetensorsWeights : public WeightSource {
public:
  /// `displayName` names the file in messages; errors are emitted at `loc`.
  SafetensorsWeights(SafetensorsFile file, std::string displayName,
                     mlir::Location loc)
      : file(std::move(file)), displayName(std::move(displayName)), loc(loc) {}

  mlir::LogicalResult load(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                           WeightRoleKind role,
                           llvm::MutableArrayRef<float> out) override;

private:
  SafetensorsFile file;
  std::string displayName;
  mlir::Location loc;
};

} // namespace attnc

#endif // ATTNC_FRONTENDS_SPEC_SAFETENSORSWEIGHTS_H
