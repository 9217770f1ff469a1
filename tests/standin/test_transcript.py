"""Block Kit rendered as a person reads it."""

from __future__ import annotations

from standin import render_message, render_view
from standin.mrkdwn import readable
from tests.standin.conftest import button, modal, section, text_input

NAMES = {"U0ALICE": "Alice Martin", "C0SEATS": "seat-requests"}


def names(id: str) -> str:
    return NAMES.get(id, id)


def test_mrkdwn_is_made_readable() -> None:
    text = (
        "<@U0ALICE> asked in <#C0SEATS> <!here>: see <https://x.test/r/1|request #1>"
        " &lt;now&gt; &amp; <mailto:a@b.c|a@b.c> <!subteam^S1|@admins> <#C0OTHER|other>"
    )
    assert (
        readable(text, names)
        == "@Alice Martin asked in #seat-requests @here: see request #1 <now> & a@b.c @admins #other"
    )


def test_message_rendering() -> None:
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "Seat request"}},
        section("*Figma* for <@U0ALICE>", accessory=button("Details", "d")),
        {
            "type": "section",
            "fields": [{"type": "mrkdwn", "text": "*Tool*\nFigma"}, {"type": "mrkdwn", "text": "*Seats*\n3"}],
        },
        {"type": "divider"},
        {
            "type": "context",
            "elements": [{"type": "mrkdwn", "text": "Requested today"}, {"type": "mrkdwn", "text": "#42"}],
        },
        {
            "type": "actions",
            "elements": [
                button("Approve", "a", style="primary"),
                button("Decline", "b", style="danger"),
                button("Later", "c"),
            ],
        },
    ]
    assert render_message(blocks, "fallback", names=names).splitlines() == [
        "SEAT REQUEST",
        "*Figma* for @Alice Martin   [ Details ]",
        "*Tool*                              *Seats*",
        "Figma                               3",
        "─" * 40,
        "  Requested today  ·  #42",
        "[ Approve ] (primary)   [ Decline ] (danger)   [ Later ]",
    ]
    assert render_message([], "Hi <@U0ALICE>", names=names) == "Hi @Alice Martin"


def test_view_rendering_shows_inputs_and_buttons() -> None:
    view = modal(
        text_input("tool", "tool", placeholder={"type": "plain_text", "text": "e.g. Figma"}),
        text_input("why", "why", optional=True),
        close={"type": "plain_text", "text": "Cancel"},
    )
    view["state"] = {"values": {"why": {"why": {"type": "plain_text_input", "value": "design"}}}}
    assert render_view(view, names=names).splitlines() == [
        "=== Request a seat ===",
        "Tool: [ (e.g. Figma) ]",
        "Why (optional): [ design ]",
        "[ Cancel ]   [ Send ] (primary)",
    ]
    assert render_view({"type": "home", "blocks": [section("Hello")]}, names=names) == "=== Home ===\nHello"
