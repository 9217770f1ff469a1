"""chat.postMessage, chat.update, chat.postEphemeral, chat.delete."""

from __future__ import annotations

from typing import Any

from standin.blockkit import MAX_MESSAGE_TEXT, normalize_blocks, validate_message_blocks
from standin.errors import ApiError
from standin.methods.base import CallContext, Method
from standin.params import Params
from standin.workspace import ChannelRecord, MessageRecord

_COMMON = frozenset(
    {
        "channel",
        "text",
        "blocks",
        "attachments",
        "markdown_text",
        "metadata",
        "link_names",
        "parse",
        "mrkdwn",
        "as_user",
        "icon_emoji",
        "icon_url",
        "username",
        "thread_ts",
    }
)
_POST = _COMMON | {"reply_broadcast", "unfurl_links", "unfurl_media", "container_id"}


def parse_blocks(params: Params) -> list[dict[str, Any]] | None:
    """The ``blocks`` argument validated like Slack does, or None when absent.

    Raises invalid_blocks_format (not an array / not JSON) or invalid_blocks with
    the list of problems in both ``errors`` and ``response_metadata.messages``.
    """
    if "blocks" not in params.raw or params.raw["blocks"] is None:
        return None
    blocks = params.decoded("blocks", error="invalid_blocks_format")
    if not isinstance(blocks, list):
        raise ApiError("invalid_blocks_format", messages=["blocks must be an array"])
    errors = validate_message_blocks(blocks)
    if errors:
        raise ApiError("invalid_blocks", messages=errors, extra={"errors": errors})
    return blocks


def parse_text(params: Params) -> str | None:
    text = params.string("text")
    markdown = params.string("markdown_text")
    if markdown is not None:
        if text is not None or "blocks" in params:
            raise ApiError("markdown_text_conflict")
        text = markdown
    if text is not None and len(text) > MAX_MESSAGE_TEXT:
        raise ApiError(
            "msg_too_long", messages=[f"text has {len(text)} characters, max is {MAX_MESSAGE_TEXT}"]
        )
    return text


def _metadata(params: Params) -> dict[str, Any] | None:
    if "metadata" not in params:
        return None
    metadata = params.decoded("metadata", error="invalid_metadata_format")
    if not isinstance(metadata, dict) or not {"event_type", "event_payload"} <= metadata.keys():
        raise ApiError("invalid_metadata_format", messages=["metadata needs event_type and event_payload"])
    return metadata


def _content(ctx: CallContext) -> tuple[str, list[dict[str, Any]]]:
    """Text and blocks of a new message; enforces no_text and warns on a missing fallback."""
    text = parse_text(ctx.params)
    blocks = parse_blocks(ctx.params) or []
    attachments = ctx.params.decoded("attachments", error="invalid_attachments")
    if not text and not blocks and not attachments:
        raise ApiError("no_text")
    if blocks and not text:
        # Slack accepts this but notifications and screen readers then show
        # nothing useful; slack_sdk warns about it too.
        ctx.warnings.append("missing_text")
    return text or "", blocks


def _target(ctx: CallContext) -> ChannelRecord:
    """The conversation a new message goes to (id, user id, or name like Slack)."""
    given = ctx.params.string("channel")
    channel = ctx.ws.resolve_channel(given, allow_user=True)
    if given not in (channel.id, channel.im_user):
        # Works in Slack, but breaks when the channel is renamed.
        ctx.warnings.append("channel_name_used")
    return channel


def post_message(ctx: CallContext) -> dict[str, Any]:
    ws, p = ctx.ws, ctx.params
    channel = _target(ctx)
    text, blocks = _content(ctx)
    ts = ws.next_ts()
    record = ws.add_message(
        MessageRecord(
            channel=channel.id,
            ts=ts,
            text=text,
            blocks=normalize_blocks(blocks, ts),
            user=ws.bot_user_id,
            thread_ts=p.string("thread_ts"),
            metadata=_metadata(p),
        )
    )
    return {"ok": True, "channel": channel.id, "ts": ts, "message": ws.message_payload(record)}


def post_ephemeral(ctx: CallContext) -> dict[str, Any]:
    ws, p = ctx.ws, ctx.params
    channel = _target(ctx)
    user_id = p.require("user", error="user_not_in_channel")
    user = ws.users.get(user_id)
    in_channel = user is not None and not user.deleted
    if channel.im_user is not None:
        in_channel = in_channel and channel.im_user == user_id
    if channel.mpim_users:
        in_channel = in_channel and user_id in channel.mpim_users
    if not in_channel:
        raise ApiError("user_not_in_channel")
    text, blocks = _content(ctx)
    ts = ws.next_ts()
    ws.add_message(
        MessageRecord(
            channel=channel.id,
            ts=ts,
            text=text,
            blocks=normalize_blocks(blocks, ts),
            user=ws.bot_user_id,
            ephemeral_for=user_id,
            thread_ts=p.string("thread_ts"),
        )
    )
    return {"ok": True, "message_ts": ts}


def _own_message(ctx: CallContext, forbidden: str) -> MessageRecord:
    ws, p = ctx.ws, ctx.params
    channel = ws.resolve_channel(p.string("channel"), allow_user=False)
    ts = p.require("ts", error="message_not_found")
    record = ws.find_message(channel.id, ts)
    if record is None or record.ephemeral_for is not None:
        # Ephemeral messages are not stored server-side, so the API cannot find them.
        raise ApiError("message_not_found")
    if record.user != ws.bot_user_id:
        raise ApiError(forbidden)
    return record


def update(ctx: CallContext) -> dict[str, Any]:
    ws, p = ctx.ws, ctx.params
    record = _own_message(ctx, "cant_update_message")
    text = parse_text(p)
    blocks = parse_blocks(p)
    # Slack keeps what the update leaves out; an empty blocks array removes blocks.
    new_text = record.text if text is None else text
    new_blocks = (
        record.blocks if blocks is None else normalize_blocks(blocks, f"{record.ts}+{len(record.edits) + 1}")
    )
    if not new_text and not new_blocks:
        raise ApiError("no_text")
    if new_blocks and not new_text:
        ctx.warnings.append("missing_text")
    ws.replace_message(record, new_text, new_blocks)
    return {
        "ok": True,
        "channel": record.channel,
        "ts": record.ts,
        "text": record.text,
        "message": ws.message_payload(record),
    }


def delete(ctx: CallContext) -> dict[str, Any]:
    record = _own_message(ctx, "cant_delete_message")
    record.deleted = True
    return {"ok": True, "channel": record.channel, "ts": record.ts}


METHODS: dict[str, Method] = {
    "chat.postMessage": Method(post_message, _POST),
    "chat.postEphemeral": Method(post_ephemeral, _COMMON | {"user"}),
    "chat.update": Method(update, _COMMON | {"ts", "reply_broadcast", "file_ids"}),
    "chat.delete": Method(delete, frozenset({"channel", "ts", "as_user"})),
}
