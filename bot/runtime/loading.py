"""`seatbot load`: read the file, find the team, write everything in one transaction;
`seatbot config export`: the account as that file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from bot.domain.account_file import (
    AccountFileError,
    Directory,
    NamesUnavailable,
    dump_account_file,
    read_account_file,
)
from bot.domain.clock import utcnow
from bot.domain.errors import InvalidInput
from bot.runtime.config import Settings
from bot.services.export_account import export_account
from bot.services.load_account import LoadReport, load_account
from bot.slack.client import make_web_client
from bot.slack.names import SlackDirectory
from storage import repositories as repo
from storage.engine import unit_of_work
from storage.models import Account


class LoadFailed(Exception):
    """The file was not loaded; the message says why and nothing was written."""


def load_file(
    engine: Engine, path: Path, *, team_id: str | None, settings: Settings, now: datetime | None = None
) -> LoadReport:
    """Load `path` into the database, as of `now` (the real clock unless given)."""
    # Names are looked up before the transaction opens, so no lock waits on Slack.
    try:
        data = read_account_file(path, directory=_directory(settings))
    except AccountFileError as exc:
        raise LoadFailed(f"{exc}\nnothing was written") from exc
    except SlackApiError as exc:
        raise LoadFailed(
            f"{path}: Slack refused to look its names up ({exc.response.get('error')}); "
            "write ids instead\nnothing was written"
        ) from exc
    except OSError as exc:
        raise LoadFailed(
            f"{path}: cannot reach Slack at {settings.slack_api_url} to look names up ({exc})\n"
            "nothing was written"
        ) from exc
    team = team_id or data.account.team_id or _team_of_token(settings)
    try:
        with unit_of_work(engine, write=True) as session:
            return load_account(session, data=data, team_id=team, now=now or utcnow())
    except InvalidInput as exc:
        facts = exc.facts
        seats, used = int(str(facts["seats"])), int(str(facts["used"]))
        raise LoadFailed(
            f"{path}: {exc.field}: {facts['product']} would have {seats} seat{'' if seats == 1 else 's'} "
            f"but {used} {'is' if used == 1 else 'are'} in use\nnothing was written"
        ) from exc
    except IntegrityError as exc:
        raise LoadFailed(
            f"{path}: the database refused the change ({exc.orig})\nnothing was written"
        ) from exc


class _NoToken:
    """Without a token the file's people and channels must be ids."""

    def people_named(self, name: str) -> list[str]:
        raise NamesUnavailable("set SLACK_BOT_TOKEN so seatbot can look names up in Slack")

    def channels_named(self, name: str) -> list[str]:
        return self.people_named(name)


def _directory(settings: Settings) -> Directory:
    if settings.slack_bot_token is None:
        return _NoToken()
    return SlackDirectory(
        make_web_client(token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url)
    )


class ExportFailed(Exception):
    """Nothing was exported; the message says why."""


def export_file(engine: Engine, *, team_id: str | None, settings: Settings) -> str:
    """The account of `team_id` as a file; without one, the only account there is, or (when
    several share the database) the bot token's workspace."""
    with unit_of_work(engine) as session:
        if team_id is None:
            teams = session.exec(select(Account.team_id)).all()
            if len(teams) == 1:
                team_id = teams[0]
            elif teams and settings.slack_bot_token is None:
                raise ExportFailed(f"{len(teams)} workspaces have an account: say which with --team T…")
            elif teams:
                team_id = _team_of_token(settings)
        account = repo.account_by_team(session, team_id=team_id) if team_id else None
        if account is None:
            raise ExportFailed(
                f"no account for {team_id}" if team_id else "no account yet: load one with `seatbot load`"
            )
        return dump_account_file(export_account(session, account=account))


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
