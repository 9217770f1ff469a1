"""App Home: the subscription summary, refreshed whenever the tab is opened."""

from __future__ import annotations

from typing import Any

from slack_bolt import App, BoltContext
from slack_sdk import WebClient

from bot.deps import deps_of
from bot.messages.home import home_view
from bot.messages.summary import summary_reply
from bot.services.summary import subscription_summary
from handlers.answer import answer


def register(app: App) -> None:
    app.event("app_home_opened")(home_opened)


def home_opened(event: dict[str, Any], client: WebClient, context: BoltContext) -> None:
    if event.get("tab") != "home":
        return  # the Messages tab needs nothing from us
    deps = deps_of(context)
    user_id = event["user"]
    team_id = context.team_id or ""
    language = deps.users.language(user_id)
    reply = answer(deps, language, lambda session: summary_reply(
        subscription_summary(session, team_id=team_id, user_id=user_id), language))
    client.views_publish(user_id=user_id, view=home_view(reply))
