//===- onnx_import_fuzzer.cpp - libFuzzer target for the ONNX importer ----===//
//
// Feeds arbitrary bytes to importOnnxBuffer as a serialized ModelProto and,
// when the import succeeds, runs the graph pipeline on the result: what
// `attnc compile model.onnx` does before code generation. Any crash, ASan
// report, leak or hang is a bug; diagnostics are the expected outcome.
// Dynamic input dims are pinned to 2 so that graphs get past their inputs.
//
//===----------------------------------------------------------------------===//

#include "frontends/onnx/OnnxImporter.h"
#include "passes/Passes.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"

#include <onnx/onnx_pb.h>

#include <climits>
#include <cstdint>
#include <string>

using namespace mlir;

namespace {

/// `--input-shape` pins for every graph input with a dynamic dim (each
/// dynamic dim 2), as a user would give them.
std::vector<std::string> pinDynamicInputs(llvm::StringRef bytes) {
  std::vector<std::string> pins;
  onnx::ModelProto model;
  if (bytes.size() > INT_MAX ||
      !model.ParseFromArray(bytes.data(), static_cast<int>(bytes.size())))
    return pins;
  for (const onnx::ValueInfoProto &input : model.graph().input()) {
    const onnx::TypeProto &type = input.type();
    if (!type.has_tensor_type() || !type.tensor_type().has_shape())
      continue;
    std::string dims;
    bool dynamic = false;
    for (const auto &d : type.tensor_type().shape().dim()) {
      int64_t size = d.has_dim_value() ? d.dim_value() : 2;
      dynamic |= !d.has_dim_value();
      dims += (dims.empty() ? "" : "x") + std::to_string(size);
    }
    if (dynamic)
      pins.push_back(input.name() + "=" + dims);
  }
  return pins;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  llvm::StringRef bytes(reinterpret_cast<const char *>(data), size);
  // A fresh context per input: resource blobs and uniqued attributes would
  // otherwise accumulate over millions of runs.
  MLIRContext context(MLIRContext::Threading::DISABLED);
  context.printOpOnDiagnostic(false);
  ScopedDiagnosticHandler quiet(&context,
                                [](Diagnostic &) { return success(); });
  attnc::OnnxImportOptions options;
  options.inputShapes = pinDynamicInputs(bytes);
  OwningOpRef<ModuleOp> module =
      attnc::importOnnxBuffer(bytes, "<fuzz>", context, options);
  if (!module)
    return 0;
  PassManager pm(&context);
  attn::buildAttnPipeline(pm);
  (void)pm.run(*module);
  return 0;
}
