"""Composition objects: text, option, option group, confirmation dialog, filters.

Limits follow Slack's Block Kit reference (docs.slack.dev/reference/block-kit/
composition-objects).  Every checker reports through :class:`Ctx` and returns
nothing useful to callers except where noted.
"""

from __future__ import annotations

from typing import Any

from standin.blockkit.context import Ctx

TEXT_TYPES = frozenset({"plain_text", "mrkdwn"})
_PLAIN_KEYS = frozenset({"type", "text", "emoji"})
_MRKDWN_KEYS = frozenset({"type", "text", "verbatim"})
MAX_TEXT = 3000


def text_object(
    ctx: Ctx,
    value: Any,
    pointer: str,
    *,
    plain_only: bool = False,
    max_len: int = MAX_TEXT,
    what: str = "text",
) -> str | None:
    """Check a ``plain_text``/``mrkdwn`` text object; return its text when well-formed.

    ``plain_only`` mirrors fields Slack documents as "can only be of type
    plain_text" (headers, labels, button text, modal title...): a mrkdwn object
    there is rejected by Slack, not rendered.
    """
    if not isinstance(value, dict):
        ctx.error(pointer, f"{what} must be a text object, got {type(value).__name__}")
        return None
    kind = value.get("type")
    if kind not in TEXT_TYPES:
        ctx.error(f"{pointer}/type", f"{what} type must be plain_text or mrkdwn, got {kind!r}")
        return None
    if plain_only and kind != "plain_text":
        ctx.error(f"{pointer}/type", f"{what} must be a plain_text text object, got {kind}")
    allowed = _PLAIN_KEYS if kind == "plain_text" else _MRKDWN_KEYS
    ctx.obj(value, pointer, allowed=allowed, required=frozenset({"type", "text"}))
    text = ctx.string(value, "text", pointer, max_len=max_len)
    ctx.boolean(value, "emoji", pointer)
    ctx.boolean(value, "verbatim", pointer)
    return text


def option(
    ctx: Ctx,
    value: Any,
    pointer: str,
    *,
    mrkdwn_ok: bool = False,
    url_ok: bool = False,
) -> None:
    """Check an option object (select menus, overflow, checkboxes, radio buttons).

    ``mrkdwn_ok``: checkboxes and radio buttons may use mrkdwn text; menus may not.
    ``url_ok``: only overflow menu options may carry a ``url``.
    """
    allowed = {"text", "value", "description"}
    if url_ok:
        allowed.add("url")
    if not ctx.obj(value, pointer, allowed=frozenset(allowed), required=frozenset({"text", "value"})):
        return
    if "text" in value:
        text_object(ctx, value["text"], f"{pointer}/text", plain_only=not mrkdwn_ok, max_len=75)
    ctx.string(value, "value", pointer, max_len=150)
    if "description" in value:
        text_object(ctx, value["description"], f"{pointer}/description", plain_only=not mrkdwn_ok, max_len=75)
    ctx.string(value, "url", pointer, max_len=3000)


def option_group(ctx: Ctx, value: Any, pointer: str) -> list[Any]:
    """Check an option group; return its options for initial-option matching."""
    if not ctx.obj(
        value, pointer, allowed=frozenset({"label", "options"}), required=frozenset({"label", "options"})
    ):
        return []
    if "label" in value:
        text_object(ctx, value["label"], f"{pointer}/label", plain_only=True, max_len=75)
    options = ctx.array(value.get("options"), f"{pointer}/options", max_items=100)
    for i, item in enumerate(options):
        option(ctx, item, f"{pointer}/options/{i}")
    return options


def confirm(ctx: Ctx, value: Any, pointer: str) -> None:
    """Check a confirmation dialog object."""
    keys = frozenset({"title", "text", "confirm", "deny", "style"})
    if not ctx.obj(value, pointer, allowed=keys, required=frozenset({"title", "text", "confirm", "deny"})):
        return
    if "title" in value:
        text_object(ctx, value["title"], f"{pointer}/title", plain_only=True, max_len=100)
    if "text" in value:
        text_object(ctx, value["text"], f"{pointer}/text", max_len=300)
    for key in ("confirm", "deny"):
        if key in value:
            text_object(ctx, value[key], f"{pointer}/{key}", plain_only=True, max_len=30)
    style(ctx, value, pointer)


def style(ctx: Ctx, parent: dict[str, Any], pointer: str) -> None:
    """``style`` is either absent or one of primary/danger ("default" is spelled by omission)."""
    if "style" in parent and parent["style"] not in ("primary", "danger"):
        ctx.error(f"{pointer}/style", f"style must be primary or danger, got {parent['style']!r}")


def dispatch_action_config(ctx: Ctx, value: Any, pointer: str) -> None:
    keys = frozenset({"trigger_actions_on"})
    if not ctx.obj(value, pointer, allowed=keys):
        return
    triggers = ctx.array(value.get("trigger_actions_on", []), f"{pointer}/trigger_actions_on", max_items=2)
    for i, trigger in enumerate(triggers):
        if trigger not in ("on_enter_pressed", "on_character_entered"):
            ctx.error(f"{pointer}/trigger_actions_on/{i}", f"unknown trigger {trigger!r}")


def conversation_filter(ctx: Ctx, value: Any, pointer: str) -> None:
    keys = frozenset({"include", "exclude_external_shared_channels", "exclude_bot_users"})
    if not ctx.obj(value, pointer, allowed=keys):
        return
    if not value:
        ctx.error(pointer, "filter must set at least one field")
    for i, kind in enumerate(ctx.array(value.get("include", ["im"]), f"{pointer}/include", max_items=4)):
        if kind not in ("im", "mpim", "private", "public"):
            ctx.error(f"{pointer}/include/{i}", f"unknown conversation type {kind!r}")
    ctx.boolean(value, "exclude_external_shared_channels", pointer)
    ctx.boolean(value, "exclude_bot_users", pointer)
