/*===- ModelInfo.h - what a compiled model describes about itself ---------===*
 *
 * Constant data every generated model object defines under the name
 * attnc_rt_info: the model's name, its target and the name, dtype and shape
 * of each input and output. The target-independent C ABI (Abi.cpp) answers
 * the describe calls and validates run arguments from it.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTNC_RUNTIME_COMMON_MODELINFO_H
#define ATTNC_RUNTIME_COMMON_MODELINFO_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct attnc_rt_tensor_info {
  const char *name;
  int32_t dtype; /* attnc_dtype */
  int32_t rank;
  const int64_t *shape;
} attnc_rt_tensor_info;

typedef struct attnc_rt_model_info {
  int32_t abi_version; /* ATTNC_ABI_VERSION the object was generated for */
  const char *name;
  const char *target;
  int32_t num_inputs, num_outputs;
  const attnc_rt_tensor_info *inputs;
  const attnc_rt_tensor_info *outputs;
} attnc_rt_model_info;

/* Defined by the generated model object. */
extern const attnc_rt_model_info attnc_rt_info;

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_RUNTIME_COMMON_MODELINFO_H */
