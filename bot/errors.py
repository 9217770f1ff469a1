"""Domain errors. They carry facts, never Slack or HTTP; one place
(`handlers/replies.py`) turns them into what a person reads."""

from __future__ import annotations

from collections.abc import Sequence


class SeatbotError(Exception):
    """Base of every error a person can be told about."""


class AccountNotSetUp(SeatbotError):
    """The workspace has no account loaded yet."""

    def __init__(self, team_id: str) -> None:
        super().__init__(f"no account for team {team_id}")
        self.team_id = team_id


class PermissionDenied(SeatbotError):
    """The actor's role does not allow the action; `who_can` are the user ids to ask."""

    def __init__(self, action: str, who_can: Sequence[str]) -> None:
        super().__init__(f"not allowed to {action}")
        self.action = action
        self.who_can = list(who_can)


class InvalidInput(SeatbotError):
    """Input that fails a rule; `field` names where, `code` says which rule."""

    def __init__(self, code: str, field: str | None = None, **facts: object) -> None:
        super().__init__(f"{code} ({field})" if field else code)
        self.code = code
        self.field = field
        self.facts = facts
