#!/usr/bin/python3
"""random_graphs.py - differential testing of the targets against the oracle.

Generates random, valid attn-dialect graphs (elementwise ops with numpy
broadcasting, transposes, strided slices, concat / split / gather on
positive and negative axes, reshapes, reductions, softmax and log_softmax
on any axis, layer norm, matmuls with transpose flags and broadcast batch
dims, attention with GQA, masks, causal modes and transposed operands),
and runs `attnc verify GRAPH --target=...` on each: the fp64 oracle
against every target on seeded inputs, with the documented tolerances.
A graph that fails verification, or makes attnc crash, is kept in OUT_DIR
with its log; passing graphs are deleted. Graph N is a pure function of
seed N, so a failure is reproduced by its seed.

Usage: fuzz/random_graphs.py [--attnc PATH] [--targets cpu,vulkan]
                             [--start N] [--count N] [--out DIR]
                             [--precision f32|f16]
Exit status: 0 when every graph passed, 1 otherwise.

Layer norm only takes inputs, matmul or attention results: a row that an
earlier min/max clamped to one value has (near) zero variance, where fp32
and fp64 legitimately disagree by far more than any tolerance.
"""
import argparse
import os
import random
import subprocess
import sys


def tensor_type(shape, dtype="f32"):
    return "tensor<" + "".join(f"{d}x" for d in shape) + dtype + ">"


def ints(values):
    return ", ".join(str(v) for v in values)


class Graph:
    """A function being built: arguments, op lines and the values so far."""

    def __init__(self, rng):
        self.rng = rng
        self.args = []  # (name, shape, dtype)
        self.lines = []
        self.values = []  # (name, shape, normalisable)
        self.ops = 0

    def arg(self, shape, dtype="f32"):
        name = f"%a{len(self.args)}"
        self.args.append((name, list(shape), dtype))
        if dtype == "f32":
            self.values.append((name, list(shape), True))
        return name

    def emit(self, text, shape, normalisable=False):
        name = f"%v{self.ops}"
        self.ops += 1
        self.lines.append(f"  {name} = {text}")
        self.values.append((name, list(shape), normalisable))
        return name

    def pick(self, normalisable_only=False):
        pool = [v for v in self.values if v[2] or not normalisable_only]
        if not pool:
            return None
        recent = pool[-6:]
        return self.rng.choice(recent if self.rng.random() < 0.7 else pool)

    def axis(self, rank):
        """An axis of a rank-`rank` tensor, negative half of the time."""
        a = self.rng.randrange(rank)
        return a - rank if self.rng.random() < 0.5 else a


def broadcastable(rng, shape):
    """A shape that broadcasts to `shape` (some dims 1, maybe fewer dims)."""
    out = [d if rng.random() < 0.6 else 1 for d in shape]
    drop = rng.randint(0, len(shape)) if rng.random() < 0.3 else 0
    return out[drop:]


def elements(shape):
    n = 1
    for d in shape:
        n *= d
    return n


def add_attention(g):
    r = g.rng
    batch, kv_heads = r.choice([1, 2, 3]), r.choice([1, 2, 3])
    heads = kv_heads * r.choice([1, 1, 2, 4])
    sq = r.choice([1, 5, 8, 17, 40, 70])
    sk = r.choice([1, 5, 8, 17, 40, 70, 129])
    d = r.choice([4, 6, 8, 16, 32, 64, 80])
    dv = d if r.random() < 0.8 else r.choice([4, 8, 24])

    def operand(h, s, dim):
        # Half the time a [B, S, H, D] input viewed as [B, H, S, D].
        if r.random() < 0.4:
            x = g.arg([batch, s, h, dim])
            return g.emit(
                f"attn.transpose {x} {{perm = array<i64: 0, 2, 1, 3>}} : "
                f"({tensor_type([batch, s, h, dim])}) -> "
                f"{tensor_type([batch, h, s, dim])}", [batch, h, s, dim])
        return g.arg([batch, h, s, dim])

    q, k, v = operand(heads, sq, d), operand(kv_heads, sk, d), \
        operand(kv_heads, sk, dv)
    types = [tensor_type(s) for s in ([batch, heads, sq, d],
                                      [batch, kv_heads, sk, d],
                                      [batch, kv_heads, sk, dv])]
    attrs = f"causal = #attn<causal {r.choice(['none', 'none', 'top_left', 'bottom_right'])}>"
    if r.random() < 0.5:
        attrs += f", scale = {r.choice([0.125, 0.3, 1.0])} : f32"
    mask = ""
    kind = r.choice([None, "additive", "keep"])
    if kind:
        shape = [r.choice([1, batch]), r.choice([1, heads]),
                 r.choice([1, sq]), sk]
        name = g.arg(shape, "f32" if kind == "additive" else "i1")
        mask = f" mask {name}"
        types.append(tensor_type(shape, "f32" if kind == "additive" else "i1"))
    out = [batch, heads, sq, dv]
    return g.emit(f"attn.attention {q}, {k}, {v}{mask} {{{attrs}}} : "
                  f"({', '.join(types)}) -> {tensor_type(out)}", out,
                  normalisable=True)


def add_op(g):
    r = g.rng
    kind = r.choice(["attention", "unary", "binary", "binary", "same_binary",
                     "transpose", "slice", "concat", "split", "gather",
                     "reshape", "reduce", "softmax", "layer_norm", "matmul",
                     "select", "masked_softmax", "broadcast", "safe_math"])
    if kind == "attention":
        return add_attention(g)
    x, xs, _ = g.pick()
    rank = len(xs)
    t = tensor_type(xs)
    if kind == "unary":
        op = r.choice(["neg", "tanh", "sigmoid", "relu", "abs", "erf", "gelu"])
        return g.emit(f"attn.{op} {x} : {t}", xs)
    if kind in ("binary", "same_binary"):
        op = r.choice(["add", "sub", "mul", "max", "min"])
        same = [v for v in g.values if v[1] == xs and v[0] != x]
        if kind == "same_binary" and same:
            y, ys, _ = r.choice(same)
        else:
            ys = broadcastable(r, xs)
            y = g.arg(ys)
        (a, at), (b, bt) = r.sample([(x, xs), (y, ys)], 2)
        return g.emit(f"attn.{op} {a}, {b} : ({tensor_type(at)}, "
                      f"{tensor_type(bt)}) -> {t}", xs)
    if rank == 0:
        return None
    if kind == "select":
        # where(x > y, x, z) with y and z broadcasting to x.
        ys, zs = broadcastable(r, xs), broadcastable(r, xs)
        y, z = g.arg(ys), g.arg(zs)
        pred = r.choice(["gt", "lt", "ge", "le", "eq", "ne"])
        cond = g.emit(f"attn.compare {x}, {y} {{predicate = #attn<cmp {pred}>}}"
                      f" : ({t}, {tensor_type(ys)}) -> {tensor_type(xs, 'i1')}",
                      xs)
        g.values.pop()  # a boolean: not an operand for float ops
        return g.emit(f"attn.select {cond}, {x}, {z} : "
                      f"({tensor_type(xs, 'i1')}, {t}, {tensor_type(zs)}) -> {t}",
                      xs)
    if kind == "safe_math":
        # Ops with a restricted domain, on a domain-safe input.
        one = g.emit("attn.constant dense<1.0> : tensor<f32>", [])
        g.values.pop()
        mag = g.emit(f"attn.abs {x} : {t}", xs)
        pos = g.emit(f"attn.add {mag}, {one} : ({t}, tensor<f32>) -> {t}", xs)
        op = r.choice(["sqrt", "rsqrt", "log", "exp_of_tanh", "div", "pow"])
        if op == "exp_of_tanh":
            bounded = g.emit(f"attn.tanh {x} : {t}", xs)
            return g.emit(f"attn.exp {bounded} : {t}", xs)
        if op in ("div", "pow"):
            ys = broadcastable(r, xs)
            y = g.arg(ys)
            return g.emit(f"attn.{op} {y if op == 'div' else pos}, "
                          f"{pos if op == 'div' else y} : "
                          f"({tensor_type(ys) if op == 'div' else t}, "
                          f"{t if op == 'div' else tensor_type(ys)}) -> {t}",
                          xs)
        return g.emit(f"attn.{op} {pos} : {t}", xs)
    if kind == "broadcast":
        out = [r.choice([1, 2, 3])] + [d if d != 1 or r.random() < 0.5
                                       else r.choice([2, 5]) for d in xs]
        return g.emit(f"attn.broadcast_to {x} : ({t}) -> {tensor_type(out)}",
                      out)
    if kind == "masked_softmax" and rank >= 2:
        sq, sk = xs[-2], xs[-1]
        attrs = f"scale = {r.choice([0.5, 1.0, 1.5])} : f32"
        causal = r.choice(["none", "top_left", "bottom_right"])
        if causal != "none":
            attrs += f", causal = #attn<causal {causal}>"
        mask, mtype = "", ""
        if r.random() < 0.7:
            ms = [d if r.random() < 0.5 else 1 for d in xs[:-2]] + \
                [r.choice([1, sq]), sk]
            dtype = r.choice(["f32", "i1"])
            m = g.arg(ms, dtype)
            mask, mtype = f" mask {m}", f", {tensor_type(ms, dtype)}"
        return g.emit(f"attn.scaled_masked_softmax {x}{mask} {{{attrs}}} : "
                      f"({t}{mtype}) -> {t}", xs)
    if kind == "transpose" and rank >= 2:
        perm = list(range(rank))
        r.shuffle(perm)
        out = [xs[p] for p in perm]
        return g.emit(f"attn.transpose {x} {{perm = array<i64: {ints(perm)}>}}"
                      f" : ({t}) -> {tensor_type(out)}", out)
    if kind == "slice":
        starts, limits, strides, out = [], [], [], []
        for d in xs:
            step = r.choice([1, 1, 1, 2])
            lo = r.randint(0, d - 1) if r.random() < 0.5 else 0
            hi = r.randint(lo + 1, d)
            starts.append(lo)
            limits.append(hi)
            strides.append(step)
            out.append((hi - lo + step - 1) // step)
        return g.emit(f"attn.slice {x} {{starts = array<i64: {ints(starts)}>, "
                      f"limits = array<i64: {ints(limits)}>, strides = "
                      f"array<i64: {ints(strides)}>}} : ({t}) -> "
                      f"{tensor_type(out)}", out)
    if kind == "concat":
        axis = g.axis(rank)
        ys = list(xs)
        ys[axis] = r.randint(1, 5)
        y = g.arg(ys)
        out = list(xs)
        out[axis] += ys[axis]
        (a, at), (b, bt) = r.sample([(x, xs), (y, ys)], 2)
        return g.emit(f"attn.concat {a}, {b} {{axis = {axis} : i64}} : "
                      f"({tensor_type(at)}, {tensor_type(bt)}) -> "
                      f"{tensor_type(out)}", out)
    if kind == "split":
        axis = g.axis(rank)
        if xs[axis] < 2:
            return None
        first = r.randint(1, xs[axis] - 1)
        sizes = [first, xs[axis] - first]
        outs = []
        for s in sizes:
            o = list(xs)
            o[axis] = s
            outs.append(o)
        name = f"%v{g.ops}"
        g.ops += 1
        g.lines.append(
            f"  {name}:2 = attn.split {x} {{axis = {axis} : i64, sizes = "
            f"array<i64: {ints(sizes)}>}} : ({t}) -> ({tensor_type(outs[0])}, "
            f"{tensor_type(outs[1])})")
        for i, o in enumerate(outs):
            g.values.append((f"{name}#{i}", o, False))
        return name
    if kind == "gather":
        axis = g.axis(rank)
        n = xs[axis]
        ids_shape = [r.randint(1, 4) for _ in range(r.randint(1, 2))]
        ids = g.arg(ids_shape, "i32")
        out = xs[:axis % rank] + ids_shape + xs[axis % rank + 1:]
        return g.emit(f"attn.gather {x}, {ids} {{axis = {axis} : i64}} : "
                      f"({t}, {tensor_type(ids_shape, 'i32')}) -> "
                      f"{tensor_type(out)}", out)
    if kind == "reshape":
        dims, m = [], elements(xs)
        while m > 1 and len(dims) < 3:
            f = r.choice([f for f in range(2, m + 1) if m % f == 0])
            dims.append(f)
            m //= f
        if m > 1:
            dims.append(m)
        dims = dims or [1]
        r.shuffle(dims)
        return g.emit(f"attn.reshape {x} : ({t}) -> {tensor_type(dims)}", dims)
    if kind == "reduce":
        axes = sorted(r.sample(range(rank), r.randint(1, rank)))
        keep = r.random() < 0.5
        red = r.choice(["sum", "mean", "max", "min"])
        out = ([1 if i in axes else d for i, d in enumerate(xs)] if keep
               else [d for i, d in enumerate(xs) if i not in axes])
        return g.emit(f"attn.reduce {x} {{kind = #attn<reduce {red}>, axes = "
                      f"array<i64: {ints(axes)}>"
                      f"{', keep_dims = true' if keep else ''}}} : ({t}) -> "
                      f"{tensor_type(out)}", out)
    if kind == "softmax":
        op = r.choice(["softmax", "log_softmax"])
        return g.emit(f"attn.{op} {x} {{axis = {g.axis(rank)} : i64}} : {t}", xs)
    if kind == "layer_norm":
        picked = g.pick(normalisable_only=True)
        if not picked or not picked[1]:
            return None
        x, xs, _ = picked
        scale = g.arg([xs[-1]])
        return g.emit(f"attn.layer_norm {x} scale {scale} : ({tensor_type(xs)}, "
                      f"{tensor_type([xs[-1]])}) -> {tensor_type(xs)}", xs)
    if kind == "matmul" and rank >= 2:
        lhs_t, rhs_t = r.random() < 0.3, r.random() < 0.4
        m, k = (xs[-1], xs[-2]) if lhs_t else (xs[-2], xs[-1])
        n = r.randint(1, 40)
        batch = broadcastable(r, xs[:-2]) if r.random() < 0.5 else []
        rhs = batch + ([n, k] if rhs_t else [k, n])
        y = g.arg(rhs)
        flags = [f for f, on in (("transpose_lhs", lhs_t),
                                 ("transpose_rhs", rhs_t)) if on]
        attrs = f" {{{', '.join(flags)}}}" if flags else ""
        out = xs[:-2] + [m, n]
        return g.emit(f"attn.matmul {x}, {y}{attrs} : ({t}, {tensor_type(rhs)})"
                      f" -> {tensor_type(out)}", out, normalisable=True)
    return None


def make_graph(seed, max_elements=200000):
    """The module text of graph `seed`, or None when it grew too large."""
    r = random.Random(seed)
    g = Graph(r)
    g.arg([r.choice([1, 2, 3, 4, 5, 7, 8, 16, 33])
           for _ in range(r.randint(1, 4))])
    target_ops = r.randint(3, 12)
    while g.ops < target_ops:
        add_op(g)
        if any(elements(v[1]) > max_elements for v in g.values):
            return None
    produced = [v for v in g.values if v[0].startswith("%v")]
    outs = [produced[-1]] + r.sample(produced, min(2, len(produced)))
    results = []
    for v in outs:
        if v not in results:
            results.append(v)
    args = ", ".join(f"{n}: {tensor_type(s, dt)}" for n, s, dt in g.args)
    types = ", ".join(tensor_type(s) for _, s, _ in results)
    return (f"func.func @forward({args}) -> ({types}) {{\n"
            + "\n".join(g.lines)
            + f"\n  return {', '.join(n for n, _, _ in results)} : {types}\n}}\n")


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--attnc", default=os.path.join(root, "build/tools/attnc"))
    parser.add_argument("--targets", default="cpu,vulkan")
    parser.add_argument("--start", type=int, default=0)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--out", default="random-graphs")
    parser.add_argument("--precision", default="f32",
                        help="f32 or f16 (attnc verify --precision)")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    failed = 0
    for seed in range(args.start, args.start + args.count):
        text = make_graph(seed)
        if text is None:
            continue
        path = os.path.join(args.out, f"graph_{seed}.mlir")
        with open(path, "w") as f:
            f.write(text)
        run = subprocess.run([args.attnc, "verify", path,
                              f"--target={args.targets}",
                              f"--precision={args.precision}"],
                             capture_output=True, text=True)
        if run.returncode == 0:
            os.remove(path)
            continue
        failed += 1
        with open(path + ".log", "w") as f:
            f.write(run.stdout + run.stderr)
        what = "crash" if run.returncode not in (0, 1) else "fail"
        print(f"seed {seed}: {what} (exit {run.returncode}), see {path}.log",
              flush=True)
    print(f"{args.count} seeds from {args.start}: {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
