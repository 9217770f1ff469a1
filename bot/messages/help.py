"""Block Kit for /seats help."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.messages.i18n import texts
from bot.messages.limits import shorten
from bot.messages.reply import Reply, context, header, section


def help_reply(language: str, *, unknown: str | None = None) -> Reply:
    """Usage; `unknown` is the sub-command we did not understand, shown back (escaped)."""
    t = texts("help", language)
    blocks: list[Block] = [header(t.plain("header"))]
    if unknown is not None:
        blocks.append(section(t("unknown", text=shorten(unknown, 200))))
    else:
        blocks.append(section(t("intro")))
    blocks += [section(t("commands")), context(t("footer"))]
    return Reply(text=t("fallback"), blocks=blocks)
