"""PostgreSQL goes away under a running seatbot and comes back: /healthz says 503 while
it is away and 200 after, without restarting seatbot, and requests work again."""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from bot.runtime.app import create_app
from bot.runtime.config import Settings
from bot.runtime.server import SeatbotWSGI, start_in_background
from standin import SlackDriver, SlackStandIn
from storage import migrate
from storage.engine import make_engine
from tests.conftest import NOW
from tests.factories import make_account
from tests.faults.private_postgres import PrivatePostgres, binaries, private_postgres
from tests.reliability import record
from tests.slack.conftest import SIGNING_SECRET, blocks_text

pytestmark = pytest.mark.slow


@pytest.fixture
def cluster() -> Iterator[PrivatePostgres]:
    found = binaries()
    if found is None:
        record(
            "PostgreSQL restarted under a running bot",
            "postgresql (private cluster)",
            tried="not run: no PostgreSQL server binaries, or not root (runuser needed)",
        )
        pytest.skip("needs /usr/lib/postgresql/*/bin and root (to run initdb as postgres)")
    server = private_postgres(found)
    try:
        yield server
    finally:
        server.destroy()


def _health(url: str) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"{url}/healthz", timeout=10) as reply:
            return reply.status, json.load(reply)
    except urllib.error.HTTPError as refused:
        return refused.code, json.load(refused)


def test_health_follows_the_database_and_requests_work_after(
    cluster: PrivatePostgres, slack: SlackStandIn, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    engine = make_engine(cluster.url)
    migrate.upgrade(engine)
    make_account(engine, now=NOW)
    settings = Settings(
        _env_file=None,
        slack_bot_token=slack.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=cluster.url,
    )
    app = create_app(settings, engine=engine)
    server = start_in_background(SeatbotWSGI(app, engine))
    driver = SlackDriver(bot_url=f"{server.url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack)
    probes: dict[str, list[int]] = {"before": [], "away": [], "back": []}
    try:
        assert driver.slash_command("U0ADMIN", "").status == 200
        slack.wait_for(lambda: slack.ephemerals("U0ADMIN") or None)
        probes["before"].append(_health(server.url)[0])

        cluster.stop()
        for _ in range(5):
            status, body = _health(server.url)
            assert (status, body) == (503, {"ok": False, "database": "down"})
            probes["away"].append(status)

        cluster.start()  # pg_ctl -w: returns once the server accepts connections
        for _ in range(3):
            status, body = _health(server.url)
            assert (status, body) == (200, {"ok": True, "database": "up"})
            probes["back"].append(status)

        # The pool's connections died with the server; new requests get fresh ones.
        seen = len(slack.ephemerals("U0OWNER"))
        assert driver.slash_command("U0OWNER", "").status == 200
        summary = slack.wait_for(lambda: slack.ephemerals("U0OWNER")[seen:] or None)[-1]
        assert "Support" in blocks_text(summary.blocks)
        modal_seen = len(slack.open_views("U0ADMIN"))
        assert driver.slash_command("U0ADMIN", "request guide +1").status == 200
        modal = slack.wait_for(
            lambda: slack.open_views("U0ADMIN")[modal_seen:] and slack.open_views("U0ADMIN")[-1]
        )
        assert (
            driver.submit_view("U0ADMIN", modal, {"justification": {"text": "after the outage"}}).status
            == 200
        )
        owner_dm = slack.wait_for(lambda: slack.dm("U0OWNER") or None)[-1]
        assert "Guide: 5 → 6 seats (+1, 0 in use)" in blocks_text(owner_dm.blocks)
        with engine.connect() as c:
            assert c.execute(text("SELECT count(*) FROM change_request")).scalar_one() == 1
    finally:
        server.stop()
        app._seatbot_deps.close()  # type: ignore[attr-defined]
        engine.dispose()

    health_lines = [
        r
        for r in caplog.records
        if r.name == "bot.runtime.ingress" and "health check failed" in r.getMessage()
    ]
    assert len(health_lines) == 1, "one line for the outage, not one per probe"
    assert all(
        r.exc_info is None for r in caplog.records if r.name in ("bot.runtime.server", "bot.runtime.ingress")
    )
    record(
        "PostgreSQL restarted under a running bot",
        "postgresql (private cluster)",
        tried={
            "faults injected": "private cluster (initdb + pg_ctl as postgres, free port) "
            "stopped -m fast, then started",
            "/healthz probes": sum(len(v) for v in probes.values()),
        },
        held={
            "200 before": probes["before"],
            "503 while away": probes["away"],
            "200 after, same process": probes["back"],
            "summary and a change request after recovery": True,
            "log lines for the outage": len(health_lines),
        },
    )
