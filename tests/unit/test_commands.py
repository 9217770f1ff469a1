"""Lenient parsing of /seats sub-commands."""

from __future__ import annotations

import pytest

from bot.domain.commands import ShowHelp, ShowSummary, parse
from bot.domain.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", ShowSummary()),
        ("   ", ShowSummary()),
        ("summary", ShowSummary()),
        ("  SUMMARY ", ShowSummary()),
        ("help", ShowHelp()),
        ("Aide", ShowHelp()),
        ("frobnicate", ShowHelp(unknown="frobnicate")),  # unknown verbs get help, echoed back
        ("summary please", ShowHelp(unknown="summary please")),  # trailing words are not ignored
        ("re\u0301sume\u0301", ShowSummary()),  # decomposed accents are normalised (French alias)
    ],
)
def test_parse(text: str, expected: object) -> None:
    assert parse(text) == expected


def test_huge_input_is_cut_short() -> None:
    parsed = parse("x" * 10_000)
    assert isinstance(parsed, ShowHelp)
    assert parsed.unknown is not None
    assert len(parsed.unknown) <= 501


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("15m", 900), ("24h", 86400), ("14d", 1209600)])
def test_durations_round_trip(text: str, seconds: int) -> None:
    assert parse_duration(text).total_seconds() == seconds
    assert parse_duration(format_duration(seconds)).total_seconds() == seconds


@pytest.mark.parametrize("text", ["", "24", "h", "-1h", "0s", "1w", "1.5h"])
def test_bad_durations(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)
