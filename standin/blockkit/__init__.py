"""Block Kit validation as strict as Slack's API (and then some).

Public API:

* :func:`validate_message_blocks` — errors for a message's ``blocks`` array.
* :func:`validate_view` — errors for a modal or Home tab view.
* :func:`normalize_blocks` — what Slack stores: blocks with generated ids.

An empty error list means valid.  Each error ends in
``[json-pointer:/blocks/3/text]`` like Slack's ``response_metadata.messages``.
"""

from __future__ import annotations

from typing import Any

from standin.blockkit import sdk_check
from standin.blockkit.blocks import (
    MAX_MESSAGE_BLOCKS,
    MAX_VIEW_BLOCKS,
    check_block,
    check_view,
)
from standin.blockkit.context import Ctx
from standin.blockkit.normalize import normalize_blocks

# chat.postMessage truncates/rejects (msg_too_long) top-level text past this.
MAX_MESSAGE_TEXT = 40000

__all__ = [
    "MAX_MESSAGE_BLOCKS",
    "MAX_MESSAGE_TEXT",
    "MAX_VIEW_BLOCKS",
    "normalize_blocks",
    "validate_message_blocks",
    "validate_view",
]


def _with_sdk_opinion(ctx: Ctx, blocks: list[Any], ptr: str) -> None:
    """Ask slack_sdk about every block our own schema found clean."""
    for i, block in enumerate(blocks):
        where = f"{ptr}/{i}"
        if isinstance(block, dict) and not ctx.errors_under(where):
            ctx.errors += sdk_check.check_block(block, where)


def validate_message_blocks(blocks: list[dict[str, Any]]) -> list[str]:
    """Validate a message's ``blocks`` (≤50 blocks; ids unique within the message)."""
    ctx = Ctx(surface="message")
    if not isinstance(blocks, list):
        ctx.error("/blocks", f"blocks must be an array, got {type(blocks).__name__}")
        return ctx.errors
    if len(blocks) > MAX_MESSAGE_BLOCKS:
        ctx.error("/blocks", f"must have at most {MAX_MESSAGE_BLOCKS} items, got {len(blocks)}")
    for i, block in enumerate(blocks):
        check_block(ctx, block, f"/blocks/{i}")
    _with_sdk_opinion(ctx, blocks, "/blocks")
    return ctx.errors


def validate_view(view: dict[str, Any]) -> list[str]:
    """Validate a modal or Home tab view as sent to ``views.*`` (≤100 blocks)."""
    kind = view.get("type") if isinstance(view, dict) else None
    ctx = Ctx(surface="home" if kind == "home" else "modal")
    check_view(ctx, view, "/view")
    if isinstance(view, dict) and isinstance(view.get("blocks"), list):
        _with_sdk_opinion(ctx, view["blocks"], "/view/blocks")
    if not ctx.errors and isinstance(view, dict):
        # The sdk's View validators (title length, home without submit...) as a
        # last cross-check once everything else is clean.
        ctx.errors += sdk_check.check_view(view, "/view")
    return ctx.errors
