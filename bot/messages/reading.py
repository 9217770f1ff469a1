"""A request in full, in a modal: every line, everyone who loses a seat, the whole
justification and decline reason, where the messages had to shorten them."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.blocks import Block, PlainTextObject
from slack_sdk.models.views import View

from bot.domain.request_view import RequestView
from bot.messages.i18n import escape_mrkdwn, people, slack_date, texts
from bot.messages.limits import ELLIPSIS, SECTION_TEXT, VIEW_BLOCKS, VIEW_TITLE, chunks, shorten
from bot.messages.reply import context, divider, section
from bot.messages.requests import cost_text, line_sections, request_status

READ_CALLBACK = "read_request"
RELEASE_SECTIONS = 20


def _plain(text: str, limit: int) -> PlainTextObject:
    return PlainTextObject(text=shorten(text, limit), emoji=True)


def _long_text(title: str, text: str) -> list[Block]:
    """A bold title, then the text (escaped) over as many sections as it needs."""
    return [section(part) for part in chunks([title, *escape_mrkdwn(text).split("\n")], SECTION_TEXT)]


def request_modal(view: RequestView, language: str) -> dict[str, Any]:
    t = texts("requests", language)
    cost = cost_text(t, view)
    blocks: list[Block] = [
        section(t("read_intro", id=view.id, requester=view.requester_id, count=len(view.lines))),
        context(
            t("sent_at", id=view.id, when=slack_date(view.created_at, language)),
            request_status(view, language),
        ),
        divider(),
        *line_sections(view.lines, language, extra=[cost]),
    ]
    if view.releases:
        heading = t("read_releases", count=len(view.releases))
        parts = chunks([heading, people(list(view.releases), language)])
        if len(parts) > RELEASE_SECTIONS:
            # Thousands of agents: the first ones, and room left for the justification.
            parts = [
                *parts[: RELEASE_SECTIONS - 1],
                shorten(f"{parts[RELEASE_SECTIONS - 1]} {ELLIPSIS}", SECTION_TEXT),
            ]
        blocks += [section(part) for part in parts]
    blocks.append(divider())
    if view.justification:
        blocks += _long_text(t("read_justification"), view.justification)
    else:
        blocks.append(section(t("no_justification")))
    if view.decline_reason:
        blocks += _long_text(t("read_reason"), view.decline_reason)
    if len(blocks) > VIEW_BLOCKS:
        # Beyond any text seatbot accepts (justifications are capped), but never an invalid view.
        blocks = [*blocks[: VIEW_BLOCKS - 1], context(t("read_cut"))]
    modal = View(
        type="modal",
        callback_id=READ_CALLBACK,
        title=_plain(t.plain("read_title", id=view.id), VIEW_TITLE),
        close=_plain(t.plain("read_close"), VIEW_TITLE),
        blocks=blocks,
    )
    return modal.to_dict()
