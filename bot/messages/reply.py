"""A message ready to send: fallback text plus Block Kit blocks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    PlainTextObject,
    SectionBlock,
)

from bot.messages.limits import (
    CONTEXT_ELEMENTS,
    FIELD_TEXT,
    HEADER_TEXT,
    SECTION_FIELDS,
    SECTION_TEXT,
    shorten,
)


@dataclass(frozen=True)
class Reply:
    text: str
    """Notification and accessibility fallback; Slack shows it where blocks can't be."""
    blocks: list[Block] = field(default_factory=list)

    def payload(self) -> dict[str, Any]:
        return {"text": self.text, "blocks": self._block_dicts()}

    def ephemeral_body(self) -> bytes:
        """The JSON posted to a response_url: seen by that person alone, below what they
        clicked. Encoded once, as the blocks are converted once (`_block_dicts`)."""
        body: bytes | None = self.__dict__.get("_ephemeral_body")
        if body is None:
            answer = {**self.payload(), "response_type": "ephemeral", "replace_original": False}
            body = json.dumps(answer).encode()
            object.__setattr__(self, "_ephemeral_body", body)
        return body

    def _block_dicts(self) -> list[dict[str, Any]]:
        """The blocks as Slack takes them, converted once: a reply shown again (the same
        summary to a team) is not converted again. Whoever sends them only reads them; two
        threads converting at once get equal lists, and one is kept (no lock on the way)."""
        converted: list[dict[str, Any]] | None = self.__dict__.get("_converted")
        if converted is None:
            converted = [b.to_dict() for b in self.blocks]
            object.__setattr__(self, "_converted", converted)  # frozen: a memo, not a field
        return converted


def header(text: str) -> HeaderBlock:
    return HeaderBlock(text=PlainTextObject(text=shorten(text, HEADER_TEXT), emoji=True))


def section(text: str, *, block_id: str | None = None) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=shorten(text, SECTION_TEXT)), block_id=block_id)


def context(*texts: str) -> ContextBlock:
    return ContextBlock(
        elements=[MarkdownTextObject(text=shorten(t, SECTION_TEXT)) for t in texts if t][:CONTEXT_ELEMENTS]
    )


def fields_section(texts: list[str], *, block_id: str | None = None) -> SectionBlock:
    """Up to ten short texts Slack lays out in two columns (one on mobile)."""
    return SectionBlock(
        fields=[MarkdownTextObject(text=shorten(t, FIELD_TEXT)) for t in texts[:SECTION_FIELDS]],
        block_id=block_id,
    )


def divider() -> DividerBlock:
    return DividerBlock()
