"""`seatbot serve` as a real process, started, killed and started again by a test."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from standin import SlackStandIn
from tests.slack.conftest import SIGNING_SECRET


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Served:
    url: str
    process: subprocess.Popen[bytes]

    def kill9(self) -> None:
        """SIGKILL: no handler, no cleanup, no flush, as when a node dies."""
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        return self.process.stdout.read().decode(errors="replace") if self.process.stdout else ""


def serve(
    slack: SlackStandIn,
    db_url: str,
    cwd: Path,
    *,
    port: int | None = None,
    environment: dict[str, str] | None = None,
) -> Served:
    """Start `seatbot serve` and return once `/healthz` answers (polling a process start,
    not a schedule: there is nothing else to wait on)."""
    port = port or free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": db_url,
        **(environment or {}),
    }
    env.pop("SEATBOT_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                return Served(url, process)
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                out = process.stdout.read().decode(errors="replace") if process.stdout else ""
                process.kill()
                raise AssertionError(f"seatbot serve did not come up:\n{out}") from None
            time.sleep(0.1)
