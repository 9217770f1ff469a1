"""Settings read from the environment and `.env` (SPEC section 3).

Nothing here runs at import: `Settings()` reads the environment when the CLI
builds it, and tests build `Settings(...)` directly.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SLACK_API_URL = "https://slack.com/api/"


class MissingCredentials(Exception):
    """Raised when a run mode lacks the Slack credentials it needs."""

    def __init__(self, missing: list[str], mode: str) -> None:
        self.missing = missing
        self.mode = mode
        super().__init__(
            f"seatbot {mode} needs {' and '.join(missing)}: create the Slack app from manifest.yml, "
            "put its tokens in the environment or .env (see README), "
            "or try `seatbot demo`, which needs no Slack workspace."
        )


class Settings(BaseSettings):
    """Everything seatbot reads from its environment, in one place."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_URL
    database_url: str = "sqlite:///seatbot.db"
    seatbot_config: Path | None = None
    log_level: str = Field(default="INFO", validation_alias="SEATBOT_LOG_LEVEL")

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, url: str) -> str:
        # slack_sdk joins base_url and method name by plain concatenation.
        return url if url.endswith("/") else url + "/"

    def require(self, mode: str) -> None:
        """Fail with one clear message if `mode` (serve | socket) lacks credentials."""
        needed = {
            "serve": ["slack_bot_token", "slack_signing_secret"],
            "socket": ["slack_bot_token", "slack_app_token"],
        }[mode]
        missing = [name.upper() for name in needed if getattr(self, name) is None]
        if missing:
            raise MissingCredentials(missing, mode)
