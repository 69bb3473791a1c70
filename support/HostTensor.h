//===- HostTensor.h - a typed tensor in host memory ------------*- C++ -*-===//
//
// The value type the driver, the reference interpreter and the tests pass
// around: an element type, a static shape and row-major bytes, plus the dtype
// helpers and the IEEE half-precision conversions they need.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_SUPPORT_HOSTTENSOR_H
#define ATTNC_SUPPORT_HOSTTENSOR_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

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

/// Bytes per element (a Bool is one byte holding 0 or 1).
size_t dtypeSize(DTypeKind kind);
/// "f16", "f32", "f64", "bool", "i32" or "i64".
llvm::StringRef dtypeName(DTypeKind kind);
/// The DTypeKind of an MLIR element type (f16, f32, f64, i1, i32, i64; the
/// integers signless), if it is one.
std::optional<DTypeKind> dtypeFromType(mlir::Type type);
/// The MLIR element type of a DTypeKind.
mlir::Type dtypeToType(DTypeKind kind, mlir::MLIRContext *context);
/// "[2, 16] (i64)": how error messages show a tensor's shape and dtype.
std::string describeTensor(llvm::ArrayRef<int64_t> shape, DTypeKind kind);

/// This machine's physical memory in bytes (UINT64_MAX when unknown).
uint64_t hostMemoryBytes();
/// An error when `bytes` (what `what` needs, say "input 'x' ([2, 3] f32)")
/// exceed this machine's memory, saying both in GiB; else success. Checked
/// before allocating, so a huge model is refused instead of aborting.
llvm::Error checkFitsInMemory(double bytes, const llvm::Twine &what);

/// A row-major tensor in host memory. `bytes` holds exactly
/// numElements() * dtypeSize(dtype) bytes in host byte order.
struct HostTensor {
  DTypeKind dtype = DTypeKind::F32;
  llvm::SmallVector<int64_t, 4> shape;
  std::vector<uint8_t> bytes;

  HostTensor() = default;
  /// Zero-filled tensor of the given type and shape (dims must be >= 0).
  HostTensor(DTypeKind dtype, llvm::ArrayRef<int64_t> shape);

  /// Product of the dims; 1 for a scalar (rank 0).
  int64_t numElements() const;
  template <typename T> T *data() {
    return reinterpret_cast<T *>(bytes.data());
  }
  template <typename T> const T *data() const {
    return reinterpret_cast<const T *>(bytes.data());
  }
  /// Element i converted to double (any dtype; f16 and f32 exactly, i64
  /// exactly while |x| <= 2^53; a Bool is 0 or 1).
  double getAsDouble(int64_t i) const;
  /// Stores `v` at element i, converting to the dtype: floats round to
  /// nearest even (NaN and infinities kept, f16 overflow gives infinity);
  /// integers truncate toward zero and saturate at the type's range, NaN
  /// becomes 0; Bool stores `v != 0`.
  void setFromDouble(int64_t i, double v);
  /// All elements as doubles.
  std::vector<double> toDoubles() const;
};

/// Converts a half-precision bit pattern to float (exact).
float halfToFloat(uint16_t h);
/// Converts a float to the nearest half-precision bit pattern, ties to even.
uint16_t floatToHalf(float f);
/// Converts a double to half precision with a single rounding (ties to even),
/// which going through float first would not guarantee.
uint16_t doubleToHalf(double d);

} // namespace attnc

#endif // ATTNC_SUPPORT_HOSTTENSOR_H
