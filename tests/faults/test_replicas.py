"""Two `seatbot serve` replicas on one PostgreSQL database, as behind a load balancer:
any replica serves any request, each scheduled step and each message happens once, and
a replica killed mid-send has its work finished by the other."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.delivery.sender import LEASE
from standin import SlackDriver, SlackStandIn
from tests.conftest import NOW
from tests.factories import make_account
from tests.faults.processes import Served, serve
from tests.slack.conftest import SIGNING_SECRET, blocks_text

pytestmark = pytest.mark.slow

TAKEN_OVER_WITHIN = LEASE.total_seconds() + 45
"""The dead replica's lease must run out before the other may send its rows."""

CARD_LINE = {  # the approval card, in each approver's language
    "U0OWNER": "Support: 10 → 12 seats (+2, 2 in use)",
    "U0BILL": "Support: 10 → 12 sièges (+2, 2 utilisés)",
}


@pytest.fixture
def replicas(engine: Engine, slack: SlackStandIn, db_url: str, tmp_path: Path) -> Iterator[list[Served]]:
    if engine.dialect.name != "postgresql":
        pytest.skip("replicas share PostgreSQL; SQLite serves one process")
    started = [serve(slack, db_url, tmp_path / name) for name in ("a", "b") if _mkdir(tmp_path / name)]
    try:
        yield started
    finally:
        for replica in started:
            replica.stop()


def _mkdir(path: Path) -> bool:
    path.mkdir()
    return True


def _driver(slack: SlackStandIn, replica: Served) -> SlackDriver:
    return SlackDriver(bot_url=f"{replica.url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack)


def _count(engine: Engine, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def _settled(engine: Engine) -> bool | None:
    """Nothing left to send and nothing left due: every message and step has happened."""
    unsent = _count(engine, "SELECT count(*) FROM outbox WHERE status = 'pending'")
    due = _count(engine, "SELECT count(*) FROM change_request WHERE status = 'pending'")
    return (unsent == 0 and due == 0) or None


def test_any_replica_serves_any_request_and_each_step_happens_once(
    engine: Engine, slack: SlackStandIn, replicas: list[Served]
) -> None:
    # Escalated 2 s after it is filed, expired at 10 s: both replicas' schedulers see it due.
    make_account(
        engine,
        now=NOW,
        policy={"nudge_after": "2s", "nudge_every": "2s", "max_nudges": 0, "expire_after": "10s"},
    )
    a, b = (_driver(slack, replica) for replica in replicas)
    # The first request: the form opened through one replica, submitted through the other,
    # then left alone until it escalates and expires.
    assert a.slash_command("U0ADMIN", "request support +2").status == 200
    form = slack.wait_for(lambda: slack.open_views("U0ADMIN") or None)[-1]
    assert b.submit_view("U0ADMIN", form, {"justification": {"text": "two hires"}}).status == 200
    slack.wait_for(lambda: _count(engine, "SELECT count(*) FROM change_request") == 1 or None)
    slack.wait_for(lambda: _settled(engine), timeout=60)
    assert _count(engine, "SELECT count(*) FROM change_request WHERE status = 'expired'") == 1
    # The escalation is a copy of the request in the alerts channel, rewritten once it expired.
    escalations = [m for m in slack.messages("C0ALERTS") if "asks for a seat change" in m.text]
    assert len(escalations) == 1, [m.text for m in slack.messages("C0ALERTS")]
    for approver in ("U0OWNER", "U0BILL"):
        assert len(slack.dm(approver)) == 1, f"{approver}: one approval DM, refreshed in place"

    # The second: filed through b, approved through a; applied once.
    assert b.slash_command("U0ADMIN", "request support +3").status == 200
    form = slack.wait_for(lambda: [v for v in slack.open_views("U0ADMIN") if v["id"] != form["id"]] or None)[
        -1
    ]
    assert a.submit_view("U0ADMIN", form, {"justification": {"text": "three hires"}}).status == 200
    slack.wait_for(lambda: _count(engine, "SELECT count(*) FROM change_request") == 2 or None)
    dm = slack.wait_for(lambda: slack.dm("U0OWNER")[1:] or None)[0]
    assert a.click("U0OWNER", message=dm, action_id="approve_request").status == 200
    slack.wait_for(lambda: _settled(engine), timeout=60)
    assert _count(engine, "SELECT seats FROM product WHERE key = 'support'") == 13
    for action in ("request.applied", "request.expired", "request.escalated"):
        assert _count(engine, f"SELECT count(*) FROM audit_event WHERE action = '{action}'") == 1, action


def test_a_replica_killed_mid_send_has_its_messages_sent_by_the_other(
    engine: Engine, slack: SlackStandIn, replicas: list[Served]
) -> None:
    make_account(engine, now=NOW)
    first, second = replicas
    driver = _driver(slack, first)
    assert driver.slash_command("U0ADMIN", "request support +2").status == 200
    form = slack.wait_for(lambda: slack.open_views("U0ADMIN") or None)[-1]
    # Slack hangs: the replica that took the request is mid-send when it dies.
    slack.fail_next("chat.postMessage", timeout=True, hang_seconds=15, times=2)
    assert driver.submit_view("U0ADMIN", form, {"justification": {"text": "two hires"}}).status == 200
    slack.wait_for(lambda: slack.calls_to("chat.postMessage") or None)
    first.kill9()
    slack.clear_faults()
    for approver in ("U0OWNER", "U0BILL"):
        slack.wait_for(lambda a=approver: slack.dm(a) or None, timeout=TAKEN_OVER_WITHIN)
    slack.wait_for(
        lambda: _count(engine, "SELECT count(*) FROM outbox WHERE status = 'pending'") == 0 or None
    )
    assert second.process.poll() is None
    for approver in ("U0OWNER", "U0BILL"):
        dms = slack.dm(approver)
        assert len(dms) == 1, f"{approver} got {len(dms)} approval DMs"
        assert CARD_LINE[approver] in blocks_text(dms[0].blocks)
