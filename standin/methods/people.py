"""auth.test, users.info, users.list, conversations.open, apps.connections.open."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from standin.errors import ApiError
from standin.methods.base import CallContext, Method
from standin.models import SlackUser
from standin.workspace import ChannelRecord, Workspace


def auth_test(ctx: CallContext) -> dict[str, Any]:
    ws = ctx.ws
    bot = ws.users.get(ws.bot_user_id)
    return {
        "ok": True,
        "url": f"https://{ws.team_name.lower()}.slack.com/",
        "team": ws.team_name,
        "user": bot.name if bot else "bot",
        "team_id": ws.team_id,
        "user_id": ws.bot_user_id,
        "bot_id": ws.bot_id,
        "is_enterprise_install": False,
    }


def _tz_label(user: SlackUser) -> str:
    try:
        return datetime.now(UTC).astimezone(ZoneInfo(user.tz)).tzname() or user.tz
    except (ZoneInfoNotFoundError, ValueError):
        return user.tz


def user_object(ws: Workspace, user: SlackUser, *, include_locale: bool) -> dict[str, Any]:
    """A user as users.info/users.list describe them (``locale`` only when asked for)."""
    profile: dict[str, Any] = {
        "real_name": user.real_name,
        "display_name": user.display_name,
        "real_name_normalized": user.real_name,
        "display_name_normalized": user.display_name,
        "status_text": "",
        "status_emoji": "",
        "team": ws.team_id,
    }
    if user.email is not None:
        profile["email"] = user.email
    if user.is_bot:
        profile["bot_id"] = ws.bot_id if user.id == ws.bot_user_id else "B" + user.id[1:]
    obj: dict[str, Any] = {
        "id": user.id,
        "team_id": ws.team_id,
        "name": user.name,
        "deleted": user.deleted,
        "real_name": user.real_name,
        "tz": user.tz,
        "tz_label": _tz_label(user),
        "tz_offset": user.tz_offset,
        "profile": profile,
        "is_admin": user.is_admin or user.is_owner,
        "is_owner": user.is_owner,
        "is_primary_owner": False,
        "is_restricted": False,
        "is_ultra_restricted": False,
        "is_bot": user.is_bot,
        "is_app_user": False,
        "updated": 1700000000,
    }
    if include_locale:
        obj["locale"] = user.locale
    return obj


def users_info(ctx: CallContext) -> dict[str, Any]:
    user_id = ctx.params.require("user", error="user_not_found")
    user = ctx.ws.users.get(user_id)
    if user is None:
        raise ApiError("user_not_found")
    return {"ok": True, "user": user_object(ctx.ws, user, include_locale=ctx.params.flag("include_locale"))}


def _encode_cursor(user_id: str) -> str:
    return base64.b64encode(f"user:{user_id}".encode()).decode()


def _decode_cursor(cursor: str) -> str:
    try:
        decoded = base64.b64decode(cursor.encode(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError("invalid_cursor") from None
    if not decoded.startswith("user:"):
        raise ApiError("invalid_cursor")
    return decoded[len("user:") :]


def users_list(ctx: CallContext) -> dict[str, Any]:
    """Pages through members in a stable order; ``limit`` 0/absent means all at once."""
    ws, p = ctx.ws, ctx.params
    users = list(ws.users.values())
    start = 0
    cursor = p.string("cursor")
    if cursor:
        wanted = _decode_cursor(cursor)
        ids = [u.id for u in users]
        if wanted not in ids:
            raise ApiError("invalid_cursor")
        start = ids.index(wanted)
    limit = min(p.integer("limit", 0), 1000)
    end = len(users) if limit <= 0 else start + limit
    page = users[start:end]
    next_cursor = _encode_cursor(users[end].id) if end < len(users) else ""
    include_locale = p.flag("include_locale")
    return {
        "ok": True,
        "members": [user_object(ws, u, include_locale=include_locale) for u in page],
        "cache_ts": int(ws.clock()),
        "response_metadata": {"next_cursor": next_cursor},
    }


def _check_user(ws: Workspace, user_id: str) -> None:
    user = ws.users.get(user_id)
    if user is None:
        raise ApiError("user_not_found")
    if user.deleted:
        raise ApiError("user_disabled")


def conversations_open(ctx: CallContext) -> dict[str, Any]:
    """Open (or find) the bot's DM with one person, or a group DM with several."""
    ws, p = ctx.ws, ctx.params
    channel_id, users_arg = p.string("channel"), p.string("users")
    if channel_id:
        channel = ws.channels.get(channel_id)
        if channel is None or (channel.im_user is None and not channel.mpim_users):
            raise ApiError("channel_not_found")
        return {
            "ok": True,
            "no_op": True,
            "already_open": True,
            "channel": _channel_obj(channel, p.flag("return_im")),
        }
    if not users_arg:
        raise ApiError("users_list_not_supplied")
    user_ids = [u.strip() for u in users_arg.split(",") if u.strip()]
    if len(user_ids) > 8:
        raise ApiError("too_many_users")
    for user_id in user_ids:
        _check_user(ws, user_id)
    if len(user_ids) == 1:
        existed = any(c.im_user == user_ids[0] for c in ws.channels.values())
        channel = ws.im_for(user_ids[0])
    else:
        members = tuple(sorted(set(user_ids)))
        found = [c for c in ws.channels.values() if c.mpim_users == members]
        existed = bool(found)
        channel = found[0] if found else ChannelRecord(id=ws.new_id("G"), name="mpdm", mpim_users=members)
        ws.channels[channel.id] = channel
    body: dict[str, Any] = {"ok": True, "channel": _channel_obj(channel, p.flag("return_im"))}
    if existed:
        body.update(no_op=True, already_open=True)
    return body


def _channel_obj(channel: ChannelRecord, full: bool) -> dict[str, Any]:
    if not full:
        return {"id": channel.id}
    obj: dict[str, Any] = {"id": channel.id, "is_im": channel.im_user is not None, "is_open": True}
    if channel.im_user is not None:
        obj["user"] = channel.im_user
    else:
        obj["is_mpim"] = True
    return obj


def connections_open(ctx: CallContext) -> dict[str, Any]:
    if ctx.socket_url is None:
        raise ApiError("internal_error", messages=["Socket Mode is not available"])
    return {"ok": True, "url": ctx.socket_url()}


METHODS: dict[str, Method] = {
    "auth.test": Method(auth_test, frozenset()),
    "users.info": Method(users_info, frozenset({"user", "include_locale"})),
    "users.list": Method(users_list, frozenset({"cursor", "limit", "include_locale", "team_id"})),
    "conversations.open": Method(
        conversations_open, frozenset({"channel", "users", "return_im", "prevent_creation"})
    ),
    "apps.connections.open": Method(connections_open, frozenset(), token="app"),
}
