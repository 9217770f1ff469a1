"""GET /metrics: what an operator graphs, moving as people use seatbot."""

from __future__ import annotations

import urllib.request

from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import RunningBot, open_modal, submit


def _scrape(bot: RunningBot) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with urllib.request.urlopen(f"{bot.url}/metrics", timeout=5) as reply:
        assert reply.status == 200
        assert reply.headers["Content-Type"].startswith("text/plain")
        text = reply.read().decode()
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_follow_a_request_from_the_command_to_the_approval_dms(
    bot: RunningBot, engine: Engine
) -> None:
    make_account(engine, now=NOW)
    before = _scrape(bot)
    for name in (
        "seatbot_pending_requests",
        "seatbot_outbox_backlog",
        "seatbot_outbox_oldest_age_seconds",
        "seatbot_scheduler_pass_seconds_count",
    ):
        assert (name, ()) in before, name
    assert ("seatbot_scheduled_steps_total", (("step", "reminder"),)) in before
    assert before[("seatbot_pending_requests", ())] == 0

    view = open_modal(bot, "U0ADMIN", "request support +5")
    submit(bot, "U0ADMIN", view, {"justification": {"text": "New hires"}})
    bot.slack.wait_for(lambda: len(bot.slack.dm("U0OWNER")) + len(bot.slack.dm("U0BILL")) >= 2 or None)
    sent = ("seatbot_deliveries_total", (("result", "sent"),))

    def delivered() -> dict[tuple[str, tuple[tuple[str, str], ...]], float] | None:
        after = _scrape(bot)
        return after if after[sent] - before.get(sent, 0) >= 2 else None

    after = bot.slack.wait_for(delivered)
    assert after[("seatbot_pending_requests", ())] == 1
    commands = ("seatbot_slack_requests_total", (("outcome", "acked"), ("surface", "command")))
    submissions = ("seatbot_slack_requests_total", (("outcome", "acked"), ("surface", "view_submission")))
    assert after[commands] - before.get(commands, 0) == 1
    assert after[submissions] - before.get(submissions, 0) == 1
    acks = ("seatbot_ack_seconds_count", ())
    assert after[acks] - before.get(acks, 0) >= 2
