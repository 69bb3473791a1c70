//===- SafetensorsWeights.cpp - weights from a .safetensors file ----------===//
//
// Looks each weight up by its module path, checks the shape and converts the
// data; a missing name suggests the closest name in the file.
//
//===----------------------------------------------------------------------===//

#include "frontends/spec/SafetensorsWeights.h"

#include "ir/ShapeUtils.h"

#include "mlir/IR/Diagnostics.h"

using namespace mlir;
using namespace attnc;

/// The name in `names` closest to `name` by edit distance, if any is close.
static std::string closestName(StringRef name,
                               const std::vector<std::string> &names) {
  std::string best;
  unsigned bestDistance = name.size() / 3 + 1;
  for (const std::string &candidate : names) {
    unsigned d =
        name.edit_distance(candidate, /*AllowReplacements=*/true, bestDistance);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return best;
}

LogicalResult SafetensorsWeights::load(StringRef name, ArrayRef<int64_t> shape,
                                       WeightRoleKind,
                                       MutableArrayRef<float> out) {
  const SafetensorsTensor *tensor = file.find(name);
  if (!tensor) {
    InFlightDiagnostic diag = emitError(loc)
                              << "weights file '" << displayName
                              << "' has no tensor '" << name << "' (expected "
                              << attn::formatShape(shape) << ")";
    std::string near = closestName(name, file.names());
    if (!near.empty())
      diag << "; did you mean '" << near << "'?";
    return failure();
  }
  if (ArrayRef<int64_t>(tensor->shape) != shape)
    return emitError(loc) << "tensor '" << name << "' in weights file '"
                          << displayName << "' has shape "
                          << attn::formatShape(tensor->shape) << ", expected "
                          << attn::formatShape(shape);
  if (llvm::Error err = file.readAsF32(*tensor, out))
    return emitError(loc) << "tensor '" << name << "' in weights file '"
                          << displayName << "': " << toString(std::move(err));
  return success();
}
