//===- ModelLibrary.cpp - linking a model object into libmodel.so ---------===//
//
// The object and a version script go to a private temporary directory; the
// C++ driver (`c++`, or $CXX) links them with the runtime archives into a
// temporary file next to the output, which is renamed over the output only
// once it and the header exist. The version script exports the ABI and
// nothing else; --exclude-libs hides the statically linked C++ runtime by
// name (the ABI itself comes from a runtime archive, so
// --exclude-libs,ALL would hide it too).
//
//===----------------------------------------------------------------------===//

#include "codegen/ModelLibrary.h"

#include "llvm/ADT/ScopeExit.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdlib>

using namespace attnc;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

/// The functions of runtime/Model.h: the only symbols a library exports.
const char *const kExports[] = {
    "attnc_abi_version",      "attnc_model_name",
    "attnc_target",           "attnc_model_create",
    "attnc_model_destroy",    "attnc_model_device",
    "attnc_model_num_inputs", "attnc_model_num_outputs",
    "attnc_model_input",      "attnc_model_output",
    "attnc_model_run",        "attnc_model_last_run_ms",
    "attnc_last_error"};

int anchor;

llvm::Error writeFile(llvm::StringRef path, llvm::StringRef data) {
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return makeError("cannot write '" + path + "': " + ec.message());
  os << data;
  os.close();
  if (os.has_error())
    return makeError("cannot write '" + path + "': " + os.error().message());
  return llvm::Error::success();
}

/// Writes `data` to `path` through a temporary file in the same directory.
llvm::Error writeAtomically(llvm::StringRef path, llvm::StringRef data) {
  llvm::SmallString<256> temp;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(path + ".tmp-%%%%%%", fd, temp))
    return makeError("cannot create a file next to '" + path +
                     "': " + ec.message());
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  if (llvm::Error e = writeFile(temp, data)) {
    llvm::sys::fs::remove(temp);
    return e;
  }
  if (std::error_code ec = llvm::sys::fs::rename(temp, path)) {
    llvm::sys::fs::remove(temp);
    return makeError("cannot write '" + path + "': " + ec.message());
  }
  return llvm::Error::success();
}

llvm::Expected<std::string> findCompilerDriver() {
  if (const char *cxx = std::getenv("CXX"); cxx && *cxx) {
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(cxx))
      return *path;
    return makeError(llvm::Twine("$CXX names '") + cxx +
                     "', which is not a program");
  }
  for (const char *name : {"c++", "g++", "clang++", "clang++-16"})
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(name))
      return *path;
  return makeError("no C++ compiler driver (c++, g++ or clang++) on PATH to "
                   "link the model library; install g++ or set $CXX");
}

} // namespace

llvm::Expected<std::string>
attnc::findRuntimeArchive(llvm::StringRef name, llvm::StringRef envVar,
                          llvm::StringRef buildPath) {
  std::string var = envVar.str();
  if (const char *env = std::getenv(var.c_str()); env && *env) {
    if (llvm::sys::fs::exists(env))
      return std::string(env);
    return makeError("$" + envVar + " names '" + env +
                     "', which does not exist");
  }
  std::string exe = llvm::sys::fs::getMainExecutable(nullptr, &anchor);
  llvm::SmallString<256> candidate(llvm::sys::path::parent_path(exe));
  llvm::sys::path::append(candidate, "..", "lib", name);
  if (!exe.empty() && llvm::sys::fs::exists(candidate))
    return std::string(candidate);
  if (llvm::sys::fs::exists(buildPath))
    return buildPath.str();
  return makeError("cannot find the runtime " + name + " (looked in $" +
                   envVar + ", " + candidate + " and " + buildPath + ")");
}

llvm::Error attnc::linkModelLibrary(llvm::StringRef object,
                                    const LibraryLinkInputs &inputs,
                                    llvm::StringRef outputPath) {
  if (outputPath.empty() || outputPath == "-")
    return makeError("a library needs an output file (-o libmodel.so)");
  llvm::Expected<std::string> driver = findCompilerDriver();
  if (!driver)
    return driver.takeError();

  llvm::SmallString<128> work;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueDirectory("attnc-link", work))
    return makeError("cannot create a temporary directory: " + ec.message());
  auto removeWork =
      llvm::make_scope_exit([&] { llvm::sys::fs::remove_directories(work); });
  llvm::SmallString<128> objectPath(work), mapPath(work), logPath(work);
  llvm::sys::path::append(objectPath, "model.o");
  llvm::sys::path::append(mapPath, "exports.map");
  llvm::sys::path::append(logPath, "link.log");
  std::string map = "{\n  global:\n";
  for (const char *symbol : kExports)
    map += std::string("    ") + symbol + ";\n";
  map += "  local: *;\n};\n";
  if (llvm::Error e = writeFile(objectPath, object))
    return e;
  if (llvm::Error e = writeFile(mapPath, map))
    return e;

  // Link to a temporary name beside the output, so the rename is atomic.
  llvm::SmallString<256> output(outputPath);
  llvm::sys::fs::make_absolute(output);
  llvm::SmallString<256> temp;
  int fd;
  if (std::error_code ec =
          llvm::sys::fs::createUniqueFile(output + ".tmp-%%%%%%", fd, temp))
    return makeError("cannot create '" + outputPath + "': " + ec.message());
  llvm::sys::Process::SafelyCloseFileDescriptor(fd);
  auto removeTemp = llvm::make_scope_exit([&] { llvm::sys::fs::remove(temp); });

  std::string versionScript = ("-Wl,--version-script=" + mapPath).str();
  std::vector<std::string> args = {*driver,
                                   "-shared",
                                   "-o",
                                   temp.str().str(),
                                   objectPath.str().str(),
                                   "-Wl,--whole-archive"};
  args.insert(args.end(), inputs.archives.begin(), inputs.archives.end());
  args.push_back("-Wl,--no-whole-archive");
  args.insert(args.end(), inputs.libraries.begin(), inputs.libraries.end());
  for (const char *arg :
       {"-Wl,--exclude-libs,libstdc++.a:libsupc++.a:libgcc.a:libgcc_eh.a",
        "-Wl,-z,noexecstack", "-Wl,-z,now", "-static-libstdc++",
        "-static-libgcc", "-pthread"})
    args.push_back(arg);
  args.push_back(versionScript);
  llvm::SmallVector<llvm::StringRef, 24> argRefs(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logPath.str(),
                                                logPath.str()};
  std::string message;
  int rc = llvm::sys::ExecuteAndWait(*driver, argRefs, std::nullopt, redirects,
                                     0, 0, &message);
  if (rc != 0) {
    std::string log;
    if (llvm::ErrorOr<std::unique_ptr<llvm::MemoryBuffer>> buffer =
            llvm::MemoryBuffer::getFile(logPath))
      log = (*buffer)->getBuffer().rtrim().str();
    return makeError("linking '" + outputPath + "' with " + *driver +
                     " failed" + (message.empty() ? "" : ": " + message) +
                     (log.empty() ? "" : "\n" + log));
  }

  llvm::SmallString<256> header(llvm::sys::path::parent_path(output));
  llvm::sys::path::append(header, llvm::sys::path::stem(output) + ".h");
  if (llvm::Error e = writeAtomically(header, getModelHeaderText()))
    return e;
  if (std::error_code ec = llvm::sys::fs::rename(temp, output))
    return makeError("cannot write '" + outputPath + "': " + ec.message());
  removeTemp.release();
  return llvm::Error::success();
}
