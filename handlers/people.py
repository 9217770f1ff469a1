"""Slack tells seatbot when someone of the workspace changes (`user_change`).

Of a change seatbot keeps one thing: whether the person is now deactivated. Their
seats are then marked as seats to free before buying more, so every approval card
and out-of-seats alert counts them without asking Slack; reactivated, they are
unmarked. The event is acknowledged first; the write goes to the queue.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext

from bot.runtime.deps import deps_of
from bot.services.reclaim import holder_deactivated
from bot.slack import inbound
from handlers.flow import soon

logger = logging.getLogger(__name__)


def register(app: App) -> None:
    app.event("user_change")(user_change)


def user_change(ack: Ack, event: dict[str, Any], context: BoltContext) -> None:
    ack()
    changed = inbound.person_changed(event, team_id=context.team_id)
    if changed is None:
        return
    deps = deps_of(context)
    team_id, user_id = changed.origin.team_id, changed.origin.user_id
    deps.people(team_id).forget(user_id)

    def work() -> None:
        marked = deps.write(
            holder_deactivated,
            team_id=team_id,
            user_id=user_id,
            deactivated=changed.deactivated,
            now=deps.clock(),
        )
        if marked:
            logger.info(
                "seats of a %s person team=%s user=%s seats=%s",
                "deactivated" if changed.deactivated else "reactivated",
                team_id,
                user_id,
                marked,
            )

    soon(deps, work, name="user_change")
