/*===- Kernels.h - the CPU kernel library's C interface ---------------------===*
 *
 * The hand-tuned kernels every CPU model library calls: flash attention and
 * matrix multiplication. They are written in portable C++ with vector
 * extensions, compiled to LLVM bitcode when attnc is built, and linked into
 * each model's LLVM module, so they are optimised and code-generated with
 * the model for the CPU it targets (--cpu).
 *
 * Each kernel splits its work into independent tasks; the model runs task
 * ranges on its worker threads, each worker with its own scratch memory of
 * the size the kernel asks for. Every pointer is fp32 and 64-byte aligned
 * unless stated; strides are in elements and the last dim is contiguous.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTNC_RUNTIME_CPU_KERNELS_H
#define ATTNC_RUNTIME_CPU_KERNELS_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The attn.attention contract (DESIGN.md): out = softmax(Q·Kᵀ·scale + mask)·V
 * with causal and keep-mask positions at -inf, fp32 running max and sum,
 * exact zeros for a query whose keys are all masked. */
typedef struct attnc_attention_args {
  const float *q;   /* [B, Hq, Sq, D]  */
  const float *k;   /* [B, Hkv, Sk, D] */
  const float *v;   /* [B, Hkv, Sk, Dv] */
  const void *mask; /* NULL, additive float, or keep-mask (1 byte, 0/1) */
  float *out;       /* [B, Hq, Sq, Dv] */
  int64_t batch, heads, kv_heads, sq, sk, d, dv;
  /* Element strides of dims B, H, S of each operand. */
  int64_t q_stride[3], k_stride[3], v_stride[3], out_stride[3];
  /* Element strides of the mask's dims B, H, Sq, Sk; 0 where it broadcasts. */
  int64_t mask_stride[4];
  int32_t mask_kind; /* 0 none, 1 additive f32, 2 keep-mask u8 */
  int32_t causal;    /* 0 none, 1 top_left (j <= i), 2 bottom_right
                        (j <= i + Sk - Sq) */
  float scale;
} attnc_attention_args;

/* Independent tasks (batch x heads x query tiles; for grouped-query
 * attention with short query sequences, batch x kv_heads x tiles of the
 * group's query rows). Tasks differ in cost under a causal mask; they are
 * ordered so that contiguous halves, or an atomic task counter, balance. */
int64_t attnc_k_attention_tasks(const attnc_attention_args *args);
/* Scratch bytes one worker needs (64-byte aligned by the caller). */
int64_t attnc_k_attention_scratch(const attnc_attention_args *args);
/* Runs tasks [begin, end). */
void attnc_k_attention(const attnc_attention_args *args, int64_t begin,
                       int64_t end, void *scratch);

/* C[b] = op(A[b]) · op(B[b]) with op = transpose when the flag is set.
 * A is [M, K] (or [K, M] transposed), B is [K, N] (or [N, K]), C is [M, N],
 * leading dimensions lda/ldb/ldc. Up to three batch dims; a batch stride of
 * 0 broadcasts that operand. */
typedef struct attnc_matmul_args {
  const float *a, *b;
  float *c;
  int64_t m, n, k;
  int64_t lda, ldb, ldc;
  int32_t trans_a, trans_b;
  int64_t batch[3]; /* 1 for unused dims */
  int64_t a_batch_stride[3], b_batch_stride[3], c_batch_stride[3];
} attnc_matmul_args;

int64_t attnc_k_matmul_tasks(const attnc_matmul_args *args);
int64_t attnc_k_matmul_scratch(const attnc_matmul_args *args);
void attnc_k_matmul(const attnc_matmul_args *args, int64_t begin, int64_t end,
                    void *scratch);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_RUNTIME_CPU_KERNELS_H */
