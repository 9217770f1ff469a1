"""One mapping from every domain error to the words a person reads."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import errors
from bot.domain.errors import Problem, SeatbotError
from bot.messages.errors import error_reply, internal_error_reply

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

SAMPLES: dict[type[SeatbotError], SeatbotError] = {
    errors.AccountNotSetUp: errors.AccountNotSetUp("T0X"),
    errors.PermissionDenied: errors.PermissionDenied("change_seats", ["U0OWNER"]),
    errors.InvalidInput: errors.InvalidInput("too_many", max=100_000),
    errors.DraftRejected: errors.DraftRejected([Problem("no_change", None)]),
    errors.RequestsDisabled: errors.RequestsDisabled("U0OWNER"),
    errors.AlreadyPending: errors.AlreadyPending(3),
    errors.RequestNotFound: errors.RequestNotFound(3),
    errors.NothingToWithdraw: errors.NothingToWithdraw(),
    errors.NothingToAmend: errors.NothingToAmend(),
    errors.RequestChanged: errors.RequestChanged(3, 2),
    errors.OwnRequest: errors.OwnRequest(),
    errors.AlreadyDecided: errors.AlreadyDecided(3, "applied", "U0OWNER", NOW),
    errors.NoLongerApplicable: errors.NoLongerApplicable(
        [Problem("seats_moved", "support", {"product": "Support", "expected": 10, "now": 12})], request_id=3
    ),
    errors.SettingsRejected: errors.SettingsRejected([Problem("field_currency", "account.currency")]),
    errors.AlreadySetUp: errors.AlreadySetUp("U0OWNER"),
    errors.SetUpNotAllowed: errors.SetUpNotAllowed("U0INSTALLER"),
}


def _every_error_class() -> list[type[SeatbotError]]:
    found: list[type[SeatbotError]] = []
    pending = [SeatbotError]
    while pending:
        cls = pending.pop()
        found += [sub for sub in cls.__subclasses__() if sub.__module__ == errors.__name__]
        pending += cls.__subclasses__()
    return sorted(set(found), key=lambda c: c.__name__)


def test_every_error_class_has_a_sample_here() -> None:
    """A new domain error must be added to SAMPLES, and so get its words checked below."""
    assert set(_every_error_class()) == set(SAMPLES)


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("error", list(SAMPLES.values()), ids=lambda e: type(e).__name__)
def test_every_error_has_its_own_words(error: SeatbotError, language: str) -> None:
    reply = error_reply(error, language)
    internal = internal_error_reply(language)
    assert reply.text.strip()
    assert reply.text != internal.text, f"{type(error).__name__} falls back to the generic failure"


def _invalid_input_codes() -> set[str]:
    codes: set[str] = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            codes |= set(re.findall(r'InvalidInput\(\s*"([a-z_]+)"', path.read_text()))
    return codes


@pytest.mark.parametrize("language", ["en", "fr"])
def test_every_invalid_input_code_raised_anywhere_has_words(language: str) -> None:
    codes = _invalid_input_codes()
    assert "too_many" in codes  # the scan sees the code
    generic = internal_error_reply(language).text
    facts = {
        "text": "x",
        "products": ["support"],
        "product": "Support",
        "seats": 3,
        "value": 5,
        "max": 10,
        "user": "U0AG1",
        "owner": "U0OWNER",
        "used": 4,
    }
    for code in sorted(codes):
        reply = error_reply(errors.InvalidInput(code, **facts), language)
        assert reply.text != generic, f"InvalidInput({code!r}) has no words"
