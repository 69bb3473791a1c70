//===- SpecReader.h - JSON document → ModelSpec ----------------*- C++ -*-===//
//
// Walks a located JSON document, checks every key, type and value of a model
// spec and fills in the defaults; each problem is one diagnostic at the key
// or value it concerns.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_FRONTENDS_SPEC_SPECREADER_H
#define ATTNC_FRONTENDS_SPEC_SPECREADER_H

#include "frontends/spec/JsonDocument.h"
#include "frontends/spec/ModelSpec.h"

#include <optional>

namespace attnc {

/// Reads one spec document; use once.
class SpecReader {
public:
  /// `specPath` names the spec file: its stem is the default model name and
  /// its directory anchors a relative weights file.
  SpecReader(const JsonDocument &doc, llvm::StringRef specPath)
      : doc(doc), specPath(specPath.str()) {}

  /// The spec, or failure after the first diagnostic.
  mlir::FailureOr<ModelSpec> read();

private:
  mlir::LogicalResult fail(llvm::StringRef pointer, const llvm::Twine &message);
  mlir::LogicalResult checkKeys(llvm::StringRef pointer,
                                llvm::ArrayRef<llvm::StringRef> allowed);
  const nlohmann::json *find(llvm::StringRef pointer) const;
  mlir::LogicalResult readInt(llvm::StringRef pointer,
                              std::optional<int64_t> &out);
  mlir::LogicalResult readNumber(llvm::StringRef pointer,
                                 std::optional<double> &out);
  mlir::LogicalResult readBool(llvm::StringRef pointer,
                               std::optional<bool> &out);
  mlir::LogicalResult readString(llvm::StringRef pointer,
                                 std::optional<std::string> &out);
  mlir::LogicalResult readChoice(llvm::StringRef pointer,
                                 llvm::ArrayRef<llvm::StringRef> choices,
                                 std::optional<unsigned> &out);
  mlir::LogicalResult require(llvm::StringRef pointer, bool present);
  /// Fails unless an absent `value` or minimum <= value <= kMaxSize.
  mlir::LogicalResult inRange(llvm::StringRef pointer,
                              const std::optional<int64_t> &value,
                              int64_t minimum);

  mlir::LogicalResult readShape(ModelSpec &spec);
  mlir::LogicalResult readSequences(ModelSpec &spec);
  mlir::LogicalResult readOptions(ModelSpec &spec);
  mlir::LogicalResult readStyle(ModelSpec &spec);
  mlir::LogicalResult readWeights(ModelSpec &spec);

  const JsonDocument &doc;
  std::string specPath;
};

} // namespace attnc

#endif // ATTNC_FRONTENDS_SPEC_SPECREADER_H
