//===- ModelLibrary.h - linking a model object into libmodel.so -*- C++ -*-===//
//
// Turns a generated model object and a target's runtime archives into the
// shared library `attnc compile` writes: the system C++ driver links it,
// exporting only the functions of runtime/Model.h, and the ABI header is
// written beside it. The library appears atomically: on any failure nothing
// is left at the output path.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_MODELLIBRARY_H
#define ATTNC_CODEGEN_MODELLIBRARY_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>
#include <vector>

namespace attnc {

/// What a target adds to the link.
struct LibraryLinkInputs {
  /// Runtime archives linked whole (they define the ABI the object lacks).
  std::vector<std::string> archives;
  /// Shared libraries the model needs at run time, as linker arguments
  /// ("-lvulkan").
  std::vector<std::string> libraries;
};

/// runtime/Model.h, embedded in attnc when it is built.
llvm::StringRef getModelHeaderText();

/// Finds a runtime archive `name` (e.g. "libattnc_vulkan_runtime.a"): the
/// path in the environment variable `envVar` if set, else
/// `<attnc's directory>/../lib/<name>`, else `buildPath` (where attnc's own
/// build put it).
llvm::Expected<std::string> findRuntimeArchive(llvm::StringRef name,
                                               llvm::StringRef envVar,
                                               llvm::StringRef buildPath);

/// Links `object` (an ELF relocatable's bytes) with `inputs` into the shared
/// library `outputPath` and writes `<output dir>/<stem>.h`. libstdc++ and
/// libgcc are linked statically with their symbols hidden.
llvm::Error linkModelLibrary(llvm::StringRef object,
                             const LibraryLinkInputs &inputs,
                             llvm::StringRef outputPath);

} // namespace attnc

#endif // ATTNC_CODEGEN_MODELLIBRARY_H
