#!/usr/bin/env python3
"""End to end: /chat latency split into embed / retrieve / first token / generate, and the share
that is not model time, for each deployment shape; then each process's peak memory.

Usage: chat_bench.py --shape NAME URL PID[,PID...] [--shape ...] [--runs N] [--quick]
Every shape gets the same questions in the same order (runs alternate between shapes); each
question is asked once per run, so prompts are never identical between runs. The split comes from
the answer's `tempos` (measured inside the rag service); `modelo` is the models' own time
(question embedding + the generator's account of queueing, prompt and decoding), and
overhead = client-observed latency − modelo. Prints Markdown; never fails on speed.
"""
import argparse
import json
import statistics
import time
import urllib.request

QUESTIONS = [
    "Qual o procedimento para renovação da CNH?",
    "Quais documentos são necessários para renovar a carteira de motorista?",
    "Quanto custa a taxa de renovação da CNH?",
    "Quantas horas de aula prática a autoescola exige?",
    "O que acontece se eu dirigir com a CNH vencida?",
    "Motoristas profissionais precisam de avaliação psicológica?",
    "Qual o valor da segunda via da habilitação?",
    "Como funciona o exame de direção?",
    "Quem pode ser instrutor de autoescola?",
    "Qual a multa por dirigir sem habilitação?",
    "Como agendar o atendimento no DETRAN?",
    "O exame médico é obrigatório na renovação?",
    "Quanto tempo vale a permissão para dirigir?",
    "Quais categorias precisam de exame toxicológico?",
    "Como pedir a segunda via da CNH?",
]


def ask(url: str, question: str) -> dict:
    request = urllib.request.Request(
        url + "/chat", data=json.dumps({"pergunta": question}).encode(), headers={"Content-Type": "application/json"})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=900) as response:
        body = json.loads(response.read())
    body["client_ms"] = (time.perf_counter() - started) * 1000
    return body


def peak_rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--shape", nargs=3, action="append", metavar=("NAME", "URL", "PIDS"), required=True)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one question, one run: checks the harness only")
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    per_run = 1 if args.quick else len(QUESTIONS) // runs
    answers = {name: [] for name, _, _ in args.shape}
    for run in range(runs):
        questions = QUESTIONS[run * per_run:(run + 1) * per_run]
        shapes = args.shape if run % 2 == 0 else list(reversed(args.shape))
        for name, url, _ in shapes:
            for question in questions:
                answers[name].append(ask(url, question))
    print("| shape | answers (refused) | client latency | embedding | search | first token | generation | model time | not model time |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, measured in answers.items():
        generated = [a for a in measured if a["tempos"].get("primeiro_token") is not None and a["fontes"]]
        refused = len(measured) - len(generated)
        rows = generated or measured

        def median(key):
            return statistics.median(a["tempos"][key] for a in rows if a["tempos"].get(key) is not None)

        client = statistics.median(a["client_ms"] for a in rows)
        overhead = [(a["client_ms"] - a["tempos"]["modelo"]) for a in rows]
        share = statistics.median(o / a["client_ms"] for o, a in zip(overhead, rows))
        print(f"| {name} | {len(measured)} ({refused}) | {client:.0f} ms | {median('embedding'):.1f} ms | {median('busca'):.1f} ms | "
              f"{median('primeiro_token'):.0f} ms | {median('geracao'):.0f} ms | {median('modelo'):.0f} ms | "
              f"{statistics.median(overhead):.1f} ms ({share * 100:.1f} %) |")
    print()
    print("Peak resident memory (VmHWM) after the run:")
    print()
    print("| shape | process | peak RSS |")
    print("|---|---|---|")
    for name, _, pids in args.shape:
        for entry in pids.split(","):
            label, pid = entry.split("=")
            print(f"| {name} | {label} | {peak_rss_mib(int(pid)):.0f} MiB |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
