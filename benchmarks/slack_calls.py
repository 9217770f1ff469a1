"""Calls to Slack over TLS, as in production: a new connection for each call (urllib's
way, what slack_sdk and Bolt do on their own) against connections kept alive
(`bot.slack.keep_alive`, what seatbot installs).

The rest of the benchmark talks to the stand-in over plain HTTP on loopback, where a
new connection costs little; Slack is only reached over TLS, where each new connection
costs a handshake (CPU on seatbot's side, and two round trips to Slack that loopback
does not show). The stand-in serves HTTPS here, with a certificate from a throwaway
authority (trustme) that only this process trusts.

Runs in a fresh interpreter (`measure`), since the kept-alive opener, once installed,
serves the whole process: `users.info` in a loop, the calling thread's CPU and the
wall time per call, and the connections the stand-in accepted.
"""

from __future__ import annotations

import argparse
import json
import os
import ssl
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.processes import run_module

ROOT = Path(__file__).resolve().parents[1]
WARM_UP = 20  # calls before timing: imports, first connection, caches


def measure(calls: int) -> dict[str, Any]:
    args = ["--calls", str(calls)]
    output = run_module("benchmarks.slack_calls", args, env={}, workdir=ROOT, what="calls to Slack over TLS")
    figures: dict[str, Any] = json.loads(output)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    import trustme

    authority = trustme.CA()
    with tempfile.TemporaryDirectory(prefix="seatbot-tls-") as work:
        bundle = Path(work) / "authority.pem"
        authority.cert_pem.write_to_path(str(bundle))
        os.environ["SSL_CERT_FILE"] = str(bundle)  # read by every default SSL context from here on
        server = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        authority.issue_cert("127.0.0.1").configure_cert(server)
        print(json.dumps(_run(server, args.calls)))


def _run(server: ssl.SSLContext, calls: int) -> dict[str, Any]:
    from bot.slack import keep_alive
    from bot.slack.client import make_web_client
    from standin import SlackStandIn, SlackUser

    with SlackStandIn(tls=server) as slack:
        slack.add_user(SlackUser(id="U0BENCH", name="bench", real_name="Bench"))
        client = make_web_client(token=slack.bot_token, base_url=slack.api_url)

        def timed() -> dict[str, float | int]:
            for _ in range(WARM_UP):
                client.users_info(user="U0BENCH")
            opened, cpu, wall = slack.connections_accepted, time.thread_time(), time.perf_counter()
            for _ in range(calls):
                client.users_info(user="U0BENCH")
            return {
                "cpu_ms_per_call": round((time.thread_time() - cpu) * 1000 / calls, 3),
                "wall_ms_per_call": round((time.perf_counter() - wall) * 1000 / calls, 3),
                "connections": slack.connections_accepted - opened,
            }

        per_call = timed()
        if not keep_alive.install():
            raise RuntimeError("keep-alive connections are off (a proxy is configured)")
        kept = timed()
    return {"calls": calls, "connection_per_call": per_call, "kept_alive": kept}


if __name__ == "__main__":
    main()
