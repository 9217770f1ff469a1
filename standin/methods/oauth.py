"""oauth.v2.access: a code from the authorize page exchanged for the workspace's bot token."""

from __future__ import annotations

from typing import Any

from standin.errors import ApiError
from standin.methods.base import CallContext, Method


def oauth_v2_access(ctx: CallContext) -> dict[str, Any]:
    if ctx.oauth is None:
        raise ApiError("internal_error", messages=["OAuth is not available"])
    params = ctx.params
    team, grant = ctx.oauth.exchange(
        client_id=params.string("client_id"),
        client_secret=params.string("client_secret"),
        code=params.string("code"),
        redirect_uri=params.string("redirect_uri"),
    )
    ws = team.ws  # identity only: fixed when the workspace was made, read without its lock
    return {
        "ok": True,
        "app_id": ws.app_id,
        "authed_user": {"id": grant.user_id},
        "scope": grant.scopes,
        "token_type": "bot",
        "access_token": team.bot_token,
        "bot_user_id": ws.bot_user_id,
        "team": {"id": ws.team_id, "name": ws.team_name},
        "enterprise": None,
        "is_enterprise_install": False,
    }


METHODS: dict[str, Method] = {
    "oauth.v2.access": Method(
        oauth_v2_access,
        frozenset({"client_id", "client_secret", "code", "redirect_uri", "grant_type", "refresh_token"}),
        token="none",
    ),
}
