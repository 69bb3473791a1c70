//===- HostTensor.cpp - a typed tensor in host memory ---------------------===//
//
// Dtype helpers, element access through double, and the IEEE binary16
// conversions (bit manipulation, so no dependence on the FPU rounding mode or
// on F16C instructions).
//
//===----------------------------------------------------------------------===//

#include "support/HostTensor.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/bit.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <unistd.h>

#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>

namespace attnc {

size_t dtypeSize(DTypeKind kind) {
  switch (kind) {
  case DTypeKind::F16:
    return 2;
  case DTypeKind::F32:
  case DTypeKind::I32:
    return 4;
  case DTypeKind::F64:
  case DTypeKind::I64:
    return 8;
  case DTypeKind::Bool:
    return 1;
  }
  llvm_unreachable("unknown DTypeKind");
}

llvm::StringRef dtypeName(DTypeKind kind) {
  switch (kind) {
  case DTypeKind::F16:
    return "f16";
  case DTypeKind::F32:
    return "f32";
  case DTypeKind::F64:
    return "f64";
  case DTypeKind::Bool:
    return "bool";
  case DTypeKind::I32:
    return "i32";
  case DTypeKind::I64:
    return "i64";
  }
  llvm_unreachable("unknown DTypeKind");
}

std::optional<DTypeKind> dtypeFromType(mlir::Type type) {
  if (!type)
    return std::nullopt;
  if (type.isF16())
    return DTypeKind::F16;
  if (type.isF32())
    return DTypeKind::F32;
  if (type.isF64())
    return DTypeKind::F64;
  if (type.isSignlessInteger(1))
    return DTypeKind::Bool;
  if (type.isSignlessInteger(32))
    return DTypeKind::I32;
  if (type.isSignlessInteger(64))
    return DTypeKind::I64;
  return std::nullopt;
}

mlir::Type dtypeToType(DTypeKind kind, mlir::MLIRContext *context) {
  mlir::Builder b(context);
  switch (kind) {
  case DTypeKind::F16:
    return b.getF16Type();
  case DTypeKind::F32:
    return b.getF32Type();
  case DTypeKind::F64:
    return b.getF64Type();
  case DTypeKind::Bool:
    return b.getI1Type();
  case DTypeKind::I32:
    return b.getI32Type();
  case DTypeKind::I64:
    return b.getI64Type();
  }
  llvm_unreachable("unknown DTypeKind");
}

std::string describeTensor(llvm::ArrayRef<int64_t> shape, DTypeKind kind) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << '[';
  llvm::interleaveComma(shape, os);
  os << "] (" << dtypeName(kind) << ')';
  return s;
}

//===----------------------------------------------------------------------===//
// HostTensor
//===----------------------------------------------------------------------===//

HostTensor::HostTensor(DTypeKind dtype, llvm::ArrayRef<int64_t> shape)
    : dtype(dtype), shape(shape.begin(), shape.end()) {
  assert(llvm::all_of(shape, [](int64_t d) { return d >= 0; }) &&
         "negative dimension");
  bytes.assign(static_cast<size_t>(numElements()) * dtypeSize(dtype), 0);
}

int64_t HostTensor::numElements() const {
  int64_t n = 1;
  for (int64_t d : shape)
    n *= d;
  return n;
}

namespace {
template <typename T> T load(const std::vector<uint8_t> &bytes, int64_t i) {
  T v;
  std::memcpy(&v, bytes.data() + i * sizeof(T), sizeof(T));
  return v;
}

template <typename T> void store(std::vector<uint8_t> &bytes, int64_t i, T v) {
  std::memcpy(bytes.data() + i * sizeof(T), &v, sizeof(T));
}

/// Truncates toward zero and saturates at [lo, hi]; NaN gives 0. Casting an
/// out-of-range double to an integer is undefined behaviour in C++.
template <typename T> T toInteger(double v) {
  if (std::isnan(v))
    return 0;
  // 2^(bits-1) is exact in double; the lowest value is exactly -2^(bits-1).
  const double limit = std::ldexp(1.0, sizeof(T) * 8 - 1);
  if (v >= limit)
    return std::numeric_limits<T>::max();
  if (v <= -limit)
    return std::numeric_limits<T>::min();
  return static_cast<T>(v);
}
} // namespace

double HostTensor::getAsDouble(int64_t i) const {
  assert(i >= 0 && i < numElements() && "element index out of range");
  switch (dtype) {
  case DTypeKind::F16:
    return halfToFloat(load<uint16_t>(bytes, i));
  case DTypeKind::F32:
    return load<float>(bytes, i);
  case DTypeKind::F64:
    return load<double>(bytes, i);
  case DTypeKind::Bool:
    return bytes[i] != 0 ? 1.0 : 0.0;
  case DTypeKind::I32:
    return load<int32_t>(bytes, i);
  case DTypeKind::I64:
    return static_cast<double>(load<int64_t>(bytes, i));
  }
  llvm_unreachable("unknown DTypeKind");
}

void HostTensor::setFromDouble(int64_t i, double v) {
  assert(i >= 0 && i < numElements() && "element index out of range");
  switch (dtype) {
  case DTypeKind::F16:
    return store<uint16_t>(bytes, i, doubleToHalf(v));
  case DTypeKind::F32:
    return store<float>(bytes, i, static_cast<float>(v));
  case DTypeKind::F64:
    return store<double>(bytes, i, v);
  case DTypeKind::Bool:
    bytes[i] = v != 0.0 ? 1 : 0;
    return;
  case DTypeKind::I32:
    return store<int32_t>(bytes, i, toInteger<int32_t>(v));
  case DTypeKind::I64:
    return store<int64_t>(bytes, i, toInteger<int64_t>(v));
  }
  llvm_unreachable("unknown DTypeKind");
}

std::vector<double> HostTensor::toDoubles() const {
  int64_t n = numElements();
  std::vector<double> out(n);
  for (int64_t i = 0; i < n; ++i)
    out[i] = getAsDouble(i);
  return out;
}

//===----------------------------------------------------------------------===//
// Half precision
//===----------------------------------------------------------------------===//

float halfToFloat(uint16_t h) {
  float sign = (h & 0x8000) ? -1.0f : 1.0f;
  int exponent = (h >> 10) & 0x1f;
  int mantissa = h & 0x3ff;
  if (exponent == 0x1f) {
    if (mantissa == 0)
      return sign * std::numeric_limits<float>::infinity();
    // Keep the payload: widen the 10 mantissa bits into float's 23.
    uint32_t bits = (static_cast<uint32_t>(h & 0x8000) << 16) | 0x7f800000u |
                    (static_cast<uint32_t>(mantissa) << 13);
    return llvm::bit_cast<float>(bits);
  }
  // Subnormals are mantissa * 2^-24; normals (1024 + mantissa) * 2^(e-25).
  // Both are exact in float.
  if (exponent == 0)
    return sign * std::ldexp(static_cast<float>(mantissa), -24);
  return sign * std::ldexp(static_cast<float>(1024 + mantissa), exponent - 25);
}

uint16_t floatToHalf(float f) { return doubleToHalf(static_cast<double>(f)); }

namespace {
/// Rounds a non-negative double below 2^52 to an integer, ties to even.
double roundHalfEven(double q) {
  double floor = std::floor(q);
  double frac = q - floor; // exact: q and floor share the exponent range
  if (frac > 0.5 || (frac == 0.5 && std::fmod(floor, 2.0) == 1.0))
    floor += 1.0;
  return floor;
}
} // namespace

uint16_t doubleToHalf(double d) {
  uint64_t bits = llvm::bit_cast<uint64_t>(d);
  uint16_t sign = static_cast<uint16_t>((bits >> 48) & 0x8000);
  if (std::isnan(d)) {
    // A quiet NaN keeping the top payload bits.
    return sign | 0x7e00 | static_cast<uint16_t>((bits >> 42) & 0x1ff);
  }
  double a = std::fabs(d);
  // 65520 is halfway between the largest half (65504) and 2^16; the tie
  // rounds to the even neighbour, 2^16, which overflows.
  if (a >= 65520.0)
    return sign | 0x7c00;
  if (a < std::ldexp(1.0, -14)) {
    // Subnormal range: the value is m * 2^-24 with m in [0, 1024]; m == 1024
    // lands exactly on the smallest normal's encoding.
    double m = roundHalfEven(std::ldexp(a, 24));
    return sign | static_cast<uint16_t>(m);
  }
  int e2;
  std::frexp(a, &e2); // a = f * 2^e2, f in [0.5, 1)
  int exponent = e2 - 1;
  // The 11 significant bits as an integer in [1024, 2048]; 2048 carries into
  // the exponent, which the addition below handles.
  double q = roundHalfEven(std::ldexp(a, 10 - exponent));
  uint32_t out = (static_cast<uint32_t>(exponent + 15) << 10) +
                 (static_cast<uint32_t>(q) - 1024);
  return sign | static_cast<uint16_t>(out);
}

} // namespace attnc

uint64_t attnc::hostMemoryBytes() {
  long pages = sysconf(_SC_PHYS_PAGES), pageSize = sysconf(_SC_PAGE_SIZE);
  if (pages <= 0 || pageSize <= 0)
    return UINT64_MAX;
  return static_cast<uint64_t>(pages) * static_cast<uint64_t>(pageSize);
}

llvm::Error attnc::checkFitsInMemory(double bytes, const llvm::Twine &what) {
  double memory = static_cast<double>(hostMemoryBytes());
  if (bytes <= memory)
    return llvm::Error::success();
  std::string message;
  llvm::raw_string_ostream os(message);
  constexpr double kGiB = 1024.0 * 1024.0 * 1024.0;
  os << what << " needs " << llvm::format("%.1f", bytes / kGiB)
     << " GiB, more than this machine's "
     << llvm::format("%.1f", memory / kGiB) << " GiB of memory";
  return llvm::createStringError(llvm::inconvertibleErrorCode(), os.str());
}
