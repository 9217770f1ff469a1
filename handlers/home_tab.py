"""App Home: summary, your requests, (approvers) the pending queue and the settings;
in a workspace with no account, the offer to set seatbot up.

Published when the tab is opened, and redrawn (`bot.runtime.home_refresher`) after
every change that concerns the person, so what they see is never stale for long.
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.errors import AccountNotSetUp, SeatbotError
from bot.messages.errors import error_reply
from bot.messages.home import home_view
from bot.messages.reply import divider
from bot.messages.requests import requests_list
from bot.messages.settings import settings_section
from bot.messages.summary import summary_reply
from bot.runtime.deps import Deps
from bot.services.home_page import home_page
from handlers.setup_offer import not_set_up_reply

logger = logging.getLogger(__name__)


def publish_home(deps: Deps, client: WebClient, *, team_id: str, user_id: str) -> None:
    language = deps.people(team_id).language(user_id)
    try:
        page = deps.read(home_page, team_id=team_id, user_id=user_id, now=deps.clock())
        summary = summary_reply(page.summary, language)
        requests = requests_list(page.requests.mine, page.requests.queue, language)
        blocks = [*summary.blocks, divider(), *requests.blocks]
        if page.settings is not None:
            blocks += settings_section(page.settings, language)
    except AccountNotSetUp:
        blocks = not_set_up_reply(deps, team_id=team_id, user_id=user_id, language=language).blocks
    except SeatbotError as error:
        blocks = error_reply(error, language).blocks
    client.views_publish(user_id=user_id, view=home_view(blocks))


def redraw_home(deps: Deps, client: WebClient, *, team_id: str, user_id: str) -> None:
    """Best effort (`bot.runtime.home_refresher` calls it after changes): a failed redraw is
    logged; the tab is drawn again when next opened anyway."""
    try:
        publish_home(deps, client, team_id=team_id, user_id=user_id)
    except SlackApiError as exc:
        logger.warning("home refresh failed user=%s error=%s", user_id, exc.response.get("error"))
    except OSError as exc:  # Slack unreachable, after the client's retries
        logger.warning("home refresh failed user=%s error=%s", user_id, type(exc).__name__)
