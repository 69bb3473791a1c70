//===- Npy.cpp - numpy .npy files -----------------------------------------===//
//
// The .npy reader checks every length against the bytes it was given before
// reading, so a malformed or hostile file yields an llvm::Error, never an
// out-of-bounds read. The header dict is parsed by a small recursive-descent
// parser for the Python-literal subset numpy writes.
//
//===----------------------------------------------------------------------===//

#include "support/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SwapByteOrder.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cstring>
#include <limits>

namespace attnc {
namespace {

constexpr llvm::StringLiteral kMagic("\x93NUMPY");
constexpr llvm::StringLiteral kSupportedDescrs("<f2 <f4 <f8 |b1 <i4 <i8");

std::optional<DTypeKind> dtypeFromDescr(llvm::StringRef descr) {
  return llvm::StringSwitch<std::optional<DTypeKind>>(descr)
      .Case("<f2", DTypeKind::F16)
      .Case("<f4", DTypeKind::F32)
      .Case("<f8", DTypeKind::F64)
      .Case("|b1", DTypeKind::Bool)
      .Case("<i4", DTypeKind::I32)
      .Case("<i8", DTypeKind::I64)
      .Default(std::nullopt);
}

llvm::StringRef descrFromDtype(DTypeKind kind) {
  switch (kind) {
  case DTypeKind::F16:
    return "<f2";
  case DTypeKind::F32:
    return "<f4";
  case DTypeKind::F64:
    return "<f8";
  case DTypeKind::Bool:
    return "|b1";
  case DTypeKind::I32:
    return "<i4";
  case DTypeKind::I64:
    return "<i8";
  }
  llvm_unreachable("unknown DTypeKind");
}

llvm::Error makeError(llvm::StringRef name, const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 name + ": " + message);
}

/// "(2, 3)", "(5,)" or "()": a shape as Python (and so numpy) spells it.
std::string pythonShape(llvm::ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  if (shape.size() == 1)
    s += ",";
  return s + ")";
}

/// .npy files are little-endian; the tensor holds host byte order.
void toOrFromLittleEndian(llvm::MutableArrayRef<uint8_t> bytes, size_t width) {
  if (llvm::sys::IsLittleEndianHost || width == 1)
    return;
  for (size_t i = 0; i + width <= bytes.size(); i += width)
    std::reverse(bytes.begin() + i, bytes.begin() + i + width);
}

/// The fields of a .npy header dict.
struct NpyHeader {
  DTypeKind dtype;
  llvm::SmallVector<int64_t, 4> shape;
};

/// Parses `{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }`.
/// Accepts the Python-literal subset numpy writes: single- or double-quoted
/// strings without escapes, True/False, tuples of non-negative integers
/// (with the Python 2 `L` suffix old files carry), any whitespace, trailing
/// commas.
class HeaderParser {
public:
  explicit HeaderParser(llvm::StringRef text) : text(text) {}

  /// Returns the header, or an error message (without the file name).
  llvm::Expected<NpyHeader> parse();

private:
  llvm::StringRef text;
  size_t pos = 0;

  void skipSpace() {
    while (pos < text.size() && llvm::isSpace(text[pos]))
      ++pos;
  }
  bool consume(char c) {
    skipSpace();
    if (pos < text.size() && text[pos] == c) {
      ++pos;
      return true;
    }
    return false;
  }
  bool peek(char c) {
    skipSpace();
    return pos < text.size() && text[pos] == c;
  }
  /// What is at the cursor, for messages.
  std::string here() const {
    if (pos >= text.size())
      return "the end of the header";
    char c = text[pos];
    if (llvm::isPrint(c))
      return "'" + std::string(1, c) + "' at header offset " +
             std::to_string(pos);
    return "byte 0x" + llvm::utohexstr(static_cast<uint8_t>(c), false, 2) +
           " at header offset " + std::to_string(pos);
  }
  llvm::Error fail(const llvm::Twine &message) const {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
  }

  llvm::Expected<std::string> parseString();
  llvm::Expected<bool> parseBool();
  llvm::Expected<llvm::SmallVector<int64_t, 4>> parseShape();
};

llvm::Expected<std::string> HeaderParser::parseString() {
  skipSpace();
  if (pos >= text.size() || (text[pos] != '\'' && text[pos] != '"'))
    return fail("header: expected a quoted string, found " + here());
  char quote = text[pos++];
  size_t start = pos;
  while (pos < text.size() && text[pos] != quote) {
    if (text[pos] == '\\')
      return fail("header: unsupported escape in a string at header offset " +
                  llvm::Twine(pos));
    if (text[pos] == '\n')
      break;
    ++pos;
  }
  if (pos >= text.size() || text[pos] != quote)
    return fail("header: unterminated string starting at header offset " +
                llvm::Twine(start - 1));
  return text.substr(start, pos++ - start).str();
}

llvm::Expected<bool> HeaderParser::parseBool() {
  skipSpace();
  llvm::StringRef rest = text.drop_front(pos);
  for (auto [word, value] :
       {std::pair<llvm::StringRef, bool>{"True", true}, {"False", false}}) {
    if (rest.startswith(word) &&
        (rest.size() == word.size() || !llvm::isAlnum(rest[word.size()]))) {
      pos += word.size();
      return value;
    }
  }
  return fail("header: 'fortran_order' must be True or False, found " + here());
}

llvm::Expected<llvm::SmallVector<int64_t, 4>> HeaderParser::parseShape() {
  if (!consume('('))
    return fail("header: 'shape' must be a tuple such as (2, 3), found " +
                here());
  llvm::SmallVector<int64_t, 4> dims;
  bool trailingComma = false;
  while (!consume(')')) {
    skipSpace();
    if (pos < text.size() && text[pos] == '-')
      return fail("header: shape has a negative dimension at header offset " +
                  llvm::Twine(pos));
    if (pos >= text.size() || !llvm::isDigit(text[pos]))
      return fail("header: expected a dimension or ')' in 'shape', found " +
                  here());
    int64_t dim = 0;
    while (pos < text.size() && llvm::isDigit(text[pos])) {
      int digit = text[pos++] - '0';
      if (dim > (std::numeric_limits<int64_t>::max() - digit) / 10)
        return fail("header: a shape dimension does not fit in 64 bits");
      dim = dim * 10 + digit;
    }
    if (pos < text.size() && (text[pos] == 'L' || text[pos] == 'l'))
      ++pos;
    dims.push_back(dim);
    trailingComma = consume(',');
    if (!trailingComma && !peek(')'))
      return fail("header: expected ',' or ')' in 'shape', found " + here());
  }
  // Python reads "(5)" as the integer 5, not a tuple.
  if (dims.size() == 1 && !trailingComma)
    return fail("header: 'shape' (" + llvm::Twine(dims[0]) +
                ") is not a tuple; a 1-d shape is written (" +
                llvm::Twine(dims[0]) + ",)");
  return dims;
}

llvm::Expected<NpyHeader> HeaderParser::parse() {
  skipSpace();
  if (!consume('{'))
    return fail("header is not a Python dict literal (expected '{', found " +
                here() + ")");
  std::optional<std::string> descr;
  std::optional<bool> fortranOrder;
  std::optional<llvm::SmallVector<int64_t, 4>> shape;
  while (!consume('}')) {
    llvm::Expected<std::string> key = parseString();
    if (!key)
      return key.takeError();
    if (!consume(':'))
      return fail("header: expected ':' after '" + *key + "', found " + here());
    if (*key == "descr") {
      if (descr)
        return fail("header: key 'descr' appears twice");
      if (peek('[') || peek('{'))
        return fail("header: 'descr' must be a dtype string such as '<f4' "
                    "(structured dtypes are not supported)");
      llvm::Expected<std::string> value = parseString();
      if (!value)
        return value.takeError();
      descr = *value;
    } else if (*key == "fortran_order") {
      if (fortranOrder)
        return fail("header: key 'fortran_order' appears twice");
      llvm::Expected<bool> value = parseBool();
      if (!value)
        return value.takeError();
      fortranOrder = *value;
    } else if (*key == "shape") {
      if (shape)
        return fail("header: key 'shape' appears twice");
      auto value = parseShape();
      if (!value)
        return value.takeError();
      shape = std::move(*value);
    } else {
      return fail("header: unexpected key '" + *key +
                  "' (a .npy header has exactly 'descr', 'fortran_order' and "
                  "'shape')");
    }
    if (!consume(',') && !peek('}'))
      return fail("header: expected ',' or '}' in the dict, found " + here());
  }
  skipSpace();
  // numpy pads with spaces and a final newline; a NUL is tolerated too.
  while (pos < text.size() && text[pos] == '\0')
    ++pos;
  if (pos != text.size())
    return fail("header: unexpected " + here() + " after the dict");
  if (!descr || !fortranOrder || !shape)
    return fail(llvm::Twine("header: missing key '") +
                (!descr          ? "descr"
                 : !fortranOrder ? "fortran_order"
                                 : "shape") +
                "'");
  std::optional<DTypeKind> dtype = dtypeFromDescr(*descr);
  if (!dtype)
    return fail("unsupported dtype '" + *descr +
                "' (supported: " + kSupportedDescrs + ")");
  if (*fortranOrder)
    return fail("fortran_order is True; only C-order arrays are supported "
                "(save np.ascontiguousarray(a))");
  return NpyHeader{*dtype, std::move(*shape)};
}

} // namespace

llvm::Expected<HostTensor> parseNpy(llvm::StringRef contents,
                                    llvm::StringRef name) {
  if (!contents.startswith(kMagic))
    return makeError(name, "not a .npy file: bad magic (expected the bytes "
                           "\\x93NUMPY at the start)");
  if (contents.size() < kMagic.size() + 2)
    return makeError(name, "truncated header: the file ends inside the "
                           "version field");
  unsigned major = static_cast<uint8_t>(contents[6]);
  unsigned minor = static_cast<uint8_t>(contents[7]);
  if ((major != 1 && major != 2 && major != 3) || minor != 0)
    return makeError(name, "unsupported .npy format version " +
                               llvm::Twine(major) + "." + llvm::Twine(minor) +
                               " (supported: 1.0, 2.0, 3.0)");
  // Version 1 stores the header length in 2 bytes, versions 2 and 3 in 4.
  size_t lengthBytes = major == 1 ? 2 : 4;
  size_t preamble = 8 + lengthBytes;
  if (contents.size() < preamble)
    return makeError(name, "truncated header: the file ends inside the "
                           "header length field");
  const char *p = contents.data() + 8;
  uint64_t headerLength =
      major == 1 ? llvm::support::endian::read16le(p)
                 : static_cast<uint64_t>(llvm::support::endian::read32le(p));
  if (headerLength > contents.size() - preamble)
    return makeError(name, "truncated header: the header length field says " +
                               llvm::Twine(headerLength) + " bytes but only " +
                               llvm::Twine(contents.size() - preamble) +
                               " follow");
  llvm::StringRef headerText = contents.substr(preamble, headerLength);
  llvm::Expected<NpyHeader> header = HeaderParser(headerText).parse();
  if (!header)
    return makeError(name, llvm::toString(header.takeError()));

  size_t itemSize = dtypeSize(header->dtype);
  uint64_t needed = itemSize;
  for (int64_t d : header->shape) {
    // Checked in the order HostTensor::numElements multiplies.
    if (d != 0 &&
        needed > static_cast<uint64_t>(std::numeric_limits<int64_t>::max() / d))
      return makeError(name,
                       "shape " + pythonShape(header->shape) + " is too large");
    needed *= d;
  }
  llvm::StringRef data = contents.drop_front(preamble + headerLength);
  std::string what = "shape " + pythonShape(header->shape) + " of '" +
                     descrFromDtype(header->dtype).str() + "' needs " +
                     std::to_string(needed) + " bytes of data";
  if (data.size() < needed)
    return makeError(name, "data size does not match the shape: " + what +
                               ", the file has " + llvm::Twine(data.size()));
  if (data.size() > needed)
    return makeError(name, llvm::Twine(data.size() - needed) +
                               " trailing bytes after the data (" + what +
                               ", the file has " + llvm::Twine(data.size()) +
                               ")");

  HostTensor tensor(header->dtype, header->shape);
  assert(tensor.bytes.size() == needed && "size computed twice differently");
  std::memcpy(tensor.bytes.data(), data.data(), needed);
  toOrFromLittleEndian(tensor.bytes, itemSize);
  // Any non-zero byte is true; store 0/1 so every reader agrees.
  if (header->dtype == DTypeKind::Bool)
    for (uint8_t &b : tensor.bytes)
      b = b != 0;
  return tensor;
}

llvm::Expected<HostTensor> readNpy(llvm::StringRef path) {
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path, /*IsText=*/false,
                                  /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(path, "cannot open: " + buffer.getError().message());
  return parseNpy((*buffer)->getBuffer(), path);
}

llvm::Error writeNpy(llvm::StringRef path, const HostTensor &tensor) {
  for (int64_t d : tensor.shape)
    if (d < 0)
      return makeError(path, "cannot write a tensor with negative dimension " +
                                 llvm::Twine(d));
  size_t needed =
      static_cast<size_t>(tensor.numElements()) * dtypeSize(tensor.dtype);
  if (tensor.bytes.size() != needed)
    return makeError(path, "cannot write: the tensor holds " +
                               llvm::Twine(tensor.bytes.size()) +
                               " bytes but " +
                               describeTensor(tensor.shape, tensor.dtype) +
                               " needs " + llvm::Twine(needed));

  std::string header =
      "{'descr': '" + descrFromDtype(tensor.dtype).str() +
      "', 'fortran_order': False, 'shape': " + pythonShape(tensor.shape) +
      ", }";
  // numpy pads the preamble + header to a multiple of 64 bytes, ending in
  // a newline, so the data is aligned when memory-mapped.
  size_t unpadded = 10 + header.size() + 1;
  header.append((64 - unpadded % 64) % 64, ' ');
  header += '\n';
  unsigned major = 1;
  if (header.size() > 0xffff) {
    // Only a tensor of rank in the thousands gets here; version 2.0 has a
    // 4-byte length.
    major = 2;
    size_t total = 12 + header.size();
    header.insert(header.size() - 1, (64 - total % 64) % 64, ' ');
  }

  std::string image(kMagic);
  image += static_cast<char>(major);
  image += '\0';
  char length[4];
  if (major == 1) {
    llvm::support::endian::write16le(length, header.size());
    image.append(length, 2);
  } else {
    llvm::support::endian::write32le(length, header.size());
    image.append(length, 4);
  }
  image += header;
  std::vector<uint8_t> data = tensor.bytes;
  toOrFromLittleEndian(data, dtypeSize(tensor.dtype));

  // Write beside the target, then rename: a reader never sees half a file.
  llvm::SmallString<256> model(path);
  model += ".tmp-%%%%%%";
  llvm::Expected<llvm::sys::fs::TempFile> temp =
      llvm::sys::fs::TempFile::create(model);
  if (!temp)
    return makeError(path, "cannot create a temporary file: " +
                               llvm::toString(temp.takeError()));
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << image;
    os.write(reinterpret_cast<const char *>(data.data()), data.size());
    os.flush();
    if (std::error_code ec = os.error()) {
      os.clear_error();
      llvm::consumeError(temp->discard());
      return makeError(path, "write failed: " + ec.message());
    }
  }
  if (llvm::Error err = temp->keep(path)) {
    std::string message = llvm::toString(std::move(err));
    llvm::consumeError(temp->discard());
    return makeError(path,
                     "cannot move the written file into place: " + message);
  }
  return llvm::Error::success();
}

} // namespace attnc
