//===- ModelConventions.cpp - how a module describes a model --------------===//

#include "ir/ModelConventions.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

namespace {

constexpr llvm::StringLiteral kNameAttr = "attn.name";
constexpr llvm::StringLiteral kModelNameAttr = "attn.model_name";

std::string nameOr(DictionaryAttr attrs, llvm::StringRef fallback,
                   unsigned index) {
  if (attrs)
    if (auto name = attrs.getAs<StringAttr>(kNameAttr))
      return name.str();
  return (fallback + llvm::Twine(index)).str();
}

} // namespace

llvm::Expected<func::FuncOp> attn::findEntryFunction(ModuleOp module) {
  func::FuncOp found;
  int publicCount = 0;
  for (auto func : module.getOps<func::FuncOp>()) {
    if (func.getSymName() == kEntryFunctionName)
      return func;
    if (func.isPublic() && !func.isExternal()) {
      ++publicCount;
      found = func;
    }
  }
  if (publicCount == 1)
    return found;
  return llvm::createStringError(
      llvm::inconvertibleErrorCode(),
      llvm::Twine(publicCount == 0
                      ? "the module has no public function with a body"
                      : "the module has several public functions") +
          "; name the entry function @" + kEntryFunctionName);
}

func::FuncOp attn::getEntryFunction(ModuleOp module) {
  llvm::Expected<func::FuncOp> entry = findEntryFunction(module);
  if (entry)
    return *entry;
  emitError(module.getLoc()) << llvm::toString(entry.takeError());
  return nullptr;
}

std::string attn::getInputName(func::FuncOp func, unsigned index) {
  return nameOr(func.getArgAttrDict(index), "input", index);
}

std::string attn::getOutputName(func::FuncOp func, unsigned index) {
  return nameOr(func.getResultAttrDict(index), "output", index);
}

void attn::setInputName(func::FuncOp func, unsigned index,
                        llvm::StringRef name) {
  func.setArgAttr(index, kNameAttr, StringAttr::get(func.getContext(), name));
}

void attn::setOutputName(func::FuncOp func, unsigned index,
                         llvm::StringRef name) {
  func.setResultAttr(index, kNameAttr,
                     StringAttr::get(func.getContext(), name));
}

std::string attn::getModelName(ModuleOp module) {
  if (auto name = module->getAttrOfType<StringAttr>(kModelNameAttr))
    return name.str();
  return "model";
}

void attn::setModelName(ModuleOp module, llvm::StringRef name) {
  module->setAttr(kModelNameAttr, StringAttr::get(module.getContext(), name));
}
