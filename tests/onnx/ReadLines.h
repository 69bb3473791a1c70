//===- ReadLines.h - the line lists the ONNX model tests read --*- C++ -*-===//
//
// models.txt, shapes.txt and fixture.txt are one item per line; blank lines
// and surrounding spaces do not count.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TESTS_ONNX_READLINES_H
#define ATTNC_TESTS_ONNX_READLINES_H

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/MemoryBuffer.h"

#include <string>
#include <vector>

namespace attnc::test {

/// The non-blank lines of the file at `path`, trimmed; none when it cannot
/// be read.
inline std::vector<std::string> readLines(const std::string &path) {
  std::vector<std::string> lines;
  llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
      llvm::MemoryBuffer::getFile(path);
  if (!buffer)
    return lines;
  llvm::SmallVector<llvm::StringRef> parts;
  (*buffer)->getBuffer().split(parts, '\n', -1, /*KeepEmpty=*/false);
  for (llvm::StringRef line : parts)
    if (!line.trim().empty())
      lines.push_back(line.trim().str());
  return lines;
}

} // namespace attnc::test

#endif // ATTNC_TESTS_ONNX_READLINES_H
