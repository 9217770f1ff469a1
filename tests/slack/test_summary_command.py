"""/seats, /seats summary and /seats help through signed Slack requests."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import Engine, delete, update
from sqlmodel import col

from storage.engine import unit_of_work
from storage.models import Product, Role, RoleGrant, SeatAssignment
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import RunningBot


def _texts(message: object) -> str:
    import json

    return json.dumps(message.blocks, ensure_ascii=False)


@pytest.fixture
def account(engine: Engine) -> None:
    make_account(engine, now=NOW)


@pytest.mark.parametrize("text", ["", "summary", "  Summary  "])
def test_admin_sees_seats_per_product(bot: RunningBot, account: None, text: str) -> None:
    reply = bot.command("U0ADMIN", text)
    blocks = {b.get("block_id"): b for b in reply.blocks}
    assert blocks["product:support"]["text"]["text"].splitlines()[:2] == [
        "*Support* · Professional",
        "10 seats · 2 in use · 8 free",
    ]
    assert "2 seats · 2 in use · 0 free" in blocks["product:talk"]["text"]["text"]
    assert "Every seat is in use" in blocks["product:talk"]["text"]["text"]
    assert "you are an admin" in _texts(reply)
    assert reply.text == "Seats of Acme Support"


def test_owner_and_billing_admin_see_it_too(bot: RunningBot, account: None) -> None:
    assert "you are the account owner" in _texts(bot.command("U0OWNER"))
    assert "vous êtes admin de facturation" in _texts(bot.command("U0BILL"))


def test_french_slack_users_read_french(bot: RunningBot, account: None) -> None:
    reply = bot.command("U0BILL")
    assert reply.text == "Sièges de Acme Support"
    assert "10 sièges · 2 utilisés · 8 libres" in _texts(reply)
    assert "1 150,00\xa0€" not in _texts(reply)  # 10×115 + 5×49 = 1 395
    assert "1\u202f395,00\xa0€" in _texts(reply)


def test_members_are_refused_and_told_whom_to_ask(bot: RunningBot, account: None) -> None:
    reply = bot.command("U0AG2")
    assert reply.text == (
        ":lock: You can't see the seat subscription: only admins, billing admins and the account "
        "owner can. Ask <@U0OWNER> and <@U0BILL>."
    )
    assert "product:support" not in _texts(reply)


def test_unknown_language_falls_back_to_english(bot: RunningBot, account: None) -> None:
    assert bot.command("U0AG1").text.startswith(":lock: You can't")  # de-DE


@pytest.mark.parametrize("text", ["help", "aide"])
def test_help(bot: RunningBot, account: None, text: str) -> None:
    reply = bot.command("U0AG2", text)  # anyone may read the help
    assert "`/seats summary`" in _texts(reply)
    assert "I don't know" not in _texts(reply)


@pytest.mark.parametrize("text", ["frobnicate", "<!channel> <@U0OWNER|olivia>", "x" * 3000, "🙂\u202e\u0000"])
def test_anything_else_answers_with_help(bot: RunningBot, account: None, text: str) -> None:
    reply = bot.command("U0ADMIN", text)
    shown = _texts(reply)
    assert "I don't know" in shown
    assert "`/seats summary`" in shown
    assert "<!channel>" not in shown
    assert "<@U0OWNER" not in shown


def test_workspace_without_an_account_is_told_how_to_set_up(bot: RunningBot) -> None:
    """Someone who is neither the installer nor a workspace admin (tests/slack/test_onboarding.py
    has those) is told who can set seatbot up."""
    assert "A workspace admin can set it up by typing `/seats`" in bot.command("U0OWNER").text


def test_concurrent_commands_are_all_answered(bot: RunningBot, account: None) -> None:
    statuses: list[int] = []
    users = ["U0OWNER", "U0ADMIN", "U0BILL", "U0AG2"] * 5

    def type_command(user_id: str) -> None:
        statuses.append(bot.driver.slash_command(user_id, "").status)

    threads = [threading.Thread(target=type_command, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [200] * len(users)
    for user in set(users):
        bot.slack.wait_for(lambda u=user: len(bot.slack.ephemerals(u)) == 5 or None)  # type: ignore[misc]


def test_users_info_rate_limit_is_retried(bot: RunningBot, account: None) -> None:
    bot.slack.fail_next("users.info", error="ratelimited", status=429, retry_after=1)
    reply = bot.command("U0BILL")
    assert reply.text == "Sièges de Acme Support"  # the locale was still found
    assert len(bot.slack.calls_to("users.info")) == 2


def test_a_crash_is_logged_and_the_person_told(
    bot: RunningBot, account: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("database on fire")

    monkeypatch.setattr("handlers.commands.subscription_summary", broken)
    reply = bot.command("U0ADMIN")
    assert "Something went wrong" in reply.text
    assert any("database on fire" in (r.exc_text or str(r.exc_info)) for r in caplog.records)


def test_each_summary_shows_the_account_as_it_is_now(bot: RunningBot, engine: Engine, account: None) -> None:
    """A summary already shown is never shown again once anything it says has moved: a seat
    taken, seats bought, the reader's role."""
    assert "5 seats · 0 in use · 5 free" in _texts(bot.command("U0ADMIN"))
    assert "now has a *Guide* seat" in bot.command("U0OWNER", "assign <@U0AG1|ana> guide").text
    assert "5 seats · 1 in use · 4 free" in _texts(bot.command("U0ADMIN"))
    with unit_of_work(engine, write=True) as session:
        session.execute(update(Product).where(col(Product.key) == "guide").values(seats=7))
        session.execute(
            update(RoleGrant).where(col(RoleGrant.user_id) == "U0ADMIN").values(role=Role.BILLING_ADMIN.value)
        )
    reply = bot.command("U0ADMIN")
    assert "7 seats · 1 in use · 6 free" in _texts(reply)
    assert "you are a billing admin" in _texts(reply)
    button = next(b for b in reply.blocks if b.get("block_id") == "summary_actions")["elements"][0]
    assert button["value"] == "manage"


def test_an_account_with_no_product_yet(bot: RunningBot, engine: Engine, account: None) -> None:
    with unit_of_work(engine, write=True) as session:
        session.execute(delete(SeatAssignment))
        session.execute(delete(Product))
    reply = bot.command("U0ADMIN")
    assert "No product is set up yet." in _texts(reply)
    assert "you are an admin" in _texts(reply)
