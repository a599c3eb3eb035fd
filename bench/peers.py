#!/usr/bin/env python3
"""Guichê's model services against llama.cpp's `llama-server` and llama-cpp-python's OpenAI server, side by side:
same GGUF files, same thread count, same inputs, runs alternating between the systems.

Usage: peers.py --system NAME EMBEDDINGS_URL GENERATION_URL [--system ...] [--runs N] [--quick]
URLs are OpenAI base URLs (ending in /v1). Prints Markdown tables of medians; never fails on speed.
"""
import argparse
import http.client
import json
import random
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

WORDS = (
    "condutor habilitação renovação carteira nacional exame médico psicológico prazo validade categoria "
    "infração gravíssima multa pontuação suspensão direito dirigir veículo automotor trânsito órgão "
    "executivo estadual resolução contran artigo parágrafo inciso alínea documento identidade comprovante "
    "residência taxa emissão segunda via permissão autoescola aula prática teórica legislação sinalização"
).split()


def passages(count, words=60, seed=7):
    rng = random.Random(seed)
    return ["passage: " + " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "." for _ in range(count)]


def post(url, path, payload, stream=False):
    parts = urlparse(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=900)
    connection.request("POST", parts.path + path, body=json.dumps(payload), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    if response.status != 200:
        raise RuntimeError(f"{url}{path}: {response.status} {response.read()[:300]!r}")
    if not stream:
        body = json.loads(response.read())
        connection.close()
        return body
    return connection, response


PREFIXING = set()  # systems whose embeddings endpoint adds e5's "passage: " itself


def embed(url, texts):
    # Both systems embed identical strings: "passage: " + text (Guichê adds the prefix itself).
    if url in PREFIXING:
        texts = [t.removeprefix("passage: ") for t in texts]
    return post(url, "/embeddings", {"input": texts, "model": "e5", "encoding_format": "float"})


def timed(function):
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def generation_prompt(seed=3, words=420):
    """A Portuguese RAG prompt: ~600 tokens with 420 context words, ~1,200 with 840."""
    rng = random.Random(seed)
    context = " ".join(rng.choice(WORDS) for _ in range(words))
    return [
        {"role": "system", "content": "Responda em português usando o contexto."},
        {"role": "user", "content": f"Contexto: {context}\n\nPergunta: escreva uma lista numerada e longa de orientações sobre a renovação da CNH."},
    ]


def stream_chat(url, messages, max_tokens):
    """Returns (time to first token, total time, chunks with text); a stream the server cuts
    short counts the pieces received (and is reported by the caller)."""
    try:
        return _stream_chat(url, messages, max_tokens)
    except (http.client.HTTPException, OSError, RuntimeError):
        return None, 0.0, 0


def _stream_chat(url, messages, max_tokens):
    start = time.perf_counter()
    connection, response = post(url, "/chat/completions", {
        "model": "qwen", "messages": messages, "max_tokens": max_tokens, "temperature": 0, "stream": True,
    }, stream=True)
    first, pieces, buffer = None, 0, b""
    while True:
        data = response.read1(65536) if hasattr(response, "read1") else response.read(65536)
        if not data:
            break
        buffer += data
        while b"\n\n" in buffer:
            event, buffer = buffer.split(b"\n\n", 1)
            event = event.strip()
            if not event.startswith(b"data: ") or event == b"data: [DONE]":
                continue
            chunk = json.loads(event[6:])
            for choice in chunk.get("choices", []):
                if choice.get("delta", {}).get("content"):
                    pieces += 1
                    if first is None:
                        first = time.perf_counter() - start
    connection.close()
    return first or 0.0, time.perf_counter() - start, pieces


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--system", nargs=3, action="append", metavar=("NAME", "EMBEDDINGS", "GENERATION"), required=True)
    parser.add_argument("--prefixing", action="append", default=[], metavar="EMBEDDINGS_URL",
                        help="an embeddings endpoint that adds e5's document prefix itself")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--quick", action="store_true", help="tiny inputs, one run: checks the harness only")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    PREFIXING.update(url.rstrip("/") for url in args.prefixing)
    texts = passages(64 if args.quick else 512)
    singles = texts[:5 if args.quick else 50]
    new_tokens = 8 if args.quick else 128
    messages = generation_prompt()
    systems = [(name, emb.rstrip("/"), gen.rstrip("/")) for name, emb, gen in args.system]
    results = {name: {} for name, _, _ in systems}

    def record(name, key, value):
        results[name].setdefault(key, []).append(value)

    for name, emb, gen in systems:  # warm-up
        embed(emb, texts[:8])
        stream_chat(gen, [{"role": "user", "content": "Oi"}], 2)
    for run in range(runs):
        # A fresh context per run and system, so the first time to first token is a cold one.
        for index, (name, emb, gen) in enumerate(systems):  # alternate systems within each run
            messages = generation_prompt(seed=100 + run * 10 + index)
            groups = [texts[i:i + 32] for i in range(0, len(texts), 32)]
            seconds = timed(lambda: [embed(emb, g) for g in groups])
            record(name, "emb_batches", len(texts) / seconds)
            seconds = timed(lambda: list(ThreadPoolExecutor(16).map(lambda g: embed(emb, g), groups)))
            record(name, "emb_concurrent", len(texts) / seconds)
            latencies = []
            for text in singles:
                latencies.append(timed(lambda: embed(emb, [text])))
            record(name, "emb_single_ms", statistics.median(latencies) * 1000)
            ttft, total, pieces = stream_chat(gen, messages, new_tokens)
            record(name, "gen_ttft", ttft)
            record(name, "gen_prefill_share", ttft / max(total, 1e-9))
            record(name, "gen_tps", (pieces - 1) / max(total - ttft, 1e-9))
            record(name, "gen_pieces", pieces)
            ttft2, _, _ = stream_chat(gen, messages, new_tokens)  # same prompt again: prefix reuse
            record(name, "gen_ttft_repeat_ratio", ttft2 / max(ttft, 1e-9))
            long_ttft, _, _ = stream_chat(gen, generation_prompt(seed=500 + run * 10 + index, words=840), 8)
            record(name, "gen_ttft_long", long_ttft)
            for streams, key in [(4, "gen_concurrent_tps"), (8, "gen_concurrent8_tps")]:
                variants = [messages[:1] + [{"role": "user", "content": messages[1]["content"] + f" ({streams}.{i})"}] for i in range(streams)]
                start = time.perf_counter()
                outcomes = list(ThreadPoolExecutor(streams).map(lambda m: stream_chat(gen, m, new_tokens), variants))
                record(name, key, sum(o[2] for o in outcomes) / (time.perf_counter() - start))
                record(name, key.replace("_tps", "_failed"), sum(1 for o in outcomes if o[0] is None))

    med = {name: {k: statistics.median(v) for k, v in r.items()} for name, r in results.items()}
    base = systems[0][0]
    rows = [
        ("embeddings, 512 texts as 16 sequential requests of 32 (texts/s)", "emb_batches", True),
        ("embeddings, 16 concurrent clients × 32 (texts/s)", "emb_concurrent", True),
        ("embeddings, single text latency (ms, median of 50)", "emb_single_ms", False),
        ("generation, time to first token (s), ~600-token prompt", "gen_ttft", False),
        ("generation, time to first token (s), ~1,200-token prompt", "gen_ttft_long", False),
        ("generation, share of the single request before its first token (prefill)", "gen_prefill_share", False),
        ("generation, tokens/s after the first, single stream", "gen_tps", True),
        ("generation, 4 concurrent streams, aggregate tokens/s", "gen_concurrent_tps", True),
        ("generation, 8 concurrent streams, aggregate tokens/s", "gen_concurrent8_tps", True),
        ("generation, same prompt again: time to first token / first time", "gen_ttft_repeat_ratio", False),
    ]
    names = [name for name, _, _ in systems]
    print("| measurement | " + " | ".join(names) + " | " + " | ".join(f"{base} / {n}" for n in names[1:]) + " |")
    print("|---" * (1 + len(names) + len(names) - 1) + "|")
    for label, key, _ in rows:
        values = [med[n][key] for n in names]
        ratios = [values[0] / v if v else float("nan") for v in values[1:]]
        print(f"| {label} | " + " | ".join(f"{v:.3f}" if v < 10 else f"{v:.1f}" for v in values) + " | "
              + " | ".join(f"{r:.2f}×" for r in ratios) + " |")
    print(f"\nmedians of {runs} run(s); generation pieces per stream: " + ", ".join(f"{n} {med[n]['gen_pieces']:.0f}" for n in names)
          + "; concurrent streams cut short by the server (of 4 / of 8): "
          + ", ".join(f"{n} {med[n]['gen_concurrent_failed']:.0f} / {med[n]['gen_concurrent8_failed']:.0f}" for n in names))


if __name__ == "__main__":
    main()
