"""Ingest: `guiche ingest` against llama-server's /v1/embeddings and the original system's pipeline
(llama-cpp-python in-process, its defaults) on the same texts.

Usage: ingest.py --binary GUICHE --llama-server LLAMA_SERVER --data DIR [--copies N] [--runs R]

For each run (systems alternating): Guichê indexes DIR (with `--copies N`, N copies of every file,
each with a different content hash: a synthetic collection N times larger) into a fresh database
and writes the texts it embedded (`--embedded-texts`); llama-server (8 slots, batch 4096, the
bench/compare settings) then embeds those very texts, e5's "passage: " prefix added as Guichê adds
it, in requests of 32 (EMBEDDING_BATCH_SIZE); llama-cpp-python embeds them in-process in batches of
32 with its defaults, as the original system did. Guichê's time is the whole ingest (reading,
converting, chunking, embedding, storing, calibrating refusals) and its split; the peers' is
embedding only. Tokens are each engine's own count (the same GGUF tokenizer, special tokens
included). Peak RSS: Guichê's process, llama-server's process, the llama-cpp-python process.
Prints Markdown; medians over runs.
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODEL = os.path.join(ROOT, "models/embeddings/multilingual-e5-small-pt-q4_0.gguf")
BATCH = 32


def collection(data: str, copies: int, folder: str) -> str:
    if copies <= 1:
        return data
    target = os.path.join(folder, "data")
    os.makedirs(target)
    for name in sorted(os.listdir(data)):
        source = os.path.join(data, name)
        if not os.path.isfile(source) or name.startswith("."):
            continue
        stem, extension = os.path.splitext(name)
        content = open(source, "rb").read()
        for copy in range(copies):
            marker = f"\n<!-- cópia {copy} -->\n" if extension.lower() in (".htm", ".html") else f"\n\n(Cópia {copy}.)\n"
            with open(os.path.join(target, f"{stem}-{copy}{extension}"), "wb") as file:
                file.write(content + marker.encode())
    return target


def run_guiche(binary: str, data: str, folder: str, threads: int) -> dict:
    database, texts = os.path.join(folder, "db"), os.path.join(folder, "texts.jsonl")
    shutil.rmtree(database, ignore_errors=True)
    environment = dict(os.environ, N_THREADS=str(threads), LOGS_DIR=os.path.join(folder, "logs"))
    started = time.perf_counter()
    result = subprocess.run(["/usr/bin/time", "-v", binary, "ingest", "--data-directory", data, "--database-directory", database,
                             "--embedded-texts", texts], capture_output=True, text=True, env=environment, cwd=ROOT)
    wall = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(result.stdout + result.stderr)
    summary = re.search(r"(\d+) chunks embedded \((\d+) tokens\)", result.stdout)
    phases = re.search(r"loading ([\d.]+) s, chunking ([\d.]+) s, embedding ([\d.]+) s, storing ([\d.]+) s", result.stdout)
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", result.stderr).group(1)) / 1024
    return {"texts": int(summary.group(1)), "tokens": int(summary.group(2)), "seconds": wall, "rss_mib": rss,
            "phases": [float(x) for x in phases.groups()], "texts_file": texts}


def read_texts(path: str) -> list[str]:
    with open(path) as file:
        return [json.loads(line) for line in file]


def run_llama_server(url: str, pid: int, texts: list[str]) -> dict:
    tokens = 0
    started = time.perf_counter()
    for first in range(0, len(texts), BATCH):
        body = json.dumps({"input": ["passage: " + t for t in texts[first:first + BATCH]], "model": "e5"}).encode()
        request = urllib.request.Request(url + "/v1/embeddings", data=body, headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=600) as response:
            tokens += json.load(response)["usage"]["prompt_tokens"]
    seconds = time.perf_counter() - started
    rss = int(re.search(r"VmHWM:\s+(\d+)", open(f"/proc/{pid}/status").read()).group(1)) / 1024
    return {"texts": len(texts), "tokens": tokens, "seconds": seconds, "rss_mib": rss}


LLAMA_CPP_PYTHON = r'''
import json, resource, sys, time
from llama_cpp import Llama
texts = [json.loads(line) for line in open(sys.argv[1])]
llm = Llama(model_path=sys.argv[2], embedding=True, n_threads=int(sys.argv[3]), verbose=False)
tokens = 0
started = time.perf_counter()
for first in range(0, len(texts), 32):
    tokens += llm.create_embedding(["passage: " + t for t in texts[first:first + 32]])["usage"]["prompt_tokens"]
seconds = time.perf_counter() - started
print(json.dumps({"texts": len(texts), "tokens": tokens, "seconds": seconds,
                  "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
'''


def run_llama_cpp_python(texts_file: str, threads: int) -> dict:
    result = subprocess.run([sys.executable, "-c", LLAMA_CPP_PYTHON, texts_file, MODEL, str(threads)], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(result.stderr[-2000:])
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--llama-server", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="guiche-ingest-bench-")
    port = 18241
    server = subprocess.Popen([args.llama_server, "-m", MODEL, "--embeddings", "--host", "127.0.0.1", "--port", str(port),
                               "-t", str(args.threads), "-tb", str(args.threads), "-c", "16384", "-np", "8", "-b", "4096",
                               "-ub", "4096", "--log-disable"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(url + "/health", timeout=2)
                break
            except Exception:
                time.sleep(0.5)
        data = collection(args.data, args.copies, folder)
        measured = {"guiche": [], "llama-server": [], "llama-cpp-python": []}
        texts = None
        for run in range(args.runs):
            order = ["guiche", "llama-server", "llama-cpp-python"]
            for system in order if run % 2 == 0 else ["guiche"] + order[:0:-1]:  # Guichê first: it writes the texts
                if system == "guiche":
                    measured[system].append(run_guiche(args.binary, data, folder, args.threads))
                    texts = texts or read_texts(measured[system][-1]["texts_file"])
                elif system == "llama-server":
                    measured[system].append(run_llama_server(url, server.pid, texts))
                else:
                    measured[system].append(run_llama_cpp_python(measured["guiche"][0]["texts_file"], args.threads))
                print(f"run {run + 1}/{args.runs}: {system} done", file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.wait()
        shutil.rmtree(folder, ignore_errors=True)

    def median(system, key):
        return statistics.median(m[key] for m in measured[system])

    peer = median("llama-server", "tokens") / median("llama-server", "seconds")
    files = len([n for n in os.listdir(args.data) if not n.startswith(".")]) * max(args.copies, 1)
    print(f"{files} documents, {median('guiche', 'texts'):.0f} units; threads {args.threads}; medians of {args.runs} run(s)\n")
    print("| system | what is timed | units | tokens | seconds | tokens/s | tokens/s ÷ llama-server | peak RSS |")
    print("|---|---|---|---|---|---|---|---|")
    what = {"guiche": "the whole `guiche ingest` (process start to exit)", "llama-server": "/v1/embeddings, requests of 32",
            "llama-cpp-python": "in-process `create_embedding`, batches of 32"}
    for system in measured:
        tokens, seconds = median(system, "tokens"), median(system, "seconds")
        print(f"| {system} | {what[system]} | {median(system, 'texts'):.0f} | {tokens:.0f} | {seconds:.2f} | {tokens / seconds:,.0f} | "
              f"{tokens / seconds / peer:.2f}× | {median(system, 'rss_mib'):.0f} MiB |")
    phases = [statistics.median(m["phases"][i] for m in measured["guiche"]) for i in range(4)]
    embedding_rate = median("guiche", "tokens") / phases[2]
    print(f"\nGuichê's ingest split (median seconds): loading {phases[0]:.2f}, chunking {phases[1]:.2f}, embedding {phases[2]:.2f}, "
          f"storing {phases[3]:.2f}; the rest of the wall time is process start, model load and refusal calibration. "
          f"Embedding alone: {embedding_rate:,.0f} tokens/s = {embedding_rate / peer:.2f}× llama-server.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
