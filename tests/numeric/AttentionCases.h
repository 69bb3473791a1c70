//===- AttentionCases.h - the attention conformance matrix ------*- C++ -*-===//
//
// What the CPU and Vulkan attention tests share: the conformance matrix, one
// module holding every case of a list as its own attention op (one compile
// for the whole matrix), seeded inputs for it, the check that a query seeing
// no key gives exact zeros, and the tutorial example of
// tests/data/seed_attention.json.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_TESTS_NUMERIC_ATTENTIONCASES_H
#define ATTNC_TESTS_NUMERIC_ATTENTIONCASES_H

#include "support/HostTensor.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/JSON.h"

#include <optional>
#include <string>
#include <vector>

namespace attnc::test {

/// The mask operand of a case: none, an additive padding mask ([B,1,1,Sk],
/// each batch pads a different tail), a keep-mask ([B,1,Sq,Sk]), a keep-mask
/// with one row all false, an additive mask ([1,Hq,Sq,Sk]) with one row all
/// -inf, or one with one row all finfo(float32).min (which, unlike -inf,
/// leaves the row a uniform average of V, as in f32).
enum class MaskKind {
  None,
  Padding,
  Keep,
  KeepFullRow,
  AdditiveFullRow,
  AdditiveMinRow
};

struct AttentionCase {
  const char *name;
  int64_t b, hq, hkv, sq, sk, d, dv;
  MaskKind mask;
  const char *causal; // none | top_left | bottom_right
  float scale = 0;    // 0: the default 1/sqrt(D)
  /// Q/K/V arrive as [B, S, H, D] and the output leaves that way: the
  /// transposes around the attention become strided views.
  bool transposed = false;
};

/// The matrix every target runs: batch 1/3, heads 1/4/8, GQA 8 over 2,
/// Sq = Sk and Sq != Sk with a one-token decode against 500 keys, head dims
/// 32/64/80/128, lengths 1/7/129/1000, no mask, additive and keep-masks,
/// each causal mode, fully masked rows, a row masked by finfo(float32).min,
/// Dv != D with an explicit scale.
llvm::ArrayRef<AttentionCase> getConformanceCases();

/// What the Vulkan kernels add to the matrix: a head dim that is not a
/// multiple of 4 (r32f rather than rgba32f texels), Q/K/V and the output as
/// transposed views, causal tiles of the portable kernel with 2 and 1 rows
/// per invocation (head dims 256 and 264) and a causal offset that is not a
/// multiple of its key step.
llvm::ArrayRef<AttentionCase> getVulkanExtraCases();

/// One @forward returning every case's attention output, in order; its
/// arguments are each case's q, k, v and (if any) mask, with float tensors
/// of `element` (f32 or f16).
std::string buildAttentionModule(llvm::ArrayRef<AttentionCase> cases,
                                 llvm::StringRef element = "f32");

/// Seeded inputs for buildAttentionModule(cases): q, k, v ~ N(0, 1) and the
/// masks, key 0 visible except in the fully masked row.
std::vector<HostTensor>
buildAttentionInputs(llvm::ArrayRef<AttentionCase> cases,
                     DTypeKind floats = DTypeKind::F32);

/// Fails the test when a query of `c` that sees no key (the fully masked
/// row, or a causal bound before key 0) has an output other than exact zero.
void expectEmptyQueriesAreZero(const AttentionCase &c, const HostTensor &out);

/// tests/data/seed_attention.json (from $ATTNC_TEST_DATA); nothing, with a
/// test failure saying why, when it cannot be read.
std::optional<llvm::json::Value> loadSeedAttention();

/// A JSON array of rows of numbers.
std::vector<std::vector<double>> matrixOf(const llvm::json::Array &rows);

/// The tutorial case of seed_attention.json as unfused attn ops (matmul,
/// div by sqrt(2), softmax, matmul) with its W_Q, W_K and W_V as constants;
/// `inputs` is the case's "inputs" object.
std::string seedTutorialModule(const llvm::json::Object &inputs);

/// The tutorial case's X, the module's one argument.
HostTensor seedTutorialInput(const llvm::json::Object &inputs);

} // namespace attnc::test

#endif // ATTNC_TESTS_NUMERIC_ATTENTIONCASES_H
