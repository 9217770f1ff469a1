"""Setting seatbot up from Slack in a workspace with no account: offered to Slack
workspace admins (and the installer), refused to others with whom to ask; the form's
mistakes shown next to their fields; the account created (and audited) as from a file."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, select

from standin import SlackStandIn, SlackUser
from storage.models import Account, AuditEvent, Product, RoleGrant
from tests.slack.conftest import PEOPLE, RunningBot, blocks_text, forged_submission, submit
from tests.slack.settings_forms import add_product, basics, input_ids, offer, open_setup, product
from tests.slack.workspaces import serving_oauth

ADMIN = "U0WSADMIN"
"""A Slack workspace admin: may set seatbot up."""


@pytest.fixture
def workspace_admin(bot: RunningBot) -> str:
    bot.slack.add_user(SlackUser(ADMIN, "wanda", "Wanda Admin", is_admin=True))
    return ADMIN


def _accounts(engine: Engine) -> list[Account]:
    with Session(engine) as session:
        return list(session.exec(select(Account)))


def _audit(engine: Engine) -> list[AuditEvent]:
    with Session(engine) as session:
        return list(session.exec(select(AuditEvent).order_by(AuditEvent.id)))  # type: ignore[arg-type]


def test_a_workspace_admin_sets_seatbot_up_and_becomes_its_owner(
    bot: RunningBot, engine: Engine, workspace_admin: str
) -> None:
    answer = offer(bot, ADMIN)
    assert "not set up for this workspace yet" in answer.text
    form = open_setup(bot, ADMIN)
    assert form["title"]["text"] == "Set up seatbot"
    assert form["submit"]["text"] == "Set up"
    first = {**basics(), **product(0, "support", "Support", "Professional", "10", price="115")}
    form = add_product(bot, ADMIN, form, first)
    assert "product:1:key" in input_ids(form)
    # What was typed before the new row stays typed.
    assert bot.slack.view(form["id"]) is not None
    values = {
        **first,
        **product(1, "guide", "Guide", "Team", "5", suite="Support Suite"),
        "alerts_channel": {"value": "C0ALERTS"},
        "billing_admins": {"value": ["U0BILL"]},
        "admins": {"value": ["U0ADMIN"]},
        "alert_threshold": {"value": "90"},
    }
    values["product:0:suite"] = {"value": "Support Suite"}
    values["product:1:seats"] = {"value": "10"}
    done = submit(bot, ADMIN, form, values)
    shown = blocks_text(done["view"]["blocks"])
    assert done["view"]["title"]["text"] == "seatbot is set up"
    assert "you are the account's owner" in shown
    assert "Seats — Acme Support" in shown
    assert "10 seats · 0 in use · 10 free" in shown

    [account] = _accounts(engine)
    assert (account.name, account.currency, account.alerts_channel, account.alert_threshold_pct) == (
        "Acme Support",
        "EUR",
        "C0ALERTS",
        90,
    )
    with Session(engine) as session:
        roles = {g.user_id: g.role for g in session.exec(select(RoleGrant))}
        products = {p.key: (p.seats, p.suite) for p in session.exec(select(Product))}
    assert roles == {ADMIN: "owner", "U0BILL": "billing_admin", "U0ADMIN": "admin"}
    assert products == {"support": (10, "Support Suite"), "guide": (10, "Support Suite")}
    audit = _audit(engine)
    assert audit[0].action == "account.created"
    assert audit[0].actor_id == ADMIN
    assert {e.action for e in audit} >= {"product.created", "role.changed"}

    bot.driver.app_home_opened(ADMIN)
    home = bot.slack.wait_for(
        lambda: (h := bot.slack.home(ADMIN)) and "Settings" in blocks_text(h["blocks"]) and h
    )
    assert "Edit settings" in blocks_text(home["blocks"])


def test_someone_else_is_told_who_can_set_it_up(bot: RunningBot, engine: Engine) -> None:
    answer = offer(bot, "U0AG2")
    assert "A workspace admin can set it up" in answer.text
    assert "open_setup" not in blocks_text(answer.blocks)
    bot.driver.app_home_opened("U0BILL")  # in French
    home = bot.slack.wait_for(lambda: bot.slack.home("U0BILL"))
    assert "Un admin de l'espace de travail peut le configurer" in blocks_text(home["blocks"])
    assert _accounts(engine) == []


def test_a_workspace_admin_is_offered_the_set_up_in_app_home(bot: RunningBot, workspace_admin: str) -> None:
    bot.driver.app_home_opened(ADMIN)
    home = bot.slack.wait_for(lambda: bot.slack.home(ADMIN))
    assert "Set up seatbot" in blocks_text(home["blocks"])
    bot.driver.click(ADMIN, action_id="open_setup", view=home)
    form = bot.slack.wait_for(lambda: bot.slack.open_views(ADMIN) and bot.slack.open_views(ADMIN)[-1])
    assert form["callback_id"] == "account_setup"


def _valid() -> dict[str, Any]:
    return {**basics(), **product(0, "support", "Support", "Professional", "10")}


@pytest.mark.parametrize(
    ("field", "value", "block", "words"),
    [
        ("product:0:key", "Support!", "product:0:key", "Lowercase letters, digits and _"),
        ("product:0:seats", "-3", "product:0:seats", "A whole number of seats from 0 to"),
        ("product:0:seats", "100000000", "product:0:seats", "A whole number of seats from 0 to"),
        ("product:0:price", "12.345", "product:0:price", "at most 2 decimals"),
        ("nudge_after", "tomorrow", "nudge_after", "Write a duration"),
        ("expire_after", "999999d", "expire_after", "at most 365d"),
        ("currency", "XYZ", "currency", "ISO code"),
        ("name", "Acme\u202eevil", "name", "printable characters"),  # a right-to-left override
        ("product:0:name", "\u200b", "product:0:name", "printable characters"),  # only invisible
        ("working_hours", "18:00-09:00", "working_hours", "opening and closing hours"),
        ("max_nudges", "51", "max_nudges", "from 0 to 50"),
        ("alert_threshold", "100", "alert_threshold", "percentage from 1 to 99"),
    ],
)
def test_a_mistake_is_shown_next_to_its_field_and_nothing_is_created(
    bot: RunningBot, engine: Engine, workspace_admin: str, field: str, value: str, block: str, words: str
) -> None:
    form = open_setup(bot, ADMIN)
    answer = submit(bot, ADMIN, form, {**_valid(), field: {"value": value}})
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [block]
    assert words in answer["errors"][block]
    assert _accounts(engine) == []
    assert _audit(engine) == []


@pytest.mark.parametrize(
    ("values", "block", "words"),
    [
        (product(1, "support", "Again", "Team", "3"), "product:1:key", "Another product has the key support"),
        (
            {**product(1, "guide", "Guide", "Team", "3", suite="S"), "product:0:suite": {"value": "S"}},
            "product:1:seats",
            "The products of S must have the same number of seats",
        ),
        (
            {**product(1, "guide", "Guide", "Team", "3"), "plan": {"value": "sales_assisted"}},
            "sales_contact",
            "needs a sales contact",
        ),
        ({**product(1, "guide", "Guide", "Team", "3"), "admins": {"value": [ADMIN]}}, "admins", "two roles"),
        (
            {**product(1, "guide", "Guide", "Team", "3"), "admins": {"value": ["U0BILL"]}},
            "admins",
            "two roles",
        ),
    ],
)
def test_the_rules_across_fields_point_at_the_field_to_fix(
    bot: RunningBot, engine: Engine, workspace_admin: str, values: dict[str, Any], block: str, words: str
) -> None:
    form = open_setup(bot, ADMIN)
    form = add_product(bot, ADMIN, form, _valid())
    answer = submit(bot, ADMIN, form, {**_valid(), "billing_admins": {"value": ["U0BILL"]}, **values})
    assert answer["response_action"] == "errors"
    assert words in answer["errors"][block], answer["errors"]
    assert _accounts(engine) == []


def test_a_french_admin_reads_the_mistakes_in_french(bot: RunningBot, engine: Engine) -> None:
    bot.slack.add_user(SlackUser("U0ADMFR", "eloise", "Éloïse Admin", locale="fr-FR", is_owner=True))
    form = open_setup_fr(bot)
    answer = submit(bot, "U0ADMFR", form, {**_valid(), "currency": {"value": "ZZZ"}})
    assert "Écrivez le code ISO" in answer["errors"]["currency"]


def open_setup_fr(bot: RunningBot) -> dict[str, Any]:
    answer = offer(bot, "U0ADMFR")
    assert "Configurer seatbot" in blocks_text(answer.blocks)
    bot.driver.click("U0ADMFR", action_id="open_setup", message=answer)
    return bot.slack.wait_for(lambda: bot.slack.open_views("U0ADMFR") and bot.slack.open_views("U0ADMFR")[-1])


def test_forged_people_are_refused_and_nothing_is_created(
    bot: RunningBot, engine: Engine, workspace_admin: str
) -> None:
    form = open_setup(bot, ADMIN)
    malformed = forged_submission(
        bot,
        ADMIN,
        form,
        _state(
            {**_valid(), "billing_admins": {"type": "multi_users_select", "selected_users": ["<@U0BILL>"]}}
        ),
    )
    assert malformed["response_action"] == "errors"
    assert list(malformed["errors"]) == ["billing_admins"]
    unknown = forged_submission(
        bot,
        ADMIN,
        form,
        _state({**_valid(), "admins": {"type": "multi_users_select", "selected_users": ["U0NOBODY"]}}),
    )
    assert "is not a person of this workspace" in blocks_text(unknown["view"]["blocks"])
    bot.slack.add_user(SlackUser("U0GONE", "gone", "Gone Person", deleted=True))
    gone = forged_submission(
        bot,
        ADMIN,
        form,
        _state({**_valid(), "admins": {"type": "multi_users_select", "selected_users": ["U0GONE"]}}),
    )
    assert "is deactivated" in blocks_text(gone["view"]["blocks"])
    assert _accounts(engine) == []
    _expected_errors(bot, {"user_not_found"})  # Slack's answer for the forged id


def test_a_forged_set_up_from_someone_who_may_not_changes_nothing(
    bot: RunningBot, engine: Engine, workspace_admin: str
) -> None:
    form = open_setup(bot, ADMIN)
    answer = forged_submission(bot, "U0AG2", form, _state(_valid()))
    assert "A workspace admin can set it up" in blocks_text(answer["view"]["blocks"])
    assert _accounts(engine) == []
    assert _audit(engine) == []


def test_a_second_set_up_is_refused_naming_the_owner(
    bot: RunningBot, engine: Engine, workspace_admin: str
) -> None:
    bot.slack.add_user(SlackUser("U0ADM2", "zoe", "Zoe Admin", is_admin=True))
    first = open_setup(bot, ADMIN)
    second = open_setup(bot, "U0ADM2")
    submit(bot, ADMIN, first, _valid())
    answer = submit(bot, "U0ADM2", second, {**_valid(), "name": {"value": "Other"}})
    assert f"<@{ADMIN}> is its owner" in blocks_text(answer["view"]["blocks"])
    [account] = _accounts(engine)
    assert account.name == "Acme Support"


@pytest.mark.parametrize(
    ("channel", "private", "words"),
    [
        ("C0OUTSIDE", False, "seatbot joined <#C0OUTSIDE>"),  # public: seatbot joins it
        ("G0PRIVATE", True, "type `/invite @seatbot` there"),  # private: the person invites it
    ],
)
def test_the_alerts_channel_is_joined_or_the_person_told_to_invite_seatbot(
    bot: RunningBot, engine: Engine, workspace_admin: str, channel: str, private: bool, words: str
) -> None:
    bot.slack.add_channel(channel, "alerts-elsewhere", bot_is_member=False)
    form = open_setup(bot, ADMIN)
    done = submit(bot, ADMIN, form, {**_valid(), "alerts_channel": {"value": channel}})
    assert words in blocks_text(done["view"]["blocks"])
    assert bool(bot.slack.calls_to("conversations.join")) is not private
    assert _accounts(engine)[0].alerts_channel == channel
    # Slack does not disclose a private channel to a bot that is not in it.
    _expected_errors(bot, {"channel_not_found"} if private else set())


def _expected_errors(bot: RunningBot, errors: set[str]) -> None:
    """The Slack errors the test provoked, and no other; then forgotten for the teardown's check."""
    assert {call.error for call in bot.slack.api_errors()} == errors
    bot.slack.reset()


def _state(values: dict[str, Any]) -> dict[str, Any]:
    """A whole form's state as Slack would send it, with `values` (plain text unless typed)."""
    given = {
        "plan": {"type": "static_select", "selected_option": {"value": "self_service"}},
        "nudge_after": {"value": "24h"},
        "nudge_every": {"value": "24h"},
        "max_nudges": {"type": "number_input", "value": "3"},
        "expire_after": {"value": "14d"},
        "working_hours": {"value": "09:00-18:00"},
        **values,
    }
    return {
        block: {"value": entry if "type" in entry else {"type": "plain_text_input", "value": entry["value"]}}
        for block, entry in given.items()
    }


def test_the_installer_may_set_up_and_is_named_to_others(
    engine: Engine, slack: SlackStandIn, db_url: str
) -> None:
    globex = slack.add_team("T0GLOBEX", "Globex")
    for person in PEOPLE:
        globex.add_user(person)
    with serving_oauth(engine, slack, db_url) as oauth_bot:
        status, _ = oauth_bot.install(globex, user_id="U0AG1")  # not a workspace admin
        assert status == 200
        workspace = oauth_bot.workspace(globex)
        assert "Set up seatbot" in blocks_text(offer(workspace, "U0AG1").blocks)
        others = offer(workspace, "U0AG2")
        assert "<@U0AG1>, who installed it, or a workspace admin can set it up" in others.text
        assert "open_setup" not in blocks_text(others.blocks)
    assert globex.api_errors() == []
