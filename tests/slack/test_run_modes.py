"""`seatbot serve` as an operator runs it (a real process), and the delivery job."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from bot.runtime.app import create_app
from bot.runtime.config import Settings
from bot.runtime.jobs import start_jobs
from standin import SlackDriver, SlackStandIn
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import SIGNING_SECRET, blocks_text

ROOT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served(slack: SlackStandIn, tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": slack.bot_token,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "SEATBOT_CONFIG": str(ROOT / "examples" / "account.yml"),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                break
        except OSError:
            assert process.poll() is None, process.stdout.read().decode() if process.stdout else ""
            time.sleep(0.1)
    try:
        yield url, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_seatbot_serve_answers_signed_requests(
    served: tuple[str, subprocess.Popen[bytes]], slack: SlackStandIn
) -> None:
    url, _ = served
    driver = SlackDriver(bot_url=f"{url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack)
    assert driver.slash_command("U0ADMIN", "").status == 200
    reply = slack.wait_for(lambda: slack.ephemerals("U0ADMIN") or None)[-1]
    assert "10 seats · 3 in use · 7 free" in blocks_text(reply.blocks)  # examples/account.yml was loaded


def test_serve_freezes_its_start_up_objects_before_the_first_request(
    served: tuple[str, subprocess.Popen[bytes]],
) -> None:
    _, process = served
    process.terminate()
    output, _ = process.communicate(timeout=10)
    frozen = re.search(rb"start-up objects left out of garbage collection: (\d+)", output)
    assert frozen is not None, output.decode(errors="replace")
    assert int(frozen.group(1)) > 10_000
    listening = output.index(b"seatbot listening on")
    assert frozen.start() < listening


def test_serve_refuses_a_wrong_token_clearly(slack: SlackStandIn, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "SLACK_BOT_TOKEN": "xoxb-wrong",
        "SLACK_SIGNING_SECRET": "s",
        "SLACK_API_URL": slack.api_url,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "serve", "--port", str(_free_port())],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "Slack refused SLACK_BOT_TOKEN (invalid_auth)" in result.stderr
    assert "Traceback" not in result.stderr
    slack.reset()  # the refused auth.test was this test's point, not a misuse of the API


def test_the_delivery_job_resumes_after_a_restart(engine: Engine, slack: SlackStandIn, db_url: str) -> None:
    """A request stored while Slack was down is delivered by the job as soon as seatbot starts again."""
    from bot.services.seat_changes import Submission, submit
    from storage.engine import unit_of_work

    make_account(engine, now=NOW)
    with unit_of_work(engine, write=True) as session:  # stored; the process "dies" before sending
        submit(
            session,
            team_id="T0SEATBOT",
            user_id="U0ADMIN",
            submission=Submission(counts={"guide": "7"}, justification="x"),
            now=NOW,
        )
    settings = Settings(
        _env_file=None,
        slack_bot_token=slack.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db_url,
    )
    scheduler = start_jobs(create_app(settings, engine=engine))
    try:
        owner_dm = slack.wait_for(lambda: slack.dm("U0OWNER") or None)[-1]
        assert "Guide: 5 → 7 seats (+2, 0 in use)" in blocks_text(owner_dm.blocks)
        slack.wait_for(lambda: slack.dm("U0BILL") or None)
    finally:
        scheduler.shutdown(wait=True)
