"""A burst of /chat requests against a deployed Guichê, killing a replica during it.

Usage: swarm_burst.py URL[,URL...] COUNT CONCURRENCY KILL_AFTER_SECONDS KILL_COMMAND...

Sends COUNT requests (CONCURRENCY at a time) to URL/chat — with several URLs (rag replicas), spread
over them, a request whose connection fails retried once on the next one, as a client behind a
load balancer would — runs KILL_COMMAND once KILL_AFTER_SECONDS have passed (while requests are in
flight), and exits 1 unless every request got HTTP 200 with a non-empty answer and sources. Prints
one line per request and a summary.
"""

import concurrent.futures
import json
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

QUESTIONS = [
    "Qual o procedimento para renovação da CNH?",
    "Quais documentos preciso levar para renovar a carteira de motorista?",
    "Quanto custa a taxa de renovação da CNH no DETRAN?",
    "Quantas aulas práticas a autoescola exige?",
]


completed = 0
completed_lock = threading.Lock()


def ask(urls: list[str], index: int) -> tuple[int, int, float, str]:
    global completed
    try:
        first = urls[index % len(urls)]
        result = send(first, index)
        if result[1] == 0 and len(urls) > 1:  # the connection failed: once more, on the next replica
            retried = send(urls[(index + 1) % len(urls)], index)
            return retried[0], retried[1], retried[2], f"(retried after {result[3][:60]}) {retried[3]}"
        return result
    finally:
        with completed_lock:
            completed += 1


def send(url: str, index: int) -> tuple[int, int, float, str]:
    question = QUESTIONS[index % len(QUESTIONS)]
    body = json.dumps({"pergunta": question}).encode()
    request = urllib.request.Request(url + "/chat", data=body, headers={"Content-Type": "application/json"})
    started = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=600) as response:
            payload = json.loads(response.read())
            status = response.status
    except urllib.error.HTTPError as error:
        return index, error.code, time.monotonic() - started, error.read().decode(errors="replace")[:300]
    except Exception as error:  # connection failures count as failed requests
        return index, 0, time.monotonic() - started, repr(error)
    elapsed = time.monotonic() - started
    answer = payload.get("resposta", "")
    sources = payload.get("fontes", [])
    if status == 200 and (not answer.strip() or not sources):
        return index, -1, elapsed, f"empty answer or no sources: {payload}"
    return index, status, elapsed, answer.replace("\n", " ")[:100]


def main() -> int:
    urls, count, concurrency, kill_after = sys.argv[1].split(","), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4])
    kill_command = sys.argv[5:]
    started = time.monotonic()
    killed = threading.Event()
    in_flight_at_kill = []

    def kill() -> None:
        time.sleep(kill_after)
        with completed_lock:
            in_flight_at_kill.append(count - completed)
        result = subprocess.run(kill_command, capture_output=True, text=True)
        print(f"[{time.monotonic() - started:6.1f}s] killed a replica: {' '.join(kill_command)} -> "
              f"rc={result.returncode} {result.stdout.strip()} {result.stderr.strip()}", flush=True)
        killed.set()

    killer = threading.Thread(target=kill)
    killer.start()
    failures = 0
    with concurrent.futures.ThreadPoolExecutor(max_workers=concurrency) as pool:
        for index, status, elapsed, text in pool.map(lambda i: ask(urls, i), range(count)):
            ok = status == 200
            failures += 0 if ok else 1
            print(f"[{time.monotonic() - started:6.1f}s] request {index + 1:2d}: {'ok ' if ok else 'FAILED'} "
                  f"HTTP {status} in {elapsed:5.1f}s  {text}", flush=True)
    killer.join()
    unfinished = in_flight_at_kill[0] if in_flight_at_kill else 0
    print(f"burst: {count - failures}/{count} requests succeeded in {time.monotonic() - started:.1f}s; "
          f"a replica was killed with {unfinished} requests unfinished", flush=True)
    return 0 if failures == 0 and killed.is_set() and unfinished > 0 else 1


if __name__ == "__main__":
    sys.exit(main())
