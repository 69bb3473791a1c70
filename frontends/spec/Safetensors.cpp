//===- Safetensors.cpp - reading .safetensors weight files ----------------===//
//
// The header is untrusted input: every field is type-checked, element counts
// are computed with overflow checks, and each tensor's byte range must match
// its dtype and shape and lie inside the data section.
//
//===----------------------------------------------------------------------===//

#include "frontends/spec/Safetensors.h"

#include "support/HostTensor.h"

#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"

#include <nlohmann/json.hpp>

#include <cstring>
#include <limits>

using namespace attnc;
using json = nlohmann::json;
using llvm::Error;
using llvm::Twine;

namespace {

/// Bytes per element of a safetensors dtype; 0 when unknown.
size_t dtypeBytes(llvm::StringRef dtype) {
  return llvm::StringSwitch<size_t>(dtype)
      .Cases("F64", "I64", "U64", 8)
      .Cases("F32", "I32", "U32", 4)
      .Cases("F16", "BF16", "I16", "U16", 2)
      .Cases("I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2", 1)
      .Default(0);
}

Error headerError(const Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "bad safetensors header: " + message);
}

/// A non-negative integer that fits in size_t, or nullopt.
std::optional<size_t> asSize(const json &v) {
  if (!v.is_number_unsigned())
    return std::nullopt;
  auto u = v.get<json::number_unsigned_t>();
  if (u > std::numeric_limits<size_t>::max() / 2)
    return std::nullopt;
  return static_cast<size_t>(u);
}

llvm::Expected<SafetensorsTensor>
parseEntry(const std::string &name, const json &entry, size_t dataSize) {
  auto field = [&](const char *key) -> const json * {
    auto it = entry.find(key);
    return it == entry.end() ? nullptr : &*it;
  };
  const json *dtype = entry.is_object() ? field("dtype") : nullptr;
  const json *shape = entry.is_object() ? field("shape") : nullptr;
  const json *offsets = entry.is_object() ? field("data_offsets") : nullptr;
  if (!dtype || !dtype->is_string() || !shape || !shape->is_array() ||
      !offsets || !offsets->is_array() || offsets->size() != 2)
    return headerError("tensor '" + name +
                       "' needs \"dtype\" (string), \"shape\" (array) and "
                       "\"data_offsets\" ([begin, end])");
  SafetensorsTensor t;
  t.dtype = dtype->get<std::string>();
  size_t elementBytes = dtypeBytes(t.dtype);
  if (elementBytes == 0)
    return headerError("tensor '" + name + "' has unknown dtype '" + t.dtype +
                       "'");
  size_t count = 1;
  for (const json &dim : *shape) {
    std::optional<size_t> d = asSize(dim);
    if (!d || (*d != 0 && count > std::numeric_limits<int64_t>::max() / *d))
      return headerError("tensor '" + name +
                         "' has a dim that is not a non-negative integer or "
                         "overflows");
    count *= *d;
    t.shape.push_back(static_cast<int64_t>(*d));
  }
  std::optional<size_t> begin = asSize((*offsets)[0]);
  std::optional<size_t> end = asSize((*offsets)[1]);
  if (!begin || !end || *begin > *end || *end > dataSize)
    return headerError("tensor '" + name + "' data_offsets are outside the " +
                       Twine(dataSize) + "-byte data section");
  if (count > std::numeric_limits<size_t>::max() / elementBytes ||
      *end - *begin != count * elementBytes)
    return headerError("tensor '" + name + "' spans " + Twine(*end - *begin) +
                       " bytes, but its dtype and shape need " +
                       Twine(count * elementBytes));
  t.begin = *begin;
  t.end = *end;
  return t;
}

} // namespace

llvm::Expected<SafetensorsFile> SafetensorsFile::open(llvm::StringRef path) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                            /*RequiresNullTerminator=*/false);
  if (!buffer)
    return llvm::createStringError(buffer.getError(),
                                   "cannot read '" + path +
                                       "': " + buffer.getError().message());
  return parse(std::move(*buffer));
}

llvm::Expected<SafetensorsFile>
SafetensorsFile::parse(std::unique_ptr<llvm::MemoryBuffer> buffer) {
  llvm::StringRef bytes = buffer->getBuffer();
  if (bytes.size() < 8)
    return headerError("the file has " + Twine(bytes.size()) +
                       " bytes, fewer than the 8-byte header length");
  uint64_t headerSize = llvm::support::endian::read64le(bytes.data());
  if (headerSize > bytes.size() - 8)
    return headerError("header length " + Twine(headerSize) +
                       " runs past the end of the " + Twine(bytes.size()) +
                       "-byte file");
  json header = json::parse(bytes.substr(8, headerSize).begin(),
                            bytes.substr(8, headerSize).end(), nullptr,
                            /*allow_exceptions=*/false);
  if (header.is_discarded() || !header.is_object())
    return headerError("the header is not a JSON object");
  SafetensorsFile file;
  file.dataStart = 8 + headerSize;
  size_t dataSize = bytes.size() - file.dataStart;
  for (auto &[name, entry] : header.items()) {
    if (name == "__metadata__")
      continue;
    auto tensor = parseEntry(name, entry, dataSize);
    if (!tensor)
      return tensor.takeError();
    file.tensors[name] = std::move(*tensor);
  }
  file.buffer = std::move(buffer);
  return file;
}

const SafetensorsTensor *SafetensorsFile::find(llvm::StringRef name) const {
  auto it = tensors.find(name);
  return it == tensors.end() ? nullptr : &it->second;
}

std::vector<std::string> SafetensorsFile::names() const {
  std::vector<std::string> result;
  for (const auto &entry : tensors)
    result.push_back(entry.getKey().str());
  llvm::sort(result);
  return result;
}

Error SafetensorsFile::readAsF32(const SafetensorsTensor &tensor,
                                 llvm::MutableArrayRef<float> out) const {
  const char *data = buffer->getBufferStart() + dataStart + tensor.begin;
  size_t elementBytes = dtypeBytes(tensor.dtype);
  if (out.size() * elementBytes != tensor.end - tensor.begin)
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "tensor size does not match the request");
  // Elements go through memcpy because the data section need not be aligned;
  // safetensors data is little-endian, as is every host attnc supports.
  auto convert = [&](auto element, auto toFloat) {
    for (size_t i = 0; i < out.size(); ++i) {
      std::memcpy(&element, data + i * sizeof(element), sizeof(element));
      out[i] = toFloat(element);
    }
  };
  if (tensor.dtype == "F32")
    convert(float(), [](float f) { return f; });
  else if (tensor.dtype == "F64")
    convert(double(), [](double d) { return static_cast<float>(d); });
  else if (tensor.dtype == "F16")
    convert(uint16_t(), [](uint16_t h) { return halfToFloat(h); });
  else if (tensor.dtype == "BF16")
    convert(uint16_t(), [](uint16_t h) {
      uint32_t bits = uint32_t(h) << 16;
      float f;
      std::memcpy(&f, &bits, 4);
      return f;
    });
  else
    return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                   "dtype " + tensor.dtype +
                                       " is not a float type (F32, F64, F16, "
                                       "BF16)");
  return Error::success();
}
