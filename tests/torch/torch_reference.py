#!/usr/bin/python3
"""torch_reference.py - PyTorch reference outputs for an attnc model spec.

Reads a model spec (docs/model-spec.md), draws seeded float32 weights named
as the spec documents and writes them as OUT/weights.safetensors, draws seeded
inputs (OUT/<input>.npy), runs the model in float64 with plain torch ops and
writes OUT/expected_<output>.npy. The spec's weights entry is ignored: the
test points it at the file written here.

usage: torch_reference.py SPEC.json OUT_DIR [--seed N]
"""

import argparse
import json
import math
import os
import struct

import numpy as np
import torch
import torch.nn.functional as F


def f32(x):
    """A Python float rounded to float32, as a float32 model stores it."""
    return float(np.float32(x))


class Spec:
    """The spec with its documented defaults applied."""

    def __init__(self, raw):
        self.kind = raw["kind"]
        layers = raw.get("layers")
        self.encoder_layers = raw.get("encoder_layers", layers)
        self.decoder_layers = raw.get("decoder_layers", layers)
        self.d = raw["d_model"]
        self.heads = raw["heads"]
        self.kv_heads = raw.get("kv_heads", self.heads)
        self.ffn = raw.get("ffn", 4 * self.d)
        self.vocab = raw.get("vocab")
        self.batch = raw.get("batch", 1)
        self.seq = raw["seq_len"]
        self.tgt_seq = raw.get("tgt_seq_len", self.seq)
        self.memory_seq = raw.get("memory_seq_len", self.seq)
        default_pos = "learned" if self.kind == "decoder-only" else "sinusoidal"
        self.positional = raw.get("positional", default_pos)
        longest = max(self.seq, self.tgt_seq if self.kind == "encoder-decoder" else 0)
        self.max_positions = raw.get("max_positions", longest)
        self.causal = raw.get("causal", self.kind != "encoder")
        self.norm = raw.get("norm", "pre")
        self.final_norm = raw.get("final_norm", self.norm == "pre")
        self.activation = raw.get("activation", "gelu")
        self.eps = raw.get("eps", 1e-5)
        self.padding_mask = raw.get("padding_mask", False)
        default_head = self.kind == "decoder-only" and self.vocab is not None
        self.lm_head = raw.get("lm_head", default_head)
        self.embed_scale = raw.get("embed_scale", True)
        self.scale_style = raw.get("scale_style", "div_scores")
        self.mask_style = raw.get("mask_style", "select")


def weight_shapes(spec):
    """(name, shape, is_norm_scale) of every weight, in a fixed order."""
    d, ffn = spec.d, spec.ffn
    hd = d // spec.heads
    out = []

    def linear(prefix, n_out, n_in, bias=True):
        out.append((prefix + ".weight", [n_out, n_in], False))
        if bias:
            out.append((prefix + ".bias", [n_out], False))

    def norm(prefix):
        out.append((prefix + ".weight", [d], True))
        out.append((prefix + ".bias", [d], False))

    def attention(prefix):
        linear(prefix + ".q_proj", spec.heads * hd, d)
        linear(prefix + ".k_proj", spec.kv_heads * hd, d)
        linear(prefix + ".v_proj", spec.kv_heads * hd, d)
        linear(prefix + ".out_proj", d, spec.heads * hd)

    def stack(prefix, layers, cross):
        if spec.vocab is not None:
            out.append((prefix + "embed.weight", [spec.vocab, d], False))
        if spec.positional == "learned":
            out.append((prefix + "pos_embed.weight", [spec.max_positions, d], False))
        for i in range(layers):
            p = "%slayers.%d" % (prefix, i)
            attention(p + ".self_attn")
            norm(p + ".norm1")
            if cross:
                attention(p + ".cross_attn")
                norm(p + ".norm2")
            linear(p + ".ffn.fc1", ffn, d)
            linear(p + ".ffn.fc2", d, ffn)
            norm(p + (".norm3" if cross else ".norm2"))
        if spec.final_norm:
            norm(prefix + "norm")

    if spec.kind == "encoder-decoder":
        stack("encoder.", spec.encoder_layers, False)
        stack("decoder.", spec.decoder_layers, True)
    elif spec.kind == "encoder":
        stack("", spec.encoder_layers, False)
    else:
        stack("", spec.decoder_layers, spec.kind == "decoder")
    if spec.lm_head:
        linear("lm_head", spec.vocab, d, bias=False)
    return out


def make_weights(spec, gen, std=0.05):
    weights = {}
    for name, shape, is_scale in weight_shapes(spec):
        w = torch.randn(shape, generator=gen, dtype=torch.float64) * std
        weights[name] = (w + 1.0 if is_scale else w).float()
    return weights


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape),
                        "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def make_inputs(spec, gen):
    """Named inputs in float32 / int64, as the model's @forward takes them."""
    b = spec.batch
    inputs = {}

    def sequence(name, seq):
        if spec.vocab is not None:
            inputs[name + "tokens"] = torch.randint(0, spec.vocab, (b, seq), generator=gen)
        else:
            inputs[name + "embeddings"] = torch.randn((b, seq, spec.d), generator=gen).float()

    if spec.kind == "encoder-decoder":
        sequence("src_", spec.seq)
        sequence("tgt_", spec.tgt_seq)
    else:
        sequence("", spec.seq)
    if spec.kind == "decoder":
        inputs["memory"] = torch.randn((b, spec.memory_seq, spec.d), generator=gen).float()
    if spec.padding_mask:
        mask = torch.ones((b, spec.seq), dtype=torch.int64)
        for row in range(b):
            # Trailing padding of a different length per row; row 0 keeps all.
            keep = spec.seq - (row * 3) % spec.seq
            mask[row, keep:] = 0
        inputs["attention_mask"] = mask
    return inputs


class Model:
    """The spec's model in float64, written with plain torch ops."""

    def __init__(self, spec, weights):
        self.s = spec
        self.w = {k: v.double() for k, v in weights.items()}

    def linear(self, x, prefix, bias=True):
        y = x @ self.w[prefix + ".weight"].t()
        return y + self.w[prefix + ".bias"] if bias else y

    def layer_norm(self, x, prefix):
        return F.layer_norm(x, (self.s.d,), self.w[prefix + ".weight"],
                            self.w[prefix + ".bias"], eps=f32(self.s.eps))

    def attention(self, prefix, xq, xkv, causal, pad):
        s = self.s
        b, sq, sk = xq.shape[0], xq.shape[1], xkv.shape[1]
        hd = s.d // s.heads
        q = self.linear(xq, prefix + ".q_proj").view(b, sq, s.heads, hd).transpose(1, 2)
        k = self.linear(xkv, prefix + ".k_proj").view(b, sk, s.kv_heads, hd).transpose(1, 2)
        v = self.linear(xkv, prefix + ".v_proj").view(b, sk, s.kv_heads, hd).transpose(1, 2)
        groups = s.heads // s.kv_heads
        k = k.repeat_interleave(groups, dim=1)
        v = v.repeat_interleave(groups, dim=1)
        if s.scale_style == "mul_query":
            q = q * f32(1.0 / math.sqrt(hd))
        scores = q @ k.transpose(-1, -2)
        if s.scale_style == "div_scores":
            scores = scores / f32(math.sqrt(hd))
        elif s.scale_style == "mul_scores":
            scores = scores * f32(1.0 / math.sqrt(hd))
        if causal:
            hidden = torch.ones(sq, sk, dtype=torch.bool).triu(1)
            scores = scores.masked_fill(hidden, -math.inf)
        if pad is not None:
            if s.mask_style == "select":
                scores = scores.masked_fill(pad[:, None, None, :] == 0, -math.inf)
            else:
                scores = scores + (1.0 - pad.double())[:, None, None, :] * -10000.0
        p = torch.softmax(scores, dim=-1)
        o = (p @ v).transpose(1, 2).reshape(b, sq, s.heads * hd)
        return self.linear(o, prefix + ".out_proj")

    def ffn(self, x, prefix):
        h = self.linear(x, prefix + ".fc1")
        if self.s.activation == "relu":
            h = torch.relu(h)
        else:
            h = F.gelu(h, approximate="tanh" if self.s.activation == "gelu_tanh" else "none")
        return self.linear(h, prefix + ".fc2")

    def residual(self, x, norm, body):
        if self.s.norm == "pre":
            return x + body(self.layer_norm(x, norm))
        return self.layer_norm(x + body(x), norm)

    def sinusoidal(self, seq):
        d = self.s.d
        pe = np.zeros((seq, d), dtype=np.float32)
        for pos in range(seq):
            for j in range(d):
                angle = pos / math.pow(10000.0, (j - j % 2) / d)
                pe[pos, j] = math.sin(angle) if j % 2 == 0 else math.cos(angle)
        return torch.from_numpy(pe).double()

    def embed(self, prefix, x):
        s = self.s
        if s.vocab is not None:
            x = F.embedding(x, self.w[prefix + "embed.weight"])
            if s.embed_scale:
                x = x * f32(math.sqrt(s.d))
        else:
            x = x.double()
        seq = x.shape[1]
        if s.positional == "sinusoidal":
            x = x + self.sinusoidal(seq)
        elif s.positional == "learned":
            x = x + self.w[prefix + "pos_embed.weight"][:seq]
        return x

    def stack(self, prefix, x, layers, causal, pad, memory=None, memory_pad=None):
        for i in range(layers):
            p = "%slayers.%d" % (prefix, i)
            x = self.residual(x, p + ".norm1",
                              lambda h: self.attention(p + ".self_attn", h, h, causal, pad))
            if memory is not None:
                x = self.residual(x, p + ".norm2",
                                  lambda h: self.attention(p + ".cross_attn", h, memory,
                                                           False, memory_pad))
            x = self.residual(x, p + (".norm3" if memory is not None else ".norm2"),
                              lambda h: self.ffn(h, p + ".ffn"))
        return self.layer_norm(x, prefix + "norm") if self.s.final_norm else x

    def forward(self, inputs):
        s = self.s
        pad = inputs.get("attention_mask")
        seq_name = "tokens" if s.vocab is not None else "embeddings"
        if s.kind == "encoder-decoder":
            memory = self.stack("encoder.", self.embed("encoder.", inputs["src_" + seq_name]),
                                s.encoder_layers, False, pad)
            x = self.stack("decoder.", self.embed("decoder.", inputs["tgt_" + seq_name]),
                           s.decoder_layers, s.causal, None, memory, pad)
        elif s.kind == "decoder":
            x = self.stack("", self.embed("", inputs[seq_name]), s.decoder_layers, s.causal,
                           pad, inputs["memory"].double(), None)
        else:
            layers = s.encoder_layers if s.kind == "encoder" else s.decoder_layers
            x = self.stack("", self.embed("", inputs[seq_name]), layers, s.causal, pad)
        if s.lm_head:
            return {"logits": self.linear(x, "lm_head", bias=False)}
        return {"hidden": x}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec")
    parser.add_argument("out")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with open(args.spec) as f:
        spec = Spec(json.load(f))
    os.makedirs(args.out, exist_ok=True)
    gen = torch.Generator().manual_seed(args.seed)
    weights = make_weights(spec, gen)
    write_safetensors(os.path.join(args.out, "weights.safetensors"), weights)
    inputs = make_inputs(spec, gen)
    for name, t in inputs.items():
        np.save(os.path.join(args.out, name + ".npy"), t.numpy())
    with torch.no_grad():
        outputs = Model(spec, weights).forward(inputs)
    for name, t in outputs.items():
        np.save(os.path.join(args.out, "expected_" + name + ".npy"), t.numpy())


if __name__ == "__main__":
    main()
