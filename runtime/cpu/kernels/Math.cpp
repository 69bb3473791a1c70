//===- Math.cpp - fp32 math entry points for generated loops --------------===//
//
// The functions codegen/cpu calls from elementwise loop nests. They live in
// the bitcode library, so after linking into a model module they inline
// into the loops and vectorise with them.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/kernels/Math.h"

extern "C" {
float attnc_m_expf(float x) { return attnc::math::exp(x); }
float attnc_m_logf(float x) { return attnc::math::log(x); }
float attnc_m_tanhf(float x) { return attnc::math::tanh(x); }
float attnc_m_erff(float x) { return attnc::math::erf(x); }
float attnc_m_powf(float x, float y) { return attnc::math::pow(x, y); }
}
