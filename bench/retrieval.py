"""Retrieval: Guichê's store and exact index against FAISS IndexFlatIP and ChromaDB.

Same vectors for every system: unit-length float32, dimension 384, clustered like sentence
embeddings (200 topics), seeded; queries are perturbed members of random topics. For each size:
  - store: Guichê writes the collection store (SQLite, one transaction per 100-chunk document,
    text for its keyword index, as `guiche ingest` does); ChromaDB PersistentClient adds the same
    ids, vectors, texts and metadata in its largest batches; FAISS adds to an in-memory IndexFlatIP;
  - load: Guichê reads the store back into its in-memory exact index (what a restart costs);
  - query: one query at a time, k = 10, latency p50/p99; FAISS pinned to one thread;
  - recall@10 against FAISS (exact): Guichê must be 1.0 (ties within 1e-5 count as equal);
    ChromaDB's HNSW is approximate;
  - PostgreSQL + pgvector (the replicated store's engine; scripts/postgres_server.py starts it):
    COPY into a `vector(384)` column, then `ORDER BY embedding <#> q LIMIT 10` exact (no index) and
    with an HNSW index (`vector_ip_ops`, m 16, ef_construction 64, ef_search 40: pgvector's
    defaults), whose build time is reported as its store time.
Systems alternate within each run; medians over runs. Prints a JSON summary to stdout.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

DIM = 384
K = 10


def make_data(count: int, queries: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    topics = rng.standard_normal((200, DIM)).astype(np.float32)
    topics /= np.linalg.norm(topics, axis=1, keepdims=True)
    members = topics[rng.integers(0, len(topics), count)] + 0.08 * rng.standard_normal((count, DIM)).astype(np.float32)
    members /= np.linalg.norm(members, axis=1, keepdims=True)
    asked = topics[rng.integers(0, len(topics), queries)] + 0.08 * rng.standard_normal((queries, DIM)).astype(np.float32)
    asked /= np.linalg.norm(asked, axis=1, keepdims=True)
    return members.astype(np.float32), asked.astype(np.float32)


def percentile(values, q):
    return float(np.percentile(np.asarray(values), q))


def run_guiche(binary: str, vectors: np.ndarray, queries: np.ndarray, folder: str) -> dict:
    vectors_path, queries_path, out = (os.path.join(folder, name) for name in ("v.f32", "q.f32", "out.json"))
    vectors.tofile(vectors_path)
    queries.tofile(queries_path)
    subprocess.run([binary, vectors_path, queries_path, str(DIM), str(K), out], check=True)
    with open(out) as f:
        result = json.load(f)
    return {"store_s": result["store_s"], "load_s": result["load_s"], "latencies_ms": result["latencies_ms"],
            "results": result["results"]}


def run_faiss(vectors: np.ndarray, queries: np.ndarray) -> dict:
    import faiss
    faiss.omp_set_num_threads(1)
    index = faiss.IndexFlatIP(DIM)
    started = time.perf_counter()
    index.add(vectors)
    store_s = time.perf_counter() - started
    for q in queries[:3]:
        index.search(q[None, :], K)  # warm up
    latencies, results, scores = [], [], []
    for q in queries:
        started = time.perf_counter()
        distances, rows = index.search(q[None, :], K)
        latencies.append((time.perf_counter() - started) * 1000)
        results.append(rows[0].tolist())
        scores.append(distances[0].tolist())
    return {"store_s": store_s, "latencies_ms": latencies, "results": results, "scores": scores}


def run_chroma(vectors: np.ndarray, queries: np.ndarray, folder: str) -> dict:
    import chromadb
    from chromadb.config import Settings
    path = os.path.join(folder, "chroma")
    client = chromadb.PersistentClient(path=path, settings=Settings(anonymized_telemetry=False))
    collection = client.create_collection("bench", metadata={"hnsw:space": "ip"}, embedding_function=None)
    batch = client.get_max_batch_size()
    ids = [str(row) for row in range(len(vectors))]
    texts = [f"Art. {row}. Trecho sintético número {row} do documento de teste." for row in range(len(vectors))]
    metadatas = [{"documento": f"documento-{row // 100}.txt"} for row in range(len(vectors))]
    started = time.perf_counter()
    for first in range(0, len(vectors), batch):
        last = first + batch
        collection.add(ids=ids[first:last], embeddings=vectors[first:last], documents=texts[first:last], metadatas=metadatas[first:last])
    store_s = time.perf_counter() - started
    for q in queries[:3]:
        collection.query(query_embeddings=[q], n_results=K)
    latencies, results = [], []
    for q in queries:
        started = time.perf_counter()
        answer = collection.query(query_embeddings=[q], n_results=K, include=["distances"])
        latencies.append((time.perf_counter() - started) * 1000)
        results.append([int(i) for i in answer["ids"][0]])
    del collection, client
    return {"store_s": store_s, "latencies_ms": latencies, "results": results}


def run_pgvector(vectors: np.ndarray, queries: np.ndarray, url: str, hnsw: bool) -> dict:
    import psycopg
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute("CREATE EXTENSION IF NOT EXISTS vector")
        connection.execute("DROP TABLE IF EXISTS bench")
        connection.execute(f"CREATE TABLE bench (id int PRIMARY KEY, embedding vector({DIM}))")
        started = time.perf_counter()
        with connection.cursor().copy("COPY bench (id, embedding) FROM STDIN") as copy:
            for row, vector in enumerate(vectors):
                copy.write_row((row, "[" + ",".join(f"{x:.9g}" for x in vector) + "]"))
        if hnsw:
            connection.execute("CREATE INDEX ON bench USING hnsw (embedding vector_ip_ops)")
        connection.execute("ANALYZE bench")
        store_s = time.perf_counter() - started
        literal = ["[" + ",".join(f"{x:.9g}" for x in q) + "]" for q in queries]
        query = "SELECT id FROM bench ORDER BY embedding <#> %s::vector LIMIT 10"
        for q in literal[:3]:
            connection.execute(query, (q,)).fetchall()
        latencies, results = [], []
        for q in literal:
            started = time.perf_counter()
            rows = connection.execute(query, (q,)).fetchall()
            latencies.append((time.perf_counter() - started) * 1000)
            results.append([r[0] for r in rows])
        connection.execute("DROP TABLE bench")
    return {"store_s": store_s, "latencies_ms": latencies, "results": results}


def recall(results, exact, exact_scores, vectors, queries) -> float:
    """Share of FAISS's top 10 found; a miss whose score ties FAISS's 10th (within 1e-5) counts."""
    hits = 0
    for q, (got, want, scores) in enumerate(zip(results, exact, exact_scores)):
        wanted = set(want)
        for row in got:
            if row in wanted or float(vectors[row] @ queries[q]) >= scores[-1] - 1e-5:
                hits += 1
    return hits / (len(exact) * K)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True, help="the retrieval-bench executable")
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-chroma", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--json", action="store_true", help="print JSON instead of Markdown")
    args = parser.parse_args()
    summary = {}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    postgres_folder = os.path.join(root, ".build", "bench-postgres")
    url = None
    if not args.no_postgres:
        url = subprocess.run([sys.executable, os.path.join(root, "scripts", "postgres_server.py"), "start", postgres_folder],
                             check=True, capture_output=True, text=True).stdout.strip()
    try:
        measure(args, summary, url)
    finally:
        if url:
            subprocess.run([sys.executable, os.path.join(root, "scripts", "postgres_server.py"), "stop", postgres_folder], check=False)
    report(args, summary)
    return 0


def measure(args, summary: dict, url: str | None):
    for size in (int(s) for s in args.sizes.split(",")):
        vectors, queries = make_data(size, args.queries, seed=size)
        runs = {"guiche": [], "faiss": [], "chroma": [], "pgvector": [], "pgvector_hnsw": []}
        for run in range(args.runs):
            folder = tempfile.mkdtemp(prefix="guiche-retrieval-")
            try:
                order = ["guiche", "faiss", "chroma", "pgvector", "pgvector_hnsw"]
                for system in order if run % 2 == 0 else reversed(order):
                    if system == "chroma" and args.no_chroma or system.startswith("pgvector") and not url:
                        continue
                    if system == "guiche":
                        runs[system].append(run_guiche(args.binary, vectors, queries, folder))
                    elif system == "faiss":
                        runs[system].append(run_faiss(vectors, queries))
                    elif system == "chroma":
                        runs[system].append(run_chroma(vectors, queries, folder))
                    else:
                        runs[system].append(run_pgvector(vectors, queries, url, hnsw=system == "pgvector_hnsw"))
                    print(f"size {size} run {run + 1}/{args.runs}: {system} done", file=sys.stderr, flush=True)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        exact = runs["faiss"][0]
        entry = {}
        for system, measured in runs.items():
            if not measured:
                continue
            entry[system] = {
                "store_s": float(np.median([m["store_s"] for m in measured])),
                "p50_ms": float(np.median([percentile(m["latencies_ms"], 50) for m in measured])),
                "p99_ms": float(np.median([percentile(m["latencies_ms"], 99) for m in measured])),
                "recall_at_10": recall(measured[0]["results"], exact["results"], exact["scores"], vectors, queries),
            }
            if "load_s" in measured[0]:
                entry[system]["load_s"] = float(np.median([m["load_s"] for m in measured]))
        summary[str(size)] = entry


def report(args, summary: dict):
    if args.json:
        print(json.dumps({"dimensions": DIM, "k": K, "queries": args.queries, "runs": args.runs, "sizes": summary}, indent=1))
        return
    print(f"| vectors | system | store | load into memory | query p50 | query p99 | recall@10 vs FAISS | p50 / FAISS | store / ChromaDB |")
    print("|---|---|---|---|---|---|---|---|---|")
    names = {"guiche": "Guichê (SQLite + exact SIMD)", "faiss": "FAISS IndexFlatIP, 1 thread", "chroma": "ChromaDB PersistentClient (HNSW)",
             "pgvector": "PostgreSQL + pgvector, exact", "pgvector_hnsw": "PostgreSQL + pgvector, HNSW (store = COPY + index build)"}
    for size, entry in summary.items():
        for system, m in entry.items():
            load = f"{m['load_s']:.3f} s" if "load_s" in m else "—"
            p50_ratio = m["p50_ms"] / entry["faiss"]["p50_ms"]
            store_ratio = f"{m['store_s'] / entry['chroma']['store_s']:.3f}×" if "chroma" in entry else "—"
            print(f"| {int(size):,} | {names[system]} | {m['store_s']:.3f} s | {load} | {m['p50_ms']:.3f} ms | {m['p99_ms']:.3f} ms | "
                  f"{m['recall_at_10']:.4f} | {p50_ratio:.2f}× | {store_ratio} |")
    print(f"\ndimension {DIM}, k = {K}, {args.queries} queries one at a time, medians of {args.runs} run(s)")


if __name__ == "__main__":
    sys.exit(main())
