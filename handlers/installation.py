"""seatbot uninstalled from a workspace, or its bot token revoked.

The installation is removed from the store and the account is paused: its data
is kept (and exportable), and nothing is sent for it until seatbot is installed
again. The event is acknowledged first; the work goes to the queue.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.runtime.deps import Deps, deps_of
from bot.services.installation import uninstalled
from handlers.flow import soon

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("app_uninstalled")(app_uninstalled)
    app.event("tokens_revoked")(tokens_revoked)


def app_uninstalled(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
    ack()
    _pause(deps_of(context), _team(body, context), reason="app_uninstalled")


def tokens_revoked(ack: Ack, event: dict[str, Any], body: dict[str, Any], context: BoltContext) -> None:
    ack()
    tokens = event.get("tokens") if isinstance(event.get("tokens"), dict) else {}
    if tokens and tokens.get("bot"):  # user tokens: seatbot asks for none, keeps none
        _pause(deps_of(context), _team(body, context), reason="tokens_revoked")


def _team(body: dict[str, Any], context: BoltContext) -> str:
    return str(context.team_id or body.get("team_id") or "")


def _pause(deps: Deps, team_id: str, *, reason: str) -> None:
    if not team_id:
        return

    def work() -> None:
        deps.workspaces.uninstall(team_id)
        paused = deps.write(uninstalled, team_id=team_id, now=deps.clock(), reason=reason)
        logger.info("uninstalled team=%s reason=%s account_paused=%s", team_id, reason, paused)

    soon(deps, work, name=reason)
