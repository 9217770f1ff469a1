"""`seatbot demo` prints what people read, as a terminal can show it."""

from __future__ import annotations

import re

import pytest

from bot.messages.i18n import TEMPLATES_DIR
from bot.runtime.demo import run_demo
from bot.runtime.terminal import EMOJI, SHORTCODE, for_terminal


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


def test_every_emoji_seatbot_writes_has_its_terminal_form() -> None:
    words = "\n".join(path.read_text(encoding="utf-8") for path in TEMPLATES_DIR.glob("*.j2"))
    used = {name for name in SHORTCODE.findall(words) if not name[0].isdigit()}  # not "09:00-18:00"
    assert used - EMOJI.keys() == set()


def test_the_demo_prints_no_slack_markup(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo() == 0
    out = capsys.readouterr().out
    assert "Support · Professional" in out
    assert "Monthly total: €1,452.00" in out
    for markup in (
        "*Support*",
        "*Why:*",
        "<@U0",
        "<!date",
        "&lt;",
        "&gt;",
        "&amp;",
        ":inbox_tray:",
        ":pencil2:",
    ):
        assert markup not in out
    assert "HTTP" not in out  # people read what seatbot says, not how it travels


def _scene(out: str, title: str) -> str:
    """The text of the demo's scene whose title starts with `title`."""
    start = out.index(f"\n{title}")
    end = out.find("\n════", out.index("\n", start + 1) + 80)
    return out[start : end if end != -1 else len(out)]


def test_the_demo_shows_the_whole_product(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_demo() == 0
    out = capsys.readouterr().out
    declined = _scene(out, "8. ")
    assert "=== Refuser la demande ===" in declined  # the reason form, in the approver's French
    assert "declined by @Bastien Facturation" in declined
    assert "Reason: Budget gelé jusqu'en juillet" in declined
    withdrawn = _scene(out, "9. ")
    assert "/seats withdraw" in withdrawn
    assert "Demande n° 4 retirée" in withdrawn
    assert "↩️ Withdrawn by the requester" in withdrawn  # the owner's copy
    amended = _scene(out, "10. ")
    assert "=== Amend request ===" in amended
    assert "Support · Professional: [ 20 ]" in amended  # the form shows the pending counts
    assert "Request #5 is amended" in amended
    assert "Amended by @Alex Admin" in amended
    assert "Modifiée par @Alex Admin" in amended
    home = _scene(out, "11. ")
    assert "=== Home ===" in home
    assert "Waiting for your decision\n    │ #5 · from @Alex Admin" in home
    assert "SETTINGS" in home
    assert "[ Edit settings ]" in home
    forgotten = _scene(out, "12. ")
    assert "⏰ Reminder: this request has been waiting for your decision" in forgotten
    assert "⏰ Rappel : cette demande attend votre décision" in forgotten
    assert "#seat-alerts, seatbot posts:" in forgotten
    assert "@Olivia Owner and @Bastien Facturation, please decide" in forgotten
    assert "Your seat change request #5 expired without a decision" in forgotten
    assert "💤 Expired Jun 15, 2026" in forgotten
    reclaimed = _scene(out, "13. ")
    assert "@Dan Departed · Guide · deactivated in Slack   [ Unassign ]" in reclaimed
    assert "@Bo Agent · Talk · inactive for 58 days   [ Unassign ]" in reclaimed  # idle since 17 April
    assert "Your Talk seat was removed by @Alex Admin" in reclaimed  # Bo, told
    reduced = _scene(out, "14. ")
    assert reduced.count("@Mel Member would lose their seat") == 2  # in the form and on the card
    assert "Your Talk seat was removed: @Olivia Owner reduced the subscription" in reduced  # Mel, told
    allowed = _scene(out, "15. ")
    assert "it was approved and applied at once" in allowed
    assert "was approved automatically, within this month's standing allowance" in allowed
    assert "approuvée automatiquement" in allowed
    assert "[ Approve ]" not in allowed  # nothing for the approvers to press
    forecast = _scene(out, "16. ")
    assert re.search(r"⏳ At this pace Support is full in about (9|10|11) days", forecast), forecast
    ordered = _scene(out, "17. ")
    assert "[ Process order ]" in ordered
    assert "Order from Acme Support: change #8, applied by @Olivia Owner" in ordered
    assert "Support: 40 → 50 seats (+10)" in ordered
