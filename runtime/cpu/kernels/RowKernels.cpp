//===- RowKernels.cpp - softmax, layer norm, reduce and gather ------------===//
//
// The CPU target's library kernels besides attention and matmul, compiled
// to bitcode with them (see runtime/cpu/RowKernels.h for the arguments).
// Each splits its rows into tasks of roughly equal work; inner loops are
// plain loops the model's O3 pipeline vectorises for the target CPU.
//
//===----------------------------------------------------------------------===//

#include "runtime/cpu/RowKernels.h"
#include "runtime/cpu/CpuAbi.h"
#include "runtime/cpu/kernels/Math.h"

#include <cstring>

using namespace attnc;

namespace {

constexpr float kNegInf = -__builtin_inff();

/// Rows per task so that a task holds about 16K elements.
int64_t rowsPerTask(int64_t rowElements) {
  int64_t rows =
      (16384 + rowElements - 1) / (rowElements > 0 ? rowElements : 1);
  return rows > 0 ? rows : 1;
}

int64_t ceilDiv(int64_t a, int64_t b) { return (a + b - 1) / b; }

/// Max over `n` floats with independent lanes, so it vectorises without
/// reassociation flags.
float rowMax(const float *x, int64_t n) {
  float lanes[16];
  for (int l = 0; l < 16; ++l)
    lanes[l] = kNegInf;
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l)
      lanes[l] = math::maxf(lanes[l], x[i + l]);
  float m = kNegInf;
  for (; i < n; ++i)
    m = math::maxf(m, x[i]);
  for (int l = 0; l < 16; ++l)
    m = math::maxf(m, lanes[l]);
  return m;
}

/// out[i] = exp(x[i] - m); returns the sum (16 partial sums).
float expShift(const float *x, float *out, int64_t n, float m) {
  float lanes[16] = {};
  int64_t i = 0;
  for (; i + 16 <= n; i += 16)
    for (int l = 0; l < 16; ++l) {
      float e = math::exp(x[i + l] - m);
      out[i + l] = e;
      lanes[l] += e;
    }
  float s = 0;
  for (; i < n; ++i) {
    float e = math::exp(x[i] - m);
    out[i] = e;
    s += e;
  }
  for (int l = 0; l < 16; ++l)
    s += lanes[l];
  return s;
}

/// Softmax of one contiguous row of `n`: a row whose entries are all -inf
/// gives zeros (log_softmax: -inf).
void softmaxRow(const float *x, float *y, int64_t n, bool log) {
  float m = rowMax(x, n);
  if (m == kNegInf) {
    for (int64_t i = 0; i < n; ++i)
      y[i] = log ? kNegInf : 0.0f;
    return;
  }
  float s = expShift(x, y, n, m);
  if (log) {
    float shift = m + math::log(s);
    for (int64_t i = 0; i < n; ++i)
      y[i] = x[i] - shift;
    return;
  }
  float inv = 1.0f / s;
  for (int64_t i = 0; i < n; ++i)
    y[i] *= inv;
}

} // namespace

extern "C" {

//===----------------------------------------------------------------------===//
// softmax / log_softmax
//===----------------------------------------------------------------------===//

int64_t attnc_k_softmax_tasks(const attnc_softmax_args *a) {
  if (a->inner == 1)
    return ceilDiv(a->outer, rowsPerTask(a->n));
  return a->outer;
}

int64_t attnc_k_softmax_scratch(const attnc_softmax_args *a) {
  return a->inner == 1 ? 0 : 2 * a->inner * static_cast<int64_t>(sizeof(float));
}

void attnc_k_softmax(const attnc_softmax_args *a, int64_t begin, int64_t end,
                     void *scratch) {
  const int64_t n = a->n, inner = a->inner;
  const bool log = a->log != 0;
  if (inner == 1) {
    int64_t per = rowsPerTask(n);
    int64_t last = end * per < a->outer ? end * per : a->outer;
    for (int64_t r = begin * per; r < last; ++r)
      softmaxRow(a->in + r * n, a->out + r * n, n, log);
    return;
  }
  // The axis is not the last one: reduce across rows of `inner` lanes.
  float *m = static_cast<float *>(scratch), *s = m + inner;
  for (int64_t o = begin; o < end; ++o) {
    const float *x = a->in + o * n * inner;
    float *y = a->out + o * n * inner;
    for (int64_t j = 0; j < inner; ++j) {
      m[j] = kNegInf;
      s[j] = 0.0f;
    }
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j)
        m[j] = math::maxf(m[j], x[i * inner + j]);
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j) {
        float e = m[j] == kNegInf ? 0.0f : math::exp(x[i * inner + j] - m[j]);
        s[j] += e;
        if (!log)
          y[i * inner + j] = e;
      }
    for (int64_t i = 0; i < n; ++i)
      for (int64_t j = 0; j < inner; ++j) {
        float v;
        if (log)
          v = m[j] == kNegInf ? kNegInf
                              : x[i * inner + j] - m[j] - math::log(s[j]);
        else
          v = m[j] == kNegInf ? 0.0f : y[i * inner + j] / s[j];
        y[i * inner + j] = v;
      }
  }
}

//===----------------------------------------------------------------------===//
// scaled_masked_softmax
//===----------------------------------------------------------------------===//

int64_t attnc_k_masked_softmax_tasks(const attnc_masked_softmax_args *a) {
  int64_t rows = 1;
  for (int32_t d = 0; d < a->rank; ++d)
    rows *= a->shape[d];
  return ceilDiv(rows, rowsPerTask(a->n));
}

void attnc_k_masked_softmax(const attnc_masked_softmax_args *a, int64_t begin,
                            int64_t end, void *) {
  const int64_t n = a->n;
  int64_t rows = 1;
  for (int32_t d = 0; d < a->rank; ++d)
    rows *= a->shape[d];
  const int64_t sq = a->rank > 0 ? a->shape[a->rank - 1] : 1;
  const int64_t keyStride = a->mask_stride[a->rank];
  int64_t per = rowsPerTask(n);
  int64_t last = end * per < rows ? end * per : rows;
  for (int64_t r = begin * per; r < last; ++r) {
    const float *x = a->in + r * n;
    float *y = a->out + r * n;
    // The mask row of r: decompose the row index over the row dims.
    int64_t maskOffset = 0;
    for (int64_t d = a->rank - 1, rest = r; d >= 0; --d) {
      maskOffset += (rest % a->shape[d]) * a->mask_stride[d];
      rest /= a->shape[d];
    }
    int64_t i = r % sq;
    int64_t visible = n;
    if (a->causal == 1)
      visible = i + 1;
    else if (a->causal == 2)
      visible = i + 1 + (n - sq);
    visible = visible < 0 ? 0 : (visible > n ? n : visible);
    const float scale = a->scale;
    if (a->mask_kind == 1) {
      const float *mk = static_cast<const float *>(a->mask) + maskOffset;
      for (int64_t j = 0; j < visible; ++j)
        y[j] = x[j] * scale + mk[j * keyStride];
    } else if (a->mask_kind == 2) {
      const uint8_t *mk = static_cast<const uint8_t *>(a->mask) + maskOffset;
      for (int64_t j = 0; j < visible; ++j)
        y[j] = mk[j * keyStride] ? x[j] * scale : kNegInf;
    } else {
      for (int64_t j = 0; j < visible; ++j)
        y[j] = x[j] * scale;
    }
    for (int64_t j = visible; j < n; ++j)
      y[j] = kNegInf;
    softmaxRow(y, y, n, false);
  }
}

//===----------------------------------------------------------------------===//
// layer_norm
//===----------------------------------------------------------------------===//

int64_t attnc_k_layer_norm_tasks(const attnc_layer_norm_args *a) {
  return ceilDiv(a->rows, rowsPerTask(a->n));
}

void attnc_k_layer_norm(const attnc_layer_norm_args *a, int64_t begin,
                        int64_t end, void *) {
  const int64_t n = a->n;
  int64_t per = rowsPerTask(n);
  int64_t last = end * per < a->rows ? end * per : a->rows;
  for (int64_t r = begin * per; r < last; ++r) {
    const float *x = a->in + r * n;
    float *y = a->out + r * n;
    // Two passes (mean, then squared deviations) in 16 lanes each: stable
    // and vectorisable.
    float lanes[16] = {};
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
      for (int l = 0; l < 16; ++l)
        lanes[l] += x[i + l];
    float sum = 0;
    for (; i < n; ++i)
      sum += x[i];
    for (int l = 0; l < 16; ++l)
      sum += lanes[l];
    float mean = sum / static_cast<float>(n);
    float vl[16] = {};
    for (i = 0; i + 16 <= n; i += 16)
      for (int l = 0; l < 16; ++l) {
        float d = x[i + l] - mean;
        vl[l] += d * d;
      }
    float var = 0;
    for (; i < n; ++i)
      var += (x[i] - mean) * (x[i] - mean);
    for (int l = 0; l < 16; ++l)
      var += vl[l];
    var /= static_cast<float>(n);
    float inv = 1.0f / __builtin_sqrtf(var + a->epsilon);
    const float *g = a->scale, *b = a->bias;
    if (g && b)
      for (int64_t j = 0; j < n; ++j)
        y[j] = (x[j] - mean) * inv * g[j] + b[j];
    else if (g)
      for (int64_t j = 0; j < n; ++j)
        y[j] = (x[j] - mean) * inv * g[j];
    else if (b)
      for (int64_t j = 0; j < n; ++j)
        y[j] = (x[j] - mean) * inv + b[j];
    else
      for (int64_t j = 0; j < n; ++j)
        y[j] = (x[j] - mean) * inv;
  }
}

} // extern "C"

//===----------------------------------------------------------------------===//
// reduce
//===----------------------------------------------------------------------===//

namespace {

/// The reduction as [outer kept] × [reduced] with arbitrary strides: every
/// output element walks its reduced sub-index with an odometer. When the
/// reduced dims are the trailing ones the walk is one contiguous row.
template <typename T, typename Acc>
void reduceTyped(const attnc_reduce_args *a, int64_t begin, int64_t end) {
  const T *in = static_cast<const T *>(a->in);
  T *out = static_cast<T *>(a->out);
  int64_t strides[ATTNC_MAX_RANK];
  int64_t keptDims[ATTNC_MAX_RANK], keptStrides[ATTNC_MAX_RANK];
  int64_t redDims[ATTNC_MAX_RANK], redStrides[ATTNC_MAX_RANK];
  int nKept = 0, nRed = 0;
  int64_t stride = 1, count = 1;
  for (int d = a->rank - 1; d >= 0; --d) {
    strides[d] = stride;
    stride *= a->shape[d];
  }
  for (int d = 0; d < a->rank; ++d) {
    if (a->reduced[d]) {
      redDims[nRed] = a->shape[d];
      redStrides[nRed++] = strides[d];
      count *= a->shape[d];
    } else {
      keptDims[nKept] = a->shape[d];
      keptStrides[nKept++] = strides[d];
    }
  }
  for (int64_t o = begin; o < end; ++o) {
    int64_t base = 0;
    for (int d = nKept - 1, rest = o; d >= 0; --d) {
      base += (rest % keptDims[d]) * keptStrides[d];
      rest /= keptDims[d];
    }
    Acc acc = a->kind == 0 || a->kind == 1 ? Acc(0) : Acc(in[base]);
    int64_t idx[ATTNC_MAX_RANK] = {};
    int64_t offset = base;
    for (int64_t k = 0; k < count; ++k) {
      Acc v = in[offset];
      if (a->kind <= 1)
        acc += v;
      else if (a->kind == 2)
        acc = (v > acc || v != v) ? v : acc;
      else
        acc = (v < acc || v != v) ? v : acc;
      for (int d = nRed - 1; d >= 0; --d) {
        offset += redStrides[d];
        if (++idx[d] < redDims[d])
          break;
        offset -= redStrides[d] * redDims[d];
        idx[d] = 0;
      }
    }
    if (a->kind == 1)
      acc = count ? acc / static_cast<Acc>(count) : acc;
    out[o] = static_cast<T>(acc);
  }
}

} // namespace

extern "C" {

int64_t attnc_k_reduce_tasks(const attnc_reduce_args *a) {
  int64_t outputs = 1, total = 1;
  for (int d = 0; d < a->rank; ++d) {
    total *= a->shape[d];
    if (!a->reduced[d])
      outputs *= a->shape[d];
  }
  int64_t perOutput = outputs ? total / outputs : 1;
  // Tasks of whole output elements, about 16K inputs each.
  int64_t per = rowsPerTask(perOutput);
  int64_t tasks = ceilDiv(outputs, per);
  return tasks > 0 ? tasks : 1;
}

void attnc_k_reduce(const attnc_reduce_args *a, int64_t begin, int64_t end,
                    void *) {
  int64_t outputs = 1, total = 1;
  for (int d = 0; d < a->rank; ++d) {
    total *= a->shape[d];
    if (!a->reduced[d])
      outputs *= a->shape[d];
  }
  int64_t per = rowsPerTask(outputs ? total / outputs : 1);
  int64_t first = begin * per, last = end * per < outputs ? end * per : outputs;
  switch (a->dtype) {
  case 1:
    reduceTyped<float, float>(a, first, last);
    break;
  case 2:
    reduceTyped<double, double>(a, first, last);
    break;
  case 4:
    reduceTyped<int32_t, int64_t>(a, first, last);
    break;
  case 5:
    reduceTyped<int64_t, int64_t>(a, first, last);
    break;
  default:
    break;
  }
}

//===----------------------------------------------------------------------===//
// gather
//===----------------------------------------------------------------------===//

int64_t attnc_k_gather_tasks(const attnc_gather_args *a) {
  int64_t rows = a->outer * a->count;
  int64_t per = rowsPerTask(a->row_bytes / 4 > 0 ? a->row_bytes / 4 : 1);
  int64_t tasks = ceilDiv(rows, per);
  return tasks > 0 ? tasks : 1;
}

void attnc_k_gather(const attnc_gather_args *a, int64_t begin, int64_t end,
                    void *) {
  int64_t rows = a->outer * a->count;
  int64_t per = rowsPerTask(a->row_bytes / 4 > 0 ? a->row_bytes / 4 : 1);
  int64_t last = end * per < rows ? end * per : rows;
  const char *table = static_cast<const char *>(a->table);
  char *out = static_cast<char *>(a->out);
  for (int64_t r = begin * per; r < last; ++r) {
    int64_t p = r / a->count, i = r % a->count;
    int64_t index = a->index_bytes == 8
                        ? static_cast<const int64_t *>(a->indices)[i]
                        : static_cast<const int32_t *>(a->indices)[i];
    int64_t row = index < 0 ? index + a->n : index;
    if (row < 0 || row >= a->n) {
      attnc_cpu_fail(static_cast<attnc_cpu_context *>(a->ctx), a->what, index,
                     a->n);
      std::memset(out + r * a->row_bytes, 0, a->row_bytes);
      continue;
    }
    std::memcpy(out + r * a->row_bytes, table + (p * a->n + row) * a->row_bytes,
                a->row_bytes);
  }
}

} // extern "C"
