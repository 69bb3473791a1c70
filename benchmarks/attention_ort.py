"""attention_ort.py - ONNX Runtime (PyPI onnxruntime, CPU EP, fp32) attention yardstick.

Times three ONNX forms of attention on the yardstick shapes, causal and not:
  core   : torch.onnx.export'ed core attention (MatMul, Mul, Add(mask), Softmax,
           MatMul) on (B,H,S,D), the causal mask fed as an [S,S] input
  mha    : one com.microsoft MultiHeadAttention node, q/k/v (B,S,H*D),
           causal = unidirectional=1
  attn23 : one standard opset-23 Attention node on (B,H,S,D), is_causal=1
Models come from shared/bench/export_onnx.py. Sessions: CPU EP, intra-op
threads = T, inter-op 1, sequential, graph optimisation 'all', outputs bound
once (IOBinding) so timing excludes output allocation. FLOPs 4*B*H*S^2*D,
causal counts half. One row per configuration:
  impl B H S D mask thr reps ms_median ms_min ms_max GFLOP/s bg%

Runs in the venv benchmarks/ort.sh creates (numpy + onnxruntime only).
Usage: attention_ort.py --models DIR [--threads 2,1] [--min-time 0.3]
       [--min-reps 7] [--impl core,mha,attn23] [--shapes B,H,S,D;...]
       [--max-wait 60]
"""
import argparse
import os
import statistics
import sys
import time

import numpy as np
import onnxruntime as ort

SHAPES = [(1, 8, 128, 64), (1, 8, 512, 64), (1, 12, 1024, 64), (1, 8, 2048, 64), (4, 12, 512, 64)]
CLK = os.sysconf("SC_CLK_TCK")


def machine_busy_s():
    """CPU seconds the whole machine has spent busy (user, nice, system, irq, softirq)."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:8]]
    return (v[0] + v[1] + v[2] + v[5] + v[6]) / CLK


def own_cpu_s():
    t = os.times()
    return t.user + t.system


def other_cpu_s(b0, o0):
    return (machine_busy_s() - b0) - (own_cpu_s() - o0)


def wait_idle(max_wait):
    """Waits until other processes use < 10% of a core, at most max_wait s."""
    start = time.monotonic()
    while time.monotonic() - start < max_wait:
        b0, o0 = machine_busy_s(), own_cpu_s()
        time.sleep(0.25)
        if other_cpu_s(b0, o0) < 0.025:
            return
    print(f"warning: machine not idle after {max_wait} s, measuring anyway", file=sys.stderr)


def model_for(impl, H, causal):
    m = "causal" if causal else "none"
    return {"core": f"core_{m}.onnx", "mha": f"mha_h{H}_{m}.onnx"}.get(impl, f"attn23_{m}.onnx")


def to_bshd(x):
    B, H, S, D = x.shape
    return np.ascontiguousarray(x.transpose(0, 2, 1, 3).reshape(B, S, H * D))


def feeds_for(impl, q, k, v, causal):
    if impl == "mha":
        return {"q": to_bshd(q), "k": to_bshd(k), "v": to_bshd(v)}
    f = {"q": q, "k": k, "v": v}
    if impl == "core" and causal:
        S = q.shape[2]
        f["mask"] = np.triu(np.full((S, S), -np.inf, np.float32), k=1)
    return f


def reference(q, k, v, causal):
    """softmax(q k^T / sqrt(D)) v in float64."""
    q, k, v = (t.astype(np.float64) for t in (q, k, v))
    s = q @ k.transpose(0, 1, 3, 2) / np.sqrt(q.shape[-1])
    if causal:
        S = s.shape[-1]
        s = np.where(np.tril(np.ones((S, S), bool)), s, -np.inf)
    p = np.exp(s - s.max(axis=-1, keepdims=True))
    return (p / p.sum(axis=-1, keepdims=True)) @ v


def make_session(models, impl, H, causal, threads):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = threads
    opts.inter_op_num_threads = 1
    opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    opts.enable_cpu_mem_arena = True
    opts.enable_mem_pattern = True
    return ort.InferenceSession(os.path.join(models, model_for(impl, H, causal)), opts,
                                providers=["CPUExecutionProvider"])


def bound_run(sess, feeds, out_shape):
    """A call that runs `sess` on `feeds` into one preallocated output. The
    binding holds raw pointers: the call keeps the arrays alive."""
    binding = sess.io_binding()
    for name, value in feeds.items():
        binding.bind_cpu_input(name, value)
    out = np.empty(out_shape, np.float32)
    binding.bind_output("o", "cpu", 0, np.float32, list(out.shape), out.ctypes.data)

    def run(keep=(feeds, out)):
        sess.run_with_iobinding(binding)

    return run


def randn(rng, shape):
    return (rng.random(shape, dtype=np.float32) - 0.5) * 2


def check(args, impls):
    B, H, S, D = args.shapes[0]
    rng = np.random.default_rng(12345)
    q, k, v = (randn(rng, (B, H, S, D)) for _ in range(3))
    for causal in (False, True):
        ref = reference(q, k, v, causal)
        for impl in impls:
            mask = "causal" if causal else "none"
            try:
                sess = make_session(args.models, impl, H, causal, 1)
                out = sess.run(["o"], feeds_for(impl, q, k, v, causal))[0]
                want = to_bshd(ref) if impl == "mha" else ref
                err = float(np.max(np.abs(out - want)))
                print(f"## check {impl} {mask} {(B, H, S, D)}: max|err| vs fp64 = {err:.2e}")
            except Exception as e:  # a model the installed ORT cannot load
                print(f"## check {impl} {mask}: FAILED {str(e).splitlines()[0]}")


def bench(args, impl, T, shape, causal, rng):
    B, H, S, D = shape
    q, k, v = (randn(rng, shape) for _ in range(3))
    mask = "causal" if causal else "none"
    try:
        sess = make_session(args.models, impl, H, causal, T)
    except Exception as e:
        print(f"{impl:<6} session failed: {str(e).splitlines()[0]}")
        return
    out_shape = (B, S, H * D) if impl == "mha" else (B, H, S, D)
    run = bound_run(sess, feeds_for(impl, q, k, v, causal), out_shape)
    for _attempt in range(3):  # again when others used > 5% of a core
        wait_idle(args.max_wait)
        for _ in range(3):
            run()
        ts = []
        t0 = time.perf_counter()
        b0, o0 = machine_busy_s(), own_cpu_s()
        while len(ts) < args.min_reps or (time.perf_counter() - t0 < args.min_time and len(ts) < 2000):
            a = time.perf_counter()
            run()
            ts.append(time.perf_counter() - a)
        wall = time.perf_counter() - t0
        other = other_cpu_s(b0, o0)
        bg = max(0.0, other / wall * 100)
        if other <= 0.05 * wall + 2 / CLK:
            break
    med = statistics.median(ts)
    flops = 4 * B * H * S * S * D * (0.5 if causal else 1)
    noisy = " (noisy)" if bg > 5 else ""
    print(f"{impl:<6} {B:>2} {H:>3} {S:>5} {D:>3} {mask:<7} {T:>3} {len(ts):>4} {med * 1e3:>9.3f} "
          f"{min(ts) * 1e3:>9.3f} {max(ts) * 1e3:>9.3f} {flops / med * 1e-9:>8.1f} {bg:>5.1f}{noisy}",
          flush=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", required=True, help="directory of export_onnx.py's models")
    p.add_argument("--threads", default="2,1")
    p.add_argument("--min-time", type=float, default=0.3)
    p.add_argument("--min-reps", type=int, default=7)
    p.add_argument("--impl", default="core,mha,attn23")
    p.add_argument("--shapes", default=";".join(",".join(map(str, s)) for s in SHAPES))
    p.add_argument("--max-wait", type=float, default=60, help="seconds to wait for an idle machine")
    args = p.parse_args()
    args.shapes = [tuple(int(x) for x in s.split(",")) for s in args.shapes.split(";")]
    if any(len(s) != 4 for s in args.shapes):
        p.error("--shapes takes B,H,S,D groups separated by ';'")
    impls = args.impl.split(",")
    threads = [int(t) for t in args.threads.split(",")]
    print(f"## date {time.strftime('%Y-%m-%dT%H:%M:%SZ', time.gmtime())}  onnxruntime {ort.__version__}  "
          f"python {sys.version.split()[0]}")
    print(f"## timing: median over >= {args.min_reps} reps (and >= {args.min_time} s), after 3 warm-up "
          "runs; ms columns are median, min, max")
    print("## bg% = CPU used by other processes during the timed loop (% of one core); retried up to 3x if > 5%")
    check(args, impls)
    print(f"\n{'impl':<6} {'B':>2} {'H':>3} {'S':>5} {'D':>3} {'mask':<7} {'thr':>3} {'reps':>4} {'ms med':>9} "
          f"{'ms min':>9} {'ms max':>9} {'GFLOP/s':>8} {'bg%':>5}")
    rng = np.random.default_rng(1)
    for impl in impls:
        for T in threads:
            for shape in args.shapes:
                for causal in (False, True):
                    bench(args, impl, T, shape, causal, rng)


if __name__ == "__main__":
    main()
