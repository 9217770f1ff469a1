"""Settings read from the environment and `.env` (SPEC section 3).

Nothing here runs at import: `Settings()` reads the environment when the CLI
builds it, and tests build `Settings(...)` directly.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.runtime.logs import FORMATS, LEVELS

SLACK_API_URL = "https://slack.com/api/"


class CredentialsError(Exception):
    """The Slack credentials in the environment cannot run the requested mode."""


class MissingCredentials(CredentialsError):
    """Raised when a run mode lacks the Slack credentials it needs."""

    def __init__(self, missing: list[str], mode: str) -> None:
        self.missing = missing
        self.mode = mode
        super().__init__(
            f"seatbot {mode} needs {' and '.join(missing)}: create the Slack app from manifest.yml, "
            "put its tokens in the environment or .env (see README), "
            "or try `seatbot demo`, which needs no Slack workspace."
        )


class ConflictingCredentials(CredentialsError):
    """Both a single workspace's bot token and OAuth client credentials are set.

    Refused rather than picking one: a bot token left in the environment of a
    multi-workspace install would answer every workspace with one workspace's
    identity, and OAuth credentials beside a token suggest an unfinished move.
    """

    def __init__(self) -> None:
        super().__init__(
            "SLACK_BOT_TOKEN and SLACK_CLIENT_ID/SLACK_CLIENT_SECRET are both set: unset "
            "SLACK_BOT_TOKEN to install seatbot in many workspaces (OAuth), or unset "
            "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET to serve the one workspace of the token."
        )


class Settings(BaseSettings):
    """Everything seatbot reads from its environment, in one place."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_URL
    slack_client_id: str | None = None
    slack_client_secret: SecretStr | None = None
    slack_redirect_uri: str | None = None
    """The redirect URL set in the app's OAuth & Permissions page (optional with one URL there)."""
    database_url: str = "sqlite:///seatbot.db"
    seatbot_config: Path | None = None
    log_level: str = Field(default="INFO", validation_alias="SEATBOT_LOG_LEVEL")
    log_format: str = Field(default="text", validation_alias="SEATBOT_LOG_FORMAT")

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, level: str) -> str:
        if level.upper() not in LEVELS:
            raise ValueError(f"{level!r} is not a log level: use one of {', '.join(LEVELS)}")
        return level.upper()

    @field_validator("log_format")
    @classmethod
    def _known_format(cls, fmt: str) -> str:
        if fmt.lower() not in FORMATS:
            raise ValueError(f"{fmt!r} is not a log format: use text or json")
        return fmt.lower()

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, url: str) -> str:
        if not url.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError("use sqlite:///FILE or postgresql://USER@HOST/DATABASE")
        return url

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, url: str) -> str:
        # slack_sdk joins base_url and method name by plain concatenation.
        return url if url.endswith("/") else url + "/"

    @property
    def oauth(self) -> bool:
        """Many workspaces install seatbot (OAuth) rather than one bot token serving one."""
        return self.slack_client_id is not None or self.slack_client_secret is not None

    def require(self, mode: str) -> None:
        """Fail with one clear message if `mode` (serve | socket) lacks credentials, or if
        both a bot token and OAuth credentials are set (see ConflictingCredentials)."""
        if self.oauth and self.slack_bot_token is not None:
            raise ConflictingCredentials()
        if self.oauth and mode == "serve":
            needed = ["slack_client_id", "slack_client_secret", "slack_signing_secret"]
        else:
            needed = {
                "serve": ["slack_bot_token", "slack_signing_secret"],
                "socket": ["slack_bot_token", "slack_app_token"],
            }[mode]
        missing = [name.upper() for name in needed if getattr(self, name) is None]
        if missing:
            raise MissingCredentials(missing, mode)
