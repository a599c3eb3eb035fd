#!/usr/bin/env python3
"""Throughput of Guichê's embedding and generator services over HTTP (stdlib only).

Usage: services_bench.py EMBEDDING_URL GENERATOR_URL [--runs N]
Prints medians of N runs (default 3) as Markdown table rows.
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
    return [" ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "." for _ in range(count)]


def post(url, path, payload):
    parts = urlparse(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=600)
    connection.request("POST", path, body=json.dumps(payload), headers={"Content-Type": "application/json"})
    response = connection.getresponse()
    body = response.read()
    connection.close()
    if response.status != 200:
        raise RuntimeError(f"{path}: {response.status} {body[:200]!r}")
    return json.loads(body)


def timed(function):
    start = time.perf_counter()
    result = function()
    return time.perf_counter() - start, result


def embeddings(url, runs):
    texts = passages(512)
    groups = [texts[i:i + 32] for i in range(0, 512, 32)]
    shapes = {
        "16 concurrent requests of 32": lambda: list(ThreadPoolExecutor(16).map(lambda g: post(url, "/embed", {"texts": g}), groups)),
        "16 sequential requests of 32": lambda: [post(url, "/embed", {"texts": g}) for g in groups],
        "512 sequential requests of 1": lambda: [post(url, "/embed", {"texts": [t]}) for t in texts],
    }
    post(url, "/embed", {"texts": texts[:32]})  # warm-up
    for name, run in shapes.items():
        seconds = statistics.median(timed(run)[0] for _ in range(runs))
        print(f"| embeddings, {name} | {512 / seconds:.1f} texts/s | {seconds:.2f} s |")


def generation(url, runs):
    payload = {"prompt": "Escreva uma lista numerada de 40 dicas para quem vai renovar a CNH.", "max_tokens": 128, "temperature": 0}
    post(url, "/generate", dict(payload, max_tokens=4))  # warm-up
    for concurrency in (1, 4):
        rates = []
        for _ in range(runs):
            seconds, results = timed(lambda: list(ThreadPoolExecutor(concurrency).map(lambda _: post(url, "/generate", payload), range(concurrency))))
            tokens = sum(r["usage"]["completion_tokens"] for r in results)
            rates.append((tokens / seconds, tokens, seconds))
        rate, tokens, seconds = sorted(rates)[len(rates) // 2]
        print(f"| generation, {concurrency} concurrent × 128 tokens | {rate:.1f} tokens/s aggregate | {tokens} tokens in {seconds:.2f} s |")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("embedding_url")
    parser.add_argument("generator_url")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    print("| measurement | throughput | median time |")
    print("|---|---|---|")
    embeddings(args.embedding_url, args.runs)
    generation(args.generator_url, args.runs)


if __name__ == "__main__":
    main()
