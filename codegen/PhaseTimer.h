//===- PhaseTimer.h - --timing lines of a target's phases -------*- C++ -*-===//
//
// Each target times the phases of a compile (schedule, emit, optimise, link,
// ...) with one PhaseTimer and prints them for `attnc compile --timing`.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_CODEGEN_PHASETIMER_H
#define ATTNC_CODEGEN_PHASETIMER_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Format.h"
#include "llvm/Support/raw_ostream.h"

#include <chrono>
#include <string>

namespace attnc {

/// Prints "  <target>: <phase> <ms> ms" to stderr at the end of each phase
/// when enabled.
class PhaseTimer {
public:
  PhaseTimer(llvm::StringRef target, bool enabled)
      : target(target.str()), enabled(enabled) {}

  /// Ends the phase named `phase` (the time since the previous one).
  void done(llvm::StringRef phase) {
    auto now = std::chrono::steady_clock::now();
    if (enabled)
      llvm::errs() << llvm::format(
          "  %s: %-28s %8.1f ms\n", target.c_str(), phase.str().c_str(),
          std::chrono::duration<double, std::milli>(now - last).count());
    last = now;
  }

private:
  std::string target;
  bool enabled;
  std::chrono::steady_clock::time_point last = std::chrono::steady_clock::now();
};

} // namespace attnc

#endif // ATTNC_CODEGEN_PHASETIMER_H
