"""Runs the `seatbot` command line with a SQL statement counter the benchmark can read.

Started by the benchmark as ``python -c "import benchmarks.probe; benchmarks.probe.main()" serve …``.
Every statement any engine in the process sends to the database (request threads,
workers, sender, scheduler) goes through SQLAlchemy's ``before_cursor_execute``;
the running total is served as plain text on ``GET /`` of a tiny listener on
``127.0.0.1:$SEATBOT_BENCH_PROBE_PORT``, so the benchmark reads it from outside
without touching seatbot's own code or endpoints.
"""

from __future__ import annotations

import os
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

PORT_VARIABLE = "SEATBOT_BENCH_PROBE_PORT"

_lock = threading.Lock()
_statements = 0


def _count(*_: Any) -> None:
    global _statements
    with _lock:
        _statements += 1


def statements() -> int:
    with _lock:
        return _statements


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = str(statements()).encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # quiet: one line per read is noise
        return


def main() -> None:
    event.listen(Engine, "before_cursor_execute", _count)
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ[PORT_VARIABLE])), _Handler)
    threading.Thread(target=server.serve_forever, name="bench-probe", daemon=True).start()
    from bot.runtime.cli import main as seatbot

    seatbot(prog_name="seatbot")
