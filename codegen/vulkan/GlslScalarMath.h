//===- GlslScalarMath.h - the Vulkan target's scalar primitives -*- C++ -*-===//
//
// The scalar math ops::evaluate() prints elementwise ops as GLSL with: each
// value a GLSL expression and its scalar kind (floats are computed in
// `float` whatever the storage). Primitives GLSL lacks or leaves undefined
// call the helpers of shaders/math.glsl.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_VULKAN_GLSLSCALARMATH_H
#define ATTNC_CODEGEN_VULKAN_GLSLSCALARMATH_H

#include "ops/Elementwise.h"

#include <string>

namespace attnc::vk {

/// A GLSL expression and the kind of scalar it computes.
struct GlslScalar {
  std::string text;
  ops::ScalarKind kind = ops::ScalarKind::Float;
};

/// Prints each primitive as a parenthesised GLSL expression.
class GlslScalarMath {
public:
  using Value = GlslScalar;

  /// `resultKind` is what convert() produces.
  explicit GlslScalarMath(ops::ScalarKind resultKind)
      : resultKind(resultKind) {}

  Value constant(const Value &like, double v) const;
  Value add(const Value &x, const Value &y) const { return infix(x, "+", y); }
  Value sub(const Value &x, const Value &y) const { return infix(x, "-", y); }
  Value mul(const Value &x, const Value &y) const { return infix(x, "*", y); }
  Value div(const Value &x, const Value &y) const { return infix(x, "/", y); }
  Value pow(const Value &x, const Value &y) const;
  Value max(const Value &x, const Value &y) const;
  Value min(const Value &x, const Value &y) const;
  Value neg(const Value &x) const { return {"(-" + x.text + ")", x.kind}; }
  Value abs(const Value &x) const { return call("abs", x); }
  Value exp(const Value &x) const { return call("exp", x); }
  Value log(const Value &x) const { return call("log", x); }
  Value tanh(const Value &x) const { return call("attncTanh", x); }
  Value erf(const Value &x) const { return call("attncErf", x); }
  Value sqrt(const Value &x) const { return call("sqrt", x); }
  Value logicalAnd(const Value &x, const Value &y) const {
    return infix(x, "&&", y);
  }
  Value logicalOr(const Value &x, const Value &y) const {
    return infix(x, "||", y);
  }
  Value logicalNot(const Value &x) const {
    return {"(!" + x.text + ")", ops::ScalarKind::Bool};
  }
  Value compare(mlir::attn::CompareKind kind, const Value &x,
                const Value &y) const;
  Value isNaN(const Value &x) const;
  Value select(const Value &cond, const Value &t, const Value &f) const {
    return {"(" + cond.text + " ? " + t.text + " : " + f.text + ")", t.kind};
  }
  Value convert(const Value &x) const;

private:
  static Value infix(const Value &x, const char *op, const Value &y) {
    return {"(" + x.text + " " + op + " " + y.text + ")", x.kind};
  }
  static Value call(const char *fn, const Value &x) {
    return {std::string(fn) + "(" + x.text + ")", x.kind};
  }
  static Value call(const char *fn, const Value &x, const Value &y) {
    return {std::string(fn) + "(" + x.text + ", " + y.text + ")", x.kind};
  }

  ops::ScalarKind resultKind;
};

} // namespace attnc::vk

#endif // ATTNC_CODEGEN_VULKAN_GLSLSCALARMATH_H
