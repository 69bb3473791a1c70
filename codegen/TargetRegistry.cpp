//===- TargetRegistry.cpp - creating targets by name ----------------------===//
//
// The table of code generators built into attnc and the --emit spellings.
//
//===----------------------------------------------------------------------===//

#include "codegen/Target.h"
#include "codegen/cpu/CpuTarget.h"
#include "codegen/vulkan/VulkanTarget.h"

#include "llvm/ADT/StringSwitch.h"

using namespace attnc;

namespace {
struct TargetEntry {
  const char *name;
  std::unique_ptr<Target> (*create)();
};

/// Every target this attnc was built with.
const std::vector<TargetEntry> &targets() {
  static const std::vector<TargetEntry> table = {
#define ATTNC_TARGET(NAME, FACTORY) {NAME, FACTORY},
#include "codegen/Targets.def"
  };
  return table;
}
} // namespace

std::optional<EmitKind> attnc::parseEmitKind(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<EmitKind>>(name)
      .Case("mlir", EmitKind::Mlir)
      .Case("llvm", EmitKind::Llvm)
      .Case("asm", EmitKind::Asm)
      .Case("glsl", EmitKind::Glsl)
      .Case("spirv", EmitKind::Spirv)
      .Case("lib", EmitKind::Library)
      .Default(std::nullopt);
}

llvm::StringRef attnc::emitKindName(EmitKind kind) {
  switch (kind) {
  case EmitKind::Mlir: return "mlir";
  case EmitKind::Llvm: return "llvm";
  case EmitKind::Asm: return "asm";
  case EmitKind::Glsl: return "glsl";
  case EmitKind::Spirv: return "spirv";
  case EmitKind::Library: return "lib";
  }
  return "?";
}

std::vector<std::string> attnc::getTargetNames() {
  std::vector<std::string> names;
  for (const TargetEntry &entry : targets())
    names.push_back(entry.name);
  return names;
}

llvm::Expected<std::unique_ptr<Target>> attnc::createTarget(llvm::StringRef name) {
  for (const TargetEntry &entry : targets())
    if (name == entry.name)
      return entry.create();
  std::vector<std::string> names = getTargetNames();
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(), "unknown target '%s' (this attnc has: %s)",
      name.str().c_str(),
      names.empty() ? "none" : llvm::join(names, ", ").c_str());
}
