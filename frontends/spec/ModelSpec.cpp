//===- ModelSpec.cpp - the JSON model-spec front end ----------------------===//
//
// Reads the spec file, parses it with positions, validates it (SpecReader)
// and builds the model with seeded or safetensors weights.
//
//===----------------------------------------------------------------------===//

#include "frontends/spec/ModelSpec.h"

#include "frontends/builder/ModelBuilder.h"
#include "frontends/builder/SeededWeights.h"
#include "frontends/spec/SafetensorsWeights.h"
#include "frontends/spec/SpecReader.h"

#include "mlir/IR/Diagnostics.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

using namespace mlir;
using namespace attnc;

FailureOr<ModelSpec> attnc::parseModelSpecText(StringRef text,
                                               StringRef filename,
                                               MLIRContext &context) {
  FailureOr<JsonDocument> doc = JsonDocument::parse(text, filename, context);
  if (failed(doc))
    return failure();
  return SpecReader(*doc, filename).read();
}

FailureOr<ModelSpec> attnc::parseModelSpec(StringRef path,
                                           MLIRContext &context) {
  auto buffer = llvm::MemoryBuffer::getFile(path, /*IsText=*/true);
  if (!buffer) {
    emitError(FileLineColLoc::get(&context, path, 0, 0))
        << "cannot read model spec '" << path
        << "': " << buffer.getError().message();
    return failure();
  }
  return parseModelSpecText((*buffer)->getBuffer(), path, context);
}

OwningOpRef<ModuleOp> attnc::buildModel(const ModelSpec &spec,
                                        MLIRContext &context) {
  if (spec.weights.file.empty()) {
    SeededWeights weights(spec.weights.seed, spec.weights.std);
    return buildTransformerModel(spec.model, weights, context);
  }
  Location loc = spec.weights.loc ? Location(spec.weights.loc)
                                  : Location(UnknownLoc::get(&context));
  llvm::Expected<SafetensorsFile> file =
      SafetensorsFile::open(spec.weights.file);
  if (!file) {
    emitError(loc) << "weights file: " << toString(file.takeError());
    return nullptr;
  }
  SafetensorsWeights weights(std::move(*file),
                             llvm::sys::path::filename(spec.weights.file).str(),
                             loc);
  return buildTransformerModel(spec.model, weights, context);
}

OwningOpRef<ModuleOp> attnc::importModelSpec(StringRef path,
                                             MLIRContext &context) {
  FailureOr<ModelSpec> spec = parseModelSpec(path, context);
  if (failed(spec))
    return nullptr;
  return buildModel(*spec, context);
}
