"""A replica dies (SIGKILL) right after acknowledging a change request, while it is
sending the approval DMs; started again, it delivers them: each exactly once, none lost."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from bot.delivery.sender import LEASE
from standin import SlackDriver, SlackStandIn
from tests.conftest import NOW
from tests.factories import make_account
from tests.faults.processes import serve
from tests.reliability import record
from tests.slack.conftest import SIGNING_SECRET, blocks_text

pytestmark = pytest.mark.slow

REDELIVERY_WITHIN = LEASE.total_seconds() + 45
"""Seconds the restarted process has to deliver what the killed one was sending: the dead
sender's lease must run out first (it can't be told apart from a slow replica)."""

CARD_LINE = {  # the approval card, in each approver's language
    "U0OWNER": "Support: 10 → 12 seats (+2, 2 in use)",
    "U0BILL": "Support: 10 → 12 sièges (+2, 2 utilisés)",
}


def test_killed_after_the_ack_the_approval_dms_arrive_once(
    engine: Engine, slack: SlackStandIn, db_url: str, tmp_path: Path
) -> None:
    make_account(engine, now=NOW)
    first = serve(slack, db_url, tmp_path)
    outcome: dict[str, object] = {"lease_seconds": LEASE.total_seconds()}
    try:
        driver = SlackDriver(
            bot_url=f"{first.url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack
        )
        assert driver.slash_command("U0ADMIN", "request support +2").status == 200
        modal = slack.wait_for(lambda: slack.open_views("U0ADMIN") or None)[-1]
        # Slack's chat.postMessage hangs: the process is mid-send when it dies.
        slack.fail_next("chat.postMessage", timeout=True, hang_seconds=15, times=10)
        ack = driver.submit_view("U0ADMIN", modal, {"justification": {"text": "two new hires"}})
        assert ack.status == 200
        slack.wait_for(lambda: slack.calls_to("chat.postMessage") or None)
        first.kill9()
    finally:
        first.stop()
    slack.clear_faults()
    with engine.connect() as c:
        stored = c.execute(text("SELECT count(*) FROM change_request WHERE status = 'pending'")).scalar_one()
        leased = c.execute(text("SELECT count(*) FROM outbox WHERE claimed_until IS NOT NULL")).scalar_one()
    assert stored == 1, "the request was committed before the ack"
    outcome.update(stored_before_kill=stored, rows_leased_by_the_dead_process=leased)

    second = serve(slack, db_url, tmp_path)
    try:
        try:
            for approver in ("U0OWNER", "U0BILL"):
                slack.wait_for(lambda a=approver: slack.dm(a) or None, timeout=REDELIVERY_WITHIN)
            delivered = True
        except AssertionError:
            delivered = False
        outcome["delivered_after_restart"] = delivered
        _record(db_url, outcome)
        assert delivered, f"approval DMs not delivered within {REDELIVERY_WITHIN:.0f}s of the restart"
        for approver in ("U0OWNER", "U0BILL"):
            dms = slack.dm(approver)
            assert len(dms) == 1, f"{approver} got {len(dms)} approval DMs"
            assert CARD_LINE[approver] in blocks_text(dms[0].blocks)
    finally:
        second.stop()


def _record(db_url: str, outcome: dict[str, object]) -> None:
    record(
        "SIGKILL after the ack, mid-send",
        "postgresql" if db_url.startswith("postgres") else "sqlite",
        tried={
            "faults injected": "chat.postMessage hangs; `seatbot serve` killed -9 once it is sending; "
            "started again",
            **{k: v for k, v in outcome.items() if k != "delivered_after_restart"},
        },
        held={
            "request stored before the ack": outcome.get("stored_before_kill") == 1,
            f"approval DMs delivered within {REDELIVERY_WITHIN:.0f} s of the restart, once each": bool(
                outcome.get("delivered_after_restart")
            ),
        },
        not_held=None
        if outcome.get("delivered_after_restart")
        else "approval DMs not delivered after the restart",
    )
