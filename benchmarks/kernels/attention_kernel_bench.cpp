//===- attention_kernel_bench.cpp - times attnc_k_attention ---------------===//
//
// Times the CPU flash-attention kernel on the yardstick shapes (B, H, S, D),
// causal and not, with 1 and 2 threads, and prints median ms, GFLOP/s
// (4·B·H·Sq·Sk·D, causal counting half) and the share of a peak given with
// --peak (one figure per thread count, e.g. --peak=350,175 for
// --threads=2,1). --sq and --kv-heads time decoding and grouped-query
// shapes, --mask masked ones; --check compares head 0 with an fp64 loop;
// --static gives each thread one contiguous range of tasks.
//
//===----------------------------------------------------------------------===//

#include "benchmarks/kernels/KernelBench.h"
#include "runtime/cpu/Kernels.h"

#include <cmath>

using namespace attnc::bench;

namespace {

struct Shape {
  int64_t b, h, s, d;
};

/// max |out - ref| over head (0, 0) against an fp64 loop (masks are
/// all-visible, so only the causal limit hides keys).
double checkHead(const attnc_attention_args &a) {
  double worst = 0;
  std::vector<double> p(a.sk);
  for (int64_t i = 0; i < a.sq; ++i) {
    double mx = -INFINITY;
    for (int64_t j = 0; j < a.sk; ++j) {
      bool visible =
          a.causal == 0 || j <= i + (a.causal == 2 ? a.sk - a.sq : 0);
      double dot = 0;
      for (int64_t c = 0; c < a.d; ++c)
        dot += double(a.q[i * a.q_stride[2] + c]) * a.k[j * a.k_stride[2] + c];
      p[j] = visible ? dot * a.scale : -INFINITY;
      mx = std::max(mx, p[j]);
    }
    double sum = 0;
    for (int64_t j = 0; j < a.sk; ++j)
      sum += p[j] = p[j] == -INFINITY ? 0 : std::exp(p[j] - mx);
    for (int64_t c = 0; c < a.dv; ++c) {
      double o = 0;
      for (int64_t j = 0; j < a.sk; ++j)
        o += p[j] * a.v[j * a.v_stride[2] + c];
      o = sum > 0 ? o / sum : 0;
      worst = std::max(worst, std::fabs(o - a.out[i * a.out_stride[2] + c]));
    }
  }
  return worst;
}

/// Contiguous [B, H, S, D] strides.
void setStrides(int64_t *strides, int64_t h, int64_t s, int64_t d) {
  strides[0] = h * s * d, strides[1] = s * d, strides[2] = d;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<double> peaks;
  double minTime = 0.3;
  std::vector<int> threadCounts = {2, 1};
  std::vector<int> causalModes = {0, 1};
  bool check = false, idle = true, dynamic = true;
  std::string maskKind = "none";
  int64_t sqOverride = 0, kvHeads = 0;
  std::vector<Shape> shapes = {{1, 8, 128, 64},
                               {1, 8, 512, 64},
                               {1, 12, 1024, 64},
                               {1, 8, 2048, 64},
                               {4, 12, 512, 64}};
  bool userShapes = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> const char * {
      size_t n = std::strlen(flag);
      return arg.compare(0, n, flag) == 0 ? argv[i] + n : nullptr;
    };
    if (const char *v = value("--peak="))
      peaks = parseDoubles(v);
    else if (const char *v = value("--threads="))
      threadCounts = parseList(v);
    else if (const char *v = value("--causal="))
      causalModes = parseList(v);
    else if (const char *v = value("--mask="))
      maskKind = v;
    else if (const char *v = value("--sq="))
      sqOverride = std::atoll(v);
    else if (const char *v = value("--kv-heads="))
      kvHeads = std::atoll(v);
    else if (const char *v = value("--min-time="))
      minTime = std::atof(v);
    else if (const char *v = value("--shape=")) {
      std::vector<int> s = parseList(v);
      if (s.size() != 4) {
        std::fprintf(stderr, "--shape=B,H,S,D\n");
        return 2;
      }
      if (!userShapes)
        shapes.clear();
      userShapes = true;
      shapes.push_back({s[0], s[1], s[2], s[3]});
    } else if (arg == "--check")
      check = true;
    else if (arg == "--no-wait")
      idle = false;
    else if (arg == "--static")
      dynamic = false;
    else {
      std::fprintf(stderr,
                   "usage: %s [--peak=GFLOPS,...] [--threads=2,1] "
                   "[--causal=0,1] [--shape=B,H,S,D]... [--sq=N] "
                   "[--kv-heads=N] [--mask=none|keys|full|keep] "
                   "[--min-time=s] [--check] [--no-wait] [--static]\n",
                   argv[0]);
      return 2;
    }
  }

  std::printf("# attnc_k_attention, fp32, median over >= 7 reps; causal "
              "counts half the FLOPs\n");
  std::printf("%3s %3s %3s %5s %5s %4s %-11s %3s %9s %9s %7s%s\n", "B", "H",
              "Hkv", "Sq", "Sk", "D", "mask", "thr", "ms", "GFLOP/s", "%peak",
              check ? "  max|err|" : "");
  for (const Shape &sh : shapes) {
    int64_t sq = sqOverride ? sqOverride : sh.s, sk = sh.s;
    int64_t hkv = kvHeads ? kvHeads : sh.h;
    int64_t nq = sh.b * sh.h * sq * sh.d, nkv = sh.b * hkv * sk * sh.d;
    float *q = static_cast<float *>(alignedAlloc(nq * 4));
    float *k = static_cast<float *>(alignedAlloc(nkv * 4));
    float *v = static_cast<float *>(alignedAlloc(nkv * 4));
    float *out = static_cast<float *>(alignedAlloc(nq * 4));
    fillRandom(q, nq, 1);
    fillRandom(k, nkv, 2);
    fillRandom(v, nkv, 3);
    // Masks that hide nothing, so --check still applies: additive zeros per
    // key ([B, 1, 1, Sk]) or per score ([1, 1, Sq, Sk]), or a keep-mask of
    // ones ([B, H, Sq, Sk]).
    std::vector<float> additive;
    std::vector<uint8_t> keep;
    if (maskKind == "keys")
      additive.assign(sh.b * sk, 0.0f);
    else if (maskKind == "full")
      additive.assign(sq * sk, 0.0f);
    else if (maskKind == "keep")
      keep.assign(sh.b * sh.h * sq * sk, 1);
    for (int causal : causalModes) {
      attnc_attention_args a = {};
      a.q = q, a.k = k, a.v = v, a.out = out;
      a.batch = sh.b, a.heads = sh.h, a.kv_heads = hkv;
      a.sq = sq, a.sk = sk, a.d = a.dv = sh.d;
      setStrides(a.q_stride, sh.h, sq, sh.d);
      setStrides(a.out_stride, sh.h, sq, sh.d);
      setStrides(a.k_stride, hkv, sk, sh.d);
      setStrides(a.v_stride, hkv, sk, sh.d);
      a.causal = causal;
      a.scale = 1.0f / std::sqrt(float(sh.d));
      if (!additive.empty()) {
        a.mask = additive.data();
        a.mask_kind = 1;
        if (maskKind == "keys")
          a.mask_stride[0] = sk, a.mask_stride[3] = 1;
        else
          a.mask_stride[2] = sk, a.mask_stride[3] = 1;
      } else if (!keep.empty()) {
        a.mask = keep.data();
        a.mask_kind = 2;
        a.mask_stride[0] = sh.h * sq * sk, a.mask_stride[1] = sq * sk;
        a.mask_stride[2] = sk, a.mask_stride[3] = 1;
      }
      std::string label = !causal              ? maskKind
                          : maskKind == "none" ? std::string("causal")
                                               : "causal+" + maskKind;
      int64_t tasks = attnc_k_attention_tasks(&a);
      // Causal work as the yardsticks count it: half of Sq·Sk when square.
      double flops =
          4.0 * sh.b * sh.h * double(sq) * sk * sh.d * (causal ? 0.5 : 1);
      for (size_t t = 0; t < threadCounts.size(); ++t) {
        int threads = threadCounts[t];
        double peak = peaks.empty() ? 0 : peaks[std::min(t, peaks.size() - 1)];
        if (idle)
          waitIdle();
        WorkerPool pool(threads, attnc_k_attention_scratch(&a), dynamic);
        WorkerPool::Body body = [&](int64_t b, int64_t e, void *s) {
          attnc_k_attention(&a, b, e, s);
        };
        double sec = timeMedian([&] { pool.run(tasks, body); }, 7, minTime);
        double gflops = flops / sec * 1e-9;
        std::printf(
            "%3lld %3lld %3lld %5lld %5lld %4lld %-11s %3d %9.3f "
            "%9.1f %7s",
            (long long)sh.b, (long long)sh.h, (long long)hkv, (long long)sq,
            (long long)sk, (long long)sh.d, label.c_str(), threads, sec * 1e3,
            gflops,
            peak > 0
                ? std::to_string(int(std::lround(100 * gflops / peak))).c_str()
                : "-");
        if (check)
          std::printf("  %.2e", checkHead(a));
        std::printf("\n");
        std::fflush(stdout);
      }
    }
    std::free(q);
    std::free(k);
    std::free(v);
    std::free(out);
  }
  return 0;
}
