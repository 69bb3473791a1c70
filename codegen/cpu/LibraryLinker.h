//===- LibraryLinker.h - a model object into libmodel.so -------*- C++ -*-===//
//
// Links the generated model object with the CPU runtime archive into a
// shared library exporting only the attnc_* ABI, by running the system C++
// compiler driver, and writes the ABI header beside it. The output appears
// atomically: on any failure nothing is left at the output path.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CPU_LIBRARYLINKER_H
#define ATTNC_CODEGEN_CPU_LIBRARYLINKER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <string>

namespace attnc::cpu {

/// The CPU runtime archive (libattnc_cpu_runtime.a): $ATTNC_CPU_RUNTIME if
/// set, else `<attnc's directory>/../lib/`, else the build tree attnc was
/// built in.
llvm::Expected<std::string> findRuntimeArchive();

/// Links `object` (an ELF relocatable) into the shared library
/// `outputPath` and writes `<output dir>/<stem>.h`.
llvm::Error linkModelLibrary(llvm::StringRef object,
                             llvm::StringRef outputPath);

} // namespace attnc::cpu

#endif // ATTNC_CODEGEN_CPU_LIBRARYLINKER_H
