//===- Inputs.h - model inputs from .npy files or a seed -------*- C++ -*-===//
//
// The inputs of `attnc run / verify / bench`: `--input name=file.npy` files
// checked against the entry function's arguments, and deterministic seeded
// values for the rest.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_DRIVER_INPUTS_H
#define ATTNC_DRIVER_INPUTS_H

#include "support/HostTensor.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace attnc {

/// A seeded value for argument `index` of `func`: floats ~ N(0, 1); integers
/// that index a gather ~ U[0, rows); other integers and booleans are keep
/// masks (1 / true) whose rows end in some padding (0 / false) but never
/// lose their first position, so no query sees only masked keys.
HostTensor makeSeededInput(mlir::func::FuncOp func, unsigned index,
                           uint64_t seed);

/// One tensor per argument of `func`: from `specs` ("name=path.npy", checked
/// for name, dtype and shape) or seeded. With `requireAll`, a missing input
/// is an error instead.
llvm::Expected<std::vector<HostTensor>>
collectInputs(mlir::func::FuncOp func, llvm::ArrayRef<std::string> specs,
              uint64_t seed, bool requireAll = false);

/// "[2, 32] i64".
std::string describeTensorType(llvm::ArrayRef<int64_t> shape, DTypeKind dtype);

} // namespace attnc

#endif // ATTNC_DRIVER_INPUTS_H
