#!/usr/bin/env python3
"""gpu_check.py - attnc's Vulkan libraries on a GPU: conformance, then timings next to PyTorch.

Three commands (benchmarks/gpu_check.sh wraps them):

  prepare  (on the build machine) writes one attn graph per case, compiles each
           with `attnc compile --target=vulkan`, computes the example models'
           expected outputs with the fp64 oracle, and packs libraries, inputs,
           expected outputs and a manifest into CARRY/pack.tar.xz.
  run      (on the GPU machine, or here with --smoke packs) unpacks the pack and
           (a) runs the conformance matrix and the example models with the
           Vulkan validation layer on, (b) runs the benchmark shapes, checks them
           and times them next to torch SDPA / torch.matmul (CUDA events), and
           prints one markdown table. Exit status 1 when any check fails.
  worker   (internal) loads attnc libraries through ctypes (runtime/Model.h) in a
           process without torch, runs them and writes their outputs as .npy.

Every output is compared with an fp64 reference: torch in float64 implementing
the attn.attention contract (docs/architecture.md) for attention and matmul
cases, the oracle's outputs (`attnc run --target=oracle`) for example models.
An element passes when |got - ref| <= atol + rtol * |ref|; a query row whose
keys are all masked must be exactly zero.
"""

import argparse
import ctypes
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# The f16 tolerance used when support/Tolerances.h defines none: f16 inputs
# and outputs round to 11 significant bits (relative 4.9e-4 per rounding), and
# f16 intermediates (probabilities, pre-scaled queries) add a few such
# roundings to each output; 5e-3 leaves a margin of about 10x over one
# rounding of an output of magnitude 1.
DEFAULT_F16_TOLERANCE = (5e-3, 5e-3)
# The fp32 tolerance when the header cannot be read (kFp32TargetTolerance).
DEFAULT_F32_TOLERANCE = (2e-4, 2e-4)

# Libraries loaded by one worker process: on the H200, a Python process
# holding torch (CUDA) that had loaded 28 attnc libraries failed in ld.so's
# TLS bookkeeping, so workers never import torch and each takes few.
LIBS_PER_WORKER = 8
# A worker still running after this long (a hung device) is stopped.
WORKER_TIMEOUT_S = 150

# Device-side time budget for the timed runs of one library, in seconds.
TIMING_BUDGET_S = {"full": 1.5, "smoke": 0.3}
REPS = {"full": (3, 20), "smoke": (2, 3)}
# After this many seconds of `run`, libraries and peers get their minimum
# number of timed runs, so that the check stays within five minutes.
SOFT_LIMIT_S = 200


# ---------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------

def attention_case(name, B, Hq, Hkv, Sq, Sk, D, Dv=None, causal="none",
                   mask=None, scale=None):
    """mask: None or {"kind": "additive"|"bool", "shape": [...], "pattern": ...}."""
    return {"op": "attention", "name": name, "B": B, "Hq": Hq, "Hkv": Hkv,
            "Sq": Sq, "Sk": Sk, "D": D, "Dv": Dv or D, "causal": causal,
            "mask": mask, "scale": scale}


def conformance_cases():
    """Small attention graphs: every mask kind, causal alignment, GQA, odd
    lengths, Sq != Sk, fully masked rows, head dims 64, 128 and odd ones."""
    add = lambda shape, pattern="random": {"kind": "additive", "shape": shape, "pattern": pattern}
    keep = lambda shape, pattern="random": {"kind": "bool", "shape": shape, "pattern": pattern}
    return [
        attention_case("plain_d64", 1, 4, 4, 64, 64, 64),
        attention_case("batch3_d128", 3, 2, 2, 129, 129, 128),
        attention_case("odd_d33", 2, 3, 3, 37, 37, 33),
        attention_case("odd_d7_dv5", 1, 2, 2, 19, 23, 7, Dv=5),
        attention_case("d64_dv32", 1, 2, 2, 40, 72, 64, Dv=32),
        attention_case("one_token", 1, 1, 1, 1, 1, 64),
        attention_case("decode_1x500", 2, 4, 4, 1, 500, 64),
        attention_case("sq7_sk1000", 1, 2, 2, 7, 1000, 64),
        attention_case("causal_top_left", 1, 4, 4, 129, 129, 64, causal="top_left"),
        attention_case("causal_top_left_sq100_sk37", 1, 2, 2, 100, 37, 64, causal="top_left"),
        attention_case("causal_bottom_right_sq7_sk129", 1, 2, 2, 7, 129, 128, causal="bottom_right"),
        # Sq > Sk bottom-right: the first Sq - Sk query rows see no key.
        attention_case("causal_bottom_right_sq64_sk40", 1, 2, 2, 64, 40, 64, causal="bottom_right"),
        attention_case("scale_0.3", 1, 2, 2, 33, 65, 64, scale=0.3),
        attention_case("additive_mask", 2, 4, 4, 48, 80, 64, mask=add([2, 1, 48, 80])),
        attention_case("additive_mask_full", 1, 2, 2, 31, 31, 64, mask=add([1, 2, 31, 31])),
        attention_case("bool_mask", 2, 4, 4, 48, 80, 64, mask=keep([1, 1, 48, 80])),
        attention_case("bool_padding", 3, 4, 4, 33, 33, 64, mask=keep([3, 1, 1, 33], "padding")),
        attention_case("bool_mask_causal", 1, 4, 4, 65, 65, 128, causal="top_left",
                       mask=keep([1, 4, 65, 65])),
        attention_case("gqa_8_2", 2, 8, 2, 64, 64, 64),
        attention_case("gqa_8_2_causal_br_bool", 1, 8, 2, 17, 130, 64, causal="bottom_right",
                       mask=keep([1, 1, 17, 130])),
        attention_case("gqa_4_1_additive_d128", 1, 4, 1, 40, 40, 128, causal="top_left",
                       mask=add([1, 1, 40, 40])),
        attention_case("gqa_6_3_odd_d9", 1, 6, 3, 21, 45, 9, causal="top_left"),
    ]


def benchmark_cases(smoke):
    """(B, Hq, Hkv, S, D) attention shapes of the first H200 baseline
    (BENCHMARKS.md), each causal and not, and square matmuls."""
    if smoke:
        shapes = [(1, 2, 2, 64, 32), (1, 4, 2, 48, 16)]
        matmuls = [64, 96]
    else:
        shapes = [(1, 8, 8, 512, 64), (1, 12, 12, 1024, 64), (1, 8, 8, 2048, 64),
                  (8, 16, 16, 2048, 64), (2, 16, 16, 8192, 64),
                  (4, 16, 16, 4096, 128), (2, 32, 8, 4096, 128)]
        matmuls = [2048, 4096, 8192]
    cases = []
    for B, Hq, Hkv, S, D in shapes:
        for causal in ("none", "top_left"):
            cases.append(attention_case("attention_%d_%d_%d_%d_%d_%s" % (B, Hq, Hkv, S, D, causal),
                                        B, Hq, Hkv, S, S, D, causal=causal))
    for n in matmuls:
        cases.append({"op": "matmul", "name": "matmul_%d" % n, "M": n, "N": n, "K": n})
    return cases


def flops(case):
    if case["op"] == "matmul":
        return 2.0 * case["M"] * case["N"] * case["K"]
    f = 4.0 * case["B"] * case["Hq"] * case["Sq"] * case["Sk"] * case["D"]
    return f / 2 if case["causal"] != "none" else f


def shape_text(case):
    if case["op"] == "matmul":
        return "%d³" % case["M"] if case["M"] == case["N"] == case["K"] else \
            "%dx%dx%d" % (case["M"], case["N"], case["K"])
    text = "%d,%d,%d,%d,%d" % (case["B"], case["Hq"], case["Hkv"], case["Sq"], case["D"])
    if case["Sq"] != case["Sk"]:
        text += " (Sk %d)" % case["Sk"]
    return text + (" (GQA)" if case["Hq"] != case["Hkv"] else "")


def tensor_type(shape, elem):
    return "tensor<%sx%s>" % ("x".join(str(d) for d in shape), elem)


def case_mlir(case, precision):
    """The graph of one case: @forward with named inputs and one output."""
    elem = "f16" if precision == "f16" else "f32"
    if case["op"] == "matmul":
        a = tensor_type([case["M"], case["K"]], elem)
        b = tensor_type([case["K"], case["N"]], elem)
        c = tensor_type([case["M"], case["N"]], elem)
        return ("func.func @forward(%%a: %s {attn.name = \"a\"}, %%b: %s {attn.name = \"b\"}) "
                "-> (%s {attn.name = \"c\"}) {\n"
                "  %%0 = attn.matmul %%a, %%b : (%s, %s) -> %s\n"
                "  return %%0 : %s\n}\n") % (a, b, c, a, b, c, c)
    q = tensor_type([case["B"], case["Hq"], case["Sq"], case["D"]], elem)
    k = tensor_type([case["B"], case["Hkv"], case["Sk"], case["D"]], elem)
    v = tensor_type([case["B"], case["Hkv"], case["Sk"], case["Dv"]], elem)
    o = tensor_type([case["B"], case["Hq"], case["Sq"], case["Dv"]], elem)
    args = ['%%q: %s {attn.name = "q"}' % q, '%%k: %s {attn.name = "k"}' % k,
            '%%v: %s {attn.name = "v"}' % v]
    operand_types = [q, k, v]
    mask_use = ""
    if case["mask"]:
        m = tensor_type(case["mask"]["shape"], "i1" if case["mask"]["kind"] == "bool" else elem)
        args.append('%%mask: %s {attn.name = "mask"}' % m)
        operand_types.append(m)
        mask_use = " mask %mask"
    attrs = ["causal = #attn<causal %s>" % case["causal"]]
    if case["scale"] is not None:
        attrs.append("scale = %r : f32" % float(np.float32(case["scale"])))
    return ("func.func @forward(%s) -> (%s {attn.name = \"out\"}) {\n"
            "  %%0 = attn.attention %%q, %%k, %%v%s {%s} : (%s) -> %s\n"
            "  return %%0 : %s\n}\n") % (", ".join(args), o, mask_use, ", ".join(attrs),
                                         ", ".join(operand_types), o, o)


# ---------------------------------------------------------------------------
# prepare (build machine)
# ---------------------------------------------------------------------------

def read_tolerances():
    """(f32, f16, where each came from) from support/Tolerances.h."""
    path = os.path.join(ROOT, "support", "Tolerances.h")
    found = {}
    try:
        text = open(path).read()
        for name, atol, rtol in re.findall(
                r"constexpr\s+Tolerance\s+(\w+)\s*=\s*\{\s*([^,}]+?)\s*,\s*([^}]+?)\s*\}", text):
            found[name] = (float(atol), float(rtol))
    except (OSError, ValueError):
        pass
    f32 = found.get("kFp32TargetTolerance")
    f16_names = [n for n in found if re.search(r"(F16|Fp16|Half)", n) and "Target" in n] or \
        [n for n in found if re.search(r"(F16|Fp16|Half)", n)]
    f16 = found[f16_names[0]] if f16_names else None
    return {
        "f32": list(f32 or DEFAULT_F32_TOLERANCE),
        "f16": list(f16 or DEFAULT_F16_TOLERANCE),
        "f32_source": "support/Tolerances.h kFp32TargetTolerance" if f32 else "gpu_check.py default",
        "f16_source": ("support/Tolerances.h " + f16_names[0]) if f16 else
        "gpu_check.py DEFAULT_F16_TOLERANCE (support/Tolerances.h defines no f16 tolerance)",
    }


def git(*args):
    try:
        return subprocess.run(["git", "-C", ROOT] + list(args), capture_output=True,
                               text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def write_if_changed(path, text):
    old = open(path).read() if os.path.exists(path) else None
    if old != text:
        with open(path, "w") as f:
            f.write(text)
        return True
    return False


def compile_jobs(attnc, jobs, parallel):
    """jobs: (source, lib, extra flags, source changed). Compiles those whose
    library is missing or older than its source or attnc. Returns failures."""
    import concurrent.futures
    attnc_mtime = os.path.getmtime(attnc)

    def one(job):
        src, lib, flags, changed = job
        if (not changed and os.path.exists(lib) and os.path.getmtime(lib) > attnc_mtime and
                os.path.getmtime(lib) > os.path.getmtime(src)):
            return None
        cmd = [attnc, "compile", src, "--target=vulkan", "-o", lib] + flags
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode != 0:
            return "%s\n%s" % (" ".join(cmd), (r.stderr or r.stdout)[-2000:])
        return None

    with concurrent.futures.ThreadPoolExecutor(max_workers=parallel) as pool:
        return [e for e in pool.map(one, jobs) if e]


def model_signature(attnc, spec):
    """[(name, dtype, shape)] of @forward's arguments, from --emit=mlir."""
    r = subprocess.run([attnc, "compile", spec, "--emit=mlir", "--elide-weights"],
                       capture_output=True, text=True, check=True)
    head = r.stdout[r.stdout.index("func.func @forward("):]
    head = head[:head.index("{\n")]
    args = re.findall(r"%\w+: tensor<([0-9x]*?)x?([a-z]+[0-9]*)>\s*\{attn\.name = \"(\w+)\"\}", head)
    return [(name, elem, [int(d) for d in dims.split("x") if d]) for dims, elem, name in args]


def example_inputs(spec_path, signature, seed):
    """Seeded inputs for an example model: token ids below the vocabulary,
    keep masks whose rows end in padding (first position kept), N(0, 1)
    floats."""
    spec = json.load(open(spec_path))
    rng = np.random.default_rng(seed)
    inputs = {}
    for name, elem, shape in signature:
        if name == "attention_mask":
            m = np.ones(shape, dtype=np.int64)
            for b in range(shape[0]):
                m[b, max(1, shape[1] - 3 * b):] = 0
            inputs[name] = m
        elif elem in ("i64", "i32"):
            vals = rng.integers(0, spec.get("vocab", 2), size=shape)
            inputs[name] = vals.astype(np.int64 if elem == "i64" else np.int32)
        else:
            inputs[name] = rng.standard_normal(shape).astype(np.float32)
    return inputs


def prepare(args):
    mode = "smoke" if args.smoke else "full"
    attnc = os.path.abspath(args.attnc)
    if not os.access(attnc, os.X_OK):
        sys.exit("error: %s is not built (cmake --build build --target attnc)" % attnc)
    work = os.path.abspath(args.work)
    carry = os.path.join(work, "carry")
    for sub in ("mlir", "libs", "data"):
        os.makedirs(os.path.join(work, sub), exist_ok=True)
    os.makedirs(carry, exist_ok=True)
    r = subprocess.run([attnc, "compile", "--help"], capture_output=True, text=True)
    has_precision = "--precision" in r.stdout + r.stderr
    # f32 graphs; f16 graphs (f16 inputs and outputs) compiled with
    # --precision=f16 where attnc has it.
    f16_flags = args.f16_flags.split() if args.f16_flags is not None else \
        (["--precision=f16"] if has_precision else [])
    precisions = [("f32", []), ("f16", f16_flags)]
    tolerances = read_tolerances()

    cases, jobs = [], []

    def add_graph(group, case, precision, flags):
        tag = "%s_%s" % (case["name"], precision)
        src = os.path.join(work, "mlir", tag + ".mlir")
        lib = os.path.join(work, "libs", "lib%s.so" % tag)
        changed = write_if_changed(src, case_mlir(case, precision))
        changed |= write_if_changed(src + ".flags", " ".join(flags))
        jobs.append((src, lib, flags, changed))
        entry = dict(case, group=group, precision=precision, flags=flags,
                     id="%s/%s" % (group, tag), lib="libs/" + os.path.basename(lib))
        cases.append(entry)

    for case in conformance_cases():
        for precision, flags in precisions:
            add_graph("conformance", case, precision, flags)
    for case in benchmark_cases(args.smoke):
        for precision, flags in precisions:
            add_graph("benchmark", case, precision, flags)

    skipped = []
    examples = sorted(f for f in os.listdir(os.path.join(ROOT, "examples")) if f.endswith(".json"))
    for fname in examples:
        spec = os.path.join(ROOT, "examples", fname)
        stem = fname[:-5]
        signature = model_signature(attnc, spec)
        data = os.path.join(work, "data", stem)
        os.makedirs(os.path.join(data, "expected"), exist_ok=True)
        inputs = example_inputs(spec, signature, zlib.crc32(stem.encode()))
        cmd = [attnc, "run", spec, "--target=oracle", "--output", os.path.join(data, "expected")]
        for name, value in inputs.items():
            np.save(os.path.join(data, name + ".npy"), value)
            cmd += ["--input", "%s=%s" % (name, os.path.join(data, name + ".npy"))]
        subprocess.run(cmd, capture_output=True, text=True, check=True)
        expected = sorted(f[:-4] for f in os.listdir(os.path.join(data, "expected")) if f.endswith(".npy"))
        example_precisions = precisions if f16_flags else precisions[:1]
        for precision, flags in example_precisions:
            tag = "%s_%s" % (stem, precision)
            lib = os.path.join(work, "libs", "lib%s.so" % tag)
            jobs.append((spec, lib, flags, write_if_changed(
                os.path.join(work, "mlir", tag + ".flags"), " ".join(flags))))
            cases.append({"op": "model", "name": stem, "group": "example", "precision": precision,
                          "flags": flags, "id": "example/" + tag,
                          "lib": "libs/" + os.path.basename(lib),
                          "inputs": {n: "data/%s/%s.npy" % (stem, n) for n in inputs},
                          "expected": {n: "data/%s/expected/%s.npy" % (stem, n) for n in expected}})

    t0 = time.time()
    print("compiling %d libraries with %s (f16 graphs with %s)..." % (
        len(jobs), attnc, " ".join(f16_flags) if f16_flags else
        "no flag" + ("" if has_precision else ": attnc has no --precision")))
    failures = compile_jobs(attnc, jobs, args.jobs)
    for f in failures[:3]:
        print("error: compile failed: " + f, file=sys.stderr)
    if failures:
        sys.exit("error: %d of %d libraries did not compile" % (len(failures), len(jobs)))
    print("compiled in %.0f s" % (time.time() - t0))

    # Libraries too large to carry (weights are constants in a spec model).
    kept = []
    for c in cases:
        size = os.path.getsize(os.path.join(work, c["lib"]))
        if size > args.max_lib_mib * 2**20:
            skipped.append("%s (%.0f MiB library, over --max-lib-mib=%d)" % (c["id"], size / 2**20,
                                                                            args.max_lib_mib))
        else:
            kept.append(c)
    cases = kept

    manifest = {
        "mode": mode, "commit": git("rev-parse", "--short=12", "HEAD"),
        "commit_subject": git("log", "-1", "--format=%s"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "prepared": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "precision_flag": has_precision, "f16_flags": f16_flags, "tolerances": tolerances,
        "skipped": skipped, "cases": cases,
    }
    with open(os.path.join(work, "manifest.json"), "w") as f:
        json.dump(manifest, f, indent=1)

    pack = os.path.join(carry, "pack.tar.xz")
    t0 = time.time()
    members = sorted({c["lib"] for c in cases}) + ["manifest.json"]
    members += ["data/" + d for d in sorted(os.listdir(os.path.join(work, "data")))
                if any(c.get("inputs") and c["name"] == d for c in cases)]
    tmp = pack + ".tmp"
    with tarfile.open(tmp, "w:xz", preset=9) as tar:
        for m in members:
            tar.add(os.path.join(work, m), arcname=m)
    os.replace(tmp, pack)
    raw = sum(os.path.getsize(os.path.join(work, c)) for c in {c["lib"] for c in cases})
    print("%d libraries, %.1f MiB; packed with the data into %s: %.1f MiB (%.0f s)" % (
        len({c["lib"] for c in cases}), raw / 2**20, os.path.relpath(pack, ROOT),
        os.path.getsize(pack) / 2**20, time.time() - t0))
    largest = max(cases, key=lambda c: os.path.getsize(os.path.join(work, c["lib"])))
    print("largest library: %s, %.2f MiB" % (largest["lib"],
          os.path.getsize(os.path.join(work, largest["lib"])) / 2**20))
    for s in skipped:
        print("not carried: " + s)


# ---------------------------------------------------------------------------
# worker (no torch in this process)
# ---------------------------------------------------------------------------

ATTNC_DTYPES = {0: np.float16, 1: np.float32, 2: np.float64, 3: np.bool_, 4: np.int32, 5: np.int64}


class Options(ctypes.Structure):
    _fields_ = [("struct_size", ctypes.c_uint32), ("num_threads", ctypes.c_int32),
                ("device", ctypes.c_char_p), ("enable_validation", ctypes.c_int32)]


class TensorDesc(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("dtype", ctypes.c_int),
                ("rank", ctypes.c_int32), ("shape", ctypes.POINTER(ctypes.c_int64))]


class Tensor(ctypes.Structure):
    _fields_ = [("dtype", ctypes.c_int), ("rank", ctypes.c_int32),
                ("shape", ctypes.POINTER(ctypes.c_int64)), ("data", ctypes.c_void_p),
                ("size_bytes", ctypes.c_size_t)]


class AttncError(Exception):
    pass


class Library:
    """One attnc library loaded through ctypes, following runtime/Model.h."""

    def __init__(self, path):
        self.lib = lib = ctypes.CDLL(os.path.abspath(path))
        vp, i32 = ctypes.c_void_p, ctypes.c_int32
        sig = {
            "attnc_abi_version": (i32, []),
            "attnc_model_name": (ctypes.c_char_p, []),
            "attnc_target": (ctypes.c_char_p, []),
            "attnc_model_create": (ctypes.c_int, [ctypes.POINTER(Options), ctypes.POINTER(vp)]),
            "attnc_model_destroy": (None, [vp]),
            "attnc_model_device": (ctypes.c_char_p, [vp]),
            "attnc_model_num_inputs": (i32, [vp]),
            "attnc_model_num_outputs": (i32, [vp]),
            "attnc_model_input": (ctypes.c_int, [vp, i32, ctypes.POINTER(TensorDesc)]),
            "attnc_model_output": (ctypes.c_int, [vp, i32, ctypes.POINTER(TensorDesc)]),
            "attnc_model_run": (ctypes.c_int, [vp, ctypes.POINTER(Tensor), i32,
                                               ctypes.POINTER(Tensor), i32]),
            "attnc_model_last_run_ms": (ctypes.c_double, [vp]),
            "attnc_last_error": (ctypes.c_char_p, [vp]),
        }
        for name, (res, argtypes) in sig.items():
            fn = getattr(lib, name)
            fn.restype, fn.argtypes = res, argtypes
        if lib.attnc_abi_version() != 1:
            raise AttncError("ABI version %d, this script speaks 1" % lib.attnc_abi_version())
        if lib.attnc_target() != b"vulkan":
            raise AttncError("target %r, expected vulkan" % lib.attnc_target())

    def error(self, model):
        return self.lib.attnc_last_error(model).decode(errors="replace")

    def create(self, validation):
        opts = Options(struct_size=ctypes.sizeof(Options), num_threads=0, device=None,
                       enable_validation=1 if validation else 0)
        model = ctypes.c_void_p()
        status = self.lib.attnc_model_create(ctypes.byref(opts), ctypes.byref(model))
        if status != 0:
            raise AttncError("create failed (status %d): %s" % (status, self.error(None)))
        return Model(self, model)


class Model:
    def __init__(self, library, handle):
        self.library, self.lib, self.handle = library, library.lib, handle
        self.device = self.lib.attnc_model_device(handle).decode(errors="replace")

    def describe(self, outputs):
        count = (self.lib.attnc_model_num_outputs if outputs else self.lib.attnc_model_num_inputs)(self.handle)
        get = self.lib.attnc_model_output if outputs else self.lib.attnc_model_input
        descs = []
        for i in range(count):
            d = TensorDesc()
            if get(self.handle, i, ctypes.byref(d)) != 0:
                raise AttncError(self.library.error(self.handle))
            descs.append((d.name.decode(), d.dtype, tuple(d.shape[j] for j in range(d.rank))))
        return descs

    def run(self, inputs, outputs):
        """inputs / outputs: lists of numpy arrays in the order of the descriptors."""
        def tensors(arrays, dtypes):
            arr = (Tensor * len(arrays))()
            keep = []
            for t, a, dt in zip(arr, arrays, dtypes):
                shape = (ctypes.c_int64 * max(1, a.ndim))(*a.shape)
                keep.append(shape)
                t.dtype, t.rank, t.shape = dt, a.ndim, ctypes.cast(shape, ctypes.POINTER(ctypes.c_int64))
                t.data, t.size_bytes = a.ctypes.data, a.nbytes
            return arr, keep
        ins, keep_in = tensors(inputs, self.in_dtypes)
        outs, keep_out = tensors(outputs, self.out_dtypes)
        status = self.lib.attnc_model_run(self.handle, ins, len(inputs), outs, len(outputs))
        if status != 0:
            raise AttncError("run failed (status %d): %s" % (status, self.library.error(self.handle)))
        return self.lib.attnc_model_last_run_ms(self.handle)

    def destroy(self):
        self.lib.attnc_model_destroy(self.handle)


def bind(model, job, result):
    """Loads the job's inputs for `model` (checked against its descriptors)
    and allocates its outputs: (inputs, outputs, output names, (input
    dtypes, output dtypes))."""
    in_descs, out_descs = model.describe(False), model.describe(True)
    inputs, fed = [], {}
    for name, dtype, shape in in_descs:
        if name not in job["inputs"]:
            raise AttncError("the library has an input %r the job does not give" % name)
        a = np.load(job["inputs"][name])
        want = np.dtype(ATTNC_DTYPES[dtype])
        if tuple(a.shape) != shape:
            raise AttncError("input %s: library wants shape %s, given %s" % (name, shape, a.shape))
        if a.dtype != want:
            if a.dtype.kind != "f" or want.kind != "f":
                raise AttncError("input %s: library wants %s, given %s" % (name, want, a.dtype))
            # What the library was fed goes back to the reference.
            a = a.astype(want)
            fed[name] = os.path.join(job["out_dir"], "fed_%s.npy" % name)
            np.save(fed[name], a)
        inputs.append(np.ascontiguousarray(a))
    result["fed"] = fed
    outputs = [np.zeros(shape, dtype=ATTNC_DTYPES[dtype]) for _, dtype, shape in out_descs]
    dtypes = ([d for _, d, _ in in_descs], [d for _, d, _ in out_descs])
    model.in_dtypes, model.out_dtypes = dtypes
    return inputs, outputs, [n for n, _, _ in out_descs], dtypes


def save_outputs(job, result, names, outputs):
    result["outputs"] = {}
    for name, a in zip(names, outputs):
        path = os.path.join(job["out_dir"], "out_%s.npy" % name)
        np.save(path, a)
        result["outputs"][name] = path


def run_job(job, result):
    """Runs one library: a checked run (validation as asked), then, for a
    timing job, timed runs on an instance without validation. A timing job
    whose validated run fails is still timed (its error stays recorded)."""
    library = Library(job["lib"])
    io = None
    try:
        model = library.create(job["validation"])
        try:
            result["device"] = model.device
            io = bind(model, job, result)
            t0 = time.perf_counter()
            model.run(io[0], io[1])
            result["first_wall_ms"] = (time.perf_counter() - t0) * 1e3
            save_outputs(job, result, io[2], io[1])
        finally:
            model.destroy()
    except AttncError as e:
        if not job.get("timing"):
            raise
        result["error"] = ("with validation: " if job["validation"] else "") + str(e)
    if job.get("timing"):
        model = library.create(False)
        try:
            result["device"] = model.device
            if io is None:
                io = bind(model, job, result)
            inputs, outputs, names, (model.in_dtypes, model.out_dtypes) = io
            for _ in range(2):
                model.run(inputs, outputs)
            if "outputs" not in result:
                save_outputs(job, result, names, outputs)
            lo, hi = job["reps"]
            t0 = time.perf_counter()
            model.run(inputs, outputs)
            one = time.perf_counter() - t0
            reps = int(min(hi, max(lo, job["budget_s"] / max(one, 1e-6))))
            gpu, wall = [], []
            for _ in range(reps):
                t0 = time.perf_counter()
                ms = model.run(inputs, outputs)
                wall.append((time.perf_counter() - t0) * 1e3)
                gpu.append(ms)
            result["gpu_ms"], result["wall_ms"] = gpu, wall
        finally:
            model.destroy()
    result["ok"] = "error" not in result


def worker(args):
    jobs = json.load(open(args.jobs))
    for job in jobs:
        result = {"id": job["id"], "ok": False}
        try:
            run_job(job, result)
        except Exception as e:  # one library's failure is reported, the next runs
            result["ok"] = False
            msg = "%s: %s" % (type(e).__name__, e) if not isinstance(e, AttncError) else str(e)
            result["error"] = result["error"] + "; " + msg if "error" in result else msg
        with open(job["result"], "w") as f:
            json.dump(result, f)


# ---------------------------------------------------------------------------
# run (GPU machine): inputs, references, comparisons, torch peers, the table
# ---------------------------------------------------------------------------

class Checker:
    def __init__(self, torch, device):
        self.torch, self.dev = torch, device

    def generator(self, key):
        g = self.torch.Generator(device=self.dev)
        g.manual_seed(zlib.crc32(key.encode()))
        return g

    def randn(self, shape, g, dtype):
        t = self.torch.randn(*shape, generator=g, device=self.dev, dtype=self.torch.float32)
        return t.to(dtype)

    def rand(self, shape, g):
        return self.torch.rand(*shape, generator=g, device=self.dev, dtype=self.torch.float32)

    def attention_inputs(self, case, precision):
        """Seeded inputs (never all zero) as numpy arrays, keyed by name."""
        torch = self.torch
        fdt = torch.float16 if precision == "f16" else torch.float32
        g = self.generator(case["name"])
        B, Hq, Hkv, Sq, Sk, D, Dv = (case[k] for k in ("B", "Hq", "Hkv", "Sq", "Sk", "D", "Dv"))
        out = {"q": self.randn((B, Hq, Sq, D), g, fdt), "k": self.randn((B, Hkv, Sk, D), g, fdt),
               "v": self.randn((B, Hkv, Sk, Dv), g, fdt)}
        mask = case["mask"]
        if mask:
            shape = mask["shape"]
            if mask["pattern"] == "padding":
                keep = torch.zeros(shape, dtype=torch.bool, device=self.dev)
                for b in range(shape[0]):
                    keep[b, ..., :max(1, shape[-1] - 5 * b)] = True
            else:
                keep = self.rand(shape, g) < 0.7
                keep[..., 1, :] = False  # a fully masked query row
            if mask["kind"] == "bool":
                out["mask"] = keep
            else:
                vals = self.randn(shape, g, torch.float32)
                out["mask"] = vals.masked_fill(~keep, float("-inf")).to(fdt)
        return {k: v.cpu().numpy() for k, v in out.items()}

    def matmul_inputs(self, case, precision):
        torch = self.torch
        fdt = torch.float16 if precision == "f16" else torch.float32
        g = self.generator(case["name"])
        a = self.randn((case["M"], case["K"]), g, torch.float32)
        # B scaled so that C ~ N(0, 1) whatever K.
        b = self.randn((case["K"], case["N"]), g, torch.float32) / math.sqrt(case["K"])
        return {"a": a.to(fdt).cpu().numpy(), "b": b.to(fdt).cpu().numpy()}

    def f64(self, a):
        return self.torch.from_numpy(np.ascontiguousarray(a)).to(self.dev).to(self.torch.float64)

    def attention_reference(self, case, inputs):
        """The attn.attention contract in float64: returns (out, dead) where
        dead marks query rows whose keys are all masked."""
        torch = self.torch
        q, k, v = self.f64(inputs["q"]), self.f64(inputs["k"]), self.f64(inputs["v"])
        B, Hq, Sq, D = q.shape
        Hkv, Sk, Dv = k.shape[1], k.shape[2], v.shape[3]
        group = Hq // Hkv
        scale = float(np.float32(case["scale"])) if case["scale"] is not None else 1.0 / math.sqrt(D)
        mask = None
        if "mask" in inputs:
            m = torch.from_numpy(inputs["mask"]).to(self.dev)
            mask = (m if m.dtype == torch.bool else m.to(torch.float64)).expand(B, Hq, Sq, Sk)
        visible = None
        if case["causal"] != "none":
            i = torch.arange(Sq, device=self.dev).view(Sq, 1)
            j = torch.arange(Sk, device=self.dev).view(1, Sk)
            visible = j <= i + ((Sk - Sq) if case["causal"] == "bottom_right" else 0)
        out = torch.empty((B, Hq, Sq, Dv), dtype=torch.float64, device=self.dev)
        dead = torch.empty((B, Hq, Sq), dtype=torch.bool, device=self.dev)
        chunk = max(1, min(Hq, (1 << 27) // max(1, Sq * Sk)))
        for b in range(B):
            for h0 in range(0, Hq, chunk):
                h1 = min(Hq, h0 + chunk)
                kv = torch.arange(h0, h1, device=self.dev) // group
                s = torch.matmul(q[b, h0:h1], k[b, kv].transpose(-1, -2)) * scale
                if mask is not None:
                    mb = mask[b, h0:h1]
                    s = s.masked_fill(~mb, float("-inf")) if mb.dtype == torch.bool else s + mb
                if visible is not None:
                    s = s.masked_fill(~visible, float("-inf"))
                mx = s.amax(dim=-1, keepdim=True)
                rows_dead = mx == float("-inf")
                e = torch.exp(s - mx.masked_fill(rows_dead, 0.0))
                p = e / e.sum(dim=-1, keepdim=True).masked_fill(rows_dead, 1.0)
                out[b, h0:h1] = torch.matmul(p, v[b, kv])
                dead[b, h0:h1] = rows_dead[..., 0]
                del s, e, p
        return out, dead

    def matmul_reference(self, inputs):
        return self.torch.matmul(self.f64(inputs["a"]), self.f64(inputs["b"])), None

    def compare(self, got, ref, tol, dead=None):
        """{'ok', 'max_abs', 'bad', 'worst'}: every element within atol + rtol |ref|,
        rows in `dead` exactly zero."""
        torch = self.torch
        g = self.f64(got)
        atol, rtol = tol
        if tuple(g.shape) != tuple(ref.shape):
            return {"ok": False, "max_abs": float("nan"), "bad": -1,
                    "worst": "shape %s, expected %s" % (tuple(g.shape), tuple(ref.shape))}
        err = (g - ref).abs()
        excess = err - (atol + rtol * ref.abs())
        excess = torch.where(torch.isnan(g), torch.full_like(excess, float("inf")), excess)
        bad = int((excess > 0).sum())
        finite_err = torch.where(torch.isnan(err), torch.full_like(err, float("inf")), err)
        res = {"max_abs": float(finite_err.max()) if err.numel() else 0.0, "bad": bad}
        worst = int(torch.argmax(excess.flatten())) if err.numel() else 0
        if bad:
            res["worst"] = "index %d: got %r, expected %r" % (
                worst, float(g.flatten()[worst]), float(ref.flatten()[worst]))
        if dead is not None and bool(dead.any()):
            rows = g[dead]
            nonzero = int((rows != 0).sum())
            res["dead_rows"] = int(dead.sum())
            if nonzero:
                res["bad"] += nonzero
                res.setdefault("worst", "%d elements of fully masked rows are not exactly 0" % nonzero)
        res["ok"] = res["bad"] == 0
        return res


def median(xs):
    return statistics.median(xs) if xs else float("nan")


class Runner:
    def __init__(self, args):
        self.args = args
        self.failures = []
        self.devices = set()
        self.t_start = time.time()

    def log(self, msg):
        print("[%6.1fs] %s" % (time.time() - self.t_start, msg))

    def run_workers(self, jobs):
        """Runs jobs in worker processes, LIBS_PER_WORKER each; returns results by id."""
        results = {}
        for i in range(0, len(jobs), LIBS_PER_WORKER):
            chunk = jobs[i:i + LIBS_PER_WORKER]
            path = os.path.join(self.tmp, "jobs_%d.json" % i)
            for j in chunk:
                if os.path.exists(j["result"]):
                    os.remove(j["result"])
            with open(path, "w") as f:
                json.dump(chunk, f)
            died = None
            try:
                r = subprocess.run([sys.executable, os.path.abspath(__file__), "worker", path],
                                   capture_output=True, text=True, timeout=WORKER_TIMEOUT_S)
                if r.returncode != 0:
                    died = "worker exited with status %d: %s" % (
                        r.returncode, (r.stderr or r.stdout)[-1500:].strip())
            except subprocess.TimeoutExpired:
                died = "worker timed out after %d s" % WORKER_TIMEOUT_S
            for j in chunk:
                if os.path.exists(j["result"]):
                    results[j["id"]] = json.load(open(j["result"]))
                else:
                    results[j["id"]] = {"id": j["id"], "ok": False, "error": died or "no result"}
                    died = died and "the worker died on an earlier library"
        return results

    def fail(self, what):
        self.failures.append(what)
        print("FAIL " + what)


def peer_time(torch, fn, budget_s):
    """Median CUDA-event time of fn() in ms."""
    for _ in range(3):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    start.record()
    fn()
    end.record()
    torch.cuda.synchronize()
    est = max(start.elapsed_time(end), 1e-3)
    reps = int(min(30, max(5, budget_s * 1e3 / est)))
    events = [(torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True))
              for _ in range(reps)]
    for s, e in events:
        s.record()
        fn()
        e.record()
    torch.cuda.synchronize()
    return median([s.elapsed_time(e) for s, e in events])


def torch_device(torch):
    """Where references are computed and peers run."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def torch_peers(torch, case, inputs_f32, ref, budget_s):
    """{dtype: (ms, max abs error vs the fp64 reference)} for SDPA / matmul."""
    F = torch.nn.functional
    res = {}
    for label, dt in (("fp32", torch.float32), ("fp16", torch.float16), ("bf16", torch.bfloat16)):
        t = {k: torch.from_numpy(a).to(ref.device).to(dt) for k, a in inputs_f32.items()}
        if case["op"] == "matmul":
            args, kw, fn = (t["a"], t["b"]), {}, torch.matmul
        else:
            kw = {"is_causal": case["causal"] != "none"}
            q, k, v = t["q"], t["k"], t["v"]
            if case["Hq"] != case["Hkv"]:
                try:
                    F.scaled_dot_product_attention(q[:, :, :1], k, v, enable_gqa=True)
                    kw["enable_gqa"] = True
                except TypeError:  # torch without enable_gqa: repeat the kv heads
                    g = case["Hq"] // case["Hkv"]
                    k, v = k.repeat_interleave(g, 1), v.repeat_interleave(g, 1)
            args, fn = (q, k, v), F.scaled_dot_product_attention
        ms = peer_time(torch, lambda: fn(*args, **kw), budget_s)
        err = float((fn(*args, **kw).to(torch.float64) - ref).abs().max())
        res[label] = (ms, err)
        t = args = None
    return res


def fmt(x, digits=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return "%.*f" % (digits, x)


def fmt_tf(x):
    """TFLOP/s: one decimal from 10 up, more below."""
    if x is None or math.isnan(x):
        return "n/a"
    return "%.1f" % x if x >= 10 else "%.2f" % x if x >= 0.1 else "%.2g" % x


def run(args):
    import torch  # the worker processes never import torch
    t_start = time.time()
    runner = Runner(args)
    src = os.path.abspath(args.dir)
    pack = os.path.join(src, "pack.tar.xz")
    if not os.path.exists(pack):
        sys.exit("error: %s missing: run `benchmarks/gpu_check.sh prepare` first" % pack)
    runner.tmp = tmp = tempfile.mkdtemp(prefix="attnc-gpu-check-")
    try:
        try:
            with tarfile.open(pack) as tar:
                if hasattr(tarfile, "data_filter"):
                    tar.extractall(tmp, filter="data")
                else:
                    tar.extractall(tmp)
        except (tarfile.CompressionError, tarfile.ReadError):  # a Python without lzma
            subprocess.run(["tar", "-xJf", pack, "-C", tmp], check=True)
        manifest = json.load(open(os.path.join(tmp, "manifest.json")))
        mode = manifest["mode"]
        cuda = torch.cuda.is_available()
        dev = torch_device(torch)
        checker = Checker(torch, dev)
        tol = {p: tuple(manifest["tolerances"][p]) for p in ("f32", "f16")}
        validation = not args.no_validation

        try:
            smi = subprocess.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total",
                                  "--format=csv,noheader"], capture_output=True, text=True).stdout.strip()
        except OSError:
            smi = ""
        runner.log("attnc %s%s (%s), pack prepared %s, mode %s" % (
            manifest["commit"], " + uncommitted changes" if manifest["dirty"] else "",
            manifest["commit_subject"], manifest["prepared"], mode))
        runner.log("torch %s, %s; nvidia-smi: %s" % (
            torch.__version__, ("CUDA " + torch.cuda.get_device_name(0)) if cuda else "no CUDA",
            smi or "not available"))
        runner.log("tolerances: f32 atol=%g rtol=%g (%s); f16 atol=%g rtol=%g (%s)" % (
            tol["f32"] + (manifest["tolerances"]["f32_source"],) + tol["f16"] +
            (manifest["tolerances"]["f16_source"],)))
        for s in manifest["skipped"]:
            runner.log("not in this pack: " + s)

        cases = manifest["cases"]

        def job_for(case, inputs, timing):
            out_dir = os.path.join(tmp, "io", case["id"].replace("/", "_"))
            os.makedirs(out_dir, exist_ok=True)
            paths = {}
            for name, value in inputs.items():
                if isinstance(value, str):
                    paths[name] = os.path.join(tmp, value)
                else:
                    paths[name] = os.path.join(out_dir, "in_%s.npy" % name)
                    np.save(paths[name], value)
            return {"id": case["id"], "lib": os.path.join(tmp, case["lib"]), "inputs": paths,
                    "out_dir": out_dir, "result": os.path.join(out_dir, "result.json"),
                    "validation": validation, "timing": timing,
                    # past the soft limit, only the minimum number of timed runs
                    "budget_s": TIMING_BUDGET_S[mode] if time.time() - t_start < SOFT_LIMIT_S else 0.0,
                    "reps": REPS[mode]}

        def inputs_for(case, precision):
            if case["op"] == "attention":
                return checker.attention_inputs(case, precision)
            if case["op"] == "matmul":
                return checker.matmul_inputs(case, precision)
            return dict(case["inputs"])

        def check(case, inputs, result):
            """Compares every output of one run; returns the worst max abs error."""
            if not result.get("ok"):
                runner.fail("%s: %s" % (case["id"], result.get("error", "failed")))
                if "outputs" not in result:
                    return None
            if result.get("device"):
                runner.devices.add(result["device"])
            for name, path in result.get("fed", {}).items():
                inputs[name] = np.load(path)
            t = tol[case["precision"]]
            if case["op"] == "model":
                refs = {n: (checker.f64(np.load(os.path.join(tmp, p))), None)
                        for n, p in case["expected"].items()}
            elif case["op"] == "attention":
                refs = {"out": checker.attention_reference(case, inputs)}
            else:
                refs = {"c": checker.matmul_reference(inputs)}
            worst = 0.0
            if set(refs) != set(result["outputs"]):
                runner.fail("%s: outputs %s, expected %s" % (case["id"], sorted(result["outputs"]),
                                                            sorted(refs)))
                return None
            for name, (ref, dead) in refs.items():
                c = checker.compare(np.load(result["outputs"][name]), ref, t, dead)
                worst = max(worst, c["max_abs"]) if not math.isnan(c["max_abs"]) else c["max_abs"]
                extra = (", %d fully masked rows exactly 0" % c["dead_rows"]) if c.get("dead_rows") and c["ok"] else ""
                if c["ok"]:
                    runner.log("ok   %-58s %-4s max |err| %.2e%s" % (case["id"], name, c["max_abs"], extra))
                else:
                    runner.fail("%s %s: %d elements outside atol=%g rtol=%g, max |err| %.3e; %s" % (
                        case["id"], name, c["bad"], t[0], t[1], c["max_abs"], c.get("worst", "")))
            return worst

        # (a) conformance and examples, validation on.
        runner.log("(a) conformance matrix and example models, Vulkan validation %s" %
                   ("on" if validation else "OFF"))
        conf = [c for c in cases if c["group"] in ("conformance", "example")]
        jobs, kept_inputs = [], {}
        for case in conf:
            inputs = inputs_for(case, case["precision"])
            kept_inputs[case["id"]] = inputs
            jobs.append(job_for(case, inputs, timing=False))
        results = runner.run_workers(jobs)
        n_conf_fail = len(runner.failures)
        for case in conf:
            inputs = kept_inputs[case["id"]]
            if case["op"] == "model":
                inputs = {}
            check(case, inputs, results[case["id"]])
        n_conf_fail = len(runner.failures) - n_conf_fail
        runner.log("(a) %d libraries, %d failures" % (len(conf), n_conf_fail))
        shutil.rmtree(os.path.join(tmp, "io"), ignore_errors=True)

        # (b) benchmark shapes: attnc f32 and f16, then the torch peers.
        runner.log("(b) benchmarks: attnc (checked with validation %s, then timed without), torch %s" % (
            "on" if validation else "off", "with CUDA events" if cuda else "SKIPPED (no CUDA)"))
        bench = [c for c in cases if c["group"] == "benchmark"]
        rows = []
        seen = []
        for c in bench:
            if c["name"] not in seen:
                seen.append(c["name"])
        for name in seen:
            variants = [c for c in bench if c["name"] == name]
            base = variants[0]
            inputs = {c["precision"]: inputs_for(c, c["precision"]) for c in variants}
            jobs = [job_for(c, inputs[c["precision"]], timing=True) for c in variants]
            results = runner.run_workers(jobs)
            row = {"case": base, "attnc": {}}
            for c in variants:
                r = results[c["id"]]
                err = check(c, inputs[c["precision"]], r)
                row["attnc"][c["precision"]] = {
                    "ok": err is not None and not any(f.startswith(c["id"]) for f in runner.failures),
                    "err": err, "ms": median(r.get("gpu_ms", [])), "wall": median(r.get("wall_ms", [])),
                    "reps": len(r.get("gpu_ms", []))}
            if cuda and "f32" in inputs:
                f32_inputs = inputs["f32"]
                ref = (checker.attention_reference(base, f32_inputs)[0] if base["op"] == "attention"
                       else checker.matmul_reference(f32_inputs)[0])
                row["torch"] = torch_peers(torch, base, f32_inputs, ref,
                                           0.4 if time.time() - t_start < SOFT_LIMIT_S else 0.0)
                del ref
                torch.cuda.empty_cache()
            rows.append(row)
            a = row["attnc"]
            runner.log("%-40s attnc f32 %s ms, f16 %s ms%s" % (
                name, fmt(a.get("f32", {}).get("ms")), fmt(a.get("f16", {}).get("ms")),
                ("; torch fp32/fp16/bf16 %s / %s / %s ms (max |err| %.1e / %.1e / %.1e)" % (
                    tuple(fmt(row["torch"][d][0]) for d in ("fp32", "fp16", "bf16")) +
                    tuple(row["torch"][d][1] for d in ("fp32", "fp16", "bf16"))))
                if "torch" in row else ""))
            shutil.rmtree(os.path.join(tmp, "io"), ignore_errors=True)

        elapsed = time.time() - t_start
        print()
        if runner.failures:
            print("%d check(s) FAILED:" % len(runner.failures))
            for f in runner.failures:
                print("  " + f.splitlines()[0][:300])
        else:
            print("all checks passed")
        # The report, the table last.
        print()
        print("## GPU check, %s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
        print()
        print("- attnc: %s%s (\"%s\"), libraries prepared %s%s" % (
            manifest["commit"], " + uncommitted changes" if manifest["dirty"] else "",
            manifest["commit_subject"], manifest["prepared"],
            ", f16 = f16 graphs compiled with " + " ".join(manifest["f16_flags"])
            if manifest["f16_flags"] else ", f16 = f16 graphs, no compile flag" +
            ("" if manifest["precision_flag"] else " (attnc has no --precision)")))
        print("- GPU: %s" % (smi or "none (nvidia-smi not available)"))
        for d in sorted(runner.devices):
            print("- attnc_model_device: %s" % d)
        print("- torch %s%s" % (torch.__version__, (", CUDA %s, %s" % (torch.version.cuda, torch.cuda.get_device_name(0)))
                                if cuda else ": no CUDA, the torch columns are not measured"))
        print("- conformance: %d libraries (%d attention cases in f32 and f16, %d example models), "
              "validation %s: %s" % (
                  len(conf), len({c["name"] for c in conf if c["group"] == "conformance"}),
                  len({c["name"] for c in conf if c["group"] == "example"}),
                  "on" if validation else "off",
                  "all within tolerance" if n_conf_fail == 0 else "%d FAILED" % n_conf_fail))
        print("- tolerances: f32 atol=%g rtol=%g, f16 atol=%g rtol=%g; TF/s count 4·B·H·Sq·Sk·D "
              "(causal half) and 2·M·N·K; attnc ms = median GPU-timestamp time "
              "(attnc_model_last_run_ms), wall = median attnc_model_run; %s" % (
                  tol["f32"] + tol["f16"] +
                  ("torch = median of CUDA events, fp32 matmul with allow_tf32=%s" %
                   torch.backends.cuda.matmul.allow_tf32 if cuda else "torch not timed",)))
        print("- run time of this check: %.0f s; %s" % (
            elapsed, "all checks passed" if not runner.failures else
            "%d check(s) FAILED (listed above)" % len(runner.failures)))
        print()
        print("| op | B,Hq,Hkv,S,D / size | causal | attnc f32 ms | attnc f32 TF/s | attnc f16 ms | "
              "attnc f16 TF/s | torch fp32 TF/s | torch fp16 TF/s | torch bf16 TF/s | "
              "f32 / torch fp32 | f16 / torch fp16 | wall ms f32 / f16 | max err f32 / f16 |")
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for row in rows:
            c = row["case"]
            f = flops(c)
            tf = lambda ms: f / (ms * 1e9) if ms and not math.isnan(ms) else None
            a32, a16 = row["attnc"].get("f32", {}), row["attnc"].get("f16", {})
            tp = row.get("torch", {})
            t32 = tf(tp["fp32"][0]) if "fp32" in tp else None
            t16 = tf(tp["fp16"][0]) if "fp16" in tp else None
            tb16 = tf(tp["bf16"][0]) if "bf16" in tp else None

            def ratio(a, b):
                return "%.2f" % (a / b) if a and b else "n/a"

            def err(a):
                if not a:
                    return "n/a"
                return ("%.1e" % a["err"]) if a.get("ok") else "FAIL"
            print("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s |" % (
                c["op"], shape_text(c),
                "—" if c["op"] == "matmul" else ("no" if c["causal"] == "none" else "yes"),
                fmt(a32.get("ms")), fmt_tf(tf(a32.get("ms"))), fmt(a16.get("ms")), fmt_tf(tf(a16.get("ms"))),
                fmt_tf(t32), fmt_tf(t16), fmt_tf(tb16),
                ratio(tf(a32.get("ms")), t32), ratio(tf(a16.get("ms")), t16),
                fmt(a32.get("wall"), 1), fmt(a16.get("wall"), 1), err(a32), err(a16)))
        print()
        if os.environ.get("OUT"):
            with open(os.path.join(os.environ["OUT"], "gpu_check.json"), "w") as f:
                json.dump({"manifest": {k: v for k, v in manifest.items() if k != "cases"},
                           "devices": sorted(runner.devices), "nvidia_smi": smi,
                           "torch": torch.__version__, "failures": runner.failures,
                           "rows": [{"case": r["case"], "attnc": r["attnc"], "torch": r.get("torch")}
                                    for r in rows]}, f, indent=1, default=str)
        return 1 if runner.failures else 0
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    pp = sub.add_parser("prepare", help="compile the libraries and pack them (build machine)")
    pp.add_argument("--attnc", default=os.path.join(ROOT, "build", "tools", "attnc"))
    pp.add_argument("--work", default=None, help="default: build/gpu-check (build/gpu-check-smoke)")
    pp.add_argument("--smoke", action="store_true", help="tiny benchmark shapes, for lavapipe")
    pp.add_argument("--jobs", type=int, default=os.cpu_count() or 2, help="parallel compiles")
    pp.add_argument("--f16-flags", default=None,
                    help="attnc compile flags of the f16 graphs (default: --precision=f16 "
                    "when attnc has it, else none)")
    pp.add_argument("--max-lib-mib", type=int, default=8,
                    help="leave out libraries larger than this (spec models carry their weights)")
    pr = sub.add_parser("run", help="check and time the packed libraries (GPU machine)")
    pr.add_argument("--dir", default=os.path.join(ROOT, "build", "gpu-check", "carry"))
    pr.add_argument("--no-validation", action="store_true", help="leave the validation layer off")
    pw = sub.add_parser("worker")
    pw.add_argument("jobs")
    args = p.parse_args()
    if args.cmd == "prepare":
        if args.work is None:
            args.work = os.path.join(ROOT, "build", "gpu-check-smoke" if args.smoke else "gpu-check")
        prepare(args)
    elif args.cmd == "run":
        sys.exit(run(args))
    else:
        worker(args)


if __name__ == "__main__":
    main()
