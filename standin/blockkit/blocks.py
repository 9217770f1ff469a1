"""Layout blocks and the two surfaces that hold them (messages and views).

Block limits are Slack's documented ones; the surface decides which block types
are legal (``markdown`` only in messages) and how many blocks fit (50 in a
message, 100 in a modal or Home tab).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from standin.blockkit import composition as comp
from standin.blockkit import elements as els
from standin.blockkit.context import MAX_ID_LENGTH, Ctx, Surface

MAX_MESSAGE_BLOCKS = 50
MAX_VIEW_BLOCKS = 100
MAX_VIEW_TITLE = 24  # title, submit and close
MAX_PRIVATE_METADATA = 3000

BlockChecker = Callable[[Ctx, dict[str, Any], str], None]
ALL_SURFACES: frozenset[Surface] = frozenset({"message", "modal", "home"})


@dataclass(frozen=True)
class BlockSpec:
    keys: frozenset[str]
    required: frozenset[str]
    check: BlockChecker
    surfaces: frozenset[Surface] = ALL_SURFACES


def _section(ctx: Ctx, block: dict[str, Any], ptr: str) -> None:
    if "text" not in block and "fields" not in block:
        ctx.error(ptr, "a section needs text or fields")
    if "text" in block:
        comp.text_object(ctx, block["text"], f"{ptr}/text", max_len=3000)
    if "fields" in block:
        fields = ctx.array(block["fields"], f"{ptr}/fields", max_items=10)
        for i, field in enumerate(fields):
            comp.text_object(ctx, field, f"{ptr}/fields/{i}", max_len=2000, what="field")
    if "accessory" in block:
        els.element(
            ctx,
            block["accessory"],
            f"{ptr}/accessory",
            allowed=els.SECTION_ACCESSORIES,
            where="a section accessory",
        )
    ctx.boolean(block, "expand", ptr)


def _divider(ctx: Ctx, block: dict[str, Any], ptr: str) -> None:
    """A divider has nothing but type and block_id."""


def _header(ctx: Ctx, block: dict[str, Any], ptr: str) -> None:
    if "text" in block:
        comp.text_object(ctx, block["text"], f"{ptr}/text", plain_only=True, max_len=150)


def _context(ctx: Ctx, block: dict[str, Any], ptr: str) -> None:
    items = ctx.array(block.get("elements"), f"{ptr}/elements", max_items=10)
    for i, item in enumerate(items):
        where = f"{ptr}/elements/{i}"
        if isinstance(item, dict) and item.get("type") in comp.TEXT_TYPES:
            comp.text_object(ctx, item, where)
        else:
            els.element(ctx, item, where, allowed=frozenset({"image"}), where="a context block")


def _actions(ctx: Ctx, block: dict[str, Any], ptr: str) -> None:
    items = ctx.array(block.get("elements"), f"{ptr}/elements", max_items=25)
    for i, item in enumerate(items):
        els.element(ctx, item, f"{ptr}/elements/{i}", allowed=els.ACTIONS_ELEMENTS, where="an actions block")


def _input(ctx: Ctx, block: dict[str, Any], ptr: str) -> None:
    if "label" in block:
        comp.text_object(ctx, block["label"], f"{ptr}/label", plain_only=True, max_len=2000)
    if "hint" in block:
        comp.text_object(ctx, block["hint"], f"{ptr}/hint", plain_only=True, max_len=2000)
    ctx.boolean(block, "optional", ptr)
    ctx.boolean(block, "dispatch_action", ptr)
    if "element" in block:
        els.element(
            ctx, block["element"], f"{ptr}/element", allowed=els.INPUT_ELEMENTS, where="an input block"
        )


def _image(ctx: Ctx, block: dict[str, Any], ptr: str) -> None:
    ctx.string(block, "alt_text", ptr, max_len=2000)
    ctx.string(block, "image_url", ptr, max_len=3000)
    if ("image_url" in block) == ("slack_file" in block):
        ctx.error(ptr, "exactly one of image_url or slack_file is required")
    if "title" in block:
        comp.text_object(ctx, block["title"], f"{ptr}/title", plain_only=True, max_len=2000)


_RICH_TEXT_CHILDREN = frozenset(
    {"rich_text_section", "rich_text_list", "rich_text_preformatted", "rich_text_quote"}
)


def _rich_text(ctx: Ctx, block: dict[str, Any], ptr: str) -> None:
    # Rich text is what Slack clients produce; the stand-in only checks its outline.
    for i, item in enumerate(ctx.array(block.get("elements"), f"{ptr}/elements")):
        if not isinstance(item, dict) or item.get("type") not in _RICH_TEXT_CHILDREN:
            ctx.error(
                f"{ptr}/elements/{i}", "rich_text elements must be rich_text_section/list/preformatted/quote"
            )


def _markdown(ctx: Ctx, block: dict[str, Any], ptr: str) -> None:
    ctx.string(block, "text", ptr, max_len=12000)


_BASE = frozenset({"type", "block_id"})
_REQ = frozenset({"type"})

BLOCKS: dict[str, BlockSpec] = {
    "section": BlockSpec(_BASE | {"text", "fields", "accessory", "expand"}, _REQ, _section),
    "divider": BlockSpec(_BASE, _REQ, _divider),
    "header": BlockSpec(_BASE | {"text"}, _REQ | {"text"}, _header),
    "context": BlockSpec(_BASE | {"elements"}, _REQ | {"elements"}, _context),
    "actions": BlockSpec(_BASE | {"elements"}, _REQ | {"elements"}, _actions),
    "input": BlockSpec(
        _BASE | {"label", "element", "hint", "optional", "dispatch_action"},
        _REQ | {"label", "element"},
        _input,
    ),
    "image": BlockSpec(_BASE | {"image_url", "slack_file", "alt_text", "title"}, _REQ | {"alt_text"}, _image),
    "rich_text": BlockSpec(_BASE | {"elements"}, _REQ | {"elements"}, _rich_text),
    "markdown": BlockSpec(_BASE | {"text"}, _REQ | {"text"}, _markdown, frozenset({"message"})),
}


def check_block(ctx: Ctx, block: Any, ptr: str) -> None:
    if not isinstance(block, dict):
        ctx.error(ptr, f"block must be an object, got {type(block).__name__}")
        return
    kind = block.get("type")
    spec = BLOCKS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        ctx.error(
            f"{ptr}/type", f"unknown block type {kind!r} (the stand-in knows {', '.join(sorted(BLOCKS))})"
        )
        return
    if ctx.surface not in spec.surfaces:
        ctx.error(f"{ptr}/type", f"block type {kind!r} is not allowed in a {ctx.surface}")
    ctx.obj(block, ptr, allowed=spec.keys, required=spec.required)
    ctx.block_id(block, ptr)
    spec.check(ctx, block, ptr)


def check_blocks(ctx: Ctx, blocks: Any, ptr: str, *, max_blocks: int, min_blocks: int) -> None:
    items = ctx.array(blocks, ptr, min_items=min_blocks, max_items=max_blocks)
    for i, block in enumerate(items):
        check_block(ctx, block, f"{ptr}/{i}")


_MODAL_KEYS = frozenset(
    {
        "type",
        "title",
        "blocks",
        "close",
        "submit",
        "private_metadata",
        "callback_id",
        "clear_on_close",
        "notify_on_close",
        "external_id",
        "submit_disabled",
    }
)
_HOME_KEYS = frozenset({"type", "blocks", "private_metadata", "callback_id", "external_id"})


def check_view(ctx: Ctx, view: Any, ptr: str) -> None:
    """Check a view as given to views.open/push/update/publish (not as Slack returns it)."""
    if not isinstance(view, dict):
        ctx.error(ptr, f"view must be an object, got {type(view).__name__}")
        return
    kind = view.get("type")
    if kind not in ("modal", "home"):
        ctx.error(f"{ptr}/type", f"view type must be modal or home, got {kind!r}")
        return
    if kind == "modal":
        ctx.obj(view, ptr, allowed=_MODAL_KEYS, required=frozenset({"type", "title", "blocks"}))
        for key in ("title", "submit", "close"):
            if key in view:
                comp.text_object(
                    ctx, view[key], f"{ptr}/{key}", plain_only=True, max_len=MAX_VIEW_TITLE, what=key
                )
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in view.get("blocks") or [])
        if has_input and "submit" not in view:
            ctx.error(ptr, "a modal with input blocks must have a submit button")
        ctx.boolean(view, "clear_on_close", ptr)
        ctx.boolean(view, "notify_on_close", ptr)
        ctx.boolean(view, "submit_disabled", ptr)
    else:
        ctx.obj(view, ptr, allowed=_HOME_KEYS, required=frozenset({"type", "blocks"}))
    ctx.string(view, "private_metadata", ptr, max_len=MAX_PRIVATE_METADATA, min_len=0)
    # Slack itself reports "" for an unset callback_id/external_id, so "" is accepted.
    ctx.string(view, "callback_id", ptr, max_len=MAX_ID_LENGTH, min_len=0)
    ctx.string(view, "external_id", ptr, max_len=MAX_ID_LENGTH, min_len=0)
    if "blocks" in view:
        check_blocks(ctx, view["blocks"], f"{ptr}/blocks", max_blocks=MAX_VIEW_BLOCKS, min_blocks=1)
