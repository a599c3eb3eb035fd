#!/usr/bin/env python3
"""Convert a sentence-transformers BERT model (safetensors + WordPiece vocab) to a GGUF file that
llama.cpp loads as an embedding model — without torch.

It follows llama.cpp's own BERT conversion conventions:
- architecture `bert`, hyper-parameters under `bert.*`, non-causal attention, the pooling type of
  the sentence-transformers Pooling module (mean for all-MiniLM-L6-v2);
- tensor names from gguf-py's BERT tensor map (`token_embd`, `blk.N.attn_q`, …), the HF `pooler`
  and `position_ids` dropped; 1-D tensors, norms, position and token-type embeddings in F32, the
  other matrices in F16;
- tokenizer model `bert` (WordPiece) with the "phantom space" vocabulary (word-initial pieces get a
  leading U+2581, `##` continuation pieces lose their prefix, control tokens stay as they are), token
  types, special-token ids from the tokenizer files and the BertNormalizer options (lower-casing,
  accent stripping).

Usage: convert_bert_to_gguf.py MODEL_DIR OUTPUT.gguf [--name NAME]
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import gguf
import numpy as np
from safetensors import safe_open

POOLING_MODES = {
    "pooling_mode_mean_tokens": gguf.PoolingType.MEAN,
    "pooling_mode_cls_token": gguf.PoolingType.CLS,
}


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def pooling_type(model_dir: Path) -> gguf.PoolingType:
    for module in json.loads((model_dir / "modules.json").read_text()):
        if module["type"].endswith("Pooling"):
            config = read_json(model_dir / module["path"] / "config.json")
            for key, pooling in POOLING_MODES.items():
                if config.get(key):
                    return pooling
            raise SystemExit(f"unsupported pooling configuration in {module['path']}: {config}")
    return gguf.PoolingType.MEAN


def vocabulary(model_dir: Path) -> tuple[list[str], list[int]]:
    """The WordPiece vocabulary in id order, converted to llama.cpp's phantom-space form."""
    tokens = (model_dir / "vocab.txt").read_text(encoding="utf-8").split("\n")
    if tokens and tokens[-1] == "":
        tokens.pop()
    added = {entry["content"]: entry for entry in read_json(model_dir / "tokenizer.json").get("added_tokens", [])}
    converted: list[str] = []
    types: list[int] = []
    for token in tokens:
        if token in added and added[token].get("special", False):
            converted.append(token)
            types.append(gguf.TokenType.CONTROL)
        elif token in added:
            converted.append("\u2581" + token)
            types.append(gguf.TokenType.USER_DEFINED)
        elif token.startswith("##"):
            converted.append(token[2:])
            types.append(gguf.TokenType.NORMAL)
        else:
            converted.append("\u2581" + token)
            types.append(gguf.TokenType.NORMAL)
    return converted, types


def normalizer_options(model_dir: Path) -> tuple[bool, bool]:
    normalizer = read_json(model_dir / "tokenizer.json").get("normalizer") or {}
    if normalizer.get("type") == "BertNormalizer":
        lowercase = bool(normalizer.get("lowercase", True))
        strip = normalizer.get("strip_accents")
        return lowercase, lowercase if strip is None else bool(strip)
    config = read_json(model_dir / "tokenizer_config.json")
    lowercase = bool(config.get("do_lower_case", True))
    strip = config.get("strip_accents")
    return lowercase, lowercase if strip is None else bool(strip)


def tensor_type(new_name: str, array: np.ndarray) -> gguf.GGMLQuantizationType:
    keep_f32 = (
        array.ndim <= 1
        or new_name.endswith("_norm.weight")
        or not new_name.endswith(".weight")
        or new_name.startswith(("position_embd.", "token_types."))
    )
    return gguf.GGMLQuantizationType.F32 if keep_f32 else gguf.GGMLQuantizationType.F16


def hf_name(name: str) -> str | None:
    if name.startswith("bert."):
        name = name[len("bert."):]
    if name.endswith(".gamma"):
        name = name[: -len(".gamma")] + ".weight"
    if name.endswith(".beta"):
        name = name[: -len(".beta")] + ".bias"
    if name in ("embeddings.position_ids", "pooler.dense.weight", "pooler.dense.bias"):
        return None
    if name.startswith("cls."):
        return None
    return name


def convert(model_dir: Path, output: Path, name: str) -> None:
    config = read_json(model_dir / "config.json")
    if config.get("model_type") != "bert":
        raise SystemExit(f"{model_dir}: model_type is {config.get('model_type')!r}, expected 'bert'")
    blocks = int(config["num_hidden_layers"])
    writer = gguf.GGUFWriter(str(output), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])

    writer.add_name(name)
    writer.add_context_length(int(config["max_position_embeddings"]))
    writer.add_embedding_length(int(config["hidden_size"]))
    writer.add_feed_forward_length(int(config["intermediate_size"]))
    writer.add_block_count(blocks)
    writer.add_head_count(int(config["num_attention_heads"]))
    writer.add_layer_norm_eps(float(config["layer_norm_eps"]))
    writer.add_causal_attention(False)
    writer.add_pooling_type(pooling_type(model_dir))
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_F16)

    tokens, types = vocabulary(model_dir)
    writer.add_token_type_count(int(config.get("type_vocab_size", 1)))
    writer.add_tokenizer_model("bert")
    # The vocabulary is bert-base-uncased's, the one llama.cpp names "bert-bge"; WordPiece models
    # ignore the pre-tokenizer type but llama.cpp records it.
    writer.add_tokenizer_pre("bert-bge")
    writer.add_token_list(tokens)
    writer.add_token_types(types)
    lowercase, strip_accents = normalizer_options(model_dir)
    # llama.cpp's BertNormalizer keys (newer than this gguf-py release, so spelled out here).
    writer.add_bool("tokenizer.ggml.normalizer.lowercase", lowercase)
    writer.add_bool("tokenizer.ggml.normalizer.strip_accents", strip_accents)
    gguf.SpecialVocab(model_dir, n_vocab=len(tokens)).add_to_gguf(writer)

    name_map = gguf.get_tensor_name_map(gguf.MODEL_ARCH.BERT, blocks)
    with safe_open(str(model_dir / "model.safetensors"), framework="np") as weights:
        for original in sorted(weights.keys()):
            name_in_hf = hf_name(original)
            if name_in_hf is None:
                continue
            new_name = name_map.get_name(name_in_hf, try_suffixes=(".weight", ".bias"))
            if new_name is None:
                raise SystemExit(f"no GGUF name for tensor {original!r}")
            array = weights.get_tensor(original)
            kind = tensor_type(new_name, array)
            data = array.astype(np.float16 if kind == gguf.GGMLQuantizationType.F16 else np.float32)
            writer.add_tensor(new_name, data, raw_dtype=kind)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model_dir", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--name", default="all-MiniLM-L6-v2")
    args = parser.parse_args()
    if not (args.model_dir / "model.safetensors").is_file():
        print(f"error: {args.model_dir}/model.safetensors not found", file=sys.stderr)
        return 1
    convert(args.model_dir, args.output, args.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
