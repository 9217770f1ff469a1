"""The App Home tab, drawn when it is opened."""

from __future__ import annotations

from typing import Any

from slack_bolt import Ack, App, BoltContext, BoltRequest
from slack_sdk import WebClient

from bot.runtime.deps import deps_of
from bot.slack import inbound
from handlers.flow import Turn, later
from handlers.home_tab import publish_home


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)


def home_opened(
    ack: Ack, event: dict[str, Any], request: BoltRequest, client: WebClient, context: BoltContext
) -> None:
    opened = inbound.home_opened(event, team_id=context.team_id)
    # Slack retries an event it thinks we missed; the first delivery already drew the tab.
    retried = bool(request.headers.get("x-slack-retry-num"))
    if opened is None or opened.tab != "home" or retried:
        ack()
        return

    def draw(turn: Turn) -> None:
        publish_home(turn.deps, turn.client, team_id=turn.team_id, user_id=turn.user_id)
        turn.deps.viewers.opened(team_id=turn.team_id, user_id=turn.user_id, now=turn.deps.clock())

    deps = deps_of(context)
    # Nothing to tell anyone when busy: the tab is drawn again when next opened.
    later(
        deps,
        client,
        ack=ack,
        origin=opened.origin,
        response_url=None,
        name="home",
        work=draw,
        busy=lambda _: ack(),
    )
