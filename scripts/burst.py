"""A 32-client burst on the all-in-one chatbot (`guiche serve all`), on 127.0.0.1 only.

Usage: burst.py GUICHE_BINARY [--answer-mode extrativa|gerada] [--clients 32] [--seconds 30]

Starts `guiche serve all` on a free local port over a copy of data/, warms it up, then runs the
clients for the given time: most ask /chat and wait for the whole answer (and, turned away, come
back after Retry-After), some stream /chat/stream to its end, and some leave early (a /chat or a
/chat/stream closed after a fraction of a second).
Exits 1 unless:
  - no client timed out or lost its connection (every request got an answer or a fast refusal);
  - every status is 200, or 429/503 with Retry-After, each with a JSON body when not 200;
  - the refusals' p95 is at most 100 ms;
  - one second after the last client left, no generation is running or queued (/metrics);
  - the process's RSS after the burst is at most 1.1x its RSS after the warm-up.
Prints one summary line per figure.
"""

import argparse
import json
import socket
import statistics
import sys
import threading
import time
import urllib.error
import urllib.request

from local_chatbot import serve_all
QUESTIONS = [
    "Qual o procedimento para renovação da CNH?",
    "Quais documentos preciso levar para renovar a carteira de motorista?",
    "Quanto custa a segunda via da CNH?",
    "Quantas aulas práticas a autoescola exige?",
    "O que acontece se eu dirigir depois de beber?",
    "Qual a validade do exame médico para a CNH?",
]
CLIENT_TIMEOUT = 60.0


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def post(url: str, path: str, body: dict, timeout: float = CLIENT_TIMEOUT):
    request = urllib.request.Request(url + path, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    return urllib.request.urlopen(request, timeout=timeout)


def metric(url: str, name: str) -> float:
    with urllib.request.urlopen(url + "/metrics", timeout=10) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " ") or line.startswith(name + "{"):
                return float(line.rsplit(" ", 1)[1])
    return 0.0


class Results:
    def __init__(self):
        self.lock = threading.Lock()
        self.answers: list[float] = []
        self.refusals: list[float] = []
        self.abandoned = 0
        self.failures: list[str] = []

    def fail(self, message: str):
        with self.lock:
            self.failures.append(message)


def ask(url: str, index: int, results: Results):
    """A citizen who waits for the whole answer (or the stream to its end)."""
    question = QUESTIONS[index % len(QUESTIONS)]
    path = "/chat/stream" if index % 8 == 7 else "/chat"
    started = time.monotonic()
    try:
        with post(url, path, {"pergunta": question}) as response:
            payload = response.read()
        elapsed = time.monotonic() - started
        if path == "/chat":
            answer = json.loads(payload)
            if not answer.get("resposta", "").strip():
                results.fail(f"200 without an answer: {payload[:200]!r}")
        elif not payload.rstrip().endswith(b"data: [DONE]"):
            results.fail(f"a stream that did not end with [DONE]: {payload[-200:]!r}")
        with results.lock:
            results.answers.append(elapsed)
    except urllib.error.HTTPError as error:
        elapsed = time.monotonic() - started
        body = error.read()
        if error.code not in (429, 503) or not error.headers.get("Retry-After"):
            results.fail(f"{error.code} {error.headers.get('Retry-After')!r}: {body[:200]!r}")
        try:
            json.loads(body)["error"]["message"]
        except Exception:
            results.fail(f"{error.code} without a JSON error body: {body[:200]!r}")
        with results.lock:
            results.refusals.append(elapsed)
        # A polite client comes back when told to.
        time.sleep(min(float(error.headers.get("Retry-After") or 1), 5))
    except Exception as error:  # timeouts and lost connections
        results.fail(f"{path} after {time.monotonic() - started:.1f} s: {error!r}")


def leave_early(port: int, index: int, results: Results):
    """A citizen who sends a question and closes the connection before the answer."""
    path = "/chat/stream" if index % 2 else "/chat"
    body = json.dumps({"pergunta": QUESTIONS[index % len(QUESTIONS)]}).encode()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
            connection.sendall(
                f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            time.sleep(0.3 + (index % 5) * 0.2)
        with results.lock:
            results.abandoned += 1
    except Exception as error:
        results.fail(f"leaving {path}: {error!r}")


def client(url: str, port: int, number: int, deadline: float, results: Results):
    asked = 0
    while time.monotonic() < deadline:
        if number % 8 == 3:
            leave_early(port, number + asked, results)
        else:
            ask(url, number + asked, results)
        asked += 1


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("binary")
    parser.add_argument("--answer-mode", default="extrativa")
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--seconds", type=float, default=30)
    args = parser.parse_args()

    with serve_all(args.binary, ANSWER_MODE=args.answer_mode) as (url, port, server, _):
        for question in QUESTIONS[:3]:
            with post(url, "/chat", {"pergunta": question}) as response:
                response.read()
        rss_before = rss_kib(server.pid)

        results = Results()
        deadline = time.monotonic() + args.seconds
        threads = [threading.Thread(target=client, args=(url, port, n, deadline, results)) for n in range(args.clients)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        time.sleep(1)
        running = metric(url, "generation_in_flight_sequences") + metric(url, "generation_queue_depth")
        rss_after = rss_kib(server.pid)

        answers, refusals = results.answers, results.refusals
        tried = len(answers) + len(refusals) + results.abandoned + len(results.failures)
        mode = args.answer_mode
        print(f"burst [{mode}]: {args.clients} clients for {args.seconds:.0f} s: {tried} requests, {len(answers)} answered, "
              f"{len(refusals)} shed (429/503), {results.abandoned} abandoned, {len(results.failures)} failed")
        if answers:
            print(f"burst [{mode}]: answers p50 {statistics.median(answers):.2f} s, p95 {percentile(answers, 0.95):.2f} s")
        if refusals:
            print(f"burst [{mode}]: refusals p50 {statistics.median(refusals) * 1000:.1f} ms, p95 {percentile(refusals, 0.95) * 1000:.1f} ms")
        print(f"burst [{mode}]: generations running or queued 1 s after the last client: {running:.0f}")
        print(f"burst [{mode}]: RSS {rss_before / 1024:.0f} MiB after warm-up, {rss_after / 1024:.0f} MiB after the burst "
              f"({rss_after / rss_before:.2f}x)")
        problems = list(results.failures[:10])
        if refusals and percentile(refusals, 0.95) > 0.1:
            problems.append(f"refusal p95 {percentile(refusals, 0.95) * 1000:.0f} ms > 100 ms")
        if running > 0:
            problems.append(f"{running:.0f} generations still running or queued 1 s after the clients left")
        if rss_after > 1.1 * rss_before:
            problems.append(f"RSS grew {rss_after / rss_before:.2f}x > 1.1x")
        if not answers:
            problems.append("no question was answered")
        for problem in problems:
            print(f"burst [{mode}]: FAIL {problem}", file=sys.stderr)
        return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
