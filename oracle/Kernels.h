//===- Kernels.h - fp64 tensor kernels of the oracle -----------*- C++ -*-===//
//
// The numerics of the reference interpreter on plain OracleTensors, free of
// MLIR: broadcasting elementwise ops, reductions, normalisations, matmul,
// data movement and the masked softmax / attention contract. Interpreter.cpp
// reads an op's attributes and calls one of these; errors come back without
// the op's name, which the interpreter prefixes.
//
//===----------------------------------------------------------------------===//

#ifndef ATTNC_ORACLE_KERNELS_H
#define ATTNC_ORACLE_KERNELS_H

#include "oracle/Interpreter.h"

#include "ir/AttnDialect.h"
#include "ops/Elementwise.h"

namespace attnc::kernels {

/// A zero-filled tensor of `shape`.
OracleTensor zeros(llvm::ArrayRef<int64_t> shape);

/// The elementwise op `kind` (ops/ElementwiseOps.def) on `operands`,
/// broadcast together numpy-style; `operandKind` is the first operand's
/// scalar kind. Integer division by zero and integer powers with a negative
/// exponent are errors (the targets leave them undefined). Casts go through
/// cast().
llvm::Expected<OracleTensor>
elementwise(ops::ElementwiseKind kind,
            llvm::ArrayRef<const OracleTensor *> operands,
            ops::ScalarKind operandKind);

/// What a cast converts to.
enum class CastKind { ToFloat, ToI32, ToI64, ToBool };

/// Converts every element: floats are kept (the oracle does not model
/// storage precision), integers truncate toward zero (NaN, infinities and
/// values outside the target's range are errors), bool is `x != 0`.
llvm::Expected<OracleTensor> cast(CastKind kind, const OracleTensor &x);

/// Sum, mean, max or min over `axes` (each in [0, rank), no repeats). Max
/// and min propagate NaN and are errors over an empty axis.
llvm::Expected<OracleTensor> reduce(mlir::attn::ReduceKind kind,
                                    const OracleTensor &x,
                                    llvm::ArrayRef<int64_t> axes,
                                    bool keepDims);

/// Softmax (or log-softmax) along `axis` in [0, rank) with max subtraction.
/// A slice of all -inf gives zeros (softmax) or all -inf (log-softmax).
OracleTensor softmax(const OracleTensor &x, int64_t axis, bool log);

/// `(x - mean) / sqrt(var + epsilon) * scale + bias` over dims
/// `axis ..< rank` (biased variance); `scale` and `bias` may be null and
/// otherwise hold one value per normalised element.
llvm::Expected<OracleTensor> layerNorm(const OracleTensor &x,
                                       const OracleTensor *scale,
                                       const OracleTensor *bias, int64_t axis,
                                       double epsilon);

/// `lhs[..., M, K] · rhs[..., K, N]` with broadcast batch dims; the flags
/// read an operand's last two dims swapped.
llvm::Expected<OracleTensor> matmul(const OracleTensor &lhs,
                                    const OracleTensor &rhs, bool transposeLhs,
                                    bool transposeRhs);

/// The same elements in a new shape with as many elements.
llvm::Expected<OracleTensor> reshape(const OracleTensor &x,
                                     llvm::ArrayRef<int64_t> shape);
/// Result dim i is input dim perm[i].
llvm::Expected<OracleTensor> transpose(const OracleTensor &x,
                                       llvm::ArrayRef<int64_t> perm);
/// Numpy broadcast to `shape`.
llvm::Expected<OracleTensor> broadcastTo(const OracleTensor &x,
                                         llvm::ArrayRef<int64_t> shape);
/// The window [starts, limits) with positive strides.
llvm::Expected<OracleTensor> slice(const OracleTensor &x,
                                   llvm::ArrayRef<int64_t> starts,
                                   llvm::ArrayRef<int64_t> limits,
                                   llvm::ArrayRef<int64_t> strides);
/// Joins `inputs` along `axis` in [0, rank).
llvm::Expected<OracleTensor> concat(llvm::ArrayRef<const OracleTensor *> inputs,
                                    int64_t axis);
/// Cuts `x` along `axis` in [0, rank) into pieces of `sizes`.
llvm::Expected<std::vector<OracleTensor>>
split(const OracleTensor &x, int64_t axis, llvm::ArrayRef<int64_t> sizes);
/// ONNX Gather along `axis` in [0, rank); negative indices count from the
/// end, an index outside [-n, n) is an error naming it and the range.
llvm::Expected<OracleTensor> gather(const OracleTensor &table,
                                    const OracleTensor &indices, int64_t axis);

/// True when query i may see key j under `causal` (always for none).
bool causalVisible(mlir::attn::CausalKind causal, int64_t i, int64_t j,
                   int64_t sq, int64_t sk);

/// The [sq, sk] keep-mask of a causal alignment (1 = visible).
OracleTensor causalMask(mlir::attn::CausalKind causal, int64_t sq, int64_t sk);

/// An attention mask: additive values or a keep-mask (non-zero = keep).
struct Mask {
  const OracleTensor *values = nullptr;
  bool isBool = false;
};

/// softmax over the last axis of `x · scale + mask`, with boolean-masked and
/// causally hidden positions at -inf (the last two dims are [Sq, Sk]).
/// Masked positions get exactly 0; a row with every position masked is 0.
llvm::Expected<OracleTensor> scaledMaskedSoftmax(const OracleTensor &x,
                                                 Mask mask, double scale,
                                                 mlir::attn::CausalKind causal);

/// How attention operands are laid out: the split [B, H, S, D] form, or the
/// packed [B, S, H·D] form with `numHeads` / `numKvHeads`.
struct AttentionForm {
  bool packed = false;
  int64_t numHeads = 0;
  int64_t numKvHeads = 0;
};

/// softmax((Q·Kᵀ)·scale + mask) · V per DESIGN.md: grouped-query heads, the
/// mask broadcast to [B, Hq, Sq, Sk], masked keys contribute nothing (not
/// even 0 · inf), a query with every key masked yields zeros.
llvm::Expected<OracleTensor>
attention(const OracleTensor &q, const OracleTensor &k, const OracleTensor &v,
          Mask mask, double scale, mlir::attn::CausalKind causal,
          AttentionForm form);

} // namespace attnc::kernels

#endif // ATTNC_ORACLE_KERNELS_H
