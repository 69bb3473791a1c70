//===- Kernels.cpp - fp64 tensor kernels of the oracle --------------------===//
//
// Straightforward loops in double precision. Broadcasting and strided views
// go through one odometer walk; matmul packs transposed operands and runs a
// blocked i-k-j loop so the inner loop streams contiguous rows.
//
//===----------------------------------------------------------------------===//

#include "oracle/Kernels.h"

#include "oracle/DoubleMath.h"

#include "ir/ShapeUtils.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/MathExtras.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

using llvm::ArrayRef;
using llvm::SmallVector;
using llvm::Twine;
using mlir::attn::CausalKind;
using mlir::attn::formatShape;
using mlir::attn::numElements;
using mlir::attn::rowMajorStrides;

namespace attnc::kernels {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

llvm::Error error(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

using Strides = SmallVector<int64_t, 6>;

/// Strides that read `from` (numpy-broadcastable to `to`) at the positions of
/// `to`: 0 along broadcast and missing leading dims.
Strides broadcastStrides(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  assert(mlir::attn::isBroadcastableTo(from, to) && "not broadcastable");
  Strides strides(to.size(), 0);
  SmallVector<int64_t> fromStrides = rowMajorStrides(from);
  size_t offset = to.size() - from.size();
  for (size_t d = 0; d < from.size(); ++d)
    if (from[d] != 1)
      strides[offset + d] = fromStrides[d];
  return strides;
}

/// Visits every element of `shape` in row-major order as
/// `fn(flatIndex, offsets)`, where offsets[o] is the position of operand o
/// given its per-dim `strides` and starting offset `base[o]` (0 if absent).
template <typename Fn>
void walk(ArrayRef<int64_t> shape, ArrayRef<Strides> strides, Fn &&fn,
          ArrayRef<int64_t> base = {}) {
  int64_t n = numElements(shape);
  if (n == 0)
    return;
  int64_t rank = shape.size();
  size_t operands = strides.size();
  SmallVector<int64_t, 6> index(rank, 0);
  SmallVector<int64_t, 4> offsets(operands, 0);
  for (size_t o = 0; o < base.size(); ++o)
    offsets[o] = base[o];
  for (int64_t flat = 0; flat < n; ++flat) {
    fn(flat, ArrayRef<int64_t>(offsets));
    for (int64_t d = rank - 1; d >= 0; --d) {
      for (size_t o = 0; o < operands; ++o)
        offsets[o] += strides[o][d];
      if (++index[d] < shape[d])
        break;
      for (size_t o = 0; o < operands; ++o)
        offsets[o] -= strides[o][d] * shape[d];
      index[d] = 0;
    }
  }
}

/// `f(operand values)` at every point of the operands' broadcast shape.
template <typename F>
llvm::Expected<OracleTensor> applyElementwise(ArrayRef<const OracleTensor *> in,
                                              F f) {
  SmallVector<int64_t> shape(in[0]->shape.begin(), in[0]->shape.end());
  for (const OracleTensor *t : in.drop_front()) {
    SmallVector<int64_t> joined;
    if (mlir::attn::broadcastShapes(shape, t->shape, joined)) {
      std::string shapes = formatShape(in[0]->shape);
      for (const OracleTensor *u : in.drop_front())
        shapes += " with " + formatShape(u->shape);
      return error("cannot broadcast " + shapes);
    }
    shape = joined;
  }
  OracleTensor out = zeros(shape);
  SmallVector<Strides, 3> strides;
  for (const OracleTensor *t : in)
    strides.push_back(broadcastStrides(t->shape, shape));
  SmallVector<double, 3> args(in.size());
  walk(shape, strides, [&](int64_t i, ArrayRef<int64_t> off) {
    for (size_t o = 0; o < in.size(); ++o)
      args[o] = in[o]->data[off[o]];
    out.data[i] = f(ArrayRef<double>(args));
  });
  return out;
}

/// The first element satisfying `pred`, or -1.
int64_t firstIndexWhere(const OracleTensor &t,
                        llvm::function_ref<bool(double)> pred) {
  for (size_t i = 0; i < t.data.size(); ++i)
    if (pred(t.data[i]))
      return i;
  return -1;
}

/// A value for a message: integers as integers, others round-trippable.
std::string formatNumber(double v) {
  if (v == std::trunc(v) && std::fabs(v) < 9.2e18)
    return std::to_string(static_cast<int64_t>(v));
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "%.17g", v);
  return buffer;
}

} // namespace

OracleTensor zeros(ArrayRef<int64_t> shape) {
  OracleTensor t;
  t.shape.assign(shape.begin(), shape.end());
  t.data.assign(numElements(shape), 0.0);
  return t;
}

//===----------------------------------------------------------------------===//
// Elementwise
//===----------------------------------------------------------------------===//

llvm::Expected<OracleTensor> elementwise(ops::ElementwiseKind kind,
                                         ArrayRef<const OracleTensor *> in,
                                         ops::ScalarKind operandKind) {
  using ops::ElementwiseKind;
  assert(kind != ElementwiseKind::Cast && "casts go through cast()");
  if (in.size() != ops::getInfo(kind).arity)
    return error(Twine(ops::getInfo(kind).name) + " takes " +
                 Twine(ops::getInfo(kind).arity) + " operands, got " +
                 Twine(in.size()));
  // Every rhs element is read when the result is not empty.
  bool integers = operandKind != ops::ScalarKind::Float;
  bool empty = numElements(in[0]->shape) == 0;
  if (integers && kind == ElementwiseKind::Div && !empty) {
    int64_t zero = firstIndexWhere(*in[1], [](double y) { return y == 0; });
    if (zero >= 0)
      return error("integer division by zero (rhs element " + Twine(zero) +
                   ")");
  }
  if (integers && kind == ElementwiseKind::Pow && !empty) {
    int64_t negative = firstIndexWhere(*in[1], [](double y) { return y < 0; });
    if (negative >= 0)
      return error("integer power with a negative exponent " +
                   formatNumber(in[1]->data[negative]) + " (rhs element " +
                   Twine(negative) + ")");
  }
  DoubleMath math;
  math.operands = operandKind;
  return applyElementwise(in, [&](ArrayRef<double> args) {
    return ops::evaluate(kind, math, args);
  });
}

llvm::Expected<OracleTensor> cast(CastKind kind, const OracleTensor &x) {
  OracleTensor out = x;
  // The representable range of the target, both bounds exact in double.
  double lo = kind == CastKind::ToI32 ? -2147483648.0 : -9223372036854775808.0;
  double hi = kind == CastKind::ToI32 ? 2147483647.0 : 9223372036854775807.0;
  bool toInteger = kind == CastKind::ToI32 || kind == CastKind::ToI64;
  for (size_t i = 0; toInteger && i < out.data.size(); ++i) {
    double t = std::trunc(out.data[i]);
    // Written so NaN fails too; for i64 `hi` rounds to 2^63, itself out of
    // range, hence the strict comparison there.
    bool fits =
        kind == CastKind::ToI32 ? (t >= lo && t <= hi) : (t >= lo && t < hi);
    if (!fits)
      return error("element " + Twine(i) + " is " + formatNumber(out.data[i]) +
                   ", which does not fit in " +
                   (kind == CastKind::ToI32 ? "i32" : "i64"));
  }
  DoubleMath math;
  math.to = kind;
  for (double &v : out.data)
    v = ops::evaluate(ops::ElementwiseKind::Cast, math, {v});
  return out;
}

//===----------------------------------------------------------------------===//
// Reductions and normalisations
//===----------------------------------------------------------------------===//

llvm::Expected<OracleTensor> reduce(mlir::attn::ReduceKind kind,
                                    const OracleTensor &x,
                                    ArrayRef<int64_t> axes, bool keepDims) {
  using mlir::attn::ReduceKind;
  int64_t rank = x.shape.size();
  SmallVector<bool> reduced(rank, false);
  for (int64_t axis : axes) {
    if (axis < 0 || axis >= rank || reduced[axis])
      return error("reduction axes " + formatShape(axes) +
                   " are not distinct dims of a rank-" + Twine(rank) +
                   " input");
    reduced[axis] = true;
  }
  SmallVector<int64_t> kept(x.shape.begin(), x.shape.end()), finalShape;
  int64_t count = 1;
  for (int64_t d = 0; d < rank; ++d) {
    if (reduced[d]) {
      count *= x.shape[d];
      kept[d] = 1;
      if (keepDims)
        finalShape.push_back(1);
    } else {
      finalShape.push_back(x.shape[d]);
    }
  }
  OracleTensor out = zeros(kept);
  if (count == 0 && !out.data.empty() &&
      (kind == ReduceKind::max || kind == ReduceKind::min))
    return error("cannot take the " + mlir::attn::stringifyReduceKind(kind) +
                 " over an empty axis of " + formatShape(x.shape));
  if (kind == ReduceKind::max)
    std::fill(out.data.begin(), out.data.end(), -kInf);
  if (kind == ReduceKind::min)
    std::fill(out.data.begin(), out.data.end(), kInf);

  Strides strides = broadcastStrides(kept, x.shape);
  walk(x.shape, {strides}, [&](int64_t i, ArrayRef<int64_t> off) {
    double &acc = out.data[off[0]];
    double v = x.data[i];
    switch (kind) {
    case ReduceKind::sum:
    case ReduceKind::mean:
      acc += v;
      break;
    case ReduceKind::max:
      acc = std::isnan(acc) || std::isnan(v) ? kNaN : std::max(acc, v);
      break;
    case ReduceKind::min:
      acc = std::isnan(acc) || std::isnan(v) ? kNaN : std::min(acc, v);
      break;
    }
  });
  if (kind == ReduceKind::mean)
    for (double &v : out.data)
      v /= static_cast<double>(count);
  out.shape.assign(finalShape.begin(), finalShape.end());
  return out;
}

OracleTensor softmax(const OracleTensor &x, int64_t axis, bool log) {
  assert(axis >= 0 && axis < static_cast<int64_t>(x.shape.size()) &&
         "axis out of range");
  int64_t n = x.shape[axis];
  int64_t inner = numElements(ArrayRef<int64_t>(x.shape).drop_front(axis + 1));
  int64_t outer = numElements(ArrayRef<int64_t>(x.shape).take_front(axis));
  OracleTensor out = zeros(x.shape);
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t in = 0; in < inner; ++in) {
      const double *src = x.data.data() + o * n * inner + in;
      double *dst = out.data.data() + o * n * inner + in;
      double max = -kInf;
      for (int64_t j = 0; j < n; ++j)
        max = std::max(max, src[j * inner]);
      if (max == -kInf) {
        // Every entry is -inf: no position is preferred, and 0/0 must not
        // turn into NaN.
        for (int64_t j = 0; j < n; ++j)
          dst[j * inner] = log ? -kInf : 0.0;
        continue;
      }
      double sum = 0;
      for (int64_t j = 0; j < n; ++j)
        sum += std::exp(src[j * inner] - max);
      for (int64_t j = 0; j < n; ++j)
        dst[j * inner] = log ? src[j * inner] - max - std::log(sum)
                             : std::exp(src[j * inner] - max) / sum;
    }
  }
  return out;
}

llvm::Expected<OracleTensor> layerNorm(const OracleTensor &x,
                                       const OracleTensor *scale,
                                       const OracleTensor *bias, int64_t axis,
                                       double epsilon) {
  if (axis < 0 || axis >= static_cast<int64_t>(x.shape.size()))
    return error("axis " + Twine(axis) + " is out of range for " +
                 formatShape(x.shape));
  ArrayRef<int64_t> normalized = ArrayRef<int64_t>(x.shape).drop_front(axis);
  int64_t inner = numElements(normalized);
  int64_t outer = numElements(ArrayRef<int64_t>(x.shape).take_front(axis));
  for (auto [name, t] :
       {std::pair<const char *, const OracleTensor *>{"scale", scale},
        {"bias", bias}})
    if (t && static_cast<int64_t>(t->data.size()) != inner)
      return error(Twine(name) + " has shape " + formatShape(t->shape) +
                   ", expected " + formatShape(normalized));
  OracleTensor out = zeros(x.shape);
  for (int64_t o = 0; o < outer; ++o) {
    const double *src = x.data.data() + o * inner;
    double *dst = out.data.data() + o * inner;
    double mean = 0;
    for (int64_t i = 0; i < inner; ++i)
      mean += src[i];
    mean /= static_cast<double>(inner);
    // Two passes: the variance of centred values does not cancel.
    double var = 0;
    for (int64_t i = 0; i < inner; ++i)
      var += (src[i] - mean) * (src[i] - mean);
    var /= static_cast<double>(inner);
    double stddev = std::sqrt(var + epsilon);
    for (int64_t i = 0; i < inner; ++i) {
      double y = (src[i] - mean) / stddev;
      if (scale)
        y *= scale->data[i];
      if (bias)
        y += bias->data[i];
      dst[i] = y;
    }
  }
  return out;
}

//===----------------------------------------------------------------------===//
// Matmul
//===----------------------------------------------------------------------===//

namespace {
/// C[M, N] += A[M, K] · B[K, N], all row-major and contiguous. Blocks of B
/// stay in cache while every row of A sweeps them; the sum over k for each
/// C element still runs in increasing k.
void gemm(const double *a, const double *b, double *c, int64_t m, int64_t k,
          int64_t n) {
  constexpr int64_t kBlockK = 128, kBlockN = 512;
  for (int64_t j0 = 0; j0 < n; j0 += kBlockN) {
    int64_t j1 = std::min(n, j0 + kBlockN);
    for (int64_t k0 = 0; k0 < k; k0 += kBlockK) {
      int64_t k1 = std::min(k, k0 + kBlockK);
      for (int64_t i = 0; i < m; ++i) {
        double *crow = c + i * n;
        const double *arow = a + i * k;
        for (int64_t p = k0; p < k1; ++p) {
          double av = arow[p];
          const double *brow = b + p * n;
          for (int64_t j = j0; j < j1; ++j)
            crow[j] += av * brow[j];
        }
      }
    }
  }
}

/// Copies the [rows, cols] matrix at `src` transposed into `dst`.
void transposeInto(const double *src, int64_t rows, int64_t cols,
                   std::vector<double> &dst) {
  dst.resize(rows * cols);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c)
      dst[c * rows + r] = src[r * cols + c];
}
} // namespace

llvm::Expected<OracleTensor> matmul(const OracleTensor &lhs,
                                    const OracleTensor &rhs, bool transposeLhs,
                                    bool transposeRhs) {
  int64_t lr = lhs.shape.size(), rr = rhs.shape.size();
  if (lr < 2 || rr < 2)
    return error("operands need rank >= 2, got " + formatShape(lhs.shape) +
                 " and " + formatShape(rhs.shape));
  int64_t l0 = lhs.shape[lr - 2], l1 = lhs.shape[lr - 1];
  int64_t r0 = rhs.shape[rr - 2], r1 = rhs.shape[rr - 1];
  int64_t m = transposeLhs ? l1 : l0, k = transposeLhs ? l0 : l1;
  int64_t kb = transposeRhs ? r1 : r0, n = transposeRhs ? r0 : r1;
  if (k != kb)
    return error("contraction dims differ: lhs " + formatShape(lhs.shape) +
                 ", rhs " + formatShape(rhs.shape));
  ArrayRef<int64_t> lb = ArrayRef<int64_t>(lhs.shape).drop_back(2);
  ArrayRef<int64_t> rb = ArrayRef<int64_t>(rhs.shape).drop_back(2);
  SmallVector<int64_t> shape;
  if (mlir::attn::broadcastShapes(lb, rb, shape))
    return error("batch dims do not broadcast: lhs " + formatShape(lhs.shape) +
                 ", rhs " + formatShape(rhs.shape));
  SmallVector<int64_t> batch = shape;
  shape.push_back(m);
  shape.push_back(n);
  OracleTensor out = zeros(shape);
  if (out.data.empty() || k == 0)
    return out;

  // Batch strides in units of whole matrices.
  Strides ls = broadcastStrides(lb, batch), rs = broadcastStrides(rb, batch);
  std::vector<double> packedA, packedB;
  walk(batch, {ls, rs}, [&](int64_t i, ArrayRef<int64_t> off) {
    const double *a = lhs.data.data() + off[0] * l0 * l1;
    const double *b = rhs.data.data() + off[1] * r0 * r1;
    if (transposeLhs) {
      transposeInto(a, l0, l1, packedA);
      a = packedA.data();
    }
    if (transposeRhs) {
      transposeInto(b, r0, r1, packedB);
      b = packedB.data();
    }
    gemm(a, b, out.data.data() + i * m * n, m, k, n);
  });
  return out;
}

//===----------------------------------------------------------------------===//
// Data movement
//===----------------------------------------------------------------------===//

llvm::Expected<OracleTensor> reshape(const OracleTensor &x,
                                     ArrayRef<int64_t> shape) {
  if (numElements(shape) != numElements(x.shape))
    return error("cannot reshape " + formatShape(x.shape) + " to " +
                 formatShape(shape));
  OracleTensor out = x;
  out.shape.assign(shape.begin(), shape.end());
  return out;
}

llvm::Expected<OracleTensor> transpose(const OracleTensor &x,
                                       ArrayRef<int64_t> perm) {
  int64_t rank = x.shape.size();
  SmallVector<bool> seen(rank, false);
  bool valid = static_cast<int64_t>(perm.size()) == rank;
  for (int64_t p : perm) {
    valid = valid && p >= 0 && p < rank && !seen[p];
    if (valid)
      seen[p] = true;
  }
  if (!valid)
    return error("perm " + formatShape(perm) + " is not a permutation of [0, " +
                 Twine(rank) + ")");
  SmallVector<int64_t> inStrides = rowMajorStrides(x.shape);
  SmallVector<int64_t> shape;
  Strides strides;
  for (int64_t p : perm) {
    shape.push_back(x.shape[p]);
    strides.push_back(inStrides[p]);
  }
  OracleTensor out = zeros(shape);
  walk(shape, {strides},
       [&](int64_t i, ArrayRef<int64_t> off) { out.data[i] = x.data[off[0]]; });
  return out;
}

llvm::Expected<OracleTensor> broadcastTo(const OracleTensor &x,
                                         ArrayRef<int64_t> shape) {
  if (!mlir::attn::isBroadcastableTo(x.shape, shape))
    return error(formatShape(x.shape) + " does not broadcast to " +
                 formatShape(shape));
  OracleTensor out = zeros(shape);
  walk(shape, {broadcastStrides(x.shape, shape)},
       [&](int64_t i, ArrayRef<int64_t> off) { out.data[i] = x.data[off[0]]; });
  return out;
}

llvm::Expected<OracleTensor> slice(const OracleTensor &x,
                                   ArrayRef<int64_t> starts,
                                   ArrayRef<int64_t> limits,
                                   ArrayRef<int64_t> strides) {
  size_t rank = x.shape.size();
  if (starts.size() != rank || limits.size() != rank || strides.size() != rank)
    return error("starts/limits/strides need " + Twine(rank) + " entries each");
  SmallVector<int64_t> inStrides = rowMajorStrides(x.shape);
  SmallVector<int64_t> shape;
  Strides steps;
  int64_t base = 0;
  for (size_t d = 0; d < rank; ++d) {
    if (strides[d] < 1 || starts[d] < 0 || starts[d] > limits[d] ||
        limits[d] > x.shape[d])
      return error("dim " + Twine(d) + " window [" + Twine(starts[d]) + ", " +
                   Twine(limits[d]) + ") step " + Twine(strides[d]) +
                   " does not fit in [0, " + Twine(x.shape[d]) + "]");
    shape.push_back((limits[d] - starts[d] + strides[d] - 1) / strides[d]);
    steps.push_back(inStrides[d] * strides[d]);
    base += starts[d] * inStrides[d];
  }
  OracleTensor out = zeros(shape);
  walk(shape, {steps},
       [&](int64_t i, ArrayRef<int64_t> off) { out.data[i] = x.data[off[0]]; },
       {base});
  return out;
}

llvm::Expected<OracleTensor> concat(ArrayRef<const OracleTensor *> inputs,
                                    int64_t axis) {
  if (inputs.empty())
    return error("concat needs at least one input");
  ArrayRef<int64_t> first = inputs[0]->shape;
  if (axis < 0 || axis >= static_cast<int64_t>(first.size()))
    return error("axis " + Twine(axis) + " is out of range for " +
                 formatShape(first));
  SmallVector<int64_t> shape(first.begin(), first.end());
  shape[axis] = 0;
  for (auto [i, t] : llvm::enumerate(inputs)) {
    bool compatible = t->shape.size() == first.size();
    for (size_t d = 0; compatible && d < first.size(); ++d)
      compatible = static_cast<int64_t>(d) == axis || t->shape[d] == first[d];
    if (!compatible)
      return error("input #" + Twine(i) + " " + formatShape(t->shape) +
                   " does not match input #0 " + formatShape(first) +
                   " outside axis " + Twine(axis));
    shape[axis] += t->shape[axis];
  }
  OracleTensor out = zeros(shape);
  int64_t outer = numElements(ArrayRef<int64_t>(shape).take_front(axis));
  double *dst = out.data.data();
  for (int64_t o = 0; o < outer; ++o) {
    for (const OracleTensor *t : inputs) {
      int64_t chunk = numElements(ArrayRef<int64_t>(t->shape).drop_front(axis));
      const double *src = t->data.data() + o * chunk;
      dst = std::copy(src, src + chunk, dst);
    }
  }
  return out;
}

llvm::Expected<std::vector<OracleTensor>>
split(const OracleTensor &x, int64_t axis, ArrayRef<int64_t> sizes) {
  if (axis < 0 || axis >= static_cast<int64_t>(x.shape.size()))
    return error("axis " + Twine(axis) + " is out of range for " +
                 formatShape(x.shape));
  int64_t total = 0;
  for (int64_t s : sizes) {
    if (s < 0)
      return error("sizes " + formatShape(sizes) + " has a negative entry");
    total += s;
  }
  if (total != x.shape[axis])
    return error("sizes " + formatShape(sizes) + " add up to " + Twine(total) +
                 ", expected " + Twine(x.shape[axis]));
  int64_t outer = numElements(ArrayRef<int64_t>(x.shape).take_front(axis));
  int64_t inner = numElements(ArrayRef<int64_t>(x.shape).drop_front(axis + 1));
  std::vector<OracleTensor> outs;
  int64_t start = 0;
  for (int64_t s : sizes) {
    SmallVector<int64_t> shape(x.shape.begin(), x.shape.end());
    shape[axis] = s;
    OracleTensor out = zeros(shape);
    for (int64_t o = 0; o < outer; ++o) {
      const double *src = x.data.data() + (o * x.shape[axis] + start) * inner;
      std::copy(src, src + s * inner, out.data.data() + o * s * inner);
    }
    outs.push_back(std::move(out));
    start += s;
  }
  return outs;
}

llvm::Expected<OracleTensor> gather(const OracleTensor &table,
                                    const OracleTensor &indices, int64_t axis) {
  if (axis < 0 || axis >= static_cast<int64_t>(table.shape.size()))
    return error("axis " + Twine(axis) + " is out of range for a table of " +
                 "shape " + formatShape(table.shape));
  ArrayRef<int64_t> tshape = table.shape;
  int64_t n = tshape[axis];
  int64_t outer = numElements(tshape.take_front(axis));
  int64_t inner = numElements(tshape.drop_front(axis + 1));
  // Validate every index before copying anything.
  std::vector<int64_t> rows(indices.data.size());
  for (size_t i = 0; i < indices.data.size(); ++i) {
    double v = indices.data[i];
    if (!(v >= -n && v < n) || v != std::trunc(v))
      return error("index " + formatNumber(v) + " (indices element " +
                   Twine(i) + ") is out of range: valid indices for axis " +
                   Twine(axis) + " of size " + Twine(n) + " are [" + Twine(-n) +
                   ", " + Twine(n) + ")");
    rows[i] = static_cast<int64_t>(v < 0 ? v + n : v);
  }
  SmallVector<int64_t> shape(tshape.take_front(axis));
  llvm::append_range(shape, indices.shape);
  llvm::append_range(shape, tshape.drop_front(axis + 1));
  OracleTensor out = zeros(shape);
  double *dst = out.data.data();
  for (int64_t o = 0; o < outer; ++o)
    for (int64_t row : rows) {
      const double *src = table.data.data() + (o * n + row) * inner;
      dst = std::copy(src, src + inner, dst);
    }
  return out;
}

//===----------------------------------------------------------------------===//
// Masks, masked softmax and attention
//===----------------------------------------------------------------------===//

bool causalVisible(CausalKind causal, int64_t i, int64_t j, int64_t sq,
                   int64_t sk) {
  switch (causal) {
  case CausalKind::none:
    return true;
  case CausalKind::top_left:
    return j <= i;
  case CausalKind::bottom_right:
    return j <= i + (sk - sq);
  }
  llvm_unreachable("unknown CausalKind");
}

OracleTensor causalMask(CausalKind causal, int64_t sq, int64_t sk) {
  OracleTensor out = zeros({sq, sk});
  for (int64_t i = 0; i < sq; ++i)
    for (int64_t j = 0; j < sk; ++j)
      out.data[i * sk + j] = causalVisible(causal, i, j, sq, sk) ? 1.0 : 0.0;
  return out;
}

namespace {
/// Turns the scores `s[0..n)` into softmax weights in place. Entries at -inf
/// (masked) get exactly 0; when all are -inf the row is all 0. Returns false
/// for such a fully masked row.
bool maskedSoftmaxRow(double *s, int64_t n) {
  double max = -kInf;
  for (int64_t j = 0; j < n; ++j)
    max = std::max(max, s[j]);
  if (max == -kInf) {
    std::fill(s, s + n, 0.0);
    return false;
  }
  double sum = 0;
  for (int64_t j = 0; j < n; ++j) {
    s[j] = s[j] == -kInf ? 0.0 : std::exp(s[j] - max);
    sum += s[j];
  }
  for (int64_t j = 0; j < n; ++j)
    s[j] /= sum;
  return true;
}

/// The score after masking: `raw + mask`, or -inf where a keep-mask is false.
double applyMask(double raw, const Mask &mask, int64_t offset) {
  if (!mask.values)
    return raw;
  double m = mask.values->data[offset];
  if (mask.isBool)
    return m != 0 ? raw : -kInf;
  return raw + m;
}
} // namespace

llvm::Expected<OracleTensor> scaledMaskedSoftmax(const OracleTensor &x,
                                                 Mask mask, double scale,
                                                 CausalKind causal) {
  int64_t rank = x.shape.size();
  if (rank < 1 || (causal != CausalKind::none && rank < 2))
    return error("input " + formatShape(x.shape) +
                 " needs rank >= " + Twine(causal == CausalKind::none ? 1 : 2));
  if (mask.values &&
      !mlir::attn::isBroadcastableTo(mask.values->shape, x.shape))
    return error("mask " + formatShape(mask.values->shape) +
                 " does not broadcast to the input " + formatShape(x.shape));
  int64_t sk = x.shape[rank - 1];
  int64_t sq = rank >= 2 ? x.shape[rank - 2] : 1;
  OracleTensor out = zeros(x.shape);
  Strides maskStrides = mask.values
                            ? broadcastStrides(mask.values->shape, x.shape)
                            : Strides(rank, 0);
  walk(x.shape, {maskStrides}, [&](int64_t i, ArrayRef<int64_t> off) {
    int64_t q = (i / sk) % sq, key = i % sk;
    out.data[i] = causalVisible(causal, q, key, sq, sk)
                      ? applyMask(x.data[i] * scale, mask, off[0])
                      : -kInf;
  });
  if (sk == 0)
    return out;
  for (size_t row = 0; row < out.data.size(); row += sk)
    maskedSoftmaxRow(out.data.data() + row, sk);
  return out;
}

namespace {
/// An attention operand seen as [B, H, S, D] through strides, whichever form
/// it is stored in.
struct HeadView {
  int64_t batch = 0, heads = 0, seq = 0, dim = 0;
  int64_t sb = 0, sh = 0, ss = 0; // the d stride is 1 in both forms
};

llvm::Expected<HeadView> viewHeads(const char *name, const OracleTensor &t,
                                   bool packed, int64_t heads) {
  ArrayRef<int64_t> s = t.shape;
  HeadView v;
  if (!packed) {
    if (s.size() != 4)
      return error(Twine(name) + " must be [B, H, S, D], got " +
                   formatShape(s));
    v.batch = s[0], v.heads = s[1], v.seq = s[2], v.dim = s[3];
    v.sb = s[1] * s[2] * s[3], v.sh = s[2] * s[3], v.ss = s[3];
    return v;
  }
  if (s.size() != 3 || heads < 1 || s[2] % heads != 0)
    return error(Twine(name) + " must be [B, S, H*D] with " + Twine(heads) +
                 " heads, got " + formatShape(s));
  v.batch = s[0], v.heads = heads, v.seq = s[1], v.dim = s[2] / heads;
  v.sb = s[1] * s[2], v.sh = v.dim, v.ss = s[2];
  return v;
}
} // namespace

llvm::Expected<OracleTensor>
attention(const OracleTensor &q, const OracleTensor &k, const OracleTensor &v,
          Mask mask, double scale, CausalKind causal, AttentionForm form) {
  int64_t kvHeads = form.numKvHeads ? form.numKvHeads : form.numHeads;
  auto qv = viewHeads("query", q, form.packed, form.numHeads);
  if (!qv)
    return qv.takeError();
  auto kv = viewHeads("key", k, form.packed, kvHeads);
  if (!kv)
    return kv.takeError();
  auto vv = viewHeads("value", v, form.packed, kvHeads);
  if (!vv)
    return vv.takeError();
  if (kv->batch != qv->batch || vv->batch != qv->batch ||
      vv->heads != kv->heads || vv->seq != kv->seq || kv->dim != qv->dim ||
      kv->heads < 1 || qv->heads % kv->heads != 0)
    return error("query " + formatShape(q.shape) + ", key " +
                 formatShape(k.shape) + " and value " + formatShape(v.shape) +
                 " do not form an attention");
  int64_t batch = qv->batch, hq = qv->heads, sq = qv->seq, d = qv->dim;
  int64_t sk = kv->seq, dv = vv->dim, group = hq / kv->heads;

  SmallVector<int64_t, 4> scores = {batch, hq, sq, sk};
  Strides ms(4, 0);
  if (mask.values) {
    if (!mlir::attn::isBroadcastableTo(mask.values->shape, scores))
      return error("mask " + formatShape(mask.values->shape) +
                   " does not broadcast to the scores [B, Hq, Sq, Sk] = " +
                   formatShape(scores));
    ms = broadcastStrides(mask.values->shape, scores);
  }
  SmallVector<int64_t, 4> outShape =
      form.packed ? SmallVector<int64_t, 4>{batch, sq, hq * dv}
                  : SmallVector<int64_t, 4>{batch, hq, sq, dv};
  OracleTensor out = zeros(outShape);
  // The output's strides for (b, h, s), its d stride being 1.
  int64_t ob = hq * sq * dv, oh = form.packed ? dv : sq * dv,
          os = form.packed ? hq * dv : dv;

  std::vector<double> p(sk);
  std::vector<bool> masked(sk);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t h = 0; h < hq; ++h) {
      int64_t kh = h / group;
      for (int64_t i = 0; i < sq; ++i) {
        const double *qrow =
            q.data.data() + b * qv->sb + h * qv->sh + i * qv->ss;
        for (int64_t j = 0; j < sk; ++j) {
          if (!causalVisible(causal, i, j, sq, sk)) {
            p[j] = -kInf;
            continue;
          }
          const double *krow =
              k.data.data() + b * kv->sb + kh * kv->sh + j * kv->ss;
          double dot = 0;
          for (int64_t c = 0; c < d; ++c)
            dot += qrow[c] * krow[c];
          int64_t moff = b * ms[0] + h * ms[1] + i * ms[2] + j * ms[3];
          p[j] = applyMask(dot * scale, mask, moff);
        }
        // Which keys are masked must be known after p holds weights.
        for (int64_t j = 0; j < sk; ++j)
          masked[j] = p[j] == -kInf;
        if (!maskedSoftmaxRow(p.data(), sk))
          continue; // every key masked: the output row stays 0
        double *orow = out.data.data() + b * ob + h * oh + i * os;
        for (int64_t j = 0; j < sk; ++j) {
          if (masked[j])
            continue;
          const double *vrow =
              v.data.data() + b * vv->sb + kh * vv->sh + j * vv->ss;
          for (int64_t c = 0; c < dv; ++c)
            orow[c] += p[j] * vrow[c];
        }
      }
    }
  }
  return out;
}

} // namespace attnc::kernels
