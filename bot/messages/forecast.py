"""The words of a run-out forecast, shared by the summary, the alert and the change form."""

from __future__ import annotations

from bot.domain.forecast import RunOut
from bot.messages.i18n import texts

WEEKS_FROM = 21
"""From three weeks on, "about N weeks" reads truer than a count of days."""


def runs_out_text(product: str, runs_out: RunOut, language: str) -> str:
    t = texts("forecast", language)
    if runs_out.days >= WEEKS_FROM:
        return t("runs_out_weeks", product=product, weeks=round(runs_out.days / 7))
    return t("runs_out_days", product=product, days=runs_out.days)
