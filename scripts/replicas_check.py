"""Two rag replicas (`guiche serve all`, on 127.0.0.1 only) on one PostgreSQL, as processes.

Usage: replicas_check.py GUICHE_BINARY

Starts PostgreSQL with pgvector (scripts/postgres_server.py) and two replicas over one data folder
and one collection, then checks, exiting 1 at the first failure:
  1. the second replica's startup sync waits for the first's and embeds nothing;
  2. both answer the same question identically;
  3. a document ingested through one is found by the other without a restart;
  4. during a burst of questions spread over both, one replica is killed (SIGKILL): every question
     is answered (a client retries once on the other replica when its connection fails);
  5. a replica killed in the middle of an ingest leaves no partial document: a new replica's sync
     converges (every document whole, its chunks all there).
"""

import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

from local_chatbot import ROOT, serve_all

QUESTION = "Quanto custa a segunda via da CNH?"
QUESTIONS = [
    QUESTION,
    "Qual o procedimento para renovação da CNH?",
    "Quantas aulas práticas a autoescola exige?",
    "O que acontece se eu dirigir depois de beber?",
]
NEW_DOCUMENT = """# Vistoria de veículos

A vistoria veicular de transferência custa R$ 143,20 e é agendada pelo aplicativo do DETRAN.
O veículo deve ser apresentado limpo, com o chassi legível e os vidros gravados.
"""


def call(base: str, path: str, body: dict | None = None, timeout: float = 120):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.load(response)


def ask(base: str, question: str) -> dict:
    return call(base, "/chat", {"pergunta": question})


def check(condition: bool, message: str):
    print(("ok   " if condition else "FAIL ") + message, flush=True)
    if not condition:
        sys.exit(1)


def main() -> int:
    binary = os.path.abspath(sys.argv[1])
    postgres = os.path.join(ROOT, ".build", "replicas-check-postgres")
    url = subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "postgres_server.py"), "start", postgres],
                         check=True, capture_output=True, text=True).stdout.strip()
    data = tempfile.mkdtemp(prefix="guiche-replicas-data-")
    subprocess.run(["cp", "-R", os.path.join(ROOT, "data") + "/.", data], check=True)
    environment = dict(DATABASE_URL=url, COLLECTION_NAME=f"replicas_{os.getpid()}", INDEX_REFRESH_SECONDS="1")
    try:
        with serve_all(binary, data=data, **environment) as (a, _, server_a, _), \
             serve_all(binary, data=data, **environment) as (b, _, server_b, _):
            documents = call(a, "/documents")["documentos"]
            check(len(documents) >= 6, f"replica A indexed the folder: {len(documents)} documents")
            report_b = call(b, "/ingest", {})
            check(report_b["chunks_embedded"] == 0 and not report_b["added"], "replica B's sync finds everything done (0 chunks embedded)")

            answer_a, answer_b = ask(a, QUESTION), ask(b, QUESTION)
            check(answer_a["resposta"] == answer_b["resposta"] and answer_a["fontes"] == answer_b["fontes"],
                  "both replicas answer the same question identically")

            with open(os.path.join(data, "vistoria.md"), "w") as file:
                file.write(NEW_DOCUMENT)
            report = call(a, "/ingest", {})
            check(report["added"] == ["vistoria.md"], f"replica A ingested the new document: {report['added']}")
            deadline = time.monotonic() + 15
            while True:
                found = ask(b, "Quanto custa a vistoria de transferência do veículo?")
                if any(source["documento"] == "vistoria.md" for source in found["fontes"]):
                    break
                check(time.monotonic() < deadline, "replica B finds the new document within 15 s, without a restart")
                time.sleep(0.5)
            check("143,20" in found["resposta"], "replica B answers from the new document: " + found["resposta"][:80].replace("\n", " "))

            # A burst over both replicas; B is killed after 2 s.
            results, failures = [], []

            def client(index: int):
                for n in range(10):
                    replicas = [a, b] if (index + n) % 2 == 0 else [b, a]
                    for attempt, base in enumerate(replicas):
                        try:
                            results.append(ask(base, QUESTIONS[(index + n) % len(QUESTIONS)]))
                            break
                        except (urllib.error.URLError, ConnectionError, OSError) as error:
                            if attempt == 1:
                                failures.append(f"{base}: {error}")

            clients = [threading.Thread(target=client, args=(i,)) for i in range(4)]
            for thread in clients:
                thread.start()
            time.sleep(2)
            server_b.kill()
            for thread in clients:
                thread.join()
            check(not failures and len(results) == 40, f"burst of 40 questions with replica B killed: {len(results)} answered, {len(failures)} failed")

            # A replica killed mid-ingest: A ingests a large new document and is killed while embedding it.
            with open(os.path.join(data, "longo.md"), "w") as file:
                for n in range(400):
                    file.write(f"## Seção {n}\n\nA regra número {n} da autoescola trata das aulas práticas e teóricas, "
                               f"da frequência mínima e da prova do DETRAN, item {n}.\n\n")
            outcome = []
            ingest = threading.Thread(target=lambda: outcome.append(call_quietly(a, "/ingest")))
            ingest.start()
            time.sleep(1.5)
            server_a.kill()
            ingest.join()
            check(outcome == [False], "replica A was killed before its ingest of longo.md (200 chunks) ended")
        with serve_all(binary, data=data, **environment) as (c, _, _, _):
            documents = {d["documento"]: d["trechos"] for d in call(c, "/documents")["documentos"]}
            files = sorted(name for name in os.listdir(data) if not name.startswith("."))
            check(sorted(documents) == files, f"a new replica's sync converges: {len(documents)} documents for {len(files)} files")
            stored = call(c, "/health")["chunks"]
            check(documents["longo.md"] > 0 and stored == sum(documents.values()),
                  f"every document is whole: longo.md has {documents['longo.md']} chunks; {stored} stored = the documents' {sum(documents.values())}")
    finally:
        subprocess.run([sys.executable, os.path.join(ROOT, "scripts", "postgres_server.py"), "stop", postgres], check=False)
        subprocess.run(["rm", "-rf", data], check=False)
    print("replicas check passed")
    return 0


def call_quietly(base: str, path: str) -> bool:
    """Whether the call got its answer."""
    try:
        call(base, path, {})
        return True
    except Exception:
        return False


if __name__ == "__main__":
    sys.exit(main())
