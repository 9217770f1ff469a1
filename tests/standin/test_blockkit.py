"""Block Kit validation: good surfaces pass, each documented limit is enforced."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from standin.blockkit import normalize_blocks, sdk_check, validate_message_blocks, validate_view
from tests.standin.conftest import button, modal, section, text_input


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


OPTION_A = {"text": plain("Figma"), "value": "figma"}
OPTION_B = {"text": plain("Notion"), "value": "notion"}

GOOD_MESSAGE: list[dict[str, Any]] = [
    {"type": "header", "text": plain("Seat request")},
    section("*Alice* wants a seat", accessory=button("Details", "details")),
    {"type": "section", "fields": [mrkdwn("*Tool*\nFigma"), mrkdwn("*Seats*\n3")]},
    {"type": "divider"},
    {
        "type": "context",
        "elements": [
            mrkdwn("Requested <!date^1700000000^{date}|today>"),
            {"type": "image", "image_url": "https://x.test/a.png", "alt_text": "a"},
        ],
    },
    {
        "type": "actions",
        "block_id": "decide",
        "elements": [
            button("Approve", "approve", style="primary"),
            button(
                "Decline",
                "decline",
                style="danger",
                confirm={
                    "title": plain("Sure?"),
                    "text": mrkdwn("Decline it?"),
                    "confirm": plain("Yes"),
                    "deny": plain("No"),
                },
            ),
            {
                "type": "static_select",
                "action_id": "tool",
                "placeholder": plain("Tool"),
                "options": [OPTION_A, OPTION_B],
                "initial_option": OPTION_B,
            },
            {"type": "overflow", "action_id": "more", "options": [OPTION_A]},
            {"type": "datepicker", "action_id": "when", "initial_date": "2024-02-29"},
            {"type": "users_select", "action_id": "who", "initial_user": "U0ALICE"},
            {
                "type": "checkboxes",
                "action_id": "flags",
                "options": [{"text": mrkdwn("*urgent*"), "value": "u"}],
            },
        ],
    },
    {
        "type": "input",
        "dispatch_action": True,
        "label": plain("Seats"),
        "element": {
            "type": "number_input",
            "action_id": "seats",
            "is_decimal_allowed": False,
            "min_value": "1",
            "max_value": "50",
            "initial_value": "3",
        },
    },
    {"type": "image", "image_url": "https://x.test/b.png", "alt_text": "chart", "title": plain("Usage")},
    {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "hi"}]}],
    },
    {"type": "markdown", "text": "**bold**"},
]


def test_good_message_is_valid() -> None:
    assert validate_message_blocks(GOOD_MESSAGE) == []


def test_good_modal_and_home_are_valid() -> None:
    assert (
        validate_view(
            modal(
                text_input("reason", "reason", multiline=True, max_length=500),
                private_metadata="x" * 3000,
                callback_id="request",
            )
        )
        == []
    )
    assert validate_view({"type": "home", "blocks": GOOD_MESSAGE[:6]}) == []


def broken(index: int, path: list[str | int], value: Any) -> list[dict[str, Any]]:
    """GOOD_MESSAGE with one value replaced (value=DELETE removes the key)."""
    blocks = copy.deepcopy(GOOD_MESSAGE)
    target: Any = blocks[index]
    for step in path[:-1]:
        target = target[step]
    if value is DELETE:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return blocks


DELETE = object()

MESSAGE_CASES = [
    ("header text too long", broken(0, ["text", "text"], "x" * 151), "at most 150"),
    ("header mrkdwn", broken(0, ["text"], mrkdwn("x")), "must be a plain_text"),
    ("section text too long", broken(1, ["text", "text"], "x" * 3001), "at most 3000"),
    ("section needs text", broken(1, ["text"], DELETE), "needs text or fields"),
    ("eleven fields", broken(2, ["fields"], [mrkdwn("f")] * 11), "at most 10 items"),
    ("field too long", broken(2, ["fields", 0, "text"], "x" * 2001), "at most 2000"),
    ("unknown block key", broken(3, ["colour"], "red"), "invalid additional property: colour"),
    ("unknown block type", broken(3, ["type"], "video"), "unknown block type"),
    ("context has 11 elements", broken(4, ["elements"], [mrkdwn("c")] * 11), "at most 10 items"),
    ("button in context", broken(4, ["elements", 0], button("x", "ctx")), "not allowed in a context block"),
    (
        "actions has 26 elements",
        broken(5, ["elements"], [button(str(i), f"b{i}") for i in range(26)]),
        "at most 25 items",
    ),
    ("button text too long", broken(5, ["elements", 0, "text", "text"], "x" * 76), "at most 75"),
    ("button text mrkdwn", broken(5, ["elements", 0, "text"], mrkdwn("*Go*")), "must be a plain_text"),
    ("button value too long", broken(5, ["elements", 0, "value"], "x" * 2001), "at most 2000"),
    ("button style", broken(5, ["elements", 0, "style"], "success"), "primary or danger"),
    (
        "unknown element key",
        broken(5, ["elements", 0, "colour"], "red"),
        "invalid additional property: colour",
    ),
    ("unknown element type", broken(5, ["elements", 0, "type"], "slider"), "unknown element type"),
    ("action_id too long", broken(5, ["elements", 0, "action_id"], "a" * 256), "at most 255"),
    (
        "duplicate action_id",
        broken(5, ["elements", 1, "action_id"], "approve"),
        'duplicate action_id "approve"',
    ),
    ("block_id too long", broken(5, ["block_id"], "b" * 256), "at most 255"),
    ("duplicate block_id", broken(4, ["block_id"], "decide"), 'duplicate block_id "decide"'),
    (
        "confirm missing deny",
        broken(5, ["elements", 1, "confirm", "deny"], DELETE),
        "missing required field: deny",
    ),
    (
        "initial option not offered",
        broken(5, ["elements", 2, "initial_option"], {"text": plain("Slack"), "value": "slack"}),
        "exactly match",
    ),
    (
        "select option mrkdwn",
        broken(5, ["elements", 2, "options", 0, "text"], mrkdwn("*F*")),
        "must be a plain_text",
    ),
    ("option value too long", broken(5, ["elements", 2, "options", 0, "value"], "v" * 151), "at most 150"),
    ("overflow has 6 options", broken(5, ["elements", 3, "options"], [OPTION_A] * 6), "at most 5 items"),
    ("bad date", broken(5, ["elements", 4, "initial_date"], "2023-02-29"), "real date"),
    (
        "plain_text_input in actions",
        broken(5, ["elements", 5], {"type": "plain_text_input", "action_id": "t"}),
        "not allowed in an actions block",
    ),
    ("number out of range", broken(6, ["element", "initial_value"], "51"), "between min_value and max_value"),
    ("decimal not allowed", broken(6, ["element", "min_value"], "1.5"), "must be an integer"),
    ("input label too long", broken(6, ["label", "text"], "x" * 2001), "at most 2000"),
    ("image without url", broken(7, ["image_url"], DELETE), "exactly one of image_url or slack_file"),
    ("empty text", broken(1, ["text", "text"], ""), "at least 1"),
    ("emoji on mrkdwn", broken(1, ["text", "emoji"], True), "invalid additional property: emoji"),
    ("number as text", broken(1, ["text", "text"], 42), "must be a string"),
]


@pytest.mark.parametrize(
    ("blocks", "expected"), [(b, e) for _, b, e in MESSAGE_CASES], ids=[c[0] for c in MESSAGE_CASES]
)
def test_message_limits(blocks: list[dict[str, Any]], expected: str) -> None:
    errors = validate_message_blocks(blocks)
    assert any(expected in e for e in errors), errors
    assert all("[json-pointer:/blocks/" in e for e in errors)


def test_too_many_blocks_in_a_message() -> None:
    assert validate_message_blocks([{"type": "divider"}] * 50) == []
    errors = validate_message_blocks([{"type": "divider"}] * 51)
    assert any("at most 50" in e for e in errors)


def test_blocks_must_be_an_array() -> None:
    assert validate_message_blocks({"type": "divider"}) != []  # type: ignore[arg-type]


VIEW_CASES = [
    ("title too long", modal(section("x"), title=plain("x" * 25)), "at most 24"),
    ("submit too long", modal(section("x"), submit=plain("x" * 25)), "at most 24"),
    ("close too long", modal(section("x"), close=plain("x" * 25)), "at most 24"),
    ("title mrkdwn", modal(section("x"), title=mrkdwn("Hi")), "must be a plain_text"),
    (
        "inputs need submit",
        {k: v for k, v in modal(text_input("a", "a")).items() if k != "submit"},
        "must have a submit",
    ),
    ("metadata too long", modal(section("x"), private_metadata="x" * 3001), "at most 3000"),
    ("callback_id too long", modal(section("x"), callback_id="c" * 256), "at most 255"),
    ("101 blocks", modal(*[{"type": "divider"}] * 101), "at most 100"),
    ("no blocks", modal(), "at least 1"),
    ("returned view fields", modal(section("x"), id="V1", hash="1.a"), "invalid additional property: id"),
    ("markdown block in a modal", modal({"type": "markdown", "text": "x"}), "not allowed in a modal"),
    (
        "home with title",
        {"type": "home", "title": plain("Home"), "blocks": [section("x")]},
        "invalid additional property: title",
    ),
    ("unknown view type", {"type": "sheet", "blocks": []}, "modal or home"),
    (
        "two focus_on_load",
        modal(text_input("a", "a", focus_on_load=True), text_input("b", "b", focus_on_load=True)),
        "only one element",
    ),
    (
        "duplicate action ids in one block",
        modal({"type": "actions", "elements": [button("A", "same"), button("B", "same")]}),
        'duplicate action_id "same" in one block',
    ),
]


@pytest.mark.parametrize(
    ("view", "expected"), [(v, e) for _, v, e in VIEW_CASES], ids=[c[0] for c in VIEW_CASES]
)
def test_view_limits(view: dict[str, Any], expected: str) -> None:
    errors = validate_view(view)
    assert any(expected in e for e in errors), errors


def test_an_action_id_may_repeat_across_blocks() -> None:
    # Slack's rule is per block: one Approve button per request, told apart by block_id.
    assert validate_view(modal(text_input("a", "same"), text_input("b", "same"))) == []
    rows = [
        section(f"Request {i}", block_id=f"req:{i}", accessory=button("Approve", "approve")) for i in range(3)
    ]
    assert validate_message_blocks(rows) == []


def test_a_hundred_blocks_fit_in_a_view() -> None:
    assert validate_view(modal(*[{"type": "divider"}] * 100)) == []


def test_normalize_fills_ids_like_slack() -> None:
    blocks = [
        section("x", accessory=button("Go", "go")),
        {"type": "actions", "elements": [{"type": "button", "text": plain("B")}]},
    ]
    stored = normalize_blocks(blocks, "1700000000.000100")
    assert blocks[0].get("block_id") is None  # input untouched
    assert stored[0]["block_id"]
    assert stored[1]["block_id"]
    assert stored[0]["block_id"] != stored[1]["block_id"]
    assert stored[0]["accessory"]["action_id"] == "go"
    assert stored[1]["elements"][0]["action_id"]
    assert normalize_blocks(blocks, "1700000000.000100") == stored  # stable per salt
    assert validate_message_blocks(stored) == []


def test_the_sdk_opinion_is_remembered_per_json_and_place() -> None:
    """Each distinct block is round-tripped through slack_sdk once; the answer is the
    same for the same JSON at the same place, and a changed block is checked afresh."""
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}
    assert sdk_check.check_block(block, "/blocks/0") == []
    block["mystery"] = 1  # the same dict, changed since: not the remembered answer
    assert sdk_check.check_block(block, "/blocks/0") == [
        "slack_sdk does not know this property [json-pointer:/blocks/0/mystery]"
    ]
    assert sdk_check.check_block(dict(block), "/blocks/3") == [
        "slack_sdk does not know this property [json-pointer:/blocks/3/mystery]"
    ]
    view = {"type": "modal", "title": {"type": "plain_text", "text": "x" * 25}, "blocks": []}
    first = sdk_check.check_view(view, "/view")
    assert first
    assert sdk_check.check_view(view, "/view") == first
