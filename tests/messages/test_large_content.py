"""Builders given the largest content seatbot accepts stay within Slack's limits, and
shorten with an ellipsis (never mid-mention) rather than cut."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest

from bot.domain.request_view import LineView, RequestView
from bot.messages import i18n
from bot.messages.change_modal import summary_blocks
from bot.messages.limits import ELLIPSIS, chunks, shorten
from bot.messages.reading import request_modal
from bot.messages.requests import (
    approval_message,
    order_message,
    outcome_message,
    pending_exists,
    requests_list,
)
from bot.messages.summary import summary_reply
from bot.services.drafts import ChangePreview, Holder, LinePreview
from bot.services.summary import ProductUsage, Summary
from standin.blockkit import validate_message_blocks, validate_view
from storage.models import Plan, RequestStatus, Role

AT = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
NAME = "N" * 70  # product names go up to 80 characters


def _view(status: RequestStatus = RequestStatus.PENDING, **overrides: Any) -> RequestView:
    lines = tuple(
        LineView(
            f"{NAME} {i:03d}", 100_000, 0, Decimal("999.99"), tuple(f"U{i:03d}{j:05d}" for j in range(3))
        )
        for i in range(100)
    )
    facts: dict[str, Any] = {
        "id": 123456,
        "requester_id": "U0ADMIN",
        "status": status,
        "direct": False,
        "justification": "We grow & hire <fast>.\n" * 430,  # ~10,000 characters, the stored maximum
        "created_at": AT,
        "decided_by": None if status is RequestStatus.PENDING else "U0OWNER",
        "decided_at": None if status is RequestStatus.PENDING else AT,
        "decline_reason": "&" * 1000 if status is RequestStatus.DECLINED else None,
        "currency": "EUR",
        "lines": lines,
    }
    facts.update(overrides)
    return RequestView(**facts)


def _payload(blocks: list[Any]) -> list[dict[str, Any]]:
    return [b.to_dict() for b in blocks]


def test_shorten_ends_with_an_ellipsis_and_never_splits_a_mention_or_an_entity() -> None:
    assert shorten("short", 10) == "short"
    assert shorten("a" * 20, 10) == "a" * 9 + ELLIPSIS
    assert shorten("abcd <@U0ADMIN> rest", 10) == "abcd" + ELLIPSIS
    assert shorten("abcdef &amp; rest", 10) == "abcdef" + ELLIPSIS


def test_chunks_keep_every_line_within_the_limit() -> None:
    lines = [f"line {i} " + "x" * 50 for i in range(200)] + ["word " * 1000]
    packed = chunks(lines, 3000)
    assert all(len(p) <= 3000 for p in packed)
    assert "\n".join(packed).replace("\n", " ").split() == " ".join(lines).split()


@pytest.mark.parametrize("language", i18n.LANGUAGES)
@pytest.mark.parametrize(
    "message",
    [
        lambda v, lang: approval_message(v, lang, requester_name="Alex"),
        lambda v, lang: approval_message(v, lang, requester_name="Alex", reminder=True),
        lambda v, lang: approval_message(
            v, lang, requester_name="Alex", escalated=True, approvers=["U0OWNER"]
        ),
        lambda v, lang: approval_message(_view(RequestStatus.DECLINED), lang, requester_name="Alex"),
        lambda v, lang: outcome_message(_view(RequestStatus.DECLINED), lang),
        lambda v, lang: order_message(_view(RequestStatus.APPLIED), account="A" * 200, language=lang),
        lambda v, lang: pending_exists(v, lang),
        lambda v, lang: requests_list(
            [_view(id=i) for i in range(10)], [_view(id=i) for i in range(10, 20)], lang
        ),
    ],
    ids=["approval", "reminder", "escalation", "declined", "outcome", "order", "pending", "lists"],
)
def test_messages_of_the_largest_request_are_valid(language: str, message: Any) -> None:
    reply = message(_view(), language)
    blocks = _payload(reply.blocks)
    assert validate_message_blocks(blocks) == []
    assert len(blocks) <= 50


def test_a_shortened_justification_or_reason_offers_the_whole() -> None:
    reply = approval_message(_view(RequestStatus.DECLINED), "en", requester_name="Alex")
    cut = [b for b in _payload(reply.blocks) if b.get("text", {}).get("text", "").endswith(ELLIPSIS)]
    assert len(cut) == 3  # who loses a seat, the justification and the decline reason
    assert all(b["accessory"]["action_id"] == "read_request" for b in cut)


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_the_largest_request_reads_in_full_within_one_modal(language: str) -> None:
    view = _view(RequestStatus.DECLINED)
    modal = request_modal(view, language)
    assert validate_view(modal) == []
    text = "".join(b["text"]["text"] for b in modal["blocks"] if b["type"] == "section")
    assert f"{NAME} 099" in text
    assert text.count("We grow &amp; hire &lt;fast&gt;.") == 430
    assert "&amp;" * 1000 in text.replace("\n", "")
    assert "<@U09900002>" in text


@pytest.mark.parametrize("language", i18n.LANGUAGES)
def test_a_summary_of_100_products_fits_a_message(language: str) -> None:
    products = tuple(
        ProductUsage(f"p{i}", f"{NAME} {i:03d}", "E" * 80, 100_000, i, Decimal("999.99"), "S" * 40)
        for i in range(100)
    )
    summary = Summary("A" * 200, Plan.SELF_SERVICE, "EUR", True, Role.OWNER, 90, products)
    blocks = _payload(summary_reply(summary, language).blocks)
    assert validate_message_blocks(blocks) == []
    assert len(blocks) <= 50
    text = str(blocks)
    assert all(f"{NAME} {i:03d}" in text for i in range(100))


def test_the_live_summary_of_a_huge_reduction_stays_bounded() -> None:
    lines = tuple(
        LinePreview(
            key=f"p{i}",
            name=f"{NAME} {i:03d}",
            edition="Team",
            before=1000,
            after=0,
            used=1000,
            price_per_seat=Decimal("10"),
            suite=None,
            releases=tuple(Holder(f"U{i:03d}{j:05d}", AT) for j in range(1000)),
        )
        for i in range(100)
    )
    blocks = _payload(summary_blocks(ChangePreview(currency="EUR", lines=lines), "en"))
    sections = [b for b in blocks if b["type"] == "section"]
    assert len(sections) == 8
    assert sections[-1]["text"]["text"].endswith(ELLIPSIS)
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Seats"}, "blocks": blocks}
    view["submit"] = {"type": "plain_text", "text": "Send"}
    assert validate_view(view) == []
