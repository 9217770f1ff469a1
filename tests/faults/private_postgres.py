"""A PostgreSQL cluster of the test's own, on a free port, that it may stop and start.

The shared server on 127.0.0.1:5432 serves every engineer and the suite: it is never
touched. initdb refuses to run as root, so the cluster belongs to the `postgres` user,
in a temporary directory that user owns.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from tests.faults.processes import free_port


def binaries() -> Path | None:
    """The newest installed server's bin directory, if any, and a way to run it unprivileged."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found or shutil.which("runuser") is None or os.geteuid() != 0:
        return None
    return Path(found[-1]).parent


@dataclass
class PrivatePostgres:
    bin: Path
    root: Path
    port: int

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run(
            ["runuser", "-u", "postgres", "--", *args], check=True, capture_output=True, timeout=120
        )

    def init(self) -> None:
        self._run(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.root / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        """A fast shutdown: open connections are cut, as in a failover or a restart."""
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def private_postgres(bin: Path) -> PrivatePostgres:
    root = Path(tempfile.mkdtemp(prefix="seatbot-pg-"))
    shutil.chown(root, "postgres", "postgres")
    os.chmod(root, 0o700)
    server = PrivatePostgres(bin=bin, root=root, port=free_port())
    server.init()
    server.start()
    return server
