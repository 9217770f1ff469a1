"""Templates: complete in both languages, and no input can inject into a message."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from slack_sdk.models.blocks import Block

from bot.domain.errors import AccountNotSetUp, PermissionDenied
from bot.messages import i18n, seats
from bot.messages.errors import error_reply
from bot.messages.help import help_reply
from bot.messages.summary import summary_reply
from bot.services.summary import ProductUsage, Summary
from storage.models import Plan, Role

HOSTILE = '<!channel> *bold* <https://evil.example|click> & "quotes" \\ \u202e'


def _summary(name: str = "Acme", role: Role = Role.ADMIN) -> Summary:
    return Summary(
        account_name=name,
        plan=Plan.SALES_ASSISTED,
        currency="EUR",
        change_requests=True,
        viewer_role=role,
        alert_threshold_pct=80,
        products=(
            ProductUsage("support", name, "Pro", 10, 8, Decimal("115.50"), "Support Suite"),
            ProductUsage("talk", "Talk", "Team", 1, 1, None, None),
            ProductUsage("guide", "Guide", "Team", 0, 0, None, None),
        ),
    )


def test_every_message_in_the_templates_is_translated_to_french() -> None:
    method_map = [("**.j2", "jinja2")]
    options = {"**.j2": {"extensions": "jinja2.ext.i18n"}}
    found = {
        m[2] if isinstance(m[2], str) else m[2][0]
        for m in extract_from_dir(str(i18n.TEMPLATES_DIR), method_map, options)
    }
    po = i18n.LOCALE_DIR / "fr" / "LC_MESSAGES" / "messages.po"
    with po.open("rb") as handle:
        catalog = read_po(handle, locale="fr")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and (all(m.string) if isinstance(m.string, tuple) else m.string) and not m.fuzzy
    }
    assert found, "no message found in templates"
    assert sorted(found - translated) == []


@pytest.mark.parametrize("language", i18n.LANGUAGES)
@pytest.mark.parametrize(
    "reply",
    [
        lambda lang: summary_reply(_summary(), lang),
        lambda lang: summary_reply(_summary(role=Role.OWNER), lang),
        lambda lang: help_reply(lang),
        lambda lang: help_reply(lang, unknown="frob"),
        lambda lang: error_reply(PermissionDenied("see_summary", ["U0OWNER", "U0BILL"]), lang),
        lambda lang: error_reply(PermissionDenied("change_settings", []), lang),
        lambda lang: error_reply(AccountNotSetUp("T1"), lang),
    ],
)
def test_every_message_renders_valid_block_kit(language: str, reply: object) -> None:
    rendered = reply(language)  # type: ignore[operator]
    assert rendered.text
    for block in rendered.payload()["blocks"]:
        Block.parse(block).validate_json()  # type: ignore[union-attr]


def test_french_users_read_french() -> None:
    english = json.dumps(summary_reply(_summary(), "en").payload(), ensure_ascii=False)
    french = json.dumps(summary_reply(_summary(), "fr").payload(), ensure_ascii=False)
    assert "seats" in english
    assert "sièges" in french
    assert "115,50\xa0€" in french
    assert "€115.50" in english


def test_french_plural_rules() -> None:
    texts = i18n.texts("summary", "fr")
    one = ProductUsage("a", "A", "T", 1, 0, None, None)
    two = ProductUsage("a", "A", "T", 2, 2, None, None)
    assert "1 siège · 0 utilisé · 1 libre" in texts("product", product=one)
    assert "2 sièges · 2 utilisés · 0 libre" in texts("product", product=two)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_user_text_cannot_mention_link_or_format(language: str) -> None:
    payload = summary_reply(_summary(name=HOSTILE), language).payload()
    product_text = payload["blocks"][3]["text"]["text"]
    assert "<!channel>" not in product_text
    assert "&lt;!channel&gt;" in product_text
    assert "<https://" not in product_text
    assert "<!channel>" not in payload["text"]  # the notification text is mrkdwn too
    # plain_text fields show the name as typed: Slack does not parse them
    assert payload["blocks"][0]["text"]["text"].endswith(HOSTILE)


def test_unknown_command_is_echoed_escaped() -> None:
    section = help_reply("en", unknown="<@U123> <!here>").payload()["blocks"][1]["text"]["text"]
    assert "&lt;@U123&gt; &lt;!here&gt;" in section


def test_mentions_only_accept_ids() -> None:
    assert i18n.mention("U0OWNER") == "<@U0OWNER>"
    with pytest.raises(ValueError, match="not a Slack id"):
        i18n.mention("U1> <!channel")


@pytest.mark.parametrize(
    ("slack_locale", "language"),
    [
        ("fr-FR", "fr"),
        ("fr-CA", "fr"),
        ("en-GB", "en"),
        ("de-DE", "en"),
        (None, "en"),
        ("", "en"),
    ],
)
def test_language_from_slack_locale(slack_locale: str | None, language: str) -> None:
    assert i18n.language_for(slack_locale) == language


def test_templates_ship_inside_the_package() -> None:
    assert Path(i18n.TEMPLATES_DIR, "summary.j2").exists()
    assert Path(i18n.LOCALE_DIR, "fr", "LC_MESSAGES", "messages.po").exists()


def _alert(level: str, closed: bool, waiting: list[str]) -> object:
    from datetime import UTC, datetime

    from bot.services.ledger import AlertView
    from storage.models import AlertLevel

    at = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    return AlertView(
        "talk", HOSTILE, "Team", 3, 3, AlertLevel(level), at if closed else None, at, waiting, "EUR"
    )


def _assignment(outcome: str, can_buy: bool) -> object:
    from bot.services.assignments import Assignment, Outcome
    from storage.models import Product

    product = Product(
        id=1, account_id=1, key="talk", name="Talk", edition="Team", seats=3, price_per_seat=Decimal("19")
    )
    return Assignment(Outcome(outcome), product, 3, 2, can_buy, "EUR")


@pytest.mark.parametrize("language", i18n.LANGUAGES)
@pytest.mark.parametrize(
    "reply",
    [
        lambda lang: seats.alert_message(_alert("full", False, ["U0A"]), lang),
        lambda lang: seats.alert_message(_alert("warning", False, []), lang),
        lambda lang: seats.alert_message(_alert("full", True, ["U0A"]), lang),
        lambda lang: seats.assignment_reply(
            _assignment("waiting", True), target="U0A", language=lang, currency="EUR"
        ),
        lambda lang: seats.assignment_reply(
            _assignment("waiting", False), target="U0A", language=lang, currency="EUR"
        ),
        lambda lang: seats.assignment_reply(
            _assignment("assigned", False), target="U0A", language=lang, currency="EUR"
        ),
        lambda lang: seats.undeliverable_message(channel="C0ALERTS", error="not_in_channel", language=lang),
    ],
)
def test_seat_messages_render_valid_block_kit(language: str, reply: object) -> None:
    rendered = reply(language)  # type: ignore[operator]
    assert "<!channel>" not in rendered.text
    for block in rendered.payload()["blocks"]:
        Block.parse(block).validate_json()  # type: ignore[union-attr]
        assert "<!channel>" not in json.dumps(block)


def test_closed_alerts_have_no_button() -> None:
    from bot.messages.seats import alert_message

    closed = alert_message(_alert("full", True, ["U0A"]), "en").payload()  # type: ignore[arg-type]
    assert "open_change_modal" not in json.dumps(closed)
    assert "this alert is over" in json.dumps(closed)


def test_the_working_view_is_drawn_once_yet_each_ack_gets_its_own_copy() -> None:
    from bot.messages.change_modal import working_view

    english, french = working_view("en"), working_view("fr")
    assert english["title"]["text"] != french["title"]["text"]
    english["blocks"].clear()  # what one ack does to its copy…
    assert working_view("en")["blocks"], "…the next ack does not see"
