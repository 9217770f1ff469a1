"""Starting and stopping `seatbot serve` as an operator does: SIGTERM lets the work in
flight finish and exits 0 with one line each way; logs can be JSON lines; a bad start
is one line saying what to do."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine

from bot.runtime.app import create_app
from bot.runtime.cli import main
from bot.runtime.config import Settings
from bot.runtime.server import SeatbotWSGI
from standin import SlackDriver, SlackStandIn
from tests.conftest import NOW
from tests.factories import make_account
from tests.faults.processes import free_port, serve
from tests.slack.conftest import SIGNING_SECRET, RunningBot, blocks_text


@pytest.mark.slow
def test_sigterm_lets_the_answer_in_flight_arrive_then_exits_cleanly(
    engine: Engine, slack: SlackStandIn, db_url: str, tmp_path: Path
) -> None:
    make_account(engine, now=NOW)
    served = serve(slack, db_url, tmp_path, environment={"SEATBOT_LOG_FORMAT": "json"})
    driver = SlackDriver(bot_url=f"{served.url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack)
    # The person's profile takes two seconds to come back: the work is under way at the signal.
    slack.fail_next("users.info", timeout=True, hang_seconds=2)
    assert driver.slash_command("U0OWNER", "").status == 200
    slack.wait_for(lambda: slack.calls_to("users.info") or None)
    served.process.send_signal(signal.SIGTERM)
    assert served.process.wait(timeout=30) == 0
    output = served.stop()
    answer = slack.wait_for(lambda: slack.ephemerals("U0OWNER") or None)
    assert "Support" in blocks_text(answer[-1].blocks)
    lines = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    assert lines, output
    assert all({"time", "level", "logger", "event"} <= set(line) for line in lines)
    events = [line["event"] for line in lines]
    assert events.count("stopping") == 1
    assert events.count("stopped") == 1
    assert next(line for line in lines if line["event"] == "stopping")["signal"] == "SIGTERM"
    assert "will be unused" not in output  # no start-up warning from our own wiring
    assert "Traceback" not in output


def test_version() -> None:
    result = CliRunner().invoke(main, ["--version"])
    assert result.exit_code == 0
    assert result.output.startswith("seatbot, version ")


@pytest.mark.parametrize(
    ("variable", "value", "says"),
    [
        ("SEATBOT_LOG_LEVEL", "BOGUS", "SEATBOT_LOG_LEVEL: 'BOGUS' is not a log level: use one of DEBUG"),
        ("SEATBOT_LOG_FORMAT", "xml", "SEATBOT_LOG_FORMAT: 'xml' is not a log format: use text or json"),
        ("DATABASE_URL", "mysql://db/seatbot", "DATABASE_URL: use sqlite:///FILE or postgresql://"),
    ],
)
def test_a_bad_setting_is_one_line_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, variable: str, value: str, says: str
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv(variable, value)
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert says in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert "Traceback" not in result.output


def test_an_unreachable_database_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DATABASE_URL", f"postgresql://seatbot:secret@127.0.0.1:{free_port()}/seatbot")
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 1
    assert "cannot reach the database postgresql+psycopg://seatbot:***@127.0.0.1" in result.output
    assert "secret" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output


def test_a_port_in_use_is_one_line_and_no_false_listening_line(
    slack: SlackStandIn, db_url: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    for name, value in {
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": db_url,
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SEATBOT_CONFIG", raising=False)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = CliRunner().invoke(main, ["serve", "--host", "127.0.0.1", "--port", str(port)])
    assert result.exit_code == 1
    assert f"cannot listen on 127.0.0.1:{port}" in result.output
    assert "listening on" not in result.output
    assert "Traceback" not in result.output


def test_ready_while_serving_and_not_while_stopping(bot: RunningBot, engine: Engine) -> None:
    with urllib.request.urlopen(f"{bot.url}/readyz", timeout=5) as reply:
        assert json.loads(reply.read()) == {"ok": True, "database": "up", "migrations": "current"}
    settings = Settings(_env_file=None, slack_bot_token="xoxb-1", slack_signing_secret=SIGNING_SECRET)
    app = create_app(settings, engine=engine, workers=1)
    wsgi = SeatbotWSGI(app, engine)
    wsgi.stopping = True  # what SIGTERM sets: the load balancer sends no more
    seen: list[str] = []
    body = b"".join(
        wsgi({"PATH_INFO": "/readyz", "REQUEST_METHOD": "GET"}, lambda status, _headers: seen.append(status))
    )
    app._seatbot_deps.close()  # type: ignore[attr-defined]
    assert seen == ["503 Service Unavailable"]
    assert json.loads(body) == {"ok": False, "stopping": True}


@pytest.mark.slow
def test_socket_mode_can_be_probed_on_its_health_port(
    engine: Engine, slack: SlackStandIn, db_url: str, tmp_path: Path
) -> None:
    """Socket Mode opens no port of its own; --health-port gives it the same probes."""
    port = free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_APP_TOKEN": slack.app_token,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": db_url,
    }
    env.pop("SEATBOT_CONFIG", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "socket", "--health-port", str(port)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:

        def probed(path: str) -> bytes | None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=2) as reply:
                    return bytes(reply.read())
            except OSError:
                assert process.poll() is None, "seatbot socket exited"
                return None

        assert json.loads(slack.wait_for(lambda: probed("/healthz"), timeout=60))["ok"] is True
        assert json.loads(slack.wait_for(lambda: probed("/readyz")))["migrations"] == "current"
        assert b"seatbot_pending_requests" in slack.wait_for(lambda: probed("/metrics"))
    finally:
        process.terminate()
        process.wait(timeout=20)
