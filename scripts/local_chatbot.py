"""`guiche serve all` on 127.0.0.1 over a copy of data/, for the load and browser checks."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_all(binary: str, data: str | None = None, **environment):
    """Starts the chatbot (extra environment variables as keywords) over `data` (default: a copy of
    data/), waits until it is ready, and yields (base URL, port, process, work folder); stops it
    with SIGTERM and removes the folder."""
    work = tempfile.mkdtemp(prefix="guiche-local-")
    if data is None:
        data = os.path.join(work, "data")
        shutil.copytree(os.path.join(ROOT, "data"), data)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = dict(os.environ, DATA_DIR=data, RAG_DB_DIR=os.path.join(work, "db"),
               LOGS_DIR=os.path.join(work, "logs"), N_THREADS="2", LOG_LEVEL="warning", **environment)
    errors = os.path.join(work, "server.err")
    server = subprocess.Popen([binary, "serve", "all", "--host", "127.0.0.1", "--port", str(port)], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=open(errors, "w"))
    try:
        started = time.monotonic()
        while True:
            if server.poll() is not None:
                raise RuntimeError("guiche serve all exited: " + open(errors).read()[-3000:])
            try:
                with urllib.request.urlopen(base + "/health/ready", timeout=5):
                    break
            except Exception:
                if time.monotonic() - started > 600:
                    raise RuntimeError("not ready after 600 s")
                time.sleep(0.5)
        yield base, port, server, work
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(work, ignore_errors=True)
