//===- SeededWeights.cpp - deterministic random weights -------------------===//
//
// splitmix64 for the bits, Box-Muller for the normal deviates, FNV-1a of the
// weight name mixed into the seed so each weight has its own stream.
//
//===----------------------------------------------------------------------===//

#include "frontends/builder/SeededWeights.h"

#include <cmath>

using namespace attnc;

uint64_t attnc::splitMix64(uint64_t &state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

namespace {

uint64_t fnv1a(llvm::StringRef text) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// A uniform double in (0, 1]: never 0, so log() in Box-Muller is finite.
double uniform(uint64_t &state) {
  return static_cast<double>((splitMix64(state) >> 11) + 1) * 0x1.0p-53;
}

} // namespace

mlir::LogicalResult SeededWeights::load(llvm::StringRef name,
                                        llvm::ArrayRef<int64_t>,
                                        WeightRoleKind role,
                                        llvm::MutableArrayRef<float> out) {
  uint64_t state = seed ^ fnv1a(name);
  double offset = role == WeightRoleKind::NormScale ? 1.0 : 0.0;
  // Box-Muller yields deviates in pairs; both are used.
  for (size_t i = 0; i < out.size(); i += 2) {
    double r = std::sqrt(-2.0 * std::log(uniform(state)));
    double theta = 2.0 * M_PI * uniform(state);
    out[i] = static_cast<float>(offset + stddev * r * std::cos(theta));
    if (i + 1 < out.size())
      out[i + 1] = static_cast<float>(offset + stddev * r * std::sin(theta));
  }
  return mlir::success();
}
