//===- LoadedModel.cpp - running a compiled model library -----------------===//

#include "driver/LoadedModel.h"

#include <dlfcn.h>

using namespace attnc;

struct LoadedModel::Api {
  int32_t (*abiVersion)();
  const char *(*target)();
  attnc_status (*create)(const attnc_options *, attnc_model **);
  void (*destroy)(attnc_model *);
  const char *(*device)(const attnc_model *);
  int32_t (*numInputs)(const attnc_model *);
  int32_t (*numOutputs)(const attnc_model *);
  attnc_status (*input)(const attnc_model *, int32_t, attnc_tensor_desc *);
  attnc_status (*output)(const attnc_model *, int32_t, attnc_tensor_desc *);
  attnc_status (*run)(attnc_model *, const attnc_tensor *, int32_t,
                      attnc_tensor *, int32_t);
  double (*lastRunMs)(const attnc_model *);
  const char *(*lastError)(const attnc_model *);
};

static llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

template <typename Fn>
static bool resolve(void *handle, const char *name, Fn &fn) {
  fn = reinterpret_cast<Fn>(dlsym(handle, name));
  return fn != nullptr;
}

static TensorDesc toDesc(const attnc_tensor_desc &d) {
  TensorDesc desc;
  desc.name = d.name ? d.name : "";
  desc.dtype = static_cast<DTypeKind>(d.dtype);
  desc.shape.assign(d.shape, d.shape + d.rank);
  return desc;
}

llvm::Expected<std::unique_ptr<LoadedModel>>
LoadedModel::load(llvm::StringRef path, const attnc_options &options) {
  std::string file = path.str();
  if (file.find('/') == std::string::npos)
    file = "./" + file; // dlopen searches the library path otherwise
  void *handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle)
    return makeError(llvm::Twine("cannot load '") + path + "': " + dlerror());
  std::unique_ptr<LoadedModel> m(new LoadedModel());
  m->handle = handle;
  m->api = std::make_unique<Api>();
  Api &a = *m->api;
  bool ok = resolve(handle, "attnc_abi_version", a.abiVersion) &&
            resolve(handle, "attnc_target", a.target) &&
            resolve(handle, "attnc_model_create", a.create) &&
            resolve(handle, "attnc_model_destroy", a.destroy) &&
            resolve(handle, "attnc_model_device", a.device) &&
            resolve(handle, "attnc_model_num_inputs", a.numInputs) &&
            resolve(handle, "attnc_model_num_outputs", a.numOutputs) &&
            resolve(handle, "attnc_model_input", a.input) &&
            resolve(handle, "attnc_model_output", a.output) &&
            resolve(handle, "attnc_model_run", a.run) &&
            resolve(handle, "attnc_model_last_run_ms", a.lastRunMs) &&
            resolve(handle, "attnc_last_error", a.lastError);
  if (!ok)
    return makeError(llvm::Twine("'") + path +
                     "' is not an attnc model library (missing attnc_* "
                     "symbols)");
  if (a.abiVersion() != ATTNC_ABI_VERSION)
    return makeError(llvm::Twine("'") + path + "' has ABI version " +
                     llvm::Twine(a.abiVersion()) + ", this attnc reads " +
                     llvm::Twine(ATTNC_ABI_VERSION));
  m->target = a.target();
  if (a.create(&options, &m->model) != ATTNC_OK)
    return makeError(llvm::Twine("cannot create the model in '") + path +
                     "': " + a.lastError(nullptr));
  m->device = a.device(m->model);
  for (int32_t i = 0, e = a.numInputs(m->model); i < e; ++i) {
    attnc_tensor_desc d;
    a.input(m->model, i, &d);
    m->inputs.push_back(toDesc(d));
  }
  for (int32_t i = 0, e = a.numOutputs(m->model); i < e; ++i) {
    attnc_tensor_desc d;
    a.output(m->model, i, &d);
    m->outputs.push_back(toDesc(d));
  }
  return m;
}

LoadedModel::~LoadedModel() {
  if (model)
    api->destroy(model);
  if (handle)
    dlclose(handle);
}

llvm::Expected<std::vector<HostTensor>>
LoadedModel::run(llvm::ArrayRef<HostTensor> in) {
  std::vector<attnc_tensor> args;
  for (const HostTensor &t : in)
    args.push_back({static_cast<attnc_dtype>(t.dtype),
                    static_cast<int32_t>(t.shape.size()), t.shape.data(),
                    const_cast<uint8_t *>(t.bytes.data()), t.bytes.size()});
  std::vector<HostTensor> results;
  for (const TensorDesc &d : outputs)
    results.emplace_back(d.dtype, d.shape);
  std::vector<attnc_tensor> outs;
  for (HostTensor &t : results)
    outs.push_back({static_cast<attnc_dtype>(t.dtype),
                    static_cast<int32_t>(t.shape.size()), t.shape.data(),
                    t.bytes.data(), t.bytes.size()});
  if (api->run(model, args.data(), static_cast<int32_t>(args.size()),
               outs.data(), static_cast<int32_t>(outs.size())) != ATTNC_OK)
    return makeError(api->lastError(model));
  return results;
}

double LoadedModel::getLastRunMs() const { return api->lastRunMs(model); }
