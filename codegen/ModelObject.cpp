//===- ModelObject.cpp - the model's constant data as an object file ------===//

#include "codegen/ModelObject.h"

#include "ir/AttnOps.h"
#include "ir/ModelConventions.h"
#include "runtime/Model.h"

#include "mlir/IR/AsmState.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/DialectResourceBlobManager.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/Host.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"

using namespace mlir;
using namespace attnc;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

} // namespace

int32_t attnc::getAbiDtype(Type elementType) {
  if (elementType.isF16())
    return ATTNC_F16;
  if (elementType.isF32())
    return ATTNC_F32;
  if (elementType.isF64())
    return ATTNC_F64;
  if (elementType.isInteger(1))
    return ATTNC_BOOL;
  if (elementType.isInteger(32))
    return ATTNC_I32;
  return ATTNC_I64;
}

int64_t attnc::getAbiElementBytes(Type elementType) {
  return elementType.isInteger(1) ? 1 : elementType.getIntOrFloatBitWidth() / 8;
}

llvm::Expected<std::string> attnc::getConstantBytes(attn::ConstantOp op) {
  auto opError = [&](const llvm::Twine &message) {
    std::string text;
    llvm::raw_string_ostream os(text);
    os << op.getLoc() << ": '" << op->getName() << "': " << message;
    return makeError(os.str());
  };
  ElementsAttr value = op.getValue();
  auto type = value.getType().cast<RankedTensorType>();
  int64_t count = type.getNumElements();
  int64_t width = getAbiElementBytes(type.getElementType());
  if (auto resource = value.dyn_cast<DenseResourceElementsAttr>()) {
    const AsmResourceBlob *blob = resource.getRawHandle().getBlob();
    if (!blob)
      return opError("dense_resource '" + resource.getRawHandle().getKey() +
                     "' has no data (elided when printed?)");
    ArrayRef<char> data = blob->getData();
    if (static_cast<int64_t>(data.size()) != count * width)
      return opError("dense_resource holds " + llvm::Twine(data.size()) +
                     " bytes, the type needs " + llvm::Twine(count * width));
    return std::string(data.data(), data.size());
  }
  auto dense = value.dyn_cast<DenseElementsAttr>();
  if (!dense)
    return opError("only dense and dense_resource constants can be compiled");
  std::string bytes;
  if (type.getElementType().isInteger(1)) {
    bytes.reserve(count);
    for (bool b : dense.getValues<bool>())
      bytes.push_back(b ? 1 : 0);
    return bytes;
  }
  ArrayRef<char> raw = dense.getRawData();
  if (dense.isSplat()) {
    bytes.reserve(count * width);
    for (int64_t i = 0; i < count; ++i)
      bytes.append(raw.data(), width);
    return bytes;
  }
  return std::string(raw.data(), raw.size());
}

void attnc::addModelInfo(llvm::Module &module, func::FuncOp func,
                         llvm::StringRef modelName, llvm::StringRef target) {
  llvm::LLVMContext &context = module.getContext();
  llvm::IRBuilder<> b(context);
  llvm::PointerType *ptrTy = llvm::PointerType::getUnqual(context);
  auto *tensorTy = llvm::StructType::create(
      context, {ptrTy, b.getInt32Ty(), b.getInt32Ty(), ptrTy},
      "attnc_rt_tensor_info");
  auto infos = [&](bool input) -> llvm::Constant * {
    unsigned count = input ? func.getNumArguments() : func.getNumResults();
    std::vector<llvm::Constant *> entries;
    for (unsigned i = 0; i < count; ++i) {
      auto type =
          (input ? func.getArgumentTypes()[i] : func.getResultTypes()[i])
              .cast<RankedTensorType>();
      std::string prefix =
          (input ? "attnc.in." : "attnc.out.") + std::to_string(i);
      llvm::Constant *name = addStringConstant(
          module,
          input ? attn::getInputName(func, i) : attn::getOutputName(func, i),
          prefix + ".name");
      std::vector<uint64_t> dims(type.getShape().begin(),
                                 type.getShape().end());
      auto *shapeInit = llvm::ConstantDataArray::get(context, dims);
      auto *shape = new llvm::GlobalVariable(module, shapeInit->getType(), true,
                                             llvm::GlobalValue::PrivateLinkage,
                                             shapeInit, prefix + ".shape");
      entries.push_back(llvm::ConstantStruct::get(
          tensorTy, {name, b.getInt32(getAbiDtype(type.getElementType())),
                     b.getInt32(type.getRank()), shape}));
    }
    if (entries.empty())
      return llvm::ConstantPointerNull::get(ptrTy);
    auto *arrayTy = llvm::ArrayType::get(tensorTy, entries.size());
    return new llvm::GlobalVariable(module, arrayTy, true,
                                    llvm::GlobalValue::PrivateLinkage,
                                    llvm::ConstantArray::get(arrayTy, entries),
                                    input ? "attnc.inputs" : "attnc.outputs");
  };
  auto *infoTy =
      llvm::StructType::create(context,
                               {b.getInt32Ty(), ptrTy, ptrTy, b.getInt32Ty(),
                                b.getInt32Ty(), ptrTy, ptrTy},
                               "attnc_rt_model_info");
  llvm::Constant *fields[] = {
      b.getInt32(ATTNC_ABI_VERSION),
      addStringConstant(module, modelName, "attnc.model_name"),
      addStringConstant(module, target, "attnc.target"),
      b.getInt32(func.getNumArguments()),
      b.getInt32(func.getNumResults()),
      infos(true),
      infos(false)};
  new llvm::GlobalVariable(
      module, infoTy, true, llvm::GlobalValue::ExternalLinkage,
      llvm::ConstantStruct::get(infoTy, fields), "attnc_rt_info");
}

llvm::GlobalVariable *attnc::addStringConstant(llvm::Module &module,
                                               llvm::StringRef text,
                                               const llvm::Twine &name) {
  auto *init =
      llvm::ConstantDataArray::getString(module.getContext(), text, true);
  auto *g =
      new llvm::GlobalVariable(module, init->getType(), true,
                               llvm::GlobalValue::PrivateLinkage, init, name);
  g->setUnnamedAddr(llvm::GlobalValue::UnnamedAddr::Global);
  return g;
}

void attnc::addByteArray(llvm::Module &module, llvm::StringRef symbol,
                         llvm::StringRef bytes, unsigned alignment) {
  llvm::LLVMContext &context = module.getContext();
  auto *init = llvm::ConstantDataArray::getRaw(bytes, bytes.size(),
                                               llvm::Type::getInt8Ty(context));
  auto *data = new llvm::GlobalVariable(module, init->getType(), true,
                                        llvm::GlobalValue::ExternalLinkage,
                                        init, symbol);
  data->setAlignment(llvm::Align(alignment));
  auto *size =
      llvm::ConstantInt::get(llvm::Type::getInt64Ty(context), bytes.size());
  new llvm::GlobalVariable(module, size->getType(), true,
                           llvm::GlobalValue::ExternalLinkage, size,
                           symbol + "_size");
}

llvm::Expected<const llvm::Target *> attnc::getHostTarget() {
  static bool initialised = [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    return true;
  }();
  (void)initialised;
  std::string triple = llvm::sys::getProcessTriple();
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError("no LLVM target for this host (" + triple + "): " + error);
  return target;
}

llvm::Expected<std::string> attnc::emitHostObject(llvm::Module &module) {
  llvm::Expected<const llvm::Target *> target = getHostTarget();
  if (!target)
    return target.takeError();
  std::string triple = llvm::sys::getProcessTriple();
  std::unique_ptr<llvm::TargetMachine> machine((*target)->createTargetMachine(
      triple, "generic", "", llvm::TargetOptions(), llvm::Reloc::PIC_));
  if (!machine)
    return makeError("cannot create an LLVM target machine for " + triple);
  module.setTargetTriple(triple);
  module.setDataLayout(machine->createDataLayout());
  llvm::SmallVector<char, 0> object;
  llvm::raw_svector_ostream os(object);
  llvm::legacy::PassManager passes;
  if (machine->addPassesToEmitFile(passes, os, nullptr, llvm::CGFT_ObjectFile))
    return makeError("LLVM cannot emit an object file for " + triple);
  passes.run(module);
  return std::string(object.data(), object.size());
}
