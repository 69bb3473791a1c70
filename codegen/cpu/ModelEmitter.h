//===- ModelEmitter.h - a model's LLVM module from its schedule -*- C++ -*-===//
//
// Turns the Schedule of an optimised attn function into the LLVM module of
// a CPU model library: the weights as one constant, attnc_rt_info, one task
// function per generated kernel and the run function that calls them (and
// the kernel library) in schedule order through the runtime's thread pool.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_CPU_MODELEMITTER_H
#define ATTNC_CODEGEN_CPU_MODELEMITTER_H

#include "codegen/Schedule.h"

#include "llvm/IR/Module.h"
#include "llvm/Support/Error.h"

namespace attnc::cpu {

/// Symbols the generated object defines for the runtime (kept external when
/// the kernel library is internalised).
llvm::ArrayRef<llvm::StringRef> getRuntimeEntryPoints();

/// Emits the model `schedule` describes into `module` (empty, with its
/// target triple and data layout set). `modelName` names the library,
/// `targetCpu` is recorded for attnc_model_device and `requiredFeatures`
/// (comma-separated ISA extensions) for the runtime's check at create.
/// Fails, naming the op, on an op or element type the CPU target does not
/// implement.
llvm::Error emitModel(const Schedule &schedule, llvm::StringRef modelName,
                      llvm::StringRef targetCpu,
                      llvm::StringRef requiredFeatures, llvm::Module &module);

} // namespace attnc::cpu

#endif // ATTNC_CODEGEN_CPU_MODELEMITTER_H
