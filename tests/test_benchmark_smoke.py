"""The benchmark still runs end to end (`benchmarks/run.py --quick`) and reports every
figure for every flow. Figures are measured, never asserted: no timing here."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).parents[1]

FLOWS = ["summary", "open_modal", "keystroke", "submit", "approve"]
LOADS = ["1 client", "2 clients"]
SEATBOT_FIGURES = {
    "requests",
    "acked",
    "failed",
    "acks_over_3s",
    "acks_per_s",
    "ack_p50_ms",
    "ack_p99_ms",
    "ack_mean_ms",
    "answered",
    "answered_in_ack",
    "refused",
    "answer_errors",
    "answers_per_s",
    "answer_p50_ms",
    "answer_p99_ms",
    "cpu_ms_per_request",
    "sql_per_request",
    "busy",
    "rig_cpu_ms_per_request",
}
BARE_FIGURES = {"requests", "acked", "failed", "acks_per_s", "ack_p50_ms", "ack_p99_ms", "cpu_ms_per_request"}
FLOOR_FIGURES = {
    "requests",
    "answered",
    "answers_per_s",
    "answer_p50_ms",
    "answer_p99_ms",
    "cpu_ms_per_request",
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], str]:
    return _quick(tmp_path_factory.mktemp("bench"))


def _quick(tmp_path: Path, *extra: str) -> tuple[dict[str, Any], str]:
    out = tmp_path / "figures.json"
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "run.py"), "--quick", "--json", str(out), *extra],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,  # a hang fails the test instead of the suite; not a performance bound
        check=False,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    return json.loads(out.read_text(encoding="utf-8")), done.stdout


def test_every_flow_runs_under_every_load_and_is_answered(quick_run: tuple[dict[str, Any], str]) -> None:
    result, _ = quick_run
    (run,) = result["runs"]
    assert run["database"] == "sqlite"
    assert [(p["flow"], p["load"]) for p in run["phases"]] == [(f, load) for load in LOADS for f in FLOWS]
    for phase in run["phases"]:
        seatbot, bare = phase["seatbot"], phase["bare"]
        where = f"{phase['flow']} / {phase['load']}: {seatbot}"
        assert seatbot["requests"] > 0, where
        assert seatbot["failed"] == 0, where
        assert seatbot["first_error"] is None, where
        assert seatbot["answered"] == seatbot["requests"], where  # every request got its answer
        assert seatbot["answer_errors"] == 0, where
        if phase["flow"] != "approve":  # approvals of requests drafted at the same count may conflict
            assert seatbot["refused"] == 0, where
        assert bare["requests"] == seatbot["requests"], phase
        assert bare["failed"] == 0, phase
        floor = phase["floor"]  # the bare app that answers with a fixed reply: every one answered
        assert floor["requests"] == seatbot["requests"], phase
        assert (floor["failed"], floor["answered"]) == (0, floor["requests"]), phase


def test_every_figure_is_reported(quick_run: tuple[dict[str, Any], str]) -> None:
    result, stdout = quick_run
    env = result["environment"]
    for key in ("cores", "memory_gb", "python", "commit", "date"):
        assert env[key], key
    calls = result["slack_calls"]  # over TLS: a connection per call, then kept alive
    assert calls["calls"] == 20
    assert calls["connection_per_call"]["connections"] == 20
    assert calls["kept_alive"]["connections"] == 0
    for way in ("connection_per_call", "kept_alive"):
        assert calls[way]["cpu_ms_per_call"] > 0, way
        assert calls[way]["wall_ms_per_call"] > 0, way
    assert "calls to Slack over TLS (20 users.info)" in stdout
    (run,) = result["runs"]
    for key in ("startup_to_healthz_s", "bare_startup_to_healthz_s", "rss_after_load_mb", "idle_sql_per_s"):
        assert run[key] is not None, key
    alerts = run["alerts_check"]
    assert alerts["products"] == 5
    assert alerts["agents"] == 200
    assert [p["pass"] for p in alerts["passes"]] == ["first", "steady"]
    assert all(p["ms"] is not None and p["sql"] > 0 for p in alerts["passes"])
    scheduler = run["scheduler_pass"]
    assert (scheduler["stored"], scheduler["due"], scheduler["handled"], scheduler["failed"]) == (
        2_000,
        20,
        20,
        0,
    )
    assert scheduler["sql"] > 0
    assert "scheduler pass (20 due of 2000 stored)" in stdout
    for phase in run["phases"]:
        assert {k for k in SEATBOT_FIGURES if phase["seatbot"].get(k) is not None} == SEATBOT_FIGURES, phase
        assert {k for k in BARE_FIGURES if phase["bare"].get(k) is not None} == BARE_FIGURES, phase
        assert phase["seatbot"]["sql_per_request"] > 0, phase  # the probe counted seatbot's statements
        assert phase["seatbot"]["rig_cpu_ms_per_request"] > 0, phase  # the load had a cost of its own
        assert phase["seatbot"]["postgres_cpu_ms_per_request"] is None, phase  # SQLite: in seatbot's own
        assert set(phase["ratio"]) == {"acks_per_s", "ack_p50", "ack_p99", "cpu"}
        assert {k for k in FLOOR_FIGURES if phase["floor"].get(k) is not None} == FLOOR_FIGURES, phase
        assert set(phase["floor_ratio"]) == {"answers_per_s", "answer_p50", "answer_p99", "cpu"}
    seatbot_titles = ("acks/s", "ans p99", "CPU ms", "PG CPU", "rig CPU", "SQL")
    for title in (*seatbot_titles, "bare acks/s", "acks/s ×", "floor ans/s", "ans/s ×"):
        assert title in stdout, title


def test_replicas_share_the_load_and_answer_every_flow(tmp_path: Path) -> None:
    """Two `serve` processes on one database: the clients are spread over both, a flow begun
    on one (a form opened) goes on through the other, and every request is answered."""
    result, stdout = _quick(tmp_path, "--replicas", "2")
    assert result["settings"]["replicas"] == 2
    (run,) = result["runs"]
    assert len(run["requests_per_replica"]) == 2
    assert all(sent > 0 for sent in run["requests_per_replica"]), run["requests_per_replica"]
    for phase in run["phases"]:
        seatbot = phase["seatbot"]
        assert seatbot["failed"] == 0, phase
        assert seatbot["answered"] == seatbot["requests"], phase
    assert "2 replicas" in stdout
