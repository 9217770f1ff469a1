"""What a person of a workspace with no account is shown instead of the subscription: the
offer to set seatbot up (its installer, a Slack workspace admin) or who can."""

from __future__ import annotations

from bot.messages.reply import Reply
from bot.messages.settings import setup_offer, who_can_set_up
from bot.runtime.deps import Deps
from bot.slack.setup_checks import may_set_up


def not_set_up_reply(deps: Deps, *, team_id: str, user_id: str, language: str) -> Reply:
    installer = deps.workspaces.installer(team_id)
    if may_set_up(deps.people(team_id), installer=installer, user_id=user_id):
        return setup_offer(language)
    return who_can_set_up(installer, language)
