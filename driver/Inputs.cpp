//===- Inputs.cpp - model inputs from .npy files or a seed ----------------===//

#include "driver/Inputs.h"

#include "ir/AttnOps.h"
#include "ir/ModelConventions.h"
#include "ir/ShapeUtils.h"
#include "support/Npy.h"

#include <cmath>

using namespace mlir;
using namespace attnc;

namespace {

/// splitmix64: deterministic on every platform, unlike <random>'s
/// distributions.
struct Rng {
  uint64_t state;
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  double uniform() { return (next() >> 11) * (1.0 / 9007199254740992.0); }
  double normal() {
    double u1 = uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2.0 * M_PI * u2);
  }
};

/// The number of rows a value indexes when it feeds a gather (through
/// reshapes and casts), else 0.
int64_t gatherRows(Value value) {
  for (OpOperand &use : value.getUses()) {
    Operation *user = use.getOwner();
    if (auto gather = dyn_cast<attn::GatherOp>(user)) {
      if (use.getOperandNumber() != 1)
        continue;
      auto table = gather.getTable().getType().cast<RankedTensorType>();
      return table.getDimSize(
          *attn::normalizeAxis(gather.getAxis(), table.getRank()));
    }
    if (isa<attn::ReshapeOp, attn::CastOp>(user))
      if (int64_t rows = gatherRows(user->getResult(0)))
        return rows;
  }
  return 0;
}

} // namespace

std::string attnc::describeTensorType(llvm::ArrayRef<int64_t> shape,
                                      DTypeKind dtype) {
  return attn::formatShape(shape) + " " + dtypeName(dtype).str();
}

HostTensor attnc::makeSeededInput(func::FuncOp func, unsigned index,
                                  uint64_t seed) {
  auto type = func.getArgument(index).getType().cast<RankedTensorType>();
  DTypeKind dtype = *dtypeFromType(type.getElementType());
  HostTensor t(dtype, type.getShape());
  Rng rng{seed * 1000003u + index};
  int64_t n = t.numElements();
  bool isFloat = dtype == DTypeKind::F16 || dtype == DTypeKind::F32 ||
                 dtype == DTypeKind::F64;
  if (isFloat) {
    for (int64_t i = 0; i < n; ++i)
      t.setFromDouble(i, rng.normal());
    return t;
  }
  if (int64_t rows = gatherRows(func.getArgument(index))) {
    for (int64_t i = 0; i < n; ++i)
      t.setFromDouble(i, static_cast<double>(rng.next() % rows));
    return t;
  }
  // A keep mask: row r of the last axis keeps its first len - pad(r) entries.
  int64_t last = type.getRank() ? type.getShape().back() : 1;
  for (int64_t i = 0; i < n; ++i) {
    int64_t row = i / std::max<int64_t>(last, 1), col = i % std::max<int64_t>(last, 1);
    int64_t pad = (row % 2) * (last / 4);
    t.setFromDouble(i, col < last - pad || col == 0 ? 1.0 : 0.0);
  }
  return t;
}

llvm::Expected<std::vector<HostTensor>>
attnc::collectInputs(func::FuncOp func, llvm::ArrayRef<std::string> specs,
                     uint64_t seed, bool requireAll) {
  unsigned count = func.getNumArguments();
  std::vector<std::string> names;
  for (unsigned i = 0; i < count; ++i)
    names.push_back(attn::getInputName(func, i));
  std::vector<std::optional<HostTensor>> given(count);
  for (const std::string &spec : specs) {
    auto [name, path] = llvm::StringRef(spec).split('=');
    if (path.empty())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "--input '%s': expected NAME=FILE.npy", spec.c_str());
    auto it = llvm::find(names, name);
    if (it == names.end())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "--input '%s': the model has no input named '%s' (inputs: %s)",
          spec.c_str(), name.str().c_str(),
          llvm::join(names, ", ").c_str());
    unsigned index = it - names.begin();
    llvm::Expected<HostTensor> tensor = readNpy(path);
    if (!tensor)
      return tensor.takeError();
    auto type = func.getArgument(index).getType().cast<RankedTensorType>();
    DTypeKind dtype = *dtypeFromType(type.getElementType());
    if (tensor->dtype != dtype ||
        llvm::ArrayRef<int64_t>(tensor->shape) != type.getShape())
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          "input '%s' (%s): expected %s, got %s", name.str().c_str(),
          path.str().c_str(), describeTensorType(type.getShape(), dtype).c_str(),
          describeTensorType(tensor->shape, tensor->dtype).c_str());
    given[index] = std::move(*tensor);
  }
  std::vector<HostTensor> inputs;
  for (unsigned i = 0; i < count; ++i) {
    if (given[i]) {
      inputs.push_back(std::move(*given[i]));
      continue;
    }
    if (requireAll)
      return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                     "missing --input %s=FILE.npy",
                                     names[i].c_str());
    auto type = func.getArgument(i).getType().cast<RankedTensorType>();
    DTypeKind dtype = *dtypeFromType(type.getElementType());
    double bytes = static_cast<double>(dtypeSize(dtype));
    for (int64_t dim : type.getShape())
      bytes *= static_cast<double>(dim);
    if (llvm::Error err = checkFitsInMemory(
            bytes, "input '" + names[i] + "' (" +
                       describeTensorType(type.getShape(), dtype) + ")"))
      return std::move(err);
    inputs.push_back(makeSeededInput(func, i, seed));
  }
  return inputs;
}
