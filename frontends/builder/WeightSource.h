//===- WeightSource.h - where a builder gets its weights -------*- C++ -*-===//
//
// The interface the graph builder loads named weights through: seeded random
// values (SeededWeights) or tensors of a file (the spec front end's
// safetensors source). A source reports a missing or misshapen weight itself.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_BUILDER_WEIGHTSOURCE_H
#define ATTNC_FRONTENDS_BUILDER_WEIGHTSOURCE_H

#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>

namespace attnc {

/// What a weight is for, so that generated values look like a trained
/// model's (norm scales near one rather than near zero).
enum class WeightRoleKind { Matrix, Bias, Embedding, NormScale, NormBias };

/// Supplies the row-major f32 values of named weights.
class WeightSource {
public:
  virtual ~WeightSource() = default;

  /// Fills `out` (sized to the product of `shape`) with weight `name`.
  /// Emits an error naming the weight and fails when it is missing or has
  /// another shape.
  virtual mlir::LogicalResult load(llvm::StringRef name,
                                   llvm::ArrayRef<int64_t> shape,
                                   WeightRoleKind role,
                                   llvm::MutableArrayRef<float> out) = 0;
};

} // namespace attnc

#endif // ATTNC_FRONTENDS_BUILDER_WEIGHTSOURCE_H
