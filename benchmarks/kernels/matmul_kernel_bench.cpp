//===- matmul_kernel_bench.cpp - times attnc_k_matmul ---------------------===//
//
// Times the CPU GEMM kernel on Transformer projection shapes (M = B·S rows,
// N and K the model and feed-forward widths), with B as stored [K, N] and as
// a PyTorch Linear weight [N, K], with 1 and 2 threads, and prints median
// ms, GFLOP/s (2·M·N·K) and the share of a peak given with --peak.
// --peak=measure times the FMA loop of `attnc bench` first (median of 5).
// --check compares a few rows with an fp64 loop; --static gives each
// thread one contiguous range of tasks instead of an atomic counter.
//
//===----------------------------------------------------------------------===//

#include "benchmarks/kernels/KernelBench.h"
#include "runtime/cpu/Kernels.h"

#include <cmath>

using namespace attnc::bench;

namespace {

struct Shape {
  int64_t m, n, k;
};

/// max |C - ref| / (1 + |ref|) over a few rows.
double checkRows(const attnc_matmul_args &a) {
  double worst = 0;
  for (int64_t i = 0; i < a.m; i += 1 + a.m / 7)
    for (int64_t j = 0; j < a.n; ++j) {
      double ref = 0;
      for (int64_t k = 0; k < a.k; ++k) {
        double x = a.trans_a ? a.a[k * a.lda + i] : a.a[i * a.lda + k];
        double y = a.trans_b ? a.b[j * a.ldb + k] : a.b[k * a.ldb + j];
        ref += x * y;
      }
      worst = std::max(worst, std::fabs(ref - a.c[i * a.ldc + j]) /
                                  (1 + std::fabs(ref)));
    }
  return worst;
}

} // namespace

int main(int argc, char **argv) {
  std::vector<double> peaks;
  double minTime = 0.3;
  std::vector<int> threadCounts = {2, 1};
  std::vector<int> transB = {0, 1};
  bool check = false, idle = true, dynamic = true, measurePeak = false;
  std::vector<Shape> shapes = {{128, 768, 768},   {512, 768, 768},
                               {2048, 768, 768},  {2048, 3072, 768},
                               {2048, 768, 3072}, {4096, 1024, 1024},
                               {1024, 4096, 4096}};
  bool userShapes = false;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&](const char *flag) -> const char * {
      size_t n = std::strlen(flag);
      return arg.compare(0, n, flag) == 0 ? argv[i] + n : nullptr;
    };
    if (arg == "--peak=measure")
      measurePeak = true;
    else if (const char *v = value("--peak="))
      peaks = parseDoubles(v);
    else if (const char *v = value("--threads="))
      threadCounts = parseList(v);
    else if (const char *v = value("--trans-b="))
      transB = parseList(v);
    else if (const char *v = value("--min-time="))
      minTime = std::atof(v);
    else if (const char *v = value("--shape=")) {
      std::vector<int> s = parseList(v);
      if (s.size() != 3) {
        std::fprintf(stderr, "--shape=M,N,K\n");
        return 2;
      }
      if (!userShapes)
        shapes.clear();
      userShapes = true;
      shapes.push_back({s[0], s[1], s[2]});
    } else if (arg == "--check")
      check = true;
    else if (arg == "--no-wait")
      idle = false;
    else if (arg == "--static")
      dynamic = false;
    else {
      std::fprintf(stderr,
                   "usage: %s [--peak=GFLOPS,...|measure] [--threads=2,1] "
                   "[--trans-b=0,1] [--shape=M,N,K]... [--min-time=s] "
                   "[--check] [--no-wait] [--static]\n",
                   argv[0]);
      return 2;
    }
  }

  if (measurePeak) {
    peaks.clear();
    for (int threads : threadCounts) {
      if (idle)
        waitIdle();
      peaks.push_back(measureFmaPeak(threads));
    }
    std::printf("# measured FMA peak:");
    for (size_t t = 0; t < threadCounts.size(); ++t)
      std::printf(" %.0f GFLOP/s on %d thread(s)%s", peaks[t], threadCounts[t],
                  t + 1 < threadCounts.size() ? "," : "\n");
  }
  std::printf("# attnc_k_matmul, fp32, C[M,N] = A[M,K] · op(B), median over "
              ">= 7 reps\n");
  std::printf("%5s %5s %5s %-7s %3s %9s %9s %7s%s\n", "M", "N", "K", "B", "thr",
              "ms", "GFLOP/s", "%peak", check ? "  max rel err" : "");
  for (const Shape &sh : shapes) {
    float *a = static_cast<float *>(alignedAlloc(sh.m * sh.k * 4));
    float *b = static_cast<float *>(alignedAlloc(sh.k * sh.n * 4));
    float *c = static_cast<float *>(alignedAlloc(sh.m * sh.n * 4));
    fillRandom(a, sh.m * sh.k, 1);
    fillRandom(b, sh.k * sh.n, 2);
    for (int tb : transB) {
      attnc_matmul_args args = {};
      args.a = a, args.b = b, args.c = c;
      args.m = sh.m, args.n = sh.n, args.k = sh.k;
      args.lda = sh.k, args.ldb = tb ? sh.k : sh.n, args.ldc = sh.n;
      args.trans_b = tb;
      for (int d = 0; d < 3; ++d)
        args.batch[d] = 1;
      int64_t tasks = attnc_k_matmul_tasks(&args);
      double flops = 2.0 * sh.m * sh.n * sh.k;
      for (size_t t = 0; t < threadCounts.size(); ++t) {
        int threads = threadCounts[t];
        double peak = peaks.empty() ? 0 : peaks[std::min(t, peaks.size() - 1)];
        if (idle)
          waitIdle();
        WorkerPool pool(threads, attnc_k_matmul_scratch(&args), dynamic);
        WorkerPool::Body body = [&](int64_t b, int64_t e, void *s) {
          attnc_k_matmul(&args, b, e, s);
        };
        double sec = timeMedian([&] { pool.run(tasks, body); }, 7, minTime);
        double gflops = flops / sec * 1e-9;
        std::printf(
            "%5lld %5lld %5lld %-7s %3d %9.3f %9.1f %7s", (long long)sh.m,
            (long long)sh.n, (long long)sh.k, tb ? "[N,K]" : "[K,N]", threads,
            sec * 1e3, gflops,
            peak > 0
                ? std::to_string(int(std::lround(100 * gflops / peak))).c_str()
                : "-");
        if (check)
          std::printf("  %.2e", checkRows(args));
        std::printf("\n");
        std::fflush(stdout);
      }
    }
    std::free(a);
    std::free(b);
    std::free(c);
  }
  return 0;
}
