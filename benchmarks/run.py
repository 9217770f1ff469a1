"""One benchmark of seatbot against a bare Bolt app that only acks.

    .venv/bin/python benchmarks/run.py [--quick] [--json FILE] [--database URL|sqlite ...]

For each database: a private database, an account loaded with `seatbot load`,
`seatbot serve` in its own process (through the SQL-counting probe), the Slack
stand-in in this process; then every flow under every load, the out-of-licences
check, RSS and start-up time; then the same signed payloads replayed to the bare
Bolt app. Before all that, once: calls to Slack over TLS, a new connection each
against connections kept alive. See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))  # `python benchmarks/run.py` from anywhere

from benchmarks import alerts_check, flows, processes, report, setup_data, slack_calls  # noqa: E402
from benchmarks.answers import AnswerWatcher  # noqa: E402
from benchmarks.load import Attempt, Job, Load, figures, run  # noqa: E402
from benchmarks.wire import SIGNING_SECRET, BenchDriver, post  # noqa: E402
from standin import SlackStandIn, SlackUser  # noqa: E402

POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
SETTLE_LIMIT = 60.0  # seconds to wait for seatbot's trailing work (deliveries) after a phase


def loads(args: argparse.Namespace) -> list[Load]:
    if args.quick:
        return [Load("1 client", clients=1, requests=2), Load("2 clients", clients=2, requests=4)]
    return [
        Load("1 client", clients=1, requests=20),
        Load("10 clients", clients=10, requests=100),
        Load("50 clients", clients=50, requests=200),
        Load(f"open {args.rate:g}/s", rate=args.rate, seconds=args.seconds),
    ]


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="SQLite, 1 and 2 clients, small data: the smoke run"
    )
    parser.add_argument(
        "--database",
        action="append",
        help=f"'sqlite' or a PostgreSQL server URL (a private database is created there and dropped); "
        f"repeatable; default: {POSTGRES} and sqlite (--quick: sqlite)",
    )
    parser.add_argument("--json", type=Path, help="write every figure to this file")
    parser.add_argument("--threads", type=int, default=16, help="HTTP threads, seatbot and bare alike")
    parser.add_argument("--workers", type=int, default=4, help="seatbot serve --workers")
    parser.add_argument(
        "--replicas",
        type=int,
        default=1,
        help="seatbot serve processes on the one database, the clients spread over them; "
        "their CPU, SQL and memory are summed",
    )
    parser.add_argument("--rate", type=float, default=100.0, help="open-loop requests per second")
    parser.add_argument("--seconds", type=float, default=3.0, help="open-loop duration per flow")
    parser.add_argument("--answer-timeout", type=float, default=60.0, help="seconds to wait for one answer")
    args = parser.parse_args(argv)
    if args.replicas < 1:
        parser.error("--replicas: at least 1")
    databases = args.database or (["sqlite"] if args.quick else [POSTGRES, "sqlite"])
    result: dict[str, Any] = {
        "mode": "quick" if args.quick else "full",
        "environment": environment(),
        "settings": {
            "threads": args.threads,
            "workers": args.workers,
            "replicas": args.replicas,
            "loads": [vars(load) for load in loads(args)],
            "answer_timeout_s": args.answer_timeout,
        },
        "runs": [],
    }
    print("calls to Slack over TLS", flush=True)
    result["slack_calls"] = slack_calls.measure(20 if args.quick else 1000)
    for database in databases:
        result["runs"].append(run_database(database, args))
    result["environment"]["loadavg_end"] = _loadavg()
    print(report.render(result))
    if args.json is not None:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
        print(f"figures written to {args.json}")
    return result


def environment() -> dict[str, Any]:
    meminfo = Path("/proc/meminfo").read_text().split("\n")
    total_kb = next(int(line.split()[1]) for line in meminfo if line.startswith("MemTotal:"))
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    return {
        "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cores": os.cpu_count(),
        "memory_gb": round(total_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "commit": commit or None,
        "commit_dirty": bool(dirty),
        "loadavg_start": _loadavg(),
    }


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def run_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    kind = "sqlite" if database == "sqlite" else "postgresql"
    plan = loads(args)
    who = setup_data.people(admins=sum(load.total for load in plan) + 5, billing_admins=3)
    with contextlib.ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="seatbot-bench-")))
        url = stack.enter_context(setup_data.database(kind, work, database))
        standin = stack.enter_context(SlackStandIn(team_id=setup_data.TEAM))
        _arrange(standin, who)
        env = {
            "SLACK_BOT_TOKEN": standin.bot_token,
            "SLACK_SIGNING_SECRET": SIGNING_SECRET,
            "SLACK_API_URL": standin.api_url,
            "DATABASE_URL": url,
            "SEATBOT_LOG_LEVEL": "WARNING",
        }
        setup_data.write_account(work / "account.yml", who, products=3 if args.quick else 6)
        processes.run_cli(["load", str(work / "account.yml")], env=env, workdir=work)
        setup_data.age_account(url)
        products, agents = (5, 200) if args.quick else (50, 10_000)
        setup_data.write_alerts_account(work / "alerts.yml", products=products, agents=agents)
        processes.run_cli(["load", str(work / "alerts.yml")], env=env, workdir=work)

        seatbot = processes.start_replicas(
            args.replicas, processes.seatbot_argv(args.threads, args.workers), env=env, workdir=work
        )
        stack.callback(seatbot.stop)
        print(f"[{kind}] seatbot answered /healthz {seatbot.startup_s:.2f}s after start", flush=True)
        idle = _idle_sql_rate(seatbot, 0.5 if args.quick else 3.0)
        phases, sent_to = _seatbot_phases(standin, seatbot, who, plan, args, kind)
        rss = seatbot.rss_mb()
        seatbot.stop()

        print(f"[{kind}] out-of-licences check", flush=True)
        alerts = alerts_check.measure(url)
        print(f"[{kind}] scheduler pass", flush=True)
        scheduler = alerts_check.scheduler_pass(
            url, stored=2_000 if args.quick else 100_000, due=20 if args.quick else 1_000
        )

        bare = processes.start(
            "bare-bolt", processes.bare_argv(args.threads), env=env, workdir=work, probe=False
        )
        stack.callback(bare.stop)
        print(f"[{kind}] the same requests to the bare Bolt app", flush=True)
        for phase in phases:
            phase["bare"] = _replay(bare, phase["_attempts"], phase["_load"])
            phase["ratio"] = report.ratios(phase["seatbot"], phase["bare"])
        bare.stop()

        floor = processes.start(
            "bare-bolt-answering",
            processes.bare_argv(args.threads, answer=True),
            env=env,
            workdir=work,
            probe=False,
        )
        stack.callback(floor.stop)
        print(f"[{kind}] the same requests to the bare Bolt app that answers", flush=True)
        with AnswerWatcher(standin) as watcher:
            bench = flows.Bench(standin, BenchDriver(port=floor.port, standin=standin), watcher, who)
            for phase in phases:
                phase["floor"] = _floor(bench, floor, phase.pop("_attempts"), phase, args.answer_timeout)
                phase["floor_ratio"] = report.answer_ratios(phase["seatbot"], phase["floor"])
                del phase["_load"]
        floor.stop()
    return {
        "database": kind,
        "startup_to_healthz_s": round(seatbot.startup_s, 3),
        "bare_startup_to_healthz_s": round(bare.startup_s, 3),
        "rss_after_load_mb": round(rss, 1),
        "idle_sql_per_s": idle,
        "alerts_check": alerts,
        "scheduler_pass": scheduler,
        "requests_per_replica": [sent_to[port] for port in (seatbot.port, *seatbot.more_ports)],
        "phases": phases,
    }


def _arrange(standin: SlackStandIn, who: setup_data.People) -> None:
    for user in who.everyone:
        standin.add_user(SlackUser(id=user, name=user.lower(), real_name=f"Person {user[2:]}"))
        standin.add_channel(flows.channel_of(user), f"bench-{user.lower()}")
    standin.add_channel(setup_data.ALERTS_CHANNEL, "seat-alerts")


def _idle_sql_rate(server: processes.Replicas, seconds: float) -> float:
    """Statements a second seatbot sends with nothing to do (scheduler and sender polling):
    part of every phase's SQL count."""
    before = server.sql_statements() or 0
    time.sleep(seconds)
    return round(((server.sql_statements() or 0) - before) / seconds, 1)


def _seatbot_phases(
    standin: SlackStandIn,
    seatbot: processes.Replicas,
    who: setup_data.People,
    plan: list[Load],
    args: argparse.Namespace,
    kind: str,
) -> tuple[list[dict[str, Any]], Counter[int]]:
    """Every flow under every load, and how many requests each replica was sent."""
    phases: list[dict[str, Any]] = []
    fresh = iter(who.admins)
    with AnswerWatcher(standin) as watcher:
        driver = BenchDriver(port=seatbot.port, standin=standin, more_ports=seatbot.more_ports)
        bench = flows.Bench(standin, driver, watcher, who)
        _open_approvers_homes(bench)
        for load in plan:
            users = [next(fresh) for _ in range(load.total)]
            submitted = 0
            for flow in flows.FLOWS:
                jobs = _jobs(bench, flow, users, submitted)
                print(f"[{kind}] {flow:<10} {load.label:<11} {len(jobs)} requests", flush=True)
                phase = _measure(seatbot, standin, load, jobs, args.answer_timeout, kind)
                if flow == "submit":
                    submitted = int(phase["seatbot"]["answered"] or 0) - int(phase["seatbot"]["refused"] or 0)
                phases.append({"flow": flow, "load": load.label, **phase})
    return phases, driver.sent_to


def _open_approvers_homes(bench: flows.Bench) -> None:
    """Approvers have App Home open, as they do at work: every request redraws theirs (the
    requesters never opened theirs, and seatbot does not draw a home nobody opened)."""
    for approver in bench.people.approvers:
        bench.driver.app_home_opened(approver)
    bench.standin.wait_for(lambda: all(bench.standin.home(a) for a in bench.people.approvers), timeout=30)


def _jobs(bench: flows.Bench, flow: str, users: list[str], submitted: int) -> list[Job]:
    if flow == "summary":
        return flows.summary(bench, users)
    if flow == "open_modal":
        return flows.open_modal(bench, users)
    if flow == "keystroke":
        return flows.keystroke(bench, users)
    if flow == "submit":
        return flows.submit(bench, users)
    return flows.approve(bench, submitted)


def _measure(
    server: processes.Replicas,
    standin: SlackStandIn,
    load: Load,
    jobs: list[Job],
    answer_timeout: float,
    kind: str,
) -> dict[str, Any]:
    cpu, sql, busy = server.cpu_seconds(), server.sql_statements() or 0, server.log_count("busy, refused")
    rig, database = time.process_time(), _database_cpu(kind)
    attempts = run(load, jobs, answer_timeout=answer_timeout)
    _settle(standin)
    seatbot = figures(attempts, expects_answers=True)
    n = max(1, len(attempts))
    seatbot["cpu_ms_per_request"] = round((server.cpu_seconds() - cpu) * 1000 / n, 2)
    seatbot["sql_per_request"] = round(((server.sql_statements() or 0) - sql) / n, 1)
    seatbot["busy"] = server.log_count("busy, refused") - busy
    seatbot["rig_cpu_ms_per_request"] = round((time.process_time() - rig) * 1000 / n, 2)
    after = _database_cpu(kind)
    seatbot["postgres_cpu_ms_per_request"] = (
        None if after is None or database is None else round((after - database) * 1000 / n, 2)
    )
    return {"seatbot": seatbot, "_attempts": attempts, "_load": load}


def _database_cpu(kind: str) -> float | None:
    """PostgreSQL's CPU so far (None for SQLite, which runs inside seatbot's process)."""
    return processes.postgres_cpu_seconds() if kind == "postgresql" else None


def _settle(standin: SlackStandIn) -> None:
    """Wait (bounded) until seatbot stops calling the stand-in: its trailing work (copies
    updated, DMs delivered) belongs to the phase that caused it."""
    deadline = time.monotonic() + SETTLE_LIMIT
    seen = -1
    while time.monotonic() < deadline:
        count = len(standin.calls)
        if count == seen:
            return
        seen = count
        time.sleep(0.3)


def _replay(server: processes.Server, attempts: list[Attempt], load: Load) -> dict[str, Any]:
    """The same bodies, freshly signed, at the same concurrency or rate, to the bare app."""
    sent = [a.sent for a in attempts if a.sent is not None]

    def job_for(index: int) -> Job:
        def job() -> Attempt:
            at = time.time()
            result = post(server.port, sent[index])
            return Attempt(replace(sent[index], at=at), result.status, result.elapsed)

        return job

    jobs = [job_for(i) for i in range(len(sent))]
    cpu = server.cpu_seconds()
    figures_ = figures(run(load, jobs, answer_timeout=0), expects_answers=False)
    figures_["cpu_ms_per_request"] = round((server.cpu_seconds() - cpu) * 1000 / max(1, len(sent)), 2)
    figures_["sql_per_request"] = 0
    return figures_


def _floor(
    bench: flows.Bench,
    server: processes.Server,
    attempts: list[Attempt],
    phase: dict[str, Any],
    answer_timeout: float,
) -> dict[str, Any]:
    """The same bodies, freshly signed, at the same concurrency or rate, to the bare app
    that answers; its answers awaited like seatbot's."""
    jobs = [flows.replayed(bench, phase["flow"], server.port, a.sent) for a in attempts if a.sent is not None]
    cpu = server.cpu_seconds()
    figures_ = figures(run(phase["_load"], jobs, answer_timeout=answer_timeout), expects_answers=True)
    _settle(bench.standin)
    figures_["cpu_ms_per_request"] = round((server.cpu_seconds() - cpu) * 1000 / max(1, len(jobs)), 2)
    return figures_


if __name__ == "__main__":
    main()
