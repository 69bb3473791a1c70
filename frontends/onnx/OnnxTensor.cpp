//===- OnnxTensor.cpp - ONNX tensors and element types as attn sees them --===//
//
// A TensorProto holds its elements in one of three places: a typed repeated
// field, raw_data (little-endian, ONNX element layout) or an external file.
// All three are checked against the element count from the dims before a
// byte is copied, then converted to the layout of the attn element type.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxTensor.h"

#include "mlir/IR/Builders.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstring>

using namespace mlir;
using namespace attnc::onnx_import;
using onnx::TensorProto;

namespace {

llvm::Error tensorError(const TensorProto &tensor, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "tensor '" + tensor.name() + "': " + message);
}

/// Bytes per element in raw_data / external data, 0 when unsupported.
size_t rawElementSize(int32_t dataType) {
  switch (dataType) {
  case TensorProto::UINT8:
  case TensorProto::INT8:
  case TensorProto::BOOL:
    return 1;
  case TensorProto::UINT16:
  case TensorProto::INT16:
  case TensorProto::FLOAT16:
  case TensorProto::BFLOAT16:
    return 2;
  case TensorProto::FLOAT:
  case TensorProto::INT32:
  case TensorProto::UINT32:
    return 4;
  case TensorProto::DOUBLE:
  case TensorProto::INT64:
    return 8;
  default:
    return 0;
  }
}

template <typename T> T load(const char *p) {
  T v;
  std::memcpy(&v, p, sizeof(T));
  return v;
}

template <typename T> void store(std::vector<char> &out, size_t i, T v) {
  std::memcpy(out.data() + i * sizeof(T), &v, sizeof(T));
}

/// Converts `count` raw elements of `dataType` to the attn layout.
std::vector<char> convertRaw(int32_t dataType, const char *raw, int64_t count,
                             size_t outElementSize) {
  std::vector<char> out(count * outElementSize);
  switch (dataType) {
  case TensorProto::FLOAT:
  case TensorProto::DOUBLE:
  case TensorProto::INT32:
  case TensorProto::INT64:
  case TensorProto::FLOAT16:
    std::memcpy(out.data(), raw, out.size());
    break;
  case TensorProto::BOOL:
    for (int64_t i = 0; i < count; ++i)
      out[i] = raw[i] != 0 ? 1 : 0;
    break;
  case TensorProto::INT8:
    for (int64_t i = 0; i < count; ++i)
      store<int32_t>(out, i, load<int8_t>(raw + i));
    break;
  case TensorProto::UINT8:
    for (int64_t i = 0; i < count; ++i)
      store<int32_t>(out, i, load<uint8_t>(raw + i));
    break;
  case TensorProto::INT16:
    for (int64_t i = 0; i < count; ++i)
      store<int32_t>(out, i, load<int16_t>(raw + 2 * i));
    break;
  case TensorProto::UINT16:
    for (int64_t i = 0; i < count; ++i)
      store<int32_t>(out, i, load<uint16_t>(raw + 2 * i));
    break;
  case TensorProto::UINT32:
    for (int64_t i = 0; i < count; ++i)
      store<int64_t>(out, i, load<uint32_t>(raw + 4 * i));
    break;
  case TensorProto::BFLOAT16:
    // bfloat16 is the top half of a float32.
    for (int64_t i = 0; i < count; ++i)
      store<uint32_t>(out, i, uint32_t(load<uint16_t>(raw + 2 * i)) << 16);
    break;
  default:
    break;
  }
  return out;
}

/// The elements of the typed field that holds `dataType`, re-encoded as raw
/// (ONNX layout) bytes, or an error when their count is not `count`.
llvm::Expected<std::vector<char>> typedFieldAsRaw(const TensorProto &tensor,
                                                  int64_t count) {
  int32_t dataType = tensor.data_type();
  size_t size = rawElementSize(dataType);
  std::vector<char> raw(count * size);
  auto checkCount = [&](int64_t got, llvm::StringRef field) -> llvm::Error {
    if (got == count)
      return llvm::Error::success();
    return tensorError(tensor,
                       llvm::Twine(field) + " holds " + llvm::Twine(got) +
                           " values, but its dims need " + llvm::Twine(count));
  };
  switch (dataType) {
  case TensorProto::FLOAT:
    if (llvm::Error e = checkCount(tensor.float_data_size(), "float_data"))
      return std::move(e);
    for (int64_t i = 0; i < count; ++i)
      store<float>(raw, i, tensor.float_data(i));
    return raw;
  case TensorProto::DOUBLE:
    if (llvm::Error e = checkCount(tensor.double_data_size(), "double_data"))
      return std::move(e);
    for (int64_t i = 0; i < count; ++i)
      store<double>(raw, i, tensor.double_data(i));
    return raw;
  case TensorProto::INT64:
    if (llvm::Error e = checkCount(tensor.int64_data_size(), "int64_data"))
      return std::move(e);
    for (int64_t i = 0; i < count; ++i)
      store<int64_t>(raw, i, tensor.int64_data(i));
    return raw;
  case TensorProto::UINT32:
    if (llvm::Error e = checkCount(tensor.uint64_data_size(), "uint64_data"))
      return std::move(e);
    for (int64_t i = 0; i < count; ++i)
      store<uint32_t>(raw, i, static_cast<uint32_t>(tensor.uint64_data(i)));
    return raw;
  default:
    break;
  }
  // The rest live in int32_data, one element (or 16-bit pattern) per entry.
  if (llvm::Error e = checkCount(tensor.int32_data_size(), "int32_data"))
    return std::move(e);
  for (int64_t i = 0; i < count; ++i) {
    int32_t v = tensor.int32_data(i);
    switch (size) {
    case 1:
      raw[i] = static_cast<char>(v);
      break;
    case 2:
      store<uint16_t>(raw, i, static_cast<uint16_t>(v));
      break;
    default:
      store<int32_t>(raw, i, v);
      break;
    }
  }
  return raw;
}

/// Reads the external data of `tensor` (`bytes` long) from a file inside
/// `dir`.
llvm::Expected<std::vector<char>>
readExternal(const TensorProto &tensor, llvm::StringRef dir, uint64_t bytes) {
  std::string location;
  uint64_t offset = 0, length = bytes;
  bool hasLocation = false;
  for (const onnx::StringStringEntryProto &entry : tensor.external_data()) {
    llvm::StringRef key = entry.key(), value = entry.value();
    if (key == "location") {
      location = value.str();
      hasLocation = true;
    } else if (key == "offset" || key == "length") {
      uint64_t parsed;
      if (value.getAsInteger(10, parsed))
        return tensorError(tensor, "external data " + key + " '" + value +
                                       "' is not a non-negative integer");
      (key == "offset" ? offset : length) = parsed;
    }
  }
  if (!hasLocation || location.empty())
    return tensorError(tensor, "external data without a location");
  if (dir.empty())
    return tensorError(tensor, "external data '" + location +
                                   "' cannot be read: the model was not "
                                   "loaded from a file");
  if (llvm::sys::path::is_absolute(location) ||
      llvm::is_contained(llvm::make_range(llvm::sys::path::begin(location),
                                          llvm::sys::path::end(location)),
                         ".."))
    return tensorError(tensor, "external data location '" + location +
                                   "' must be a relative path inside the "
                                   "model's directory");
  if (length != bytes)
    return tensorError(
        tensor, "external data length is " + llvm::Twine(length) +
                    " bytes, but its dims and type need " + llvm::Twine(bytes));
  llvm::SmallString<256> path(dir);
  llvm::sys::path::append(path, location);
  uint64_t fileSize;
  if (std::error_code ec = llvm::sys::fs::file_size(path, fileSize))
    return tensorError(tensor, "cannot read external data file '" + path +
                                   "': " + ec.message());
  if (offset > fileSize || bytes > fileSize - offset)
    return tensorError(tensor, "external data [" + llvm::Twine(offset) + ", " +
                                   llvm::Twine(offset) + " + " +
                                   llvm::Twine(bytes) + ") lies outside '" +
                                   path + "' (" + llvm::Twine(fileSize) +
                                   " bytes)");
  if (bytes == 0)
    return std::vector<char>();
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFileSlice(path, bytes, offset);
  if (!buffer)
    return tensorError(tensor, "cannot read external data file '" + path +
                                   "': " + buffer.getError().message());
  llvm::StringRef data = (*buffer)->getBuffer();
  return std::vector<char>(data.begin(), data.end());
}

} // namespace

Type attnc::onnx_import::importElementType(MLIRContext *context,
                                           int32_t dataType) {
  Builder b(context);
  switch (dataType) {
  case TensorProto::FLOAT:
  case TensorProto::BFLOAT16:
    return b.getF32Type();
  case TensorProto::DOUBLE:
    return b.getF64Type();
  case TensorProto::FLOAT16:
    return b.getF16Type();
  case TensorProto::BOOL:
    return b.getI1Type();
  case TensorProto::INT8:
  case TensorProto::UINT8:
  case TensorProto::INT16:
  case TensorProto::UINT16:
  case TensorProto::INT32:
    return b.getI32Type();
  case TensorProto::INT64:
  case TensorProto::UINT32:
    return b.getI64Type();
  default:
    return nullptr;
  }
}

bool attnc::onnx_import::isNativeElementType(int32_t dataType) {
  switch (dataType) {
  case TensorProto::FLOAT:
  case TensorProto::DOUBLE:
  case TensorProto::FLOAT16:
  case TensorProto::BOOL:
  case TensorProto::INT32:
  case TensorProto::INT64:
    return true;
  default:
    return false;
  }
}

llvm::StringRef attnc::onnx_import::elementTypeName(int32_t dataType) {
  if (!TensorProto::DataType_IsValid(dataType))
    return "an unknown element type";
  static const char *const names[] = {
      "undefined", "float",  "uint8",     "int8",       "uint16",  "int16",
      "int32",     "int64",  "string",    "bool",       "float16", "double",
      "uint32",    "uint64", "complex64", "complex128", "bfloat16"};
  if (dataType >= 0 && dataType < static_cast<int32_t>(std::size(names)))
    return names[dataType];
  return TensorProto::DataType_Name(
      static_cast<TensorProto::DataType>(dataType));
}

std::optional<int64_t>
attnc::onnx_import::checkedElementCount(llvm::ArrayRef<int64_t> shape) {
  int64_t count = 1;
  for (int64_t d : shape) {
    if (d < 0)
      return std::nullopt;
    if (d != 0 && count > kMaxTensorElements / d)
      return std::nullopt;
    count *= d;
  }
  if (count > kMaxTensorElements)
    return std::nullopt;
  return count;
}

llvm::Expected<DecodedTensor>
attnc::onnx_import::decodeTensor(const TensorProto &tensor,
                                 MLIRContext *context,
                                 llvm::StringRef externalDataDir) {
  int32_t dataType = tensor.data_type();
  Type elementType = importElementType(context, dataType);
  if (!elementType)
    return tensorError(tensor, "element type " + elementTypeName(dataType) +
                                   " is not supported");
  if (tensor.has_segment())
    return tensorError(tensor, "segmented tensors are not supported");
  SmallVector<int64_t> shape(tensor.dims().begin(), tensor.dims().end());
  std::optional<int64_t> count = checkedElementCount(shape);
  if (!count)
    return tensorError(
        tensor,
        "dims [" +
            llvm::join(llvm::map_range(
                           shape, [](int64_t d) { return std::to_string(d); }),
                       ", ") +
            "] are negative or hold more than " +
            llvm::Twine(kMaxTensorElements) + " elements");
  size_t rawSize = rawElementSize(dataType);
  uint64_t rawBytes = static_cast<uint64_t>(*count) * rawSize;
  DecodedTensor out;
  out.type = RankedTensorType::get(shape, elementType);
  size_t outSize =
      elementType.isInteger(1) ? 1 : elementType.getIntOrFloatBitWidth() / 8;
  if (tensor.data_location() == TensorProto::EXTERNAL) {
    llvm::Expected<std::vector<char>> raw =
        readExternal(tensor, externalDataDir, rawBytes);
    if (!raw)
      return raw.takeError();
    out.bytes = convertRaw(dataType, raw->data(), *count, outSize);
    return out;
  }
  if (tensor.has_raw_data()) {
    const std::string &raw = tensor.raw_data();
    if (raw.size() != rawBytes)
      return tensorError(tensor, "raw_data holds " + llvm::Twine(raw.size()) +
                                     " bytes, but its dims and type need " +
                                     llvm::Twine(rawBytes));
    out.bytes = convertRaw(dataType, raw.data(), *count, outSize);
    return out;
  }
  llvm::Expected<std::vector<char>> raw = typedFieldAsRaw(tensor, *count);
  if (!raw)
    return raw.takeError();
  out.bytes = convertRaw(dataType, raw->data(), *count, outSize);
  return out;
}
