//===- FrontendTestUtils.h - helpers of the front-end tests -----*- C++ -*-===//
//
// Captures diagnostics as "file:line:col: message" text, gives each test a
// scratch directory that is removed afterwards, and names the element of a
// tensor a comparison with PyTorch failed at.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TESTS_UNIT_FRONTENDS_FRONTENDTESTUTILS_H
#define ATTNC_TESTS_UNIT_FRONTENDS_FRONTENDTESTUTILS_H

#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/Location.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

namespace attnc::test {

/// "file:line:col" for a file location, the name for a NameLoc.
inline std::string formatLocation(mlir::Location loc) {
  if (auto file = loc.dyn_cast<mlir::FileLineColLoc>())
    return (file.getFilename().getValue() + ":" + llvm::Twine(file.getLine()) +
            ":" + llvm::Twine(file.getColumn()))
        .str();
  if (auto name = loc.dyn_cast<mlir::NameLoc>())
    return name.getName().str();
  std::string text;
  llvm::raw_string_ostream os(text);
  os << loc;
  return os.str();
}

/// Collects every diagnostic of a context, one "location: message" a line.
class DiagnosticCollector {
public:
  explicit DiagnosticCollector(mlir::MLIRContext &context)
      : handler(&context, [this](mlir::Diagnostic &diag) {
          text += formatLocation(diag.getLocation()) + ": " + diag.str() + "\n";
          return mlir::success();
        }) {}

  std::string text;

private:
  mlir::ScopedDiagnosticHandler handler;
};

/// A fresh directory, removed with everything in it at destruction.
class ScratchDir {
public:
  ScratchDir() {
    llvm::SmallString<128> dir;
    EXPECT_FALSE(llvm::sys::fs::createUniqueDirectory("attnc-frontends", dir));
    path = dir.str().str();
  }
  ~ScratchDir() { llvm::sys::fs::remove_directories(path); }

  /// The path of `name` inside the directory.
  std::string file(llvm::StringRef name) const {
    llvm::SmallString<128> p(path);
    llvm::sys::path::append(p, name);
    return p.str().str();
  }

  /// Writes `contents` to `name` and returns its path.
  std::string write(llvm::StringRef name, llvm::StringRef contents) const {
    std::string p = file(name);
    std::error_code ec;
    llvm::raw_fd_ostream os(p, ec);
    EXPECT_FALSE(ec) << ec.message();
    os << contents;
    return p;
  }

  std::string path;
};

/// "[1, 2, 3]": the multi-index of flat index `i` in `shape`.
inline std::string formatIndex(int64_t i, llvm::ArrayRef<int64_t> shape) {
  std::vector<int64_t> index(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    index[d] = i % shape[d];
    i /= shape[d];
  }
  std::ostringstream os;
  os << "[";
  for (size_t d = 0; d < index.size(); ++d)
    os << (d ? ", " : "") << index[d];
  os << "]";
  return os.str();
}

} // namespace attnc::test

#endif // ATTNC_TESTS_UNIT_FRONTENDS_FRONTENDTESTUTILS_H
