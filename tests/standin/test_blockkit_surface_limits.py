"""The validator rejects what Slack rejects for large content: blocks per surface, and the
text limits seatbot's builders must respect (so a regression fails a test, not in Slack)."""

from __future__ import annotations

from typing import Any

import pytest

from standin.blockkit import validate_message_blocks, validate_view


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def option(text: str, value: str = "v") -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def select_input(options: list[dict[str, Any]], label: str = "Products") -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "pick",
        "label": plain(label),
        "element": {"type": "multi_static_select", "action_id": "pick", "options": options},
    }


def modal(*blocks: dict[str, Any]) -> dict[str, Any]:
    return {"type": "modal", "title": plain("Seats"), "submit": plain("Send"), "blocks": list(blocks)}


DIVIDER = {"type": "divider"}


@pytest.mark.parametrize(
    ("blocks", "expected"),
    [
        ([DIVIDER] * 51, "at most 50 items"),  # a message holds 50 blocks
        ([{"type": "section", "fields": [mrkdwn("x")] * 11}], "at most 10 items"),
        ([{"type": "section", "fields": [mrkdwn("x" * 2001)]}], "at most 2000"),
        ([{"type": "section", "text": mrkdwn("x" * 3001)}], "at most 3000"),
        ([{"type": "context", "elements": [mrkdwn("x")] * 11}], "at most 10 items"),
        ([{"type": "header", "text": plain("x" * 151)}], "at most 150"),
        (
            [
                {
                    "type": "actions",
                    "elements": [{"type": "button", "action_id": "a", "text": plain("x" * 76)}],
                }
            ],
            "at most 75",
        ),
    ],
)
def test_message_limits(blocks: list[dict[str, Any]], expected: str) -> None:
    assert any(expected in e for e in validate_message_blocks(blocks))


@pytest.mark.parametrize(
    ("view", "expected"),
    [
        ({"type": "home", "blocks": [DIVIDER] * 101}, "at most 100 items"),  # App Home holds 100
        (modal(*[DIVIDER] * 101), "at most 100 items"),
        (modal(select_input([option(f"p{i}", f"p{i}") for i in range(101)])), "at most 100 items"),
        (modal(select_input([option("x" * 76)])), "at most 75"),
        (modal(select_input([option("x")], label="x" * 2001)), "at most 2000"),
        ({**modal(DIVIDER), "title": plain("x" * 25)}, "at most 24"),
    ],
)
def test_view_limits(view: dict[str, Any], expected: str) -> None:
    assert any(expected in e for e in validate_view(view))


def test_a_home_tab_of_100_blocks_and_a_picker_of_100_products_pass() -> None:
    assert validate_view({"type": "home", "blocks": [DIVIDER] * 100}) == []
    options = [option(f"Product {i}", f"p{i}") for i in range(100)]
    assert validate_view(modal(select_input(options), *[DIVIDER] * 99)) == []
