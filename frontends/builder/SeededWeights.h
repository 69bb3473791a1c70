//===- SeededWeights.h - deterministic random weights ----------*- C++ -*-===//
//
// A WeightSource drawing N(0, std) values from splitmix64 + Box-Muller, seeded
// per weight by (seed, name): the numbers depend neither on the C++ library's
// distributions nor on the order in which weights are requested.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_BUILDER_SEEDEDWEIGHTS_H
#define ATTNC_FRONTENDS_BUILDER_SEEDEDWEIGHTS_H

#include "frontends/builder/WeightSource.h"

namespace attnc {

/// Seeded normal weights: matrices, embeddings and biases ~ N(0, std); norm
/// scales ~ 1 + N(0, std); norm biases ~ N(0, std).
class SeededWeights : public WeightSource {
public:
  SeededWeights(uint64_t seed, double std) : seed(seed), stddev(std) {}

  mlir::LogicalResult load(llvm::StringRef name, llvm::ArrayRef<int64_t> shape,
                           WeightRoleKind role,
                           llvm::MutableArrayRef<float> out) override;

private:
  uint64_t seed;
  double stddev;
};

/// One splitmix64 step: advances `state` and returns the next 64 bits.
uint64_t splitMix64(uint64_t &state);

} // namespace attnc

#endif // ATTNC_FRONTENDS_BUILDER_SEEDEDWEIGHTS_H
