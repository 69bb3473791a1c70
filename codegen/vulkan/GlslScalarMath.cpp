//===- GlslScalarMath.cpp - the Vulkan target's scalar primitives ---------===//
//
// The primitives whose GLSL depends on the operands' kind.
//
//===----------------------------------------------------------------------===//

#include "codegen/vulkan/GlslScalarMath.h"

#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

using namespace attnc;
using namespace attnc::vk;
using ops::ScalarKind;

GlslScalar GlslScalarMath::constant(const Value &like, double v) const {
  std::string text;
  llvm::raw_string_ostream os(text);
  if (like.kind == ScalarKind::Float) {
    os << llvm::format("%.17g", v);
    if (os.str().find_first_of(".e") == std::string::npos)
      os << ".0";
  } else if (like.kind == ScalarKind::Int) {
    os << static_cast<int64_t>(v);
  } else {
    os << (v != 0 ? "true" : "false");
  }
  return {os.str(), like.kind};
}

GlslScalar GlslScalarMath::pow(const Value &x, const Value &y) const {
  // C's pow for negative bases; an exact integer power.
  return call(x.kind == ScalarKind::Float ? "attncPow" : "attncIPow", x, y);
}

GlslScalar GlslScalarMath::max(const Value &x, const Value &y) const {
  if (x.kind == ScalarKind::Bool)
    return logicalOr(x, y);
  // GLSL's max is undefined for NaN; attncMax propagates it.
  return call(x.kind == ScalarKind::Float ? "attncMax" : "max", x, y);
}

GlslScalar GlslScalarMath::min(const Value &x, const Value &y) const {
  if (x.kind == ScalarKind::Bool)
    return logicalAnd(x, y);
  return call(x.kind == ScalarKind::Float ? "attncMin" : "min", x, y);
}

GlslScalar GlslScalarMath::compare(mlir::attn::CompareKind kind, const Value &x,
                                   const Value &y) const {
  static const char *symbols[] = {"==", "!=", "<", "<=", ">", ">="};
  std::string l = x.text, r = y.text;
  if (x.kind == ScalarKind::Bool) {
    l = "uint(" + l + ")";
    r = "uint(" + r + ")";
  }
  return {"(" + l + " " + symbols[static_cast<int>(kind)] + " " + r + ")",
          ScalarKind::Bool};
}

GlslScalar GlslScalarMath::isNaN(const Value &x) const {
  if (x.kind != ScalarKind::Float)
    return {"false", ScalarKind::Bool};
  return {"isnan(" + x.text + ")", ScalarKind::Bool};
}

GlslScalar GlslScalarMath::convert(const Value &x) const {
  ScalarKind to = resultKind;
  if (to == x.kind)
    return x;
  if (to == ScalarKind::Bool)
    return {"(" + x.text +
                (x.kind == ScalarKind::Float ? " != 0.0)" : " != 0)"),
            to};
  if (x.kind == ScalarKind::Bool)
    return {"(" + x.text +
                (to == ScalarKind::Float ? " ? 1.0 : 0.0)" : " ? 1 : 0)"),
            to};
  return {(to == ScalarKind::Float ? "float(" : "int(") + x.text + ")", to};
}
