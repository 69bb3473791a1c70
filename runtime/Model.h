/*===- Model.h - the C ABI of every library attnc emits -------------------===*
 *
 * `attnc compile MODEL --target=cpu|vulkan -o libmodel.so` writes a shared
 * library exporting exactly these functions, whatever the target, and a
 * copy of this header next to it. The library carries its weights (and, for
 * Vulkan, its SPIR-V); loading it needs nothing from attnc's build tree.
 *
 * Every function that can fail returns an attnc_status; the message of the
 * last failure is attnc_last_error(model), or attnc_last_error(NULL) for a
 * failed attnc_model_create. Bad arguments (a wrong shape, dtype or byte
 * count) are refused with a message, never read or written out of bounds.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTNC_RUNTIME_MODEL_H
#define ATTNC_RUNTIME_MODEL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Bumped when any declaration below changes. */
#define ATTNC_ABI_VERSION 1

typedef enum attnc_status {
  ATTNC_OK = 0,
  ATTNC_ERROR_INVALID_ARGUMENT = 1, /**< wrong shape, dtype, count, pointer */
  ATTNC_ERROR_OUT_OF_MEMORY = 2,    /**< host or device allocation failed */
  ATTNC_ERROR_DEVICE = 3,           /**< no usable device, device lost */
  ATTNC_ERROR_RUNTIME = 4           /**< a kernel reported an error (e.g. an
                                         out-of-range gather index) */
} attnc_status;

typedef enum attnc_dtype {
  ATTNC_F16 = 0,
  ATTNC_F32 = 1,
  ATTNC_F64 = 2,
  ATTNC_BOOL = 3, /**< one byte per element, 0 or 1 */
  ATTNC_I32 = 4,
  ATTNC_I64 = 5
} attnc_dtype;

/** Describes one input or output. Pointers stay valid until destroy. */
typedef struct attnc_tensor_desc {
  const char *name;
  attnc_dtype dtype;
  int32_t rank;
  const int64_t *shape;
} attnc_tensor_desc;

/** A caller's tensor: row-major `data` of `size_bytes` bytes. */
typedef struct attnc_tensor {
  attnc_dtype dtype;
  int32_t rank;
  const int64_t *shape;
  void *data;
  size_t size_bytes;
} attnc_tensor;

/** Creation options; zero-initialise, then set `struct_size`. */
typedef struct attnc_options {
  uint32_t struct_size;   /**< sizeof(attnc_options) */
  int32_t num_threads;    /**< CPU: worker threads, 0 = all cores, at most 1024 */
  const char *device;     /**< Vulkan: index or name substring; NULL = the
                               ATTNC_VK_DEVICE variable, else the first
                               discrete/integrated GPU, else a CPU device */
  int32_t enable_validation; /**< Vulkan: enable the Khronos validation layer */
} attnc_options;

typedef struct attnc_model attnc_model;

/** ATTNC_ABI_VERSION of the library. */
int32_t attnc_abi_version(void);
/** The model's name and the target it was compiled for ("cpu", "vulkan"). */
const char *attnc_model_name(void);
const char *attnc_target(void);

/** Creates an instance (weights uploaded, buffers planned). `options` may be
 *  NULL for defaults. On failure *out is NULL; see attnc_last_error(NULL). */
attnc_status attnc_model_create(const attnc_options *options, attnc_model **out);
void attnc_model_destroy(attnc_model *model);

/** What the instance runs on, e.g. "cpu: 2 threads, avx512" or
 *  "vulkan: llvmpipe (LLVM 15.0.6, 256 bits), cpu device". */
const char *attnc_model_device(const attnc_model *model);

int32_t attnc_model_num_inputs(const attnc_model *model);
int32_t attnc_model_num_outputs(const attnc_model *model);
attnc_status attnc_model_input(const attnc_model *model, int32_t index,
                               attnc_tensor_desc *desc);
attnc_status attnc_model_output(const attnc_model *model, int32_t index,
                                attnc_tensor_desc *desc);

/** Runs the model once. Each input and output must match its description
 *  exactly (dtype, rank, shape, size_bytes); outputs are written in place. */
attnc_status attnc_model_run(attnc_model *model, const attnc_tensor *inputs,
                             int32_t num_inputs, attnc_tensor *outputs,
                             int32_t num_outputs);

/** Device time of the last run in milliseconds (GPU timestamps on Vulkan,
 *  wall time of the kernels on the CPU); negative when unavailable. */
double attnc_model_last_run_ms(const attnc_model *model);

/** The message of the last failure on `model`, or of the last failed
 *  attnc_model_create on this thread when `model` is NULL. Never NULL. */
const char *attnc_last_error(const attnc_model *model);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_RUNTIME_MODEL_H */
