//===- Safetensors.h - reading .safetensors weight files -------*- C++ -*-===//
//
// A .safetensors file is an 8-byte little-endian header length, a JSON header
// mapping tensor names to {dtype, shape, data_offsets} and the raw data. The
// reader checks every offset against the file and converts F32, F64, F16 and
// BF16 tensors to f32.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_SPEC_SAFETENSORS_H
#define ATTNC_FRONTENDS_SPEC_SAFETENSORS_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringMap.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/MemoryBuffer.h"

#include <memory>
#include <string>
#include <vector>

namespace attnc {

/// One tensor's entry in the header; offsets are into the data section.
struct SafetensorsTensor {
  std::string dtype;
  llvm::SmallVector<int64_t, 4> shape;
  size_t begin = 0;
  size_t end = 0;
};

/// An indexed .safetensors file held in memory.
class SafetensorsFile {
public:
  /// Reads `path` and validates its header; the error says what is wrong.
  static llvm::Expected<SafetensorsFile> open(llvm::StringRef path);
  /// Validates an in-memory image.
  static llvm::Expected<SafetensorsFile>
  parse(std::unique_ptr<llvm::MemoryBuffer> buffer);

  /// The entry named `name`, or null.
  const SafetensorsTensor *find(llvm::StringRef name) const;
  /// Every tensor name, sorted.
  std::vector<std::string> names() const;
  /// Converts `tensor` to f32 into `out`, which must hold its elements.
  llvm::Error readAsF32(const SafetensorsTensor &tensor,
                        llvm::MutableArrayRef<float> out) const;

private:
  std::unique_ptr<llvm::MemoryBuffer> buffer;
  size_t dataStart = 0;
  llvm::StringMap<SafetensorsTensor> tensors;
};

} // namespace attnc

#endif // ATTNC_FRONTENDS_SPEC_SAFETENSORS_H
