"""The processes under test, seen from outside: start, wait for /healthz, read
CPU and memory from /proc, read the SQL probe, stop (always, also on Ctrl-C)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from benchmarks.probe import PORT_VARIABLE

ROOT = Path(__file__).resolve().parents[1]
STARTUP_LIMIT = 60.0  # seconds; a server that takes longer is broken, not slow


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    """One server subprocess on loopback."""

    name: str
    process: subprocess.Popen[bytes]
    port: int
    log_path: Path
    probe_port: int | None = None
    startup_s: float = 0.0
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/slack/events"

    def cpu_seconds(self) -> float:
        """utime + stime of the server process (all its threads)."""
        return _cpu_seconds(self.process.pid)

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise RuntimeError("no VmRSS in /proc status")

    def sql_statements(self) -> int | None:
        if self.probe_port is None:
            return None
        with urllib.request.urlopen(f"http://127.0.0.1:{self.probe_port}/", timeout=10) as reply:
            return int(reply.read())

    def log_count(self, needle: str) -> int:
        """Lines of the server's log containing ``needle`` (seatbot logs "busy, refused")."""
        with self.log_path.open("rb") as handle:
            return sum(needle.encode() in line for line in handle)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        if self._log is not None:
            self._log.close()


@dataclass
class Replicas:
    """seatbot as several `serve` processes on one database, measured as one: CPU, SQL,
    log lines and memory summed; started when the last answered /healthz."""

    servers: list[Server]

    @property
    def port(self) -> int:
        return self.servers[0].port

    @property
    def more_ports(self) -> list[int]:
        return [server.port for server in self.servers[1:]]

    @property
    def startup_s(self) -> float:
        return max(server.startup_s for server in self.servers)

    def cpu_seconds(self) -> float:
        return sum(server.cpu_seconds() for server in self.servers)

    def rss_mb(self) -> float:
        return sum(server.rss_mb() for server in self.servers)

    def sql_statements(self) -> int | None:
        counts = [server.sql_statements() for server in self.servers]
        return None if None in counts else sum(c or 0 for c in counts)

    def log_count(self, needle: str) -> int:
        return sum(server.log_count(needle) for server in self.servers)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def start_replicas(count: int, argv: list[str], *, env: dict[str, str], workdir: Path) -> Replicas:
    """`count` seatbot processes through the probe, one after the other (each one's start-up
    is its own: a cold start, not a start beside a busy sibling)."""
    replicas = Replicas([])
    try:
        for index in range(count):
            name = "seatbot" if count == 1 else f"seatbot-{index + 1}"
            replicas.servers.append(start(name, argv, env=env, workdir=workdir, probe=True))
    except BaseException:
        replicas.stop()
        raise
    return replicas


def _cpu_seconds(pid: int | str) -> float:
    """utime + stime of a process (all its threads), from /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """utime + stime of every PostgreSQL process on this machine (the server and its
    backends): the database's share of the cores, whoever's statements it ran. A backend
    that ends between two readings takes its time with it (the server keeps the
    benchmark's connections open)."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                total += _cpu_seconds(entry.name)
        except OSError:  # ended meanwhile, or not ours to read
            continue
    return total


def start(name: str, argv: list[str], *, env: dict[str, str], workdir: Path, probe: bool = False) -> Server:
    """Start ``argv`` and wait until GET /healthz answers 200; the wait is the start-up time."""
    port = free_port()
    probe_port = free_port() if probe else None
    full_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    if probe_port is not None:
        full_env[PORT_VARIABLE] = str(probe_port)
    log_path = workdir / f"{name}.log"
    log = log_path.open("wb")
    started = time.monotonic()
    process = subprocess.Popen(
        [arg.replace("{port}", str(port)) for arg in argv],
        env=full_env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    server = Server(name, process, port, log_path, probe_port, _log=log)
    try:
        server.startup_s = _wait_healthy(server, started)
    except BaseException:
        server.stop()
        raise
    return server


def _wait_healthy(server: Server, started: float) -> float:
    while time.monotonic() - started < STARTUP_LIMIT:
        if server.process.poll() is not None:
            raise RuntimeError(f"{server.name} exited at start-up; see {server.log_path}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/healthz", timeout=1) as reply:
                if reply.status == 200:
                    return time.monotonic() - started
        except (OSError, urllib.error.URLError):
            pass
        time.sleep(0.02)  # polling a port that is not listening yet; bounded by STARTUP_LIMIT
    raise RuntimeError(f"{server.name} did not answer /healthz within {STARTUP_LIMIT:.0f}s")


def seatbot_argv(threads: int, workers: int) -> list[str]:
    return [
        sys.executable,
        "-c",
        "import benchmarks.probe; benchmarks.probe.main()",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "{port}",
        "--threads",
        str(threads),
        "--workers",
        str(workers),
    ]


def bare_argv(threads: int, *, answer: bool = False) -> list[str]:
    argv = [sys.executable, "-m", "benchmarks.bare_bolt", "--port", "{port}", "--threads", str(threads)]
    return [*argv, "--answer"] if answer else argv


def run_cli(args: list[str], *, env: dict[str, str], workdir: Path) -> str:
    """Run ``seatbot <args>`` to completion (e.g. ``load FILE``); its output, or an error."""
    return run_module("bot", args, env=env, workdir=workdir, what=f"seatbot {' '.join(args)}")


def run_module(module: str, args: list[str], *, env: dict[str, str], workdir: Path, what: str) -> str:
    """Run ``python -m <module> <args>`` to completion; its output, or an error naming `what`."""
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        env={**os.environ, **env, "PYTHONPATH": str(ROOT)},
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout
