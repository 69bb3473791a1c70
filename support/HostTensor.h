//===- HostTensor.h - a typed tensor in host memory ------------*- C++ -*-===//
//
// The value type the driver, the reference interpreter and the tests pass
// around: an element type, a static shape and row-major bytes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_SUPPORT_HOSTTENSOR_H
#define ATTNC_SUPPORT_HOSTTENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace mlir {
class Type;
class MLIRContext;
} // namespace mlir

namespace attnc {

/// Element types a model input or output may have.
enum class DTypeKind { F16, F32, F64, Bool, I32, I64 };

/// Bytes per element.
size_t dtypeSize(DTypeKind kind);
/// "f32", "bool", ...
llvm::StringRef dtypeName(DTypeKind kind);
/// The DTypeKind of an MLIR element type, if it is one.
std::optional<DTypeKind> dtypeFromType(mlir::Type type);
/// The MLIR element type of a DTypeKind.
mlir::Type dtypeToType(DTypeKind kind, mlir::MLIRContext *context);

/// A row-major tensor in host memory.
struct HostTensor {
  DTypeKind dtype = DTypeKind::F32;
  llvm::SmallVector<int64_t, 4> shape;
  std::vector<uint8_t> bytes;

  HostTensor() = default;
  /// Zero-filled tensor of the given type and shape.
  HostTensor(DTypeKind dtype, llvm::ArrayRef<int64_t> shape);

  int64_t numElements() const;
  template <typename T> T *data() { return reinterpret_cast<T *>(bytes.data()); }
  template <typename T> const T *data() const {
    return reinterpret_cast<const T *>(bytes.data());
  }
  /// Element i converted to double (any dtype).
  double getAsDouble(int64_t i) const;
  /// Stores `v` at element i, converting to the dtype.
  void setFromDouble(int64_t i, double v);
  /// All elements as doubles.
  std::vector<double> toDoubles() const;
};

/// Converts a half-precision bit pattern to float and back (round to nearest even).
float halfToFloat(uint16_t h);
uint16_t floatToHalf(float f);

} // namespace attnc

#endif // ATTNC_SUPPORT_HOSTTENSOR_H
