"""onnx_corpus.py - tiny Hugging Face models as current torch.onnx exports them.

Run by scripts/make_onnx_corpus.sh inside its venv (pinned torch,
transformers, onnx, onnxscript). For every architecture in MODELS, with the
eager and the SDPA attention implementations, it exports the same seeded
model three ways and writes OUT_DIR/<arch>_<attn>_<export>/:
  model.onnx          the export (weights inside the file)
  input_<name>.npy    inputs: row 1 of attention_mask ends in zeros (padding;
                      llama_nomask has no attention_mask)
  reference_0.npy     the model's output computed by torch in float64
  fixture.txt         one line per input, "NAME=AxB", then "opset N"
and OUT_DIR/fixtures.txt with one fixture name per line. Exports that torch
itself cannot produce are listed in OUT_DIR/skipped.txt with the reason.

  export   how
  dynamo   torch.onnx.export(dynamo=True) at its default opset
  dyn23    torch.onnx.export(dynamo=True, opset_version=23) (ONNX Attention)
  ts17     torch.onnx.export(dynamo=False, opset_version=17)

usage: onnx_corpus.py OUT_DIR [ARCH ...]
"""

import copy
import os
import shutil
import sys
import traceback
import warnings

import numpy as np
import onnx
import torch
import transformers
from transformers import (BartConfig, BertConfig, GPT2Config, GPTNeoXConfig,
                          LlamaConfig, MistralConfig, Qwen2Config,
                          RobertaConfig, T5Config, AutoModel)

BATCH, SEQ, DEC_SEQ, VOCAB, PAD = 2, 8, 6, 64, 2
H, HEADS, FFN = 32, 4, 64

# name: (config, kind) with kind decoder (causal LM body), causal (the same
# without an attention_mask input), encoder, seq2seq.
MODELS = {
    "gpt2": (lambda: GPT2Config(vocab_size=VOCAB, n_positions=32, n_embd=H,
                                n_layer=1, n_head=HEADS, n_inner=FFN,
                                initializer_range=0.2), "decoder"),
    "bert": (lambda: BertConfig(vocab_size=VOCAB, hidden_size=H,
                                num_hidden_layers=1, num_attention_heads=HEADS,
                                intermediate_size=FFN,
                                max_position_embeddings=32,
                                initializer_range=0.2), "encoder"),
    "roberta": (lambda: RobertaConfig(vocab_size=VOCAB, hidden_size=H,
                                      num_hidden_layers=1,
                                      num_attention_heads=HEADS,
                                      intermediate_size=FFN,
                                      max_position_embeddings=40,
                                      initializer_range=0.2), "encoder"),
    # Grouped-query attention (4 query heads over 2 K/V heads) and RoPE.
    "llama": (lambda: LlamaConfig(vocab_size=VOCAB, hidden_size=H,
                                  num_hidden_layers=1,
                                  num_attention_heads=HEADS,
                                  num_key_value_heads=2,
                                  intermediate_size=FFN,
                                  max_position_embeddings=32,
                                  initializer_range=0.2), "decoder"),
    "qwen2": (lambda: Qwen2Config(vocab_size=VOCAB, hidden_size=H,
                                  num_hidden_layers=1,
                                  num_attention_heads=HEADS,
                                  num_key_value_heads=2,
                                  intermediate_size=FFN,
                                  max_position_embeddings=32,
                                  initializer_range=0.2), "decoder"),
    # No padding mask: the causal mask alone, as most LLM exports have it.
    "llama_nomask": (lambda: MODELS["llama"][0](), "causal"),
    # A sliding window shorter than the sequence.
    "mistral": (lambda: MistralConfig(vocab_size=VOCAB, hidden_size=H,
                                      num_hidden_layers=1,
                                      num_attention_heads=HEADS,
                                      num_key_value_heads=2,
                                      intermediate_size=FFN,
                                      max_position_embeddings=32,
                                      sliding_window=4,
                                      initializer_range=0.2), "decoder"),
    # Rotary embeddings on half of each head.
    "gpt_neox": (lambda: GPTNeoXConfig(vocab_size=VOCAB, hidden_size=H,
                                       num_hidden_layers=1,
                                       num_attention_heads=HEADS,
                                       intermediate_size=FFN,
                                       max_position_embeddings=32,
                                       rotary_pct=0.5,
                                       partial_rotary_factor=0.5,
                                       initializer_range=0.2), "decoder"),
    # Relative attention bias, encoder-decoder.
    "t5": (lambda: T5Config(vocab_size=VOCAB, d_model=H, d_kv=H // HEADS,
                            d_ff=FFN, num_layers=1, num_decoder_layers=1,
                            num_heads=HEADS, relative_attention_num_buckets=8,
                            relative_attention_max_distance=16,
                            initializer_factor=4.0, decoder_start_token_id=0),
           "seq2seq"),
    "bart": (lambda: BartConfig(vocab_size=VOCAB, d_model=H,
                                encoder_layers=1, decoder_layers=1,
                                encoder_attention_heads=HEADS,
                                decoder_attention_heads=HEADS,
                                encoder_ffn_dim=FFN, decoder_ffn_dim=FFN,
                                max_position_embeddings=32, init_std=0.2),
             "seq2seq"),
}
ATTENTIONS = ("eager", "sdpa")
EXPORTS = ("dynamo", "dyn23", "ts17")


class Body(torch.nn.Module):
    """The model's last hidden state from token ids and a padding mask."""

    def __init__(self, model, kind):
        super().__init__()
        self.model = model
        self.kind = kind

    def forward(self, input_ids, attention_mask=None, decoder_input_ids=None):
        kwargs = {"input_ids": input_ids}
        if attention_mask is not None:
            kwargs["attention_mask"] = attention_mask
        if self.kind == "seq2seq":
            kwargs["decoder_input_ids"] = decoder_input_ids
        if self.kind != "encoder":
            kwargs["use_cache"] = False
        return self.model(**kwargs).last_hidden_state


def make_inputs(kind):
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1, VOCAB, (BATCH, SEQ), generator=g)
    mask = torch.ones(BATCH, SEQ, dtype=torch.int64)
    mask[1, SEQ - PAD:] = 0
    inputs = {"input_ids": ids, "attention_mask": mask}
    if kind == "causal":
        del inputs["attention_mask"]
    if kind == "seq2seq":
        inputs["decoder_input_ids"] = torch.randint(1, VOCAB, (BATCH, DEC_SEQ),
                                                    generator=g)
    return inputs


def build(name, attention):
    make_config, kind = MODELS[name]
    config = make_config()
    torch.manual_seed(0)
    model = AutoModel.from_config(config, attn_implementation=attention)
    model.eval()
    return Body(model, kind), kind


def export(body, inputs, how, path):
    names = list(inputs)
    args = tuple(inputs.values())
    if how == "ts17":
        axes = {n: {0: "batch", 1: "seq" if n != "decoder_input_ids"
                    else "dec_seq"} for n in names}
        torch.onnx.export(body, args, path, dynamo=False, opset_version=17,
                          input_names=names,
                          output_names=["last_hidden_state"],
                          dynamic_axes=axes)
        return
    auto = torch.export.Dim.AUTO
    shapes = {n: {0: auto, 1: auto} for n in names}
    kwargs = {"opset_version": 23} if how == "dyn23" else {}
    program = torch.onnx.export(body, args, dynamo=True, input_names=names,
                                output_names=["last_hidden_state"],
                                dynamic_shapes=shapes, **kwargs)
    program.save(path, external_data=False)


def strip_debug_info(path):
    """Drops what the exporters record for debugging (per-node stack traces
    and names of the torch ops in metadata_props, doc strings): most of a
    tiny model's bytes, and nothing the graph computes with."""
    model = onnx.load(path)
    for node in model.graph.node:
        del node.metadata_props[:]
        node.doc_string = ""
    for function in model.functions:
        for node in function.node:
            del node.metadata_props[:]
            node.doc_string = ""
    model.graph.doc_string = ""
    onnx.save(model, path)


def write_fixture(out_dir, name, attention, how, skipped):
    fixture = f"{name}_{attention}_{how}"
    path = os.path.join(out_dir, fixture)
    shutil.rmtree(path, ignore_errors=True)
    try:
        body, kind = build(name, attention)
    except Exception as e:  # an architecture without this attention
        skipped.append(f"{fixture}: {type(e).__name__}: {e}".splitlines()[0])
        return None
    inputs = make_inputs(kind)
    os.makedirs(path)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            export(body, inputs, how, os.path.join(path, "model.onnx"))
    except Exception as e:
        traceback.print_exc()
        shutil.rmtree(path, ignore_errors=True)
        # The exporter's message starts with advice; the cause is the line
        # naming the original exception's class.
        lines = str(e).splitlines() or [""]
        reason = next((l for l in lines if l.startswith("<class '")),
                      f"{type(e).__name__}: {lines[0]}")
        skipped.append(f"{fixture}: {reason}")
        return None
    strip_debug_info(os.path.join(path, "model.onnx"))
    # The TorchScript exporter leaves the module in training mode.
    reference = copy.deepcopy(body).double().eval()
    with torch.no_grad():
        out = reference(**inputs)
    np.save(os.path.join(path, "reference_0.npy"), out.numpy())
    model = onnx.load(os.path.join(path, "model.onnx"))
    graph_inputs = [i.name for i in model.graph.input]
    opset = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
    lines = []
    for n in graph_inputs:
        value = inputs[n].numpy()
        np.save(os.path.join(path, f"input_{n}.npy"), value)
        lines.append(f"{n}={'x'.join(str(d) for d in value.shape)}")
    lines.append(f"opset {opset}")
    with open(os.path.join(path, "fixture.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    return fixture


def main():
    out_dir, archs = sys.argv[1], sys.argv[2:] or list(MODELS)
    os.makedirs(out_dir, exist_ok=True)
    print(f"torch {torch.__version__}, transformers {transformers.__version__}, "
          f"onnx {onnx.__version__}")
    fixtures, skipped = [], []
    for name in archs:
        for attention in ATTENTIONS:
            for how in EXPORTS:
                fixture = write_fixture(out_dir, name, attention, how, skipped)
                if fixture:
                    print("wrote", fixture, flush=True)
                    fixtures.append(fixture)
    # Keep fixtures of architectures not regenerated this run.
    listed = os.path.join(out_dir, "fixtures.txt")
    if os.path.exists(listed):
        with open(listed) as f:
            kept = [l.strip() for l in f if l.strip() and
                    l.strip().rsplit("_", 2)[0] not in archs and
                    os.path.isdir(os.path.join(out_dir, l.strip()))]
        fixtures = sorted(set(kept) | set(fixtures))
    with open(listed, "w") as f:
        f.write("\n".join(sorted(fixtures)) + "\n")
    skipped_path = os.path.join(out_dir, "skipped.txt")
    if os.path.exists(skipped_path):
        with open(skipped_path) as f:
            skipped = [l.rstrip("\n") for l in f if l.strip() and
                       l.split(":")[0].rsplit("_", 2)[0] not in archs] + skipped
    with open(skipped_path, "w") as f:
        f.write("".join(s + "\n" for s in sorted(skipped)))


if __name__ == "__main__":
    main()
