"""The account's settings in App Home: the owner edits them in the same form as the
set-up (checked by the same rules, audited, idempotent) and hands the account over;
billing admins and admins see them read-only; members see nothing of them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from standin import SlackUser
from storage.models import Account, AuditEvent, Product, RoleGrant
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.clicks import FORM, click_body
from tests.slack.conftest import RunningBot, blocks_text, forged_submission, submit
from tests.slack.settings_forms import add_product, input_ids, product


@pytest.fixture
def account(engine: Engine) -> None:
    make_account(engine, now=NOW)


def _home(bot: RunningBot, user_id: str) -> dict[str, Any]:
    bot.driver.app_home_opened(user_id)
    return bot.slack.wait_for(
        lambda: (h := bot.slack.home(user_id)) and "seats · " in blocks_text(h["blocks"]) and h
    )


def _open_settings(bot: RunningBot, user_id: str = "U0OWNER") -> dict[str, Any]:
    home = _home(bot, user_id)
    bot.driver.click(user_id, action_id="open_settings", view=home)
    return bot.slack.wait_for(lambda: bot.slack.open_views(user_id) and bot.slack.open_views(user_id)[-1])


def _audit(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))  # type: ignore[arg-type]


def _roles(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        return {g.user_id: g.role for g in session.exec(select(RoleGrant))}


@pytest.mark.parametrize(
    ("user", "sees", "edits"),
    [
        ("U0OWNER", True, True),  # the owner: settings and their buttons
        ("U0BILL", True, False),  # billing admin: read-only (in French)
        ("U0ADMIN", True, False),  # admin: read-only
        ("U0AG2", False, False),  # member: nothing of them
    ],
)
def test_who_sees_the_settings_in_app_home(
    bot: RunningBot, account: None, user: str, sees: bool, edits: bool
) -> None:
    bot.driver.app_home_opened(user)
    home = bot.slack.wait_for(lambda: bot.slack.home(user))
    shown = blocks_text(home["blocks"])
    assert ('"block_id": "settings"' in shown) is sees
    assert ("open_settings" in shown) is edits
    assert ("open_transfer" in shown) is edits
    if sees and not edits:
        assert "<@U0OWNER>" in shown
        assert "<#C0ALERTS>" in shown


def test_the_owner_edits_the_settings_and_every_change_is_audited(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    form = _open_settings(bot)
    assert form["title"]["text"] == "Settings"
    inputs = input_ids(form)
    assert "product:0:key" not in inputs  # an existing product's key names it: not editable
    assert "product:0:seats" in inputs
    seats = next(b for b in form["blocks"] if b.get("block_id") == "product:0:seats")
    assert seats["element"]["initial_value"] == "10"
    before = len(_audit(engine))
    done = submit(
        bot,
        "U0OWNER",
        form,
        {
            "currency": {"value": "USD"},
            "product:0:seats": {"value": "12"},
            "admins": {"value": ["U0ADMIN", "U0AG2"]},
            "nudge_after": {"value": "2h"},
        },
    )
    assert "Settings saved." in blocks_text(done["view"]["blocks"])
    with Session(engine) as session:
        account_row = session.exec(select(Account)).one()
        support = session.exec(select(Product).where(Product.key == "support")).one()
    assert (account_row.currency, account_row.nudge_after_s, support.seats) == ("USD", 7200, 12)
    assert _roles(engine)["U0AG2"] == "admin"
    changes = _audit(engine)[before:]
    assert {e.actor_id for e in changes} == {"U0OWNER"}
    updated = next(e for e in changes if e.action == "account.updated")
    assert updated.before == {"currency": "EUR", "nudge_after_s": 86400}
    assert updated.after == {"currency": "USD", "nudge_after_s": 7200}
    assert any(e.action == "product.updated" and e.before == {"seats": 10} for e in changes)


def test_saving_unchanged_settings_records_nothing(bot: RunningBot, engine: Engine, account: None) -> None:
    before = len(_audit(engine))
    done = submit(bot, "U0OWNER", _open_settings(bot), {})
    assert "Nothing to save" in blocks_text(done["view"]["blocks"])
    assert len(_audit(engine)) == before


def test_a_product_is_added_from_the_settings(bot: RunningBot, engine: Engine, account: None) -> None:
    form = _open_settings(bot)
    form = add_product(bot, "U0OWNER", form, {})
    assert "product:3:key" in input_ids(form)
    submit(bot, "U0OWNER", form, product(3, "chat", "Chat", "Team", "4"))
    with Session(engine) as session:
        assert [p.key for p in session.exec(select(Product).order_by(Product.position))] == [  # type: ignore[arg-type]
            "support",
            "guide",
            "talk",
            "chat",
        ]


def test_seats_below_the_agents_holding_them_are_refused_next_to_the_field(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    answer = submit(bot, "U0OWNER", _open_settings(bot), {"product:0:seats": {"value": "1"}})
    assert answer["response_action"] == "errors"
    assert "2 agents hold these seats" in answer["errors"]["product:0:seats"]
    with Session(engine) as session:
        assert session.exec(select(Product.seats).where(Product.key == "support")).one() == 10


def test_a_forged_save_from_someone_but_the_owner_changes_nothing(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    form = _open_settings(bot)
    before = len(_audit(engine))
    values = {
        block["block_id"]: {"value": {"type": "plain_text_input", "value": "Hijacked"}}
        for block in form["blocks"]
        if block.get("block_id") == "name"
    }
    answer = forged_submission(bot, "U0ADMIN", form, values)
    assert "You can't change roles and settings" in blocks_text(answer["view"]["blocks"])
    assert "<@U0OWNER>" in blocks_text(answer["view"]["blocks"])
    assert len(_audit(engine)) == before
    with Session(engine) as session:
        assert session.exec(select(Account.name)).one() == "Acme Support"


def test_only_the_owner_opens_the_form(bot: RunningBot, account: None) -> None:
    """A click no Slack client would send: an admin pressing the owner's Edit settings."""
    seen = len(bot.slack.ephemerals("U0ADMIN"))
    bot.driver.post_raw(
        click_body(bot, "U0ADMIN", action_id="open_settings", value="edit"), content_type=FORM
    )
    refusal = bot.slack.wait_for(lambda: bot.slack.ephemerals("U0ADMIN")[seen:] or None)
    assert "You can't change roles and settings" in refusal[0].text
    assert bot.slack.open_views("U0ADMIN") == []


def _transfer_form(bot: RunningBot) -> dict[str, Any]:
    home = _home(bot, "U0OWNER")
    bot.driver.click("U0OWNER", action_id="open_transfer", view=home)
    return bot.slack.wait_for(lambda: bot.slack.open_views("U0OWNER") and bot.slack.open_views("U0OWNER")[-1])


def test_the_owner_hands_the_account_over_after_confirming(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    form = _transfer_form(bot)
    confirm = bot.driver.submit_view("U0OWNER", form, {"new_owner": {"user": "U0BILL"}}).json()
    assert confirm["response_action"] == "update"
    assert "Make <@U0BILL> the account owner?" in blocks_text(confirm["view"]["blocks"])
    assert _roles(engine)["U0OWNER"] == "owner"  # nothing changes before the confirmation
    confirmation = bot.slack.open_views("U0OWNER")[-1]
    done = submit(bot, "U0OWNER", confirmation, {})
    assert "<@U0BILL> is now the account owner; you are an admin." in blocks_text(done["view"]["blocks"])
    assert _roles(engine) == {"U0BILL": "owner", "U0OWNER": "admin", "U0ADMIN": "admin"}
    actions = [(e.action, e.subject_id, e.actor_id) for e in _audit(engine) if e.actor_id == "U0OWNER"]
    assert ("account.owner_transferred", "1", "U0OWNER") in actions
    assert ("role.changed", "U0BILL", "U0OWNER") in actions
    new = bot.slack.wait_for(lambda: bot.slack.dm("U0BILL") or None)
    assert "vous a fait propriétaire de *Acme Support*" in new[-1].text  # Bastien reads French
    old = bot.slack.wait_for(lambda: bot.slack.dm("U0OWNER") or None)
    assert "<@U0BILL> is now the owner of *Acme Support*" in old[-1].text


def test_handing_the_account_to_oneself_is_refused_next_to_the_picker(bot: RunningBot, account: None) -> None:
    form = _transfer_form(bot)
    answer = bot.driver.submit_view("U0OWNER", form, {"new_owner": {"user": "U0OWNER"}}).json()
    assert answer["response_action"] == "errors"
    assert "You already own this account" in answer["errors"]["new_owner"]


def test_a_forged_confirmation_from_someone_but_the_owner_changes_nothing(
    bot: RunningBot, engine: Engine, account: None
) -> None:
    form = _transfer_form(bot)
    bot.driver.submit_view("U0OWNER", form, {"new_owner": {"user": "U0BILL"}})
    confirmation = bot.slack.open_views("U0OWNER")[-1]
    answer = forged_submission(bot, "U0ADMIN", confirmation, {})
    assert "You can't change roles and settings" in blocks_text(answer["view"]["blocks"])
    forged = forged_submission(
        bot, "U0OWNER", confirmation, {}, private_metadata='{"new_owner": "<@U0ADMIN>"}'
    )
    assert "is not a person of this workspace" in blocks_text(forged["view"]["blocks"])
    assert _roles(engine)["U0OWNER"] == "owner"


def test_a_bot_cannot_become_the_owner(bot: RunningBot, engine: Engine, account: None) -> None:
    bot.slack.add_user(SlackUser("U0ROBOT", "robot", "Robot", is_bot=True))
    form = _transfer_form(bot)
    bot.driver.submit_view("U0OWNER", form, {"new_owner": {"user": "U0ROBOT"}})
    done = submit(bot, "U0OWNER", bot.slack.open_views("U0OWNER")[-1], {})
    assert "is a bot: only people hold roles" in blocks_text(done["view"]["blocks"])
    assert _roles(engine)["U0OWNER"] == "owner"


def test_an_account_with_more_products_than_the_form_holds_keeps_them(
    bot: RunningBot, engine: Engine
) -> None:
    many = [{"key": f"p{i:02d}", "name": f"Product {i}", "edition": "Team", "seats": 5} for i in range(12)]
    make_account(engine, now=NOW, products=many, agents=[])
    form = _open_settings(bot)
    assert not any(block.startswith("product:") for block in input_ids(form))
    assert "This account has 12 products" in blocks_text(form["blocks"])
    done = submit(bot, "U0OWNER", form, {"currency": {"value": "GBP"}})
    assert "Settings saved." in blocks_text(done["view"]["blocks"])
    with Session(engine) as session:
        assert len(list(session.exec(select(Product)))) == 12
        assert session.exec(select(Account.currency)).one() == "GBP"


def test_what_the_form_does_not_show_is_kept_when_it_is_saved(bot: RunningBot, engine: Engine) -> None:
    # A standing allowance, an idle threshold and a time zone, set by the account file.
    from tests.factories import BASE

    products = [dict(p) for p in BASE["products"]]
    products[0]["allowance"] = {"seats_per_month": 5, "cost_per_month": "600"}
    make_account(
        engine,
        now=NOW,
        products=products,
        policy={"idle_after": "45d"},
        account={**BASE["account"], "timezone": "Europe/Paris"},
    )
    submit(bot, "U0OWNER", _open_settings(bot), {"product:0:seats": {"value": "12"}})
    with Session(engine) as session:
        account_row = session.exec(select(Account)).one()
        support = session.exec(select(Product).where(Product.key == "support")).one()
    assert support.seats == 12
    assert (support.allowance_seats, str(support.allowance_cost)) == (5, "600.00")
    assert (account_row.idle_after_s, account_row.timezone) == (45 * 86400, "Europe/Paris")
