"""`seatbot load`: read the file, find the team, write everything in one transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError

from bot.domain.account_file import AccountFileError, read_account_file
from bot.domain.clock import utcnow
from bot.domain.errors import InvalidInput
from bot.runtime.config import Settings
from bot.services.load_account import LoadReport, load_account
from bot.slack.client import make_web_client
from storage.engine import unit_of_work


class LoadFailed(Exception):
    """The file was not loaded; the message says why and nothing was written."""


def load_file(engine: Engine, path: Path, *, team_id: str | None, settings: Settings) -> LoadReport:
    try:
        data = read_account_file(path)
    except AccountFileError as exc:
        raise LoadFailed(f"{exc}\nnothing was written") from exc
    team = team_id or data.account.team_id or _team_of_token(settings)
    try:
        with unit_of_work(engine, write=True) as session:
            return load_account(session, data=data, team_id=team, now=utcnow())
    except InvalidInput as exc:
        facts = exc.facts
        raise LoadFailed(
            f"{path}: {exc.field}: {facts['product']} would have {facts['seats']} seats "
            f"but {facts['used']} are in use\nnothing was written"
        ) from exc
    except IntegrityError as exc:
        raise LoadFailed(
            f"{path}: the database refused the change ({exc.orig})\nnothing was written"
        ) from exc


def _team_of_token(settings: Settings) -> str:
    if settings.slack_bot_token is None:
        raise LoadFailed(
            "which workspace is this account for? Give --team T…, set account.team_id in the file, "
            "or set SLACK_BOT_TOKEN so seatbot can ask Slack"
        )
    client = make_web_client(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    return str(client.auth_test()["team_id"])
