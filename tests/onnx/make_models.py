#!/usr/bin/python3
"""make_models.py - seeded PyTorch Transformers exported to ONNX, with references.

For each model below (PyTorch modules, then small hand-built graphs for the
ops those exports do not use), writes into OUT_DIR/<name>/:
  model.onnx        the torch.onnx export (seeded weights, eval mode)
  input_<i>.npy     the inputs the reference was computed on, in graph order
  output_<i>.npy    the reference outputs (torch in float32, or numpy)
  shapes.txt        one --input-shape NAME=AxB pin per line (dynamic inputs)
and OUT_DIR/models.txt (one name per line) once every model is written.
The C++ test tests/onnx/OnnxModelTest.cpp and the lit tests read these.

usage: make_models.py OUT_DIR
"""

import io
import math
import os
import sys
import warnings

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper
from torch import nn

E, HEADS, FFN = 32, 4, 64
BATCH, SEQ, MEM_SEQ, VOCAB, MAX_POS = 2, 8, 11, 50, 16


def seed_all(seed):
    torch.manual_seed(seed)
    np.random.seed(seed)


class MhaSelf(nn.Module):
    """nn.MultiheadAttention self-attention (packed [3E, E] in-projection)."""

    def __init__(self, need_weights):
        super().__init__()
        self.attn = nn.MultiheadAttention(E, HEADS, batch_first=True)
        self.need_weights = need_weights

    def forward(self, x):
        out, weights = self.attn(x, x, x, need_weights=self.need_weights)
        return (out, weights) if self.need_weights else out


class MhaCross(nn.Module):
    """Cross-attention: queries from x, keys and values from memory; with a
    key padding mask unless it returns the weights."""

    def __init__(self, need_weights):
        super().__init__()
        self.attn = nn.MultiheadAttention(E, HEADS, batch_first=True)
        self.need_weights = need_weights

    def forward(self, x, memory, pad=None):
        out, weights = self.attn(x, memory, memory, key_padding_mask=pad,
                                 need_weights=self.need_weights)
        return (out, weights) if self.need_weights else out


class Encoder(nn.Module):
    """nn.TransformerEncoderLayer; pre-norm takes a key padding mask,
    post-norm an additive [S, S] float mask."""

    def __init__(self, norm_first):
        super().__init__()
        self.layer = nn.TransformerEncoderLayer(
            E, HEADS, FFN, dropout=0.1, batch_first=True,
            norm_first=norm_first,
            activation="gelu" if norm_first else "relu")
        self.norm_first = norm_first

    def forward(self, x, mask):
        if self.norm_first:
            return self.layer(x, src_key_padding_mask=mask)
        return self.layer(x, src_mask=mask)


class Gpt2Attention(nn.Module):
    """GPT-2 attention as HF writes it: packed c_attn split in three, a
    causal bool buffer sliced to the sequence, scale by the square root of
    the head size read from the value's shape, torch.where with finfo.min;
    or (trilu=True) an additive -inf mask built with torch.triu and the scale
    multiplied onto Q."""

    def __init__(self, trilu):
        super().__init__()
        self.c_attn = nn.Linear(E, 3 * E)
        self.c_proj = nn.Linear(E, E)
        self.trilu = trilu
        causal = torch.tril(torch.ones(MAX_POS, MAX_POS, dtype=torch.bool))
        self.register_buffer("bias", causal.view(1, 1, MAX_POS, MAX_POS))

    def heads(self, x):
        b, t, _ = x.size()
        return x.view(b, t, HEADS, E // HEADS).permute(0, 2, 1, 3)

    def forward(self, x):
        b, t, _ = x.size()
        q, k, v = self.c_attn(x).split(E, dim=2)
        q, k, v = self.heads(q), self.heads(k), self.heads(v)
        if self.trilu:
            q = q * (1.0 / math.sqrt(E // HEADS))
            scores = torch.matmul(q, k.transpose(-1, -2))
            mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
            scores = scores + mask
        else:
            scores = torch.matmul(q, k.transpose(-1, -2))
            scores = scores / torch.sqrt(torch.tensor(v.size(-1), dtype=torch.float32))
            causal = self.bias[:, :, :t, :t]
            fill = torch.full([], torch.finfo(scores.dtype).min)
            scores = torch.where(causal, scores, fill)
        probs = nn.functional.softmax(scores, dim=-1)
        out = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        return self.c_proj(out.view(b, t, E))


class Gpt2(nn.Module):
    """Token and position embeddings, one pre-norm GPT-2 block with the tanh
    GELU written out, the final LayerNorm."""

    def __init__(self, trilu):
        super().__init__()
        self.wte = nn.Embedding(VOCAB, E)
        self.wpe = nn.Embedding(MAX_POS, E)
        self.ln_1 = nn.LayerNorm(E)
        self.attn = Gpt2Attention(trilu)
        self.ln_2 = nn.LayerNorm(E)
        self.c_fc = nn.Linear(E, FFN)
        self.c_proj = nn.Linear(FFN, E)
        self.ln_f = nn.LayerNorm(E)

    def forward(self, input_ids):
        t = input_ids.size(1)
        positions = torch.arange(0, t, dtype=torch.long).unsqueeze(0)
        h = self.wte(input_ids) + self.wpe(positions)
        h = h + self.attn(self.ln_1(h))
        x = self.c_fc(self.ln_2(h))
        x = 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) *
                                        (x + 0.044715 * torch.pow(x, 3.0))))
        h = h + self.c_proj(x)
        return self.ln_f(h)


class Bert(nn.Module):
    """BERT embeddings and one layer as HF writes them: an int64
    attention_mask turned into (1 - m) * finfo.min, scores / sqrt(d) + mask,
    the erf GELU written out."""

    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(VOCAB, E)
        self.position = nn.Embedding(MAX_POS, E)
        self.token_type = nn.Embedding(2, E)
        self.emb_norm = nn.LayerNorm(E, eps=1e-12)
        self.query = nn.Linear(E, E)
        self.key = nn.Linear(E, E)
        self.value = nn.Linear(E, E)
        self.dense = nn.Linear(E, E)
        self.attn_norm = nn.LayerNorm(E, eps=1e-12)
        self.intermediate = nn.Linear(E, FFN)
        self.output = nn.Linear(FFN, E)
        self.out_norm = nn.LayerNorm(E, eps=1e-12)
        self.dropout = nn.Dropout(0.1)
        self.register_buffer("position_ids", torch.arange(MAX_POS).expand((1, -1)))

    def heads(self, x):
        shape = x.size()[:-1] + (HEADS, E // HEADS)
        return x.view(shape).permute(0, 2, 1, 3)

    def forward(self, input_ids, attention_mask):
        t = input_ids.size(1)
        positions = self.position_ids[:, :t]
        types = torch.zeros_like(input_ids)
        h = self.word(input_ids) + self.token_type(types) + self.position(positions)
        h = self.dropout(self.emb_norm(h))
        ext = attention_mask[:, None, None, :].to(torch.float32)
        ext = (1.0 - ext) * torch.finfo(torch.float32).min
        q, k, v = self.heads(self.query(h)), self.heads(self.key(h)), self.heads(self.value(h))
        scores = torch.matmul(q, k.transpose(-1, -2)) / math.sqrt(E // HEADS)
        probs = self.dropout(nn.functional.softmax(scores + ext, dim=-1))
        ctx = torch.matmul(probs, v).permute(0, 2, 1, 3).contiguous()
        ctx = ctx.view(ctx.size()[:-2] + (E,))
        a = self.attn_norm(self.dropout(self.dense(ctx)) + h)
        x = self.intermediate(a)
        x = x * 0.5 * (1.0 + torch.erf(x / math.sqrt(2.0)))
        return self.out_norm(self.dropout(self.output(x)) + a)


class Seq2Seq(nn.Module):
    """The original encoder-decoder nn.Transformer: the causal target mask
    built inside the graph, key padding masks for source and target (the
    decoder's self-attention merges both into one float mask)."""

    def __init__(self):
        super().__init__()
        self.model = nn.Transformer(E, HEADS, num_encoder_layers=1,
                                    num_decoder_layers=1, dim_feedforward=FFN,
                                    dropout=0.1, batch_first=True)

    def forward(self, src, tgt, src_padding_mask, tgt_padding_mask):
        t = tgt.size(1)
        mask = torch.triu(torch.full((t, t), float("-inf")), diagonal=1)
        return self.model(src, tgt, tgt_mask=mask,
                          src_key_padding_mask=src_padding_mask,
                          tgt_key_padding_mask=tgt_padding_mask,
                          memory_key_padding_mask=src_padding_mask)


class MhaCausalPadding(nn.Module):
    """nn.MultiheadAttention with a boolean causal mask and a key padding
    mask, which it joins with logical_or."""

    def __init__(self):
        super().__init__()
        self.attn = nn.MultiheadAttention(E, HEADS, batch_first=True)

    def forward(self, x, pad):
        t = x.size(1)
        causal = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        return self.attn(x, x, x, attn_mask=causal, key_padding_mask=pad,
                         need_weights=False)[0]


class BartAttention(nn.Module):
    """BART-style encoder self-attention as HF writes it: Q scaled on
    [B, S, E] before the heads are split, bmm over [B*H, S, D], the scores
    viewed as [B, H, S, S] to add the mask and back; the padding mask from an
    int64 attention_mask via masked_fill(finfo.min)."""

    def __init__(self):
        super().__init__()
        self.q_proj = nn.Linear(E, E)
        self.k_proj = nn.Linear(E, E)
        self.v_proj = nn.Linear(E, E)
        self.out_proj = nn.Linear(E, E)
        self.head_dim = E // HEADS
        self.scaling = self.head_dim ** -0.5

    def shape(self, x, b, t):
        return x.view(b, t, HEADS, self.head_dim).transpose(1, 2).contiguous()

    def forward(self, x, attention_mask):
        b, t, _ = x.size()
        expanded = attention_mask[:, None, None, :].expand(b, 1, t, t).to(x.dtype)
        inverted = 1.0 - expanded
        mask = inverted.masked_fill(inverted.to(torch.bool), torch.finfo(x.dtype).min)
        q = self.shape(self.q_proj(x) * self.scaling, b, t).view(b * HEADS, -1, self.head_dim)
        k = self.shape(self.k_proj(x), b, t).view(b * HEADS, -1, self.head_dim)
        v = self.shape(self.v_proj(x), b, t).view(b * HEADS, -1, self.head_dim)
        w = torch.bmm(q, k.transpose(1, 2))
        w = w.view(b, HEADS, t, t) + mask
        w = w.view(b * HEADS, t, t)
        p = nn.functional.softmax(w, dim=-1)
        o = torch.bmm(p, v).view(b, HEADS, t, self.head_dim).transpose(1, 2)
        return self.out_proj(o.reshape(b, t, E))


class RmsNorm(nn.Module):
    """LLaMA's RMSNorm: x * rsqrt(mean(x^2) + eps) * w."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(E) + 0.5)

    def forward(self, x):
        variance = x.to(torch.float32).pow(2).mean(-1, keepdim=True)
        return self.weight * (x * torch.rsqrt(variance + 1e-6))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class Llama(nn.Module):
    """A LLaMA block as HF wrote it in 2023: RMSNorm, rotary embeddings,
    grouped-query K/V repeated by expand + reshape, a causal finfo.min mask
    built with masked_fill and clamped with torch.max, softmax in float32,
    the SiLU-gated MLP. cos/sin come from cached buffers gathered at the
    positions (squeezed: an If when the sequence is dynamic) or, with
    computed=True, from cos()/sin() of the positions times inv_freq."""

    def __init__(self, kv_heads, computed):
        super().__init__()
        d = E // HEADS
        self.kv_heads, self.computed = kv_heads, computed
        self.embed = nn.Embedding(VOCAB, E)
        self.attn_norm = RmsNorm()
        self.q_proj = nn.Linear(E, E, bias=False)
        self.k_proj = nn.Linear(E, kv_heads * d, bias=False)
        self.v_proj = nn.Linear(E, kv_heads * d, bias=False)
        self.o_proj = nn.Linear(E, E, bias=False)
        self.mlp_norm = RmsNorm()
        self.gate_proj = nn.Linear(E, FFN, bias=False)
        self.up_proj = nn.Linear(E, FFN, bias=False)
        self.down_proj = nn.Linear(FFN, E, bias=False)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, d, 2).float() / d))
        self.register_buffer("inv_freq", inv_freq)
        freqs = torch.outer(torch.arange(MAX_POS, dtype=torch.float32), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos_cached", emb.cos()[None, None])
        self.register_buffer("sin_cached", emb.sin()[None, None])

    def rope(self, t, positions):
        if self.computed:
            inv = self.inv_freq[None, :, None].expand(positions.shape[0], -1, 1)
            freqs = (inv @ positions[:, None, :].float()).transpose(1, 2)
            emb = torch.cat((freqs, freqs), dim=-1)
            return emb.cos().unsqueeze(1), emb.sin().unsqueeze(1)
        cos = self.cos_cached[:, :, :t, ...].squeeze(1).squeeze(0)
        sin = self.sin_cached[:, :, :t, ...].squeeze(1).squeeze(0)
        return cos[positions].unsqueeze(1), sin[positions].unsqueeze(1)

    def repeat_kv(self, x):
        b, kvh, t, d = x.shape
        groups = HEADS // self.kv_heads
        x = x[:, :, None, :, :].expand(b, kvh, groups, t, d)
        return x.reshape(b, kvh * groups, t, d)

    def forward(self, input_ids):
        b, t = input_ids.shape
        d = E // HEADS
        positions = torch.arange(0, t, dtype=torch.long).unsqueeze(0).view(-1, t)
        mask = torch.full((t, t), torch.finfo(torch.float32).min)
        cond = torch.arange(mask.size(-1))
        mask.masked_fill_(cond < (cond + 1).view(mask.size(-1), 1), 0)
        mask = mask[None, None, :, :].expand(b, 1, t, t)
        h = self.embed(input_ids)
        x = self.attn_norm(h)
        q = self.q_proj(x).view(b, t, HEADS, d).transpose(1, 2)
        k = self.k_proj(x).view(b, t, self.kv_heads, d).transpose(1, 2)
        v = self.v_proj(x).view(b, t, self.kv_heads, d).transpose(1, 2)
        cos, sin = self.rope(t, positions)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k, v = self.repeat_kv(k), self.repeat_kv(v)
        w = torch.matmul(q, k.transpose(2, 3)) / math.sqrt(d) + mask
        w = torch.max(w, torch.tensor(torch.finfo(w.dtype).min))
        w = nn.functional.softmax(w, dim=-1, dtype=torch.float32).to(q.dtype)
        a = torch.matmul(w, v).transpose(1, 2).reshape(b, t, E)
        h = h + self.o_proj(a)
        x = self.mlp_norm(h)
        return h + self.down_proj(nn.functional.silu(self.gate_proj(x)) * self.up_proj(x))


class BloomAttention(nn.Module):
    """BLOOM attention: the alibi bias from the attention_mask's cumsum,
    fused QKV viewed [B, S, H, 3, D], baddbmm(alibi, q, k, alpha=1/sqrt(d))
    on [B*H, S, S], then the view to [B, H, S, S], masked_fill(finfo.min)
    with the causal and padding masks or-ed, softmax in float32."""

    def __init__(self):
        super().__init__()
        self.query_key_value = nn.Linear(E, 3 * E)
        self.dense = nn.Linear(E, E)
        slopes = torch.tensor([2 ** (-8 * (i + 1) / HEADS) for i in range(HEADS)])
        self.register_buffer("slopes", slopes)

    def forward(self, x, attention_mask):
        b, t, _ = x.shape
        d = E // HEADS
        positions = ((attention_mask.cumsum(-1) - 1) * attention_mask)[:, None, :]
        alibi = (self.slopes[None, :, None] * positions).reshape(b * HEADS, 1, t)
        fused = self.query_key_value(x).view(b, t, HEADS, 3, d)
        q = fused[..., 0, :].transpose(1, 2).reshape(b * HEADS, t, d)
        k = fused[..., 1, :].permute(0, 2, 3, 1).reshape(b * HEADS, d, t)
        v = fused[..., 2, :].transpose(1, 2).reshape(b * HEADS, t, d)
        scores = alibi.baddbmm(batch1=q, batch2=k, beta=1.0, alpha=1.0 / math.sqrt(d))
        scores = scores.view(b, HEADS, t, t)
        causal = torch.ones(t, t, dtype=torch.bool).triu(1)
        mask = causal[None, None] | ~attention_mask.bool()[:, None, None, :]
        w = torch.masked_fill(scores, mask, torch.finfo(scores.dtype).min)
        p = nn.functional.softmax(w, dim=-1, dtype=torch.float32).to(x.dtype)
        ctx = torch.bmm(p.view(b * HEADS, t, t), v)
        ctx = ctx.view(b, HEADS, t, d).permute(0, 2, 1, 3).reshape(b, t, E)
        return self.dense(ctx)


class NeoxAttention(nn.Module):
    """GPT-NeoX attention: QKV viewed [B, S, H, 3D] and sliced, partial
    rotary with the cache gathered by torch.gather at repeated position ids
    (Tile, GatherElements), baddbmm on zeros with alpha = 1/norm_factor, the
    causal bool buffer applied by where(finfo.min), an additive mask."""

    def __init__(self):
        super().__init__()
        d = E // HEADS
        self.rotary = d // 2
        self.query_key_value = nn.Linear(E, 3 * E)
        self.dense = nn.Linear(E, E)
        causal = torch.tril(torch.ones(MAX_POS, MAX_POS, dtype=torch.bool))
        self.register_buffer("bias", causal.view(1, 1, MAX_POS, MAX_POS))
        self.norm_factor = math.sqrt(d)
        inv_freq = 1.0 / (10000 ** (torch.arange(0, self.rotary, 2).float() / self.rotary))
        freqs = torch.outer(torch.arange(MAX_POS, dtype=torch.float32), inv_freq)
        emb = torch.cat((freqs, freqs), dim=-1)
        self.register_buffer("cos_cached", emb.cos()[None, None])
        self.register_buffer("sin_cached", emb.sin()[None, None])

    def forward(self, x, attention_mask):
        b, t, _ = x.shape
        d, r = E // HEADS, self.rotary
        qkv = self.query_key_value(x).view(b, t, HEADS, 3 * d)
        q = qkv[..., :d].permute(0, 2, 1, 3)
        k = qkv[..., d:2 * d].permute(0, 2, 1, 3)
        v = qkv[..., 2 * d:].permute(0, 2, 1, 3)
        cos, sin = self.cos_cached[:, :, :t, ...], self.sin_cached[:, :, :t, ...]
        index = torch.arange(t, dtype=torch.long).unsqueeze(0)[:, None, :, None]
        index = index.repeat(1, cos.shape[1], 1, cos.shape[3])
        cos = torch.gather(cos.repeat(index.shape[0], 1, 1, 1), 2, index)
        sin = torch.gather(sin.repeat(index.shape[0], 1, 1, 1), 2, index)
        q = torch.cat((q[..., :r] * cos + rotate_half(q[..., :r]) * sin, q[..., r:]), dim=-1)
        k = torch.cat((k[..., :r] * cos + rotate_half(k[..., :r]) * sin, k[..., r:]), dim=-1)
        causal = self.bias[:, :, 0:t, :t]
        scores = torch.zeros(b * HEADS, t, t, dtype=q.dtype)
        scores = torch.baddbmm(scores, q.reshape(b * HEADS, t, d),
                               k.reshape(b * HEADS, t, d).transpose(1, 2),
                               beta=1.0, alpha=1.0 / self.norm_factor)
        scores = scores.view(b, HEADS, t, t)
        scores = torch.where(causal, scores, torch.tensor(torch.finfo(scores.dtype).min))
        ext = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        p = nn.functional.softmax(scores + ext, dim=-1)
        out = torch.matmul(p, v).permute(0, 2, 1, 3).contiguous()
        return self.dense(out.view(b, t, E))


class T5Attention(nn.Module):
    """T5 self-attention: RMS layer norm, no scaling, a learned bias per
    bucket of relative position (log-spaced buckets: the export casts
    log(0) = -inf to int64 and discards it with a Where) plus the padding
    mask, softmax in float32."""

    def __init__(self):
        super().__init__()
        self.q = nn.Linear(E, E, bias=False)
        self.k = nn.Linear(E, E, bias=False)
        self.v = nn.Linear(E, E, bias=False)
        self.o = nn.Linear(E, E, bias=False)
        self.num_buckets, self.max_distance = 8, 16
        self.relative_attention_bias = nn.Embedding(self.num_buckets, HEADS)
        self.norm = RmsNorm()

    def bucket(self, relative):
        half = self.num_buckets // 2
        buckets = (relative > 0).to(torch.long) * half
        relative = torch.abs(relative)
        exact = half // 2
        large = exact + (torch.log(relative.float() / exact)
                         / math.log(self.max_distance / exact)
                         * (half - exact)).to(torch.long)
        large = torch.min(large, torch.full_like(large, half - 1))
        return buckets + torch.where(relative < exact, relative, large)

    def forward(self, x, attention_mask):
        b, t, _ = x.shape
        h = self.norm(x)

        def heads(y):
            return y.view(b, -1, HEADS, E // HEADS).transpose(1, 2)

        q, k, v = heads(self.q(h)), heads(self.k(h)), heads(self.v(h))
        scores = torch.matmul(q, k.transpose(3, 2))
        relative = (torch.arange(t, dtype=torch.long)[None, :] -
                    torch.arange(t, dtype=torch.long)[:, None])
        bias = self.relative_attention_bias(self.bucket(relative))
        bias = bias.permute([2, 0, 1]).unsqueeze(0)
        ext = (1.0 - attention_mask[:, None, None, :].to(torch.float32)) * torch.finfo(torch.float32).min
        scores += bias + ext
        p = nn.functional.softmax(scores.float(), dim=-1).type_as(scores)
        out = torch.matmul(p, v).transpose(1, 2).contiguous().view(b, -1, E)
        return x + self.o(out)


def padding(batch, seq, keep_true):
    """A padding mask with the last quarter of every other row padded."""
    keep = np.ones((batch, seq), dtype=bool)
    keep[1::2, seq - seq // 4:] = False
    return keep if keep_true else ~keep


def models():
    """(name, module factory, inputs {name: array}, output names, dynamic
    axes, opset) for every model."""
    rng = np.random.default_rng(1234)

    def normal(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    def ids(*shape):
        return rng.integers(0, VOCAB, shape).astype(np.int64)

    causal_additive = np.triu(np.full((SEQ, SEQ), -np.inf, dtype=np.float32), 1)
    dyn_x = {0: "batch", 1: "seq"}
    dyn_src = {0: "batch", 1: "src_seq"}
    return [
        ("mha_self", lambda: MhaSelf(False), {"x": normal(BATCH, SEQ, E)},
         ["out"], None, 14),
        ("mha_self_weights", lambda: MhaSelf(True), {"x": normal(BATCH, SEQ, E)},
         ["out", "weights"], None, 14),
        ("mha_cross", lambda: MhaCross(False),
         {"x": normal(BATCH, SEQ, E), "memory": normal(BATCH, MEM_SEQ, E),
          "key_padding_mask": padding(BATCH, MEM_SEQ, False)}, ["out"], None, 14),
        ("mha_cross_weights", lambda: MhaCross(True),
         {"x": normal(BATCH, SEQ, E), "memory": normal(BATCH, MEM_SEQ, E)},
         ["out", "weights"], None, 14),
        ("encoder_prenorm", lambda: Encoder(True),
         {"x": normal(BATCH, SEQ, E), "padding_mask": padding(BATCH, SEQ, False)},
         ["out"], {"x": dyn_x, "padding_mask": dyn_x, "out": dyn_x}, 14),
        ("encoder_postnorm", lambda: Encoder(False),
         {"x": normal(BATCH, SEQ, E), "mask": causal_additive}, ["out"], None, 14),
        ("gpt2_block", lambda: Gpt2(False), {"input_ids": ids(BATCH, SEQ)},
         ["hidden"], {"input_ids": dyn_x, "hidden": dyn_x}, 14),
        ("gpt2_trilu", lambda: Gpt2(True), {"input_ids": ids(BATCH, SEQ)},
         ["hidden"], {"input_ids": dyn_x, "hidden": dyn_x}, 14),
        ("bert_layer", Bert,
         {"input_ids": ids(BATCH, SEQ),
          "attention_mask": padding(BATCH, SEQ, True).astype(np.int64)},
         ["hidden"],
         {"input_ids": dyn_x, "attention_mask": dyn_x, "hidden": dyn_x}, 17),
        ("transformer", Seq2Seq,
         {"src": normal(BATCH, MEM_SEQ, E), "tgt": normal(BATCH, SEQ, E),
          "src_padding_mask": padding(BATCH, MEM_SEQ, False),
          "tgt_padding_mask": padding(BATCH, SEQ, False)},
         ["out"], {"src": dyn_src, "tgt": dyn_x, "src_padding_mask": dyn_src,
                   "tgt_padding_mask": dyn_x, "out": dyn_x}, 14),
        ("mha_causal_padding", MhaCausalPadding,
         {"x": normal(BATCH, SEQ, E), "pad": padding(BATCH, SEQ, False)},
         ["out"], {"x": dyn_x, "pad": dyn_x, "out": dyn_x}, 14),
        ("bart_attention", BartAttention,
         {"x": normal(BATCH, SEQ, E),
          "attention_mask": padding(BATCH, SEQ, True).astype(np.int64)},
         ["out"], {"x": dyn_x, "attention_mask": dyn_x, "out": dyn_x}, 14),
        ("llama_gqa", lambda: Llama(2, False), {"input_ids": ids(BATCH, SEQ)},
         ["hidden"], {"input_ids": dyn_x, "hidden": dyn_x}, 14),
        ("llama_rope_computed", lambda: Llama(1, True), {"input_ids": ids(BATCH, SEQ)},
         ["hidden"], None, 17),
        ("bloom_alibi", BloomAttention,
         {"x": normal(BATCH, SEQ, E),
          "attention_mask": padding(BATCH, SEQ, True).astype(np.int64)},
         ["out"], {"x": dyn_x, "attention_mask": dyn_x, "out": dyn_x}, 14),
        ("neox_attention", NeoxAttention,
         {"x": normal(BATCH, SEQ, E),
          "attention_mask": padding(BATCH, SEQ, True).astype(np.int64)},
         ["out"], {"x": dyn_x, "attention_mask": dyn_x, "out": dyn_x}, 14),
        ("t5_attention", T5Attention,
         {"x": normal(BATCH, SEQ, E),
          "attention_mask": padding(BATCH, SEQ, True).astype(np.int64)},
         ["out"], {"x": dyn_x, "attention_mask": dyn_x, "out": dyn_x}, 14),
    ]


# Hand-built graphs for the ops the exports above do not use, each output
# with a numpy reference computed in float64.

def erf(x):
    return np.vectorize(math.erf)(x)


def op_graphs():
    """(name, opset, nodes, initializers, inputs {name: array},
    outputs {name: reference})."""
    rng = np.random.default_rng(99)
    a = rng.standard_normal((2, 3, 4)).astype(np.float32)
    b = rng.standard_normal((3, 1)).astype(np.float32)
    c = rng.standard_normal((2, 3, 4)).astype(np.float32)
    a64, b64, c64 = (v.astype(np.float64) for v in (a, b, c))
    node = helper.make_node
    const = numpy_helper.from_array

    elementwise = (
        "ops_elementwise", 14,
        [node("Clip", ["a", "lo", "hi"], ["clip"]),
         node("Max", ["a", "b", "c"], ["max"]),
         node("Min", ["a", "c"], ["min"]),
         node("Sum", ["a", "b", "c"], ["sum"]),
         node("Mean", ["a", "c"], ["mean"]),
         node("Sigmoid", ["a"], ["sigmoid"]),
         node("Abs", ["a"], ["abs_a"]),
         node("Add", ["abs_a", "one"], ["abs_a1"]),
         node("Reciprocal", ["abs_a1"], ["reciprocal"]),
         node("Log", ["abs_a1"], ["log"]),
         node("Sqrt", ["abs_a"], ["sqrt"]),
         node("Neg", ["a"], ["neg"]),
         node("Tanh", ["a"], ["tanh_a"]),
         node("Exp", ["tanh_a"], ["exp_tanh"]),
         node("Erf", ["a"], ["erf"]),
         node("Relu", ["a"], ["relu"]),
         node("Pow", ["abs_a1", "exponent"], ["pow"]),
         node("Less", ["a", "c"], ["lt"]),
         node("Greater", ["a", "b"], ["gt"]),
         node("And", ["lt", "gt"], ["and"]),
         node("Equal", ["a", "c"], ["eq"]),
         node("Not", ["eq"], ["ne"]),
         node("LessOrEqual", ["a", "b"], ["le"]),
         node("Or", ["ne", "le"], ["or"]),
         node("Xor", ["and", "or"], ["xor"]),
         node("GreaterOrEqual", ["a", "c"], ["ge"]),
         node("Where", ["ge", "xor_f", "c"], ["where"]),
         node("Cast", ["xor"], ["xor_f"], to=TensorProto.FLOAT)],
        [const(np.array(-0.5, np.float32), "lo"), const(np.array(0.5, np.float32), "hi"),
         const(np.array(1.0, np.float32), "one"), const(np.array(3, np.int64), "exponent")],
        {"a": a, "b": b, "c": c},
        {"clip": np.clip(a64, -0.5, 0.5), "max": np.maximum(np.maximum(a64, b64), c64),
         "min": np.minimum(a64, c64), "sum": a64 + b64 + c64, "mean": (a64 + c64) / 2,
         "sigmoid": 1 / (1 + np.exp(-a64)), "reciprocal": 1 / (np.abs(a64) + 1),
         "log": np.log(np.abs(a64) + 1), "sqrt": np.sqrt(np.abs(a64)), "neg": -a64,
         "exp_tanh": np.exp(np.tanh(a64)), "erf": erf(a64), "relu": np.maximum(a64, 0),
         "pow": (np.abs(a64) + 1) ** 3,
         "where": np.where(a >= c, (((a < c) & (a > b)) ^ ((a != c) | (a <= b))).astype(np.float64), c64)})

    x = np.arange(24, dtype=np.float32).reshape(2, 3, 4) / 10
    x64 = x.astype(np.float64)
    ints = lambda *v: np.array(v, np.int64)
    shape = (
        "ops_shape", 15,
        [node("Flatten", ["x"], ["flatten"], axis=2),
         node("Split", ["x", "split_sizes"], ["split_0", "split_1"], axis=1),
         node("Unsqueeze", ["x", "unsqueeze_axes"], ["unsqueezed"]),
         node("Squeeze", ["unsqueezed", "squeeze_axes"], ["squeeze"]),
         node("Transpose", ["x"], ["transpose"]),
         node("Slice", ["x", "starts", "ends", "axes", "steps"], ["slice"]),
         node("Expand", ["b", "expand_shape"], ["expand"]),
         node("Gather", ["x", "indices"], ["gather"], axis=1),
         node("Concat", ["x", "x"], ["concat"], axis=-1),
         node("Range", ["r_start", "r_limit", "r_delta"], ["range"]),
         node("Shape", ["x"], ["shape_tail"], start=1),
         node("Size", ["x"], ["size"]),
         node("ConstantOfShape", ["cos_shape"], ["filled"], value=const(ints(7), "v")),
         node("Trilu", ["x", "k"], ["tril"], upper=0),
         node("CastLike", ["x_scaled", "like"], ["castlike"]),
         node("Mul", ["x", "ten"], ["x_scaled"]),
         node("Dropout", ["x"], ["dropout", "dropout_mask"]),
         node("Identity", ["x"], ["identity"]),
         node("Reshape", ["x", "reshape_shape"], ["reshape"]),
         node("Div", ["size", "three"], ["int_div"]),
         # The attribute forms of opset 12, accepted at any opset.
         node("Split", ["x"], ["split_attr_0", "split_attr_1"], axis=2, split=[3, 1]),
         node("Unsqueeze", ["x"], ["unsqueeze_attr"], axes=[1])],
        [const(ints(1, 2), "split_sizes"), const(ints(0, 3), "unsqueeze_axes"),
         const(ints(0), "squeeze_axes"), const(ints(1, -3), "starts"),
         const(ints(2**63 - 1, 4), "ends"), const(ints(2, 1), "axes"), const(ints(2, 1), "steps"),
         const(ints(2, 1, 4), "expand_shape"), const(ints(2, -1), "indices"),
         const(np.array(1.0, np.float32), "r_start"), const(np.array(3.0, np.float32), "r_limit"),
         const(np.array(0.5, np.float32), "r_delta"), const(ints(2, 2), "cos_shape"),
         const(ints(1), "k"), const(np.zeros(1, np.int32), "like"),
         const(np.array(10, np.float32), "ten"), const(ints(0, -1), "reshape_shape"),
         const(ints(5), "three")],
        {"x": x, "b": b},
        {"flatten": x64.reshape(6, 4), "split_0": x64[:, :1], "split_1": x64[:, 1:],
         "squeeze": x64[:, :, None, :], "transpose": x64.transpose(2, 1, 0),
         "slice": x64[:, 0:3, 1::2], "expand": np.broadcast_to(b64, (2, 3, 4)),
         "gather": x64[:, [2, -1]], "concat": np.concatenate([x64, x64], -1),
         "range": np.arange(1.0, 3.0, 0.5), "shape_tail": ints(3, 4), "size": np.array(24, np.int64),
         "filled": np.full((2, 2), 7, np.int64), "tril": np.tril(x64, 1),
         "castlike": np.trunc(x64 * 10).astype(np.int32), "dropout": x64,
         "dropout_mask": np.ones(x.shape, bool), "identity": x64,
         "reshape": x64.reshape(2, 12), "int_div": ints(24 // 5),
         "split_attr_0": x64[:, :, :3], "split_attr_1": x64[:, :, 3:],
         "unsqueeze_attr": x64[:, None]})

    m = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.standard_normal((5, 4)).astype(np.float32)
    bias = rng.standard_normal(5).astype(np.float32)
    v = rng.standard_normal(4).astype(np.float32)
    m64, w64, bias64, v64 = (t.astype(np.float64) for t in (m, w, bias, v))

    def softmax(t, axis):
        e = np.exp(t - t.max(axis=axis, keepdims=True))
        return e / e.sum(axis=axis, keepdims=True)

    contraction = (
        "ops_contraction", 13,
        [node("ReduceSum", ["x", "sum_axes"], ["reduce_sum"], keepdims=0),
         node("ReduceMean", ["x"], ["reduce_mean"], axes=[-1]),
         node("ReduceMax", ["x"], ["reduce_max"], axes=[0, 2]),
         node("ReduceMin", ["x"], ["reduce_min"]),
         node("Gemm", ["m", "w", "bias"], ["gemm"], transB=1, alpha=0.5, beta=2.0),
         node("Gemm", ["mt", "w"], ["gemm_t"], transA=1, transB=1),
         node("Transpose", ["m"], ["mt"]),
         node("MatMul", ["v", "x_t"], ["matmul_vec"]),
         node("Transpose", ["x"], ["x_t"], perm=[0, 2, 1]),
         node("MatMul", ["x", "v"], ["matmul_mat_vec"]),
         node("LogSoftmax", ["x"], ["log_softmax"], axis=1),
         node("Softmax", ["x"], ["softmax"], axis=0)],
        [const(ints(1), "sum_axes")],
        {"x": x, "m": m, "w": w, "bias": bias, "v": v},
        {"reduce_sum": x64.sum(1), "reduce_mean": x64.mean(-1, keepdims=True),
         "reduce_max": x64.max((0, 2), keepdims=True), "reduce_min": x64.min(keepdims=True),
         "gemm": 0.5 * m64 @ w64.T + 2.0 * bias64, "gemm_t": m64 @ w64.T,
         "matmul_vec": v64 @ x64.transpose(0, 2, 1), "matmul_mat_vec": x64 @ v64,
         "log_softmax": np.log(softmax(x64, 1)), "softmax": softmax(x64, 0)})

    y = rng.standard_normal((2, 7, 4)).astype(np.float32)
    y64 = y.astype(np.float64)
    scale = rng.standard_normal((7, 4)).astype(np.float32)
    mean = y64.mean((1, 2), keepdims=True)
    var = ((y64 - mean) ** 2).mean((1, 2), keepdims=True)
    opset18 = (
        "ops_opset18", 18,
        [node("ReduceMean", ["y", "mean_axes"], ["reduce_mean"], keepdims=0),
         node("Split", ["y"], ["part_0", "part_1", "part_2"], axis=1, num_outputs=3),
         node("LayerNormalization", ["y", "scale"], ["layer_norm", "ln_mean", "ln_inv_std"],
              axis=1, epsilon=1e-3)],
        [const(ints(-1), "mean_axes"), const(scale, "scale")],
        {"y": y},
        {"reduce_mean": y64.mean(-1), "part_0": y64[:, 0:3], "part_1": y64[:, 3:6],
         "part_2": y64[:, 6:7],
         "layer_norm": (y64 - mean) / np.sqrt(var + 1e-3) * scale.astype(np.float64),
         "ln_mean": mean, "ln_inv_std": 1 / np.sqrt(var + 1e-3)})

    tanh_gelu = 0.5 * a64 * (1 + np.tanh(math.sqrt(2 / math.pi) * (a64 + 0.044715 * a64 ** 3)))
    opset20 = (
        "ops_opset20_gelu", 20,
        [node("Gelu", ["a"], ["gelu"]), node("Gelu", ["a"], ["gelu_tanh"], approximate="tanh")],
        [], {"a": a},
        {"gelu": 0.5 * a64 * (1 + erf(a64 / math.sqrt(2))), "gelu_tanh": tanh_gelu})
    # Ops the exports above only reach on some paths: CumSum, Tile,
    # GatherElements, Sin/Cos of constants, an If taken on a constant
    # condition (torch's squeeze of a dynamic dim), a Cast of a constant
    # -inf to int64 that a Where discards (T5's buckets).
    ids = np.array([[1, 0, 2, 5, 1], [3, 1, 0, 0, 2]], np.int64)
    gather_idx = np.array([[[0, -1], [3, 1], [2, 2]], [[-4, 0], [1, 3], [-2, 1]]], np.int64)
    angles = np.linspace(-3.0, 3.0, 7).astype(np.float32)
    logs = np.array([-np.inf, 0.5, 2.0, np.nan], np.float32)
    keep = np.array([False, True, True, False])
    yy = rng.standard_normal((2, 1, 4)).astype(np.float32)
    then_squeeze = helper.make_graph(
        [node("Squeeze", ["yy", "axis_1"], ["squeezed"])], "then_squeeze", [],
        [helper.make_tensor_value_info("squeezed", TensorProto.FLOAT, None)])
    else_identity = helper.make_graph(
        [node("Identity", ["yy"], ["kept"])], "else_identity", [],
        [helper.make_tensor_value_info("kept", TensorProto.FLOAT, None)])
    cumsum_rev = np.flip(np.cumsum(np.flip(a64, -1), -1), -1) - a64
    control = (
        "ops_exported_paths", 14,
        [node("CumSum", ["ids", "axis_1"], ["cumsum"]),
         node("CumSum", ["a", "axis_last"], ["cumsum_rev_excl"], exclusive=1, reverse=1),
         node("Tile", ["a", "repeats"], ["tile"]),
         node("GatherElements", ["a", "gather_idx"], ["gather_elements"], axis=2),
         node("Sin", ["angles"], ["sin"]),
         node("Cos", ["angles"], ["cos"]),
         node("Shape", ["yy"], ["yy_shape"]),
         node("Gather", ["yy_shape", "axis_1"], ["yy_dim1"]),
         node("Equal", ["yy_dim1", "one_i"], ["dim1_is_1"]),
         node("If", ["dim1_is_1"], ["if_then"], then_branch=then_squeeze,
              else_branch=else_identity),
         node("Gather", ["yy_shape", "axis_0"], ["yy_dim0"]),
         node("Equal", ["yy_dim0", "one_i"], ["dim0_is_1"]),
         node("If", ["dim0_is_1"], ["if_else"], then_branch=then_squeeze,
              else_branch=else_identity),
         node("Cast", ["logs"], ["logs_i"], to=TensorProto.INT64),
         node("Where", ["keep", "logs_i", "zero_i"], ["cast_where"])],
        [const(ints(1), "axis_1"), const(ints(-1), "axis_last"), const(ints(0), "axis_0"),
         const(ints(1, 2, 1), "repeats"), const(gather_idx, "gather_idx"),
         const(angles, "angles"), const(np.array(1, np.int64), "one_i"),
         const(logs, "logs"), const(keep, "keep"), const(np.array(0, np.int64), "zero_i")],
        {"ids": ids, "a": a, "yy": yy},
        {"cumsum": np.cumsum(ids, 1), "cumsum_rev_excl": cumsum_rev,
         "tile": np.tile(a64, (1, 2, 1)),
         "gather_elements": np.take_along_axis(a64, np.where(gather_idx < 0, gather_idx + 4, gather_idx), 2),
         "sin": np.sin(angles.astype(np.float64)), "cos": np.cos(angles.astype(np.float64)),
         "if_then": yy[:, 0].astype(np.float64), "if_else": yy.astype(np.float64),
         "cast_where": ints(0, 0, 2, 0)})
    return [elementwise, shape, contraction, opset18, opset20, control,
            opset23_graph(rng), function_graph(rng), half_graph(rng)]


def half_graph(rng):
    """An f16 model: projection with bias (a matmul epilogue on Vulkan) and
    softmax attention of the projection against the input, all f16."""
    node = helper.make_node
    x = rng.standard_normal((2, 8, 16)).astype(np.float16)
    w = (rng.standard_normal((16, 16)) / 4).astype(np.float16)
    b = rng.standard_normal(16).astype(np.float16)
    x64, w64, b64 = (v.astype(np.float64) for v in (x, w, b))
    q = x64 @ w64 + b64
    s = q @ x64.transpose(0, 2, 1)
    e = np.exp(s - s.max(axis=-1, keepdims=True))
    y = (e / e.sum(axis=-1, keepdims=True)) @ x64
    return (
        "attention_f16", 17,
        [node("MatMul", ["x", "W"], ["q"]),
         node("Add", ["q", "B"], ["qb"]),
         node("Transpose", ["x"], ["xt"], perm=[0, 2, 1]),
         node("MatMul", ["qb", "xt"], ["s"]),
         node("Softmax", ["s"], ["p"], axis=-1),
         node("MatMul", ["p", "x"], ["y"])],
        [numpy_helper.from_array(w, "W"), numpy_helper.from_array(b, "B")],
        {"x": x},
        {"y": y})


def attention_reference(q, k, v, scale, keep=None, bias=None, causal=False):
    """Q [B, Hq, Sq, D], K/V [B, Hkv, Sk, .] in fp64; masked keys get no
    weight."""
    group = q.shape[1] // k.shape[1]
    k, v = np.repeat(k, group, axis=1), np.repeat(v, group, axis=1)
    s = q @ k.transpose(0, 1, 3, 2) * scale
    if bias is not None:
        s = s + bias
    if keep is not None:
        s = np.where(keep, s, -np.inf)
    if causal:
        sq, sk = s.shape[-2:]
        s = np.where(np.tril(np.ones((sq, sk), bool)), s, -np.inf)
    e = np.exp(s - s.max(-1, keepdims=True))
    return (e / e.sum(-1, keepdims=True)) @ v


def rotary_reference(x, cos, sin, interleaved):
    """x [B, S, H, D] rotated over all of D by cos/sin [B, S, 1, D/2]."""
    if interleaved:
        x1, x2 = x[..., 0::2], x[..., 1::2]
    else:
        x1, x2 = np.split(x, 2, axis=-1)
    real, imag = cos * x1 - sin * x2, sin * x1 + cos * x2
    if interleaved:
        return np.stack([real, imag], -1).reshape(x.shape)
    return np.concatenate([real, imag], -1)


def opset23_graph(rng):
    """The ops of current exports (torch 2 dynamo, opset 18 to 23): advanced
    indexing, NaN/inf tests, Mod, Einsum, and opset 23's Attention,
    RMSNormalization and RotaryEmbedding."""
    node = helper.make_node
    const = numpy_helper.from_array
    f32 = lambda *shape: rng.standard_normal(shape).astype(np.float32)
    d = lambda t: t.astype(np.float64)
    ints = lambda *v: np.array(v, np.int64)
    a, u, y2 = f32(2, 3, 4), f32(2, 4), f32(2, 4, 5)
    v4, w5 = f32(4), f32(5)
    special = np.array([-np.inf, 0.5, np.inf, np.nan], np.float32)
    mi = np.array([[-7, 7], [5, -5]], np.int64)
    nd_idx = np.array([[1], [0], [-1]], np.int64)
    # Attention: GQA over 4-D inputs with a keep-mask; packed 3-D inputs
    # with an additive mask, causal and an explicit scale.
    q, k, v = f32(2, 4, 3, 8), f32(2, 2, 5, 8), f32(2, 2, 5, 6)
    keep = rng.random((2, 1, 3, 5)) < 0.7
    keep[..., 0] = True
    q3, k3, v3 = f32(2, 3, 16), f32(2, 3, 8), f32(2, 3, 8)
    bias3 = f32(3, 3)
    split = lambda t, h: d(t).reshape(2, 3, h, -1).transpose(0, 2, 1, 3)
    packed = attention_reference(split(q3, 4), split(k3, 2), split(v3, 2), 0.3,
                                 bias=d(bias3), causal=True)
    # RMSNormalization and RotaryEmbedding.
    yy, rms_scale = f32(2, 7, 4), f32(4)
    rms = d(yy) / np.sqrt((d(yy) ** 2).mean(-1, keepdims=True) + 1e-3) * d(rms_scale)
    xr = f32(2, 2, 3, 8)
    cos_cache, sin_cache = f32(5, 4), f32(5, 4)
    pos = np.array([[0, 1, 2], [4, 3, 0]], np.int64)
    xr_bshd = d(xr).transpose(0, 2, 1, 3)
    rot4 = rotary_reference(xr_bshd, d(cos_cache)[pos][:, :, None], d(sin_cache)[pos][:, :, None],
                            False).transpose(0, 2, 1, 3)
    x3 = f32(2, 3, 12)
    cos3, sin3 = f32(2, 3, 2), f32(2, 3, 2)
    x3h = d(x3).reshape(2, 3, 2, 6)
    rot3 = np.concatenate([rotary_reference(x3h[..., :4], d(cos3)[:, :, None], d(sin3)[:, :, None],
                                            True), x3h[..., 4:]], -1).reshape(2, 3, 12)
    scattered = d(a).copy()
    scattered[0, 2], scattered[1, 0] = d(u)[0], d(u)[1]
    scattered_add = d(a).copy()
    scattered_add[0, 2] += d(u)[0]
    scattered_add[1, 0] += d(u)[1]
    return (
        "ops_opset23", 23,
        [node("GatherND", ["a", "nd_const"], ["gather_nd"]),
         node("GatherND", ["a", "nd_batch"], ["gather_nd_batch"], batch_dims=1),
         node("GatherND", ["a", "nd_idx"], ["gather_nd_input"]),
         node("ScatterND", ["a", "nd_const", "u"], ["scatter_nd"]),
         node("ScatterND", ["a", "nd_const", "u"], ["scatter_nd_add"], reduction="add"),
         node("IsNaN", ["special"], ["is_nan"]),
         node("IsInf", ["special"], ["is_inf"]),
         node("IsInf", ["special"], ["is_pos_inf"], detect_negative=0),
         node("Mod", ["mi", "divisor"], ["mod"]),
         node("Mod", ["mi", "divisor"], ["fmod"], fmod=1),
         node("Mod", ["fa", "fb"], ["fmod_const"], fmod=1),
         node("Einsum", ["a", "y2"], ["einsum_bmm"], equation="bij,bjk->bik"),
         node("Einsum", ["v4", "w5"], ["einsum_outer"], equation="i,j->ij"),
         node("Einsum", ["a"], ["einsum_reduce"], equation="bij -> jb"),
         node("Einsum", ["a", "a"], ["einsum_implicit"], equation="bij,bkj"),
         node("Attention", ["q", "k", "v", "keep"], ["attention_gqa"]),
         node("Attention", ["q3", "k3", "v3", "bias3"], ["attention_packed", "present_key"],
              q_num_heads=4, kv_num_heads=2, is_causal=1, scale=0.3),
         node("RMSNormalization", ["yy", "rms_scale"], ["rms_norm"], epsilon=1e-3),
         node("RotaryEmbedding", ["xr", "cos_cache", "sin_cache", "pos"], ["rotary"]),
         node("RotaryEmbedding", ["x3", "cos3", "sin3"], ["rotary_partial"], interleaved=1,
              num_heads=2, rotary_embedding_dim=4)],
        [const(ints(0, 2, 1, 0).reshape(2, 2), "nd_const"),
         const(ints(2, 0).reshape(2, 1), "nd_batch"), const(ints(3, -3), "divisor"),
         const(np.array([5.5, -5.5], np.float32), "fa"),
         const(np.array([2.0, 2.0], np.float32), "fb"),
         const(cos_cache, "cos_cache"), const(sin_cache, "sin_cache")],
        {"a": a, "u": u, "nd_idx": nd_idx, "special": special, "mi": mi, "y2": y2,
         "v4": v4, "w5": w5, "q": q, "k": k, "v": v, "keep": keep, "q3": q3, "k3": k3,
         "v3": v3, "bias3": bias3, "yy": yy, "rms_scale": rms_scale, "xr": xr, "pos": pos,
         "x3": x3, "cos3": cos3, "sin3": sin3},
        {"gather_nd": d(a)[[0, 1], [2, 0]], "gather_nd_batch": d(a)[[0, 1], [2, 0]],
         "gather_nd_input": d(a)[[1, 0, -1]], "scatter_nd": scattered,
         "scatter_nd_add": scattered_add,
         "is_nan": np.isnan(special), "is_inf": np.isinf(special),
         "is_pos_inf": np.isposinf(special), "mod": np.mod(mi, ints(3, -3)),
         "fmod": np.fmod(mi, ints(3, -3)), "fmod_const": np.fmod([5.5, -5.5], 2.0),
         "einsum_bmm": d(a) @ d(y2), "einsum_outer": np.outer(d(v4), d(w5)),
         "einsum_reduce": d(a).sum(1).T,
         "einsum_implicit": np.einsum("bij,bkj", d(a), d(a)),
         "attention_gqa": attention_reference(d(q), d(k), d(v), 1 / math.sqrt(8), keep=keep),
         "attention_packed": packed.transpose(0, 2, 1, 3).reshape(2, 3, 16),
         "present_key": split(k3, 2), "rms_norm": rms, "rotary": rot4,
         "rotary_partial": rot3})


def function_graph(rng):
    """A model-local function (IR version 10), called twice with different
    attributes and once from inside another function."""
    node = helper.make_node
    alpha = onnx.AttributeProto(name="value_float", ref_attr_name="alpha",
                                type=onnx.AttributeProto.FLOAT)
    factor = node("Constant", [], ["factor"])
    factor.attribute.append(alpha)
    scaled_tanh = helper.make_function(
        "local", "ScaledTanh", ["x"], ["y"],
        [factor, node("Mul", ["x", "factor"], ["scaled"]), node("Tanh", ["scaled"], ["y"])],
        [helper.make_opsetid("", 18)], ["alpha"])
    twice = helper.make_function(
        "local", "TanhTwice", ["x"], ["y"],
        [node("ScaledTanh", ["x"], ["t"], domain="local", alpha=2.0),
         node("Add", ["t", "x"], ["y"])],
        [helper.make_opsetid("", 18), helper.make_opsetid("local", 1)], [])
    x = rng.standard_normal((2, 3)).astype(np.float32)
    x64 = x.astype(np.float64)
    return (
        "ops_local_functions", 18,
        [node("ScaledTanh", ["x"], ["half"], domain="local", alpha=0.5),
         node("ScaledTanh", ["half"], ["triple"], domain="local", alpha=3.0),
         node("TanhTwice", ["x"], ["nested"], domain="local")],
        [], {"x": x},
        {"half": np.tanh(0.5 * x64), "triple": np.tanh(3.0 * np.tanh(0.5 * x64)),
         "nested": np.tanh(2.0 * x64) + x64},
        [scaled_tanh, twice])


def write_graph(name, opset, nodes, initializers, inputs, outputs, *rest):
    *functions, out_dir = rest
    graph = helper.make_graph(
        nodes, name,
        [helper.make_tensor_value_info(k, onnx.mapping.NP_TYPE_TO_TENSOR_TYPE[v.dtype], v.shape)
         for k, v in inputs.items()],
        [helper.make_tensor_value_info(k, TensorProto.UNDEFINED, None) for k in outputs],
        initializers)
    opsets = [helper.make_opsetid("", opset)]
    if functions:
        opsets.append(helper.make_opsetid("local", 1))
    model = helper.make_model(graph, opset_imports=opsets)
    model.ir_version = 10 if functions or opset > 20 else 8
    for function in (functions[0] if functions else []):
        model.functions.append(function)
    directory = os.path.join(out_dir, name)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "model.onnx"), "wb") as f:
        f.write(model.SerializeToString())
    for i, value in enumerate(inputs.values()):
        np.save(os.path.join(directory, f"input_{i}.npy"), value)
    for i, value in enumerate(outputs.values()):
        np.save(os.path.join(directory, f"output_{i}.npy"), np.array(value, order="C"))
    open(os.path.join(directory, "shapes.txt"), "w").close()


def export(name, module, inputs, output_names, dynamic_axes, opset, out_dir):
    module.eval()
    args = tuple(torch.from_numpy(v) for v in inputs.values())
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        outputs = module(*args)
    if isinstance(outputs, torch.Tensor):
        outputs = (outputs,)
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, args, buffer, input_names=list(inputs),
                          output_names=output_names, opset_version=opset,
                          dynamic_axes=dynamic_axes)
    model = onnx.load_from_string(buffer.getvalue())
    onnx.checker.check_model(model)
    graph_inputs = [i.name for i in model.graph.input]
    if graph_inputs != list(inputs):
        raise RuntimeError(f"{name}: the export kept inputs {graph_inputs}")
    directory = os.path.join(out_dir, name)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "model.onnx"), "wb") as f:
        f.write(buffer.getvalue())
    pins = []
    for i, (input_name, value) in enumerate(inputs.items()):
        np.save(os.path.join(directory, f"input_{i}.npy"), value)
        if dynamic_axes and input_name in dynamic_axes:
            pins.append(input_name + "=" + "x".join(str(d) for d in value.shape))
    for i, value in enumerate(outputs):
        np.save(os.path.join(directory, f"output_{i}.npy"), value.numpy())
    with open(os.path.join(directory, "shapes.txt"), "w") as f:
        f.writelines(pin + "\n" for pin in pins)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out_dir = sys.argv[1]
    os.makedirs(out_dir, exist_ok=True)
    names = []
    for index, (name, factory, *rest) in enumerate(models()):
        # Seeded per model, so one model's weights do not depend on another's.
        seed_all(index)
        export(name, factory(), *rest, out_dir)
        names.append(name)
    for name, *rest in op_graphs():
        write_graph(name, *rest, out_dir)
        names.append(name)
    with open(os.path.join(out_dir, "models.txt"), "w") as f:
        f.writelines(name + "\n" for name in names)


if __name__ == "__main__":
    main()
