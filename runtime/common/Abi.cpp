//===- Abi.cpp - the C ABI of every compiled model library ----------------===//
//
// Implements runtime/Model.h once for all targets: descriptions come from
// the generated attnc_rt_info, run arguments are checked against them
// (dtype, rank, shape, byte size, non-null data) before the target's
// Backend sees them, and errors are kept per model (or per thread for a
// failed create). No exception or abort crosses the ABI.
//
//===----------------------------------------------------------------------===//

#include "runtime/Model.h"
#include "runtime/common/Backend.h"
#include "runtime/common/ModelInfo.h"

#include <cstring>
#include <new>
#include <string>
#include <vector>

using attnc::rt::Backend;

struct attnc_model {
  std::unique_ptr<Backend> backend;
  std::string device;
  std::string error;
};

namespace {

thread_local std::string createError;

const char *dtypeName(int32_t dtype) {
  static const char *names[] = {"f16", "f32", "f64", "bool", "i32", "i64"};
  return dtype >= 0 && dtype < 6 ? names[dtype] : "?";
}

size_t dtypeBytes(int32_t dtype) {
  static const size_t sizes[] = {2, 4, 8, 1, 4, 8};
  return dtype >= 0 && dtype < 6 ? sizes[dtype] : 0;
}

std::string describe(int32_t dtype, int32_t rank, const int64_t *shape) {
  std::string s = "[";
  for (int32_t i = 0; i < rank; ++i)
    s += (i ? ", " : "") + std::to_string(shape ? shape[i] : -1);
  return s + "] " + dtypeName(dtype);
}

/// Checks one caller tensor against its description; "" when it matches.
std::string check(const char *what, int32_t index,
                  const attnc_rt_tensor_info &info, const attnc_tensor &t) {
  std::string prefix = std::string(what) + " #" + std::to_string(index) +
                       " '" + info.name + "': ";
  bool sameShape = t.rank == info.rank && (t.rank == 0 || t.shape);
  for (int32_t i = 0; sameShape && i < t.rank; ++i)
    sameShape = t.shape[i] == info.shape[i];
  if (t.dtype != info.dtype || !sameShape)
    return prefix + "expected " + describe(info.dtype, info.rank, info.shape) +
           ", got " +
           describe(t.dtype, t.rank < 0 || t.rank > 64 ? 0 : t.rank, t.shape);
  size_t bytes = dtypeBytes(info.dtype);
  for (int32_t i = 0; i < info.rank; ++i)
    bytes *= static_cast<size_t>(info.shape[i]);
  if (t.size_bytes != bytes)
    return prefix + "expected " + std::to_string(bytes) + " bytes, got " +
           std::to_string(t.size_bytes);
  if (!t.data && bytes)
    return prefix + "data is NULL";
  return "";
}

attnc_status fail(attnc_model *model, attnc_status status, std::string message) {
  model->error = std::move(message);
  return status;
}

} // namespace

extern "C" {

int32_t attnc_abi_version(void) { return ATTNC_ABI_VERSION; }

const char *attnc_model_name(void) { return attnc_rt_info.name; }

const char *attnc_target(void) { return attnc_rt_info.target; }

attnc_status attnc_model_create(const attnc_options *options,
                                attnc_model **out) {
  if (!out) {
    createError = "attnc_model_create: `out` is NULL";
    return ATTNC_ERROR_INVALID_ARGUMENT;
  }
  *out = nullptr;
  if (attnc_rt_info.abi_version != ATTNC_ABI_VERSION) {
    createError = "the model was generated for ABI version " +
                  std::to_string(attnc_rt_info.abi_version);
    return ATTNC_ERROR_INVALID_ARGUMENT;
  }
  attnc_options defaults = {};
  defaults.struct_size = sizeof(attnc_options);
  if (options) {
    // Older callers pass a shorter struct: take what they set.
    size_t size = options->struct_size < sizeof(attnc_options)
                      ? options->struct_size
                      : sizeof(attnc_options);
    std::memcpy(&defaults, options, size);
    defaults.struct_size = sizeof(attnc_options);
  }
  attnc_model *model = new (std::nothrow) attnc_model();
  if (!model) {
    createError = "out of host memory";
    return ATTNC_ERROR_OUT_OF_MEMORY;
  }
  attnc_status status = ATTNC_OK;
  std::string error;
  try {
    model->backend = attnc::rt::createBackend(attnc_rt_info, defaults, status,
                                              error);
  } catch (const std::bad_alloc &) {
    status = ATTNC_ERROR_OUT_OF_MEMORY;
    error = "out of host memory";
  }
  if (!model->backend) {
    createError = error.empty() ? "cannot create the model" : error;
    delete model;
    return status == ATTNC_OK ? ATTNC_ERROR_RUNTIME : status;
  }
  model->device = model->backend->describeDevice();
  *out = model;
  return ATTNC_OK;
}

void attnc_model_destroy(attnc_model *model) { delete model; }

const char *attnc_model_device(const attnc_model *model) {
  return model ? model->device.c_str() : "";
}

int32_t attnc_model_num_inputs(const attnc_model *) {
  return attnc_rt_info.num_inputs;
}

int32_t attnc_model_num_outputs(const attnc_model *) {
  return attnc_rt_info.num_outputs;
}

static attnc_status describeTensor(const attnc_rt_tensor_info *infos,
                                   int32_t count, int32_t index,
                                   attnc_tensor_desc *desc) {
  if (!desc || index < 0 || index >= count)
    return ATTNC_ERROR_INVALID_ARGUMENT;
  const attnc_rt_tensor_info &info = infos[index];
  desc->name = info.name;
  desc->dtype = static_cast<attnc_dtype>(info.dtype);
  desc->rank = info.rank;
  desc->shape = info.shape;
  return ATTNC_OK;
}

attnc_status attnc_model_input(const attnc_model *, int32_t index,
                               attnc_tensor_desc *desc) {
  return describeTensor(attnc_rt_info.inputs, attnc_rt_info.num_inputs, index,
                        desc);
}

attnc_status attnc_model_output(const attnc_model *, int32_t index,
                                attnc_tensor_desc *desc) {
  return describeTensor(attnc_rt_info.outputs, attnc_rt_info.num_outputs,
                        index, desc);
}

attnc_status attnc_model_run(attnc_model *model, const attnc_tensor *inputs,
                             int32_t num_inputs, attnc_tensor *outputs,
                             int32_t num_outputs) {
  if (!model)
    return ATTNC_ERROR_INVALID_ARGUMENT;
  const attnc_rt_model_info &info = attnc_rt_info;
  if (num_inputs != info.num_inputs || num_outputs != info.num_outputs)
    return fail(model, ATTNC_ERROR_INVALID_ARGUMENT,
                "expected " + std::to_string(info.num_inputs) +
                    " inputs and " + std::to_string(info.num_outputs) +
                    " outputs, got " + std::to_string(num_inputs) + " and " +
                    std::to_string(num_outputs));
  if ((num_inputs && !inputs) || (num_outputs && !outputs))
    return fail(model, ATTNC_ERROR_INVALID_ARGUMENT, "tensor array is NULL");
  std::vector<const void *> in(num_inputs);
  std::vector<void *> out(num_outputs);
  for (int32_t i = 0; i < num_inputs; ++i) {
    std::string problem = check("input", i, info.inputs[i], inputs[i]);
    if (!problem.empty())
      return fail(model, ATTNC_ERROR_INVALID_ARGUMENT, problem);
    in[i] = inputs[i].data;
  }
  for (int32_t i = 0; i < num_outputs; ++i) {
    std::string problem = check("output", i, info.outputs[i], outputs[i]);
    if (!problem.empty())
      return fail(model, ATTNC_ERROR_INVALID_ARGUMENT, problem);
    out[i] = outputs[i].data;
  }
  std::string error;
  attnc_status status;
  try {
    status = model->backend->run(in.data(), out.data(), error);
  } catch (const std::bad_alloc &) {
    return fail(model, ATTNC_ERROR_OUT_OF_MEMORY, "out of host memory");
  }
  if (status != ATTNC_OK)
    return fail(model, status, error.empty() ? "run failed" : error);
  model->error.clear();
  return ATTNC_OK;
}

double attnc_model_last_run_ms(const attnc_model *model) {
  return model ? model->backend->lastRunMs() : -1.0;
}

const char *attnc_last_error(const attnc_model *model) {
  return model ? model->error.c_str() : createError.c_str();
}

} // extern "C"
