//===- SpirvCompiler.cpp - GLSL to validated SPIR-V, in process -----------===//
//
// glslang's info log names lines as "ERROR: <name>:<line>: ..."; each such
// line is followed by the GLSL source line it points at, so a compiler bug
// is reported with the code that triggered it.
//
//===----------------------------------------------------------------------===//

#include "codegen/vulkan/SpirvCompiler.h"

#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/raw_ostream.h"

#include <glslang/Public/ResourceLimits.h>
#include <glslang/Public/ShaderLang.h>
#include <glslang/SPIRV/GlslangToSpv.h>
#include <spirv-tools/libspirv.hpp>

#include <mutex>

using namespace attnc;

namespace {

llvm::Error internalError(llvm::StringRef name, const llvm::Twine &what) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(),
                                 "internal compiler error: Vulkan shader '" +
                                     name + "' " + what);
}

/// glslang's log with the source line after each "<name>:<line>:" mention.
std::string annotateLog(llvm::StringRef log, llvm::StringRef name,
                        llvm::StringRef source) {
  llvm::SmallVector<llvm::StringRef> lines;
  source.split(lines, '\n');
  std::string out;
  llvm::raw_string_ostream os(out);
  llvm::SmallVector<llvm::StringRef> logLines;
  log.trim().split(logLines, '\n');
  std::string marker = (name + ":").str();
  for (llvm::StringRef line : logLines) {
    os << "  " << line << "\n";
    size_t at = line.find(marker);
    if (at == llvm::StringRef::npos)
      continue;
    unsigned number = 0;
    llvm::StringRef rest = line.substr(at + marker.size());
    if (rest.consumeInteger(10, number) || number == 0 || number > lines.size())
      continue;
    os << "    | " << lines[number - 1].rtrim() << "\n";
  }
  return os.str();
}

/// glslang's SPIR-V for the compute shader in `source`, or the info log.
bool translate(const std::string &text, const std::string &nameText,
               const std::string &preambleText, bool debugInfo,
               std::vector<unsigned> &words, std::string &log,
               bool &linkFailed) {
  const char *strings[] = {text.c_str()};
  const int lengths[] = {static_cast<int>(text.size())};
  const char *names[] = {nameText.c_str()};
  glslang::TShader shader(EShLangCompute);
  shader.setStringsWithLengthsAndNames(strings, lengths, names, 1);
  shader.setPreamble(preambleText.c_str());
  shader.setEntryPoint("main");
  shader.setEnvInput(glslang::EShSourceGlsl, EShLangCompute,
                     glslang::EShClientVulkan, 100);
  shader.setEnvClient(glslang::EShClientVulkan, glslang::EShTargetVulkan_1_1);
  shader.setEnvTarget(glslang::EShTargetSpv, glslang::EShTargetSpv_1_3);
  auto messages = static_cast<EShMessages>(EShMsgSpvRules | EShMsgVulkanRules |
                                           (debugInfo ? EShMsgDebugInfo : 0));
  linkFailed = false;
  if (!shader.parse(GetDefaultResources(), 450, false, messages)) {
    log = shader.getInfoLog();
    return false;
  }
  glslang::TProgram program;
  program.addShader(&shader);
  if (!program.link(messages)) {
    log = program.getInfoLog();
    linkFailed = true;
    return false;
  }
  spv::SpvBuildLogger logger;
  glslang::SpvOptions options;
  options.disableOptimizer = true;
  options.generateDebugInfo = debugInfo;
  glslang::GlslangToSpv(*program.getIntermediate(EShLangCompute), words,
                        &logger, &options);
  log = logger.getAllMessages();
  return !words.empty();
}

/// Validates `words`; the messages and the ordinal of the first offending
/// instruction on failure.
bool validate(const std::vector<unsigned> &words, std::string &problems,
              size_t &ordinal) {
  spvtools::SpirvTools tools(SPV_ENV_VULKAN_1_1);
  ordinal = 0;
  tools.SetMessageConsumer([&](spv_message_level_t, const char *,
                               const spv_position_t &position,
                               const char *message) {
    if (!ordinal)
      ordinal = position.index;
    problems += std::string("  ") + message + "\n";
  });
  return tools.Validate(words);
}

} // namespace

unsigned vk::sourceLineOfInstruction(llvm::ArrayRef<uint32_t> spirv,
                                     size_t ordinal) {
  const uint32_t kOpLine = 8, kOpNoLine = 317;
  unsigned line = 0;
  size_t count = 0;
  for (size_t at = 5; at < spirv.size();) {
    uint32_t words = spirv[at] >> 16, opcode = spirv[at] & 0xffff;
    if (words == 0 || at + words > spirv.size())
      break;
    if (++count == ordinal)
      return line;
    if (opcode == kOpLine && words >= 3)
      line = spirv[at + 2];
    else if (opcode == kOpNoLine)
      line = 0;
    at += words;
  }
  return 0;
}

llvm::Expected<std::vector<uint32_t>>
vk::compileComputeShader(llvm::StringRef source, llvm::StringRef name,
                         llvm::StringRef preamble) {
  static std::once_flag initialised;
  std::call_once(initialised, [] { glslang::InitializeProcess(); });
  // glslang keeps per-thread pools; compiles are cheap, so serialise them.
  static std::mutex mutex;
  std::lock_guard<std::mutex> lock(mutex);

  std::string text = source.str(), nameText = name.str(),
              preambleText = preamble.str();
  std::vector<unsigned> words;
  std::string log;
  bool linkFailed;
  if (!translate(text, nameText, preambleText, false, words, log, linkFailed)) {
    if (words.empty() && !log.empty() && log.find("ERROR") == std::string::npos)
      return internalError(name, "produced no SPIR-V: " + log);
    return internalError(
        name, (linkFailed ? "does not link:\n" : "does not compile:\n") +
                  annotateLog(log, name, source));
  }
  std::string problems;
  size_t ordinal;
  if (!validate(words, problems, ordinal)) {
    // The same module with OpLine instructions says which GLSL line the
    // offending instruction came from.
    std::string where;
    std::vector<unsigned> debugWords;
    std::string debugProblems;
    size_t debugOrdinal;
    if (translate(text, nameText, preambleText, true, debugWords, log,
                  linkFailed) &&
        !validate(debugWords, debugProblems, debugOrdinal)) {
      std::vector<uint32_t> module(debugWords.begin(), debugWords.end());
      unsigned line = sourceLineOfInstruction(module, debugOrdinal);
      llvm::SmallVector<llvm::StringRef> lines;
      source.split(lines, '\n');
      if (line > 0 && line <= lines.size())
        where = "  at " + nameText + ":" + std::to_string(line) + ":\n    | " +
                lines[line - 1].rtrim().str() + "\n";
    }
    return internalError(name,
                         "failed SPIR-V validation:\n" + problems + where);
  }
  return std::vector<uint32_t>(words.begin(), words.end());
}
