"""conversations.history: what a bot reads back of a conversation it is in;
conversations.list: the workspace's channels, to find one by name;
conversations.info: one channel, and whether the bot is in it;
conversations.join: the bot joins a public channel (a private one needs an invitation).

Messages come newest first, top-level only (thread replies are not listed),
and carry their metadata only with ``include_all_metadata``, as in Slack.
"""

from __future__ import annotations

from typing import Any

from standin.errors import ApiError
from standin.methods.base import CallContext, Method
from standin.workspace import ChannelRecord

_MAX_LIMIT = 999


def _bound(value: str | None, default: float) -> float:
    if value is None:
        return default
    try:
        return float(value)
    except ValueError as exc:
        raise ApiError("invalid_ts_oldest") from exc


def history(ctx: CallContext) -> dict[str, Any]:
    ws, p = ctx.ws, ctx.params
    channel = ws.resolve_channel(p.require("channel", error="channel_not_found"), allow_user=False)
    oldest = _bound(p.string("oldest"), 0.0)
    latest = _bound(p.string("latest"), float("inf"))
    inclusive = p.flag("inclusive")
    limit = max(1, min(p.integer("limit", 100), _MAX_LIMIT))
    start = int(p.string("cursor") or 0)

    def inside(ts: float) -> bool:
        if inclusive:
            return oldest <= ts <= latest
        return oldest < ts < latest

    listed = [
        m
        for m in ws.messages.get(channel.id, [])
        if not m.deleted and m.ephemeral_for is None and m.thread_ts in (None, m.ts) and inside(float(m.ts))
    ]
    listed.sort(key=lambda m: float(m.ts), reverse=True)
    page = listed[start : start + limit]
    messages = []
    for record in page:
        payload = ws.message_payload(record)
        if not p.flag("include_all_metadata"):
            payload.pop("metadata", None)
        messages.append(payload)
    more = start + limit < len(listed)
    return {
        "ok": True,
        "messages": messages,
        "has_more": more,
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


_TYPES = frozenset({"public_channel", "private_channel", "mpim", "im"})


def list_conversations(ctx: CallContext) -> dict[str, Any]:
    """Channels in a stable order, a page of ``limit`` (default 100) at a time.

    As in Slack, ``types`` defaults to public channels; a private channel is one
    whose id starts with G, and DMs are listed only when asked for.
    """
    ws, p = ctx.ws, ctx.params
    types = {t.strip() for t in (p.string("types") or "public_channel").split(",") if t.strip()}
    if not types <= _TYPES:
        raise ApiError("invalid_types")
    limit = max(1, min(p.integer("limit", 100), 1000))
    cursor = p.string("cursor") or "0"
    if not cursor.isdigit():
        raise ApiError("invalid_cursor")
    start = int(cursor)

    listed = [c for c in ws.channels.values() if _kind(c) in types]
    page = listed[start : start + limit]
    more = start + limit < len(listed)
    return {
        "ok": True,
        "channels": [_channel_object(c) for c in page],
        "response_metadata": {"next_cursor": str(start + limit) if more else ""},
    }


def _kind(channel: ChannelRecord) -> str:
    if channel.im_user is not None:
        return "im"
    if channel.mpim_users:
        return "mpim"
    return "private_channel" if channel.id.startswith("G") else "public_channel"


def _channel_object(c: ChannelRecord) -> dict[str, Any]:
    kind = _kind(c)
    return {
        "id": c.id,
        "name": c.name,
        "is_channel": kind == "public_channel",
        "is_group": kind == "private_channel",
        "is_im": kind == "im",
        "is_mpim": kind == "mpim",
        "is_private": kind != "public_channel",
        "is_archived": False,
        "is_member": c.bot_is_member,
    }


def _known_channel(ctx: CallContext) -> ChannelRecord:
    """The channel named by ``channel``, as the bot may see it: a private channel the bot is
    not in is ``channel_not_found``, as in Slack (its existence is not disclosed)."""
    channel = ctx.ws.channels.get(ctx.params.require("channel", error="channel_not_found"))
    if channel is None or (_kind(channel) != "public_channel" and not channel.bot_is_member):
        raise ApiError("channel_not_found")
    return channel


def info(ctx: CallContext) -> dict[str, Any]:
    return {"ok": True, "channel": _channel_object(_known_channel(ctx))}


def join(ctx: CallContext) -> dict[str, Any]:
    """The bot joins a public channel; a private one (or a DM) is ``method_not_supported_for_channel_type``.
    Joining a channel it is already in answers ``already_in_channel`` as a warning, as Slack does."""
    channel = _known_channel(ctx)
    if _kind(channel) != "public_channel":
        raise ApiError("method_not_supported_for_channel_type")
    reply: dict[str, Any] = {"ok": True}
    if channel.bot_is_member:
        reply["warning"] = "already_in_channel"
        reply["response_metadata"] = {"warnings": ["already_in_channel"]}
    channel.bot_is_member = True
    reply["channel"] = _channel_object(channel)
    return reply


METHODS: dict[str, Method] = {
    "conversations.list": Method(
        list_conversations, frozenset({"types", "exclude_archived", "limit", "cursor", "team_id"})
    ),
    "conversations.info": Method(info, frozenset({"channel", "include_locale", "include_num_members"})),
    "conversations.join": Method(join, frozenset({"channel"})),
    "conversations.history": Method(
        history,
        frozenset({"channel", "oldest", "latest", "inclusive", "limit", "cursor", "include_all_metadata"}),
    ),
}
