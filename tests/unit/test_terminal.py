"""`seatbot demo` prints what people read, as a terminal can show it."""

from __future__ import annotations

import pytest

from bot.runtime.demo import run_demo
from bot.runtime.terminal import for_terminal


@pytest.mark.parametrize(
    ("mrkdwn", "plain"),
    [
        ("*Support* · Professional", "Support · Professional"),
        ("Monthly total: *€1,452.00*", "Monthly total: €1,452.00"),
        ("*Why:* Six _new_ agents", "Why: Six new agents"),
        ("~old~ new", "old new"),
        (":warning: full", "⚠️ full"),
        (":made_up: stays", ":made_up: stays"),  # an emoji we don't know is left as written
        ("change `alerts_channel` or `*x*`", "change `alerts_channel` or `*x*`"),  # code as written
        ("snake_case_words and 2*3*4", "snake_case_words and 2*3*4"),  # not emphasis in Slack either
    ],
)
def test_emphasis_and_emoji_read_as_text(mrkdwn: str, plain: str) -> None:
    assert for_terminal(mrkdwn, ansi=False) == plain


def test_on_a_terminal_emphasis_is_drawn() -> None:
    assert for_terminal("*Support* and _this_", ansi=True) == "\033[1mSupport\033[0m and \033[3mthis\033[0m"


def test_the_demo_prints_no_slack_markup(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo() == 0
    out = capsys.readouterr().out
    assert "Support · Professional" in out
    assert "Monthly total: €1,452.00" in out
    for markup in ("*Support*", "*Why:*", "<@U0", "<!date", "&lt;", "&gt;", "&amp;", ":inbox_tray:"):
        assert markup not in out
