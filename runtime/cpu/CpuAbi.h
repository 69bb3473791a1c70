/*===- CpuAbi.h - between a generated CPU model and its runtime ----------===*
 *
 * The generated model object (codegen/cpu) and the CPU runtime (Backend.cpp,
 * ThreadPool.cpp) meet here. The object defines the run function, the arena
 * and scratch sizes; the runtime provides the thread pool the object's
 * kernels are spread over and the error channel of run-time checks.
 *
 *===----------------------------------------------------------------------===*/

#ifndef ATTNC_RUNTIME_CPU_CPUABI_H
#define ATTNC_RUNTIME_CPU_CPUABI_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** One model instance's run state (pool, scratch, error), opaque to the
 *  generated code. */
typedef struct attnc_cpu_context attnc_cpu_context;

/** A kernel's body: runs tasks [begin, end) of the kernel described by
 *  `args`, with one worker's scratch memory (64-byte aligned). Matches the
 *  kernel library's entry points (runtime/cpu/Kernels.h). */
typedef void (*attnc_cpu_task_fn)(const void *args, int64_t begin,
                                  int64_t end, void *scratch);

/* Provided by the runtime. */

/** Runs tasks [0, tasks) of `fn` on the instance's workers (the calling
 *  thread included) and returns when all are done. */
void attnc_cpu_parallel(attnc_cpu_context *ctx, attnc_cpu_task_fn fn,
                        const void *args, int64_t tasks);

/** Records a run-time error: `what` (the op and its location) and the
 *  offending index with the valid range [-limit, limit). The first error of
 *  a run wins; thread-safe. */
void attnc_cpu_fail(attnc_cpu_context *ctx, const char *what, int64_t index,
                    int64_t limit);

/** Non-zero once attnc_cpu_fail was called during this run. */
int32_t attnc_cpu_failed(attnc_cpu_context *ctx);

/* Defined by the generated model object. */

/** The LLVM CPU the code was generated for, and the ISA extensions it may
 *  use (comma-separated), checked against this CPU at create. */
extern const char attnc_cpu_target_cpu[];
extern const char attnc_cpu_required_features[];

/** Bytes of the arena the run function uses (allocated once at create). */
extern const int64_t attnc_cpu_arena_bytes;

/** Scratch bytes each worker needs: the most any kernel asks for. */
int64_t attnc_cpu_scratch_bytes(void);

/** Runs every kernel in schedule order. `inputs` and `outputs` are the
 *  caller's checked buffers in declaration order. Returns 0, or non-zero
 *  after attnc_cpu_fail. */
int32_t attnc_cpu_run(attnc_cpu_context *ctx, const void *const *inputs,
                      void *const *outputs, void *arena);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_RUNTIME_CPU_CPUABI_H */
