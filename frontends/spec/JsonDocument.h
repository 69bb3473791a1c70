//===- JsonDocument.h - JSON with the position of every key ----*- C++ -*-===//
//
// Parses JSON text with nlohmann's SAX parser and remembers where each key
// and value starts, so a spec error can point at file:line:col. Values are
// addressed by JSON pointer ("/weights/file"; "" is the root).
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_SPEC_JSONDOCUMENT_H
#define ATTNC_FRONTENDS_SPEC_JSONDOCUMENT_H

#include "mlir/IR/Location.h"
#include "mlir/Support/LogicalResult.h"
#include "llvm/ADT/StringMap.h"

#include <nlohmann/json.hpp>

#include <string>

namespace attnc {

/// A parsed JSON document with source positions.
class JsonDocument {
public:
  /// Parses `text` read from `filename`. A syntax error or a duplicate key is
  /// reported at its file:line:col and gives failure.
  static mlir::FailureOr<JsonDocument> parse(llvm::StringRef text,
                                             llvm::StringRef filename,
                                             mlir::MLIRContext &context);

  const nlohmann::json &root() const { return rootValue; }
  /// Where the value at `pointer` starts (the root's position if unknown).
  mlir::Location valueLoc(llvm::StringRef pointer) const;
  /// Where the key naming the value at `pointer` starts.
  mlir::Location keyLoc(llvm::StringRef pointer) const;
  /// The location of a byte offset into the text.
  mlir::Location locAt(size_t offset) const;

  /// `parent` + "/" + `key`, escaped as RFC 6901 requires.
  static std::string childPointer(llvm::StringRef parent, llvm::StringRef key);

private:
  JsonDocument(llvm::StringRef text, llvm::StringRef filename,
               mlir::MLIRContext &context)
      : text(text.str()), filename(filename.str()), context(&context) {}
  friend class JsonLocatingSax;

  std::string text;
  std::string filename;
  mlir::MLIRContext *context;
  nlohmann::json rootValue;
  llvm::StringMap<size_t> valueOffsets;
  llvm::StringMap<size_t> keyOffsets;
};

} // namespace attnc

#endif // ATTNC_FRONTENDS_SPEC_JSONDOCUMENT_H
