"""Throughput and latency of `seatbot serve` under concurrent slash commands.

The server is the real CLI in a subprocess (waitress + Bolt + SQLite); this
process plays Slack: the Web API stand-in on a background thread, and N
clients sending signed `/seats` commands over keep-alive connections.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.standin import SlackStandIn, SlackUser  # noqa: E402

SECRET = "bench-secret"
ADMINS = [f"U0B{i:04d}" for i in range(20)]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _account_file(path: Path) -> None:
    admins = ", ".join(ADMINS)
    path.write_text(
        f"account: {{name: Bench, team_id: T0SEATBOT, currency: EUR}}\n"
        f"roles: {{owner: U0OWNER, admins: [{admins}]}}\n"
        "products:\n  - {key: support, name: Support, edition: Pro, seats: 100, price_per_seat: 10}\n"
        "  - {key: guide, name: Guide, edition: Pro, seats: 50}\n",
        encoding="utf-8",
    )


def _signed(body: bytes, content_type: str) -> dict[str, str]:
    ts = str(int(time.time()))
    sig = hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": f"v0={sig}",
        "Content-Type": content_type,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=16, help="seatbot serve --threads")
    parser.add_argument("--workers", type=int, default=32, help="seatbot serve --workers")
    parser.add_argument(
        "--ping",
        action="store_true",
        help="send Slack's url_verification instead of /seats: the serving stack alone "
        "(signature check, Bolt dispatch), without seatbot's own work",
    )
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="seatbot-bench-"))
    with SlackStandIn(team_id="T0SEATBOT") as slack:
        for user in ["U0OWNER", *ADMINS]:
            slack.add_user(SlackUser(id=user, name=user.lower(), real_name=user))
        _account_file(work / "account.yml")
        port = _free_port()
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": slack.api_url,
            "DATABASE_URL": f"sqlite:///{work / 'bench.db'}",
            "SEATBOT_CONFIG": str(work / "account.yml"),
            "SEATBOT_LOG_LEVEL": "WARNING",
        }
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bot",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--threads",
                str(args.threads),
            ],
            env=env,
            cwd=work,
        )
        try:
            _wait_healthy(port)
            if args.ping:
                bodies = [
                    json.dumps({"type": "url_verification", "token": "x", "challenge": f"c{i}"}).encode()
                    for i in range(args.requests)
                ]
                content_type = "application/json"
            else:
                bodies = [
                    urllib.parse.urlencode(
                        {
                            "token": "x",
                            "team_id": "T0SEATBOT",
                            "user_id": ADMINS[i % len(ADMINS)],
                            "command": "/seats",
                            "text": "",
                            "channel_id": "C0GENERAL",
                            "response_url": slack.new_response_url(ADMINS[i % len(ADMINS)], "C0GENERAL"),
                            "trigger_id": slack.new_trigger_id(),
                        }
                    ).encode()
                    for i in range(args.requests)
                ]
                content_type = "application/x-www-form-urlencoded"
            latencies: list[float] = []
            errors = 0
            lock = threading.Lock()
            queue = iter(bodies)

            def client() -> None:
                nonlocal errors
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                while True:
                    with lock:
                        body = next(queue, None)
                    if body is None:
                        break
                    start = time.perf_counter()
                    conn.request("POST", "/slack/events", body=body, headers=_signed(body, content_type))
                    response = conn.getresponse()
                    response.read()
                    elapsed = time.perf_counter() - start
                    with lock:
                        latencies.append(elapsed)
                        errors += response.status != 200
                conn.close()

            cpu_before = _cpu_seconds(server.pid)
            started = time.perf_counter()
            threads = [threading.Thread(target=client) for _ in range(args.clients)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            acked = time.perf_counter() - started
            expected = 0 if args.ping else args.requests
            answered = sum(len(slack.ephemerals(u)) for u in ADMINS)
            deadline = time.monotonic() + 120
            while answered < expected and time.monotonic() < deadline:
                time.sleep(0.05)
                answered = sum(len(slack.ephemerals(u)) for u in ADMINS)
            done = time.perf_counter() - started
            cpu = _cpu_seconds(server.pid) - cpu_before
        finally:
            server.terminate()
            server.wait(timeout=10)

    latencies.sort()
    p = lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000  # noqa: E731
    print(f"clients={args.clients} requests={args.requests} threads={args.threads} workers={args.workers}")
    print(
        f"acks:     {args.requests / acked:8.0f} req/s   p50 {p(0.5):6.1f} ms   p99 {p(0.99):6.1f} ms"
        f"   mean {statistics.mean(latencies) * 1000:6.1f} ms   non-200: {errors}"
    )
    print(
        f"answers:  {answered}/{args.requests} ephemeral answers delivered in {done:.1f} s "
        f"({answered / done:.0f}/s end to end)"
    )
    print(f"seatbot:  {cpu / args.requests * 1000:.1f} ms of CPU per command (server process, all threads)")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _wait_healthy(port: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit("seatbot serve did not become healthy")


if __name__ == "__main__":
    main()
