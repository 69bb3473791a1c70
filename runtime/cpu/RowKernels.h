/*===- RowKernels.h - the CPU target's own library kernels ---------------===*
 *
 * Argument blocks of the kernels runtime/cpu/kernels/RowKernels.cpp adds to
 * the bitcode library next to attention and matmul: softmax, layer norm,
 * reductions and gather. codegen/cpu fills them (it includes this header
 * for their layout) and runs tasks [0, *_tasks(args)) with attnc_cpu_parallel.
 * Tensors are row-major and 64-byte aligned; sizes are in elements.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTNC_RUNTIME_CPU_ROWKERNELS_H
#define ATTNC_RUNTIME_CPU_ROWKERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** The most dims a row kernel's strided operand may have. */
#define ATTNC_MAX_RANK 8

/** softmax / log_softmax of f32 along the middle dim of [outer, n, inner]. */
typedef struct attnc_softmax_args {
  const float *in;
  float *out;
  int64_t outer, n, inner;
  int32_t log; /* 1: log_softmax */
} attnc_softmax_args;

int64_t attnc_k_softmax_tasks(const attnc_softmax_args *args);
int64_t attnc_k_softmax_scratch(const attnc_softmax_args *args);
void attnc_k_softmax(const attnc_softmax_args *args, int64_t begin,
                     int64_t end, void *scratch);

/** attn.scaled_masked_softmax of f32 over the last dim: rows of `n` keys,
 *  the rows' dims `shape[0..rank)` (the last of them is Sq). The mask
 *  broadcasts: `mask_stride` holds its element strides over those dims and
 *  the key dim (0 where it broadcasts). */
typedef struct attnc_masked_softmax_args {
  const float *in;
  float *out;
  const void *mask;
  int32_t mask_kind; /* 0 none, 1 additive f32, 2 keep-mask u8 */
  int32_t causal;    /* as attnc_attention_args */
  float scale;
  int32_t rank;
  int64_t n;
  int64_t shape[ATTNC_MAX_RANK];
  int64_t mask_stride[ATTNC_MAX_RANK + 1];
} attnc_masked_softmax_args;

int64_t attnc_k_masked_softmax_tasks(const attnc_masked_softmax_args *args);
void attnc_k_masked_softmax(const attnc_masked_softmax_args *args,
                            int64_t begin, int64_t end, void *scratch);

/** layer_norm of f32 rows of `n` elements; scale / bias may be NULL. */
typedef struct attnc_layer_norm_args {
  const float *in;
  float *out;
  const float *scale, *bias;
  int64_t rows, n;
  float epsilon;
} attnc_layer_norm_args;

int64_t attnc_k_layer_norm_tasks(const attnc_layer_norm_args *args);
void attnc_k_layer_norm(const attnc_layer_norm_args *args, int64_t begin,
                        int64_t end, void *scratch);

/** sum / mean / max / min of f32, f64, i32 or i64 over the dims whose
 *  `reduced` flag is set. The output holds the kept dims in order. */
typedef struct attnc_reduce_args {
  const void *in;
  void *out;
  int32_t dtype; /* attnc_dtype: 1 f32, 2 f64, 4 i32, 5 i64 */
  int32_t kind;  /* 0 sum, 1 mean, 2 max, 3 min */
  int32_t rank;
  int64_t shape[ATTNC_MAX_RANK];
  int32_t reduced[ATTNC_MAX_RANK];
} attnc_reduce_args;

int64_t attnc_k_reduce_tasks(const attnc_reduce_args *args);
void attnc_k_reduce(const attnc_reduce_args *args, int64_t begin, int64_t end,
                    void *scratch);

/** gather: out[p, i, :] = table[p, idx(indices[i]), :] over `outer` × `count`
 *  rows of `row_bytes` bytes; a table of `n` rows along the axis. Negative
 *  indices count from the end; one outside [-n, n) is reported through
 *  attnc_cpu_fail(ctx, what, ...) and its row is zero-filled. */
typedef struct attnc_gather_args {
  const void *table;
  const void *indices;
  void *out;
  void *ctx; /* attnc_cpu_context */
  const char *what;
  int64_t outer, n, count, row_bytes;
  int32_t index_bytes; /* 4 or 8 */
} attnc_gather_args;

int64_t attnc_k_gather_tasks(const attnc_gather_args *args);
void attnc_k_gather(const attnc_gather_args *args, int64_t begin, int64_t end,
                    void *scratch);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_RUNTIME_CPU_ROWKERNELS_H */
