"""Domain errors. They carry facts, never Slack or HTTP; one place
(`bot/messages/errors.py`) turns them into what a person reads; a test
checks that every class here has its words."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime

from bot.domain.request_view import RequestView


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


@dataclass(frozen=True)
class Problem:
    """One rule a draft breaks. `field` is a product key, `justification`,
    `confirm_downgrade`, or None for the draft as a whole."""

    code: str
    field: str | None
    facts: Mapping[str, object] = dataclass_field(default_factory=dict)


class DraftRejected(SeatbotError):
    """The seat change as drafted breaks rules; nothing was written."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(", ".join(p.code for p in problems))
        self.problems = list(problems)


class RequestsDisabled(SeatbotError):
    """The account does not let admins send change requests; `owner` can change that."""

    def __init__(self, owner: str | None) -> None:
        super().__init__("change requests are disabled")
        self.owner = owner


class AlreadyPending(SeatbotError):
    """The requester already has a pending request (one at a time); `shown` is it, when at hand."""

    def __init__(self, request_id: int, shown: RequestView | None = None) -> None:
        super().__init__(f"request {request_id} is pending")
        self.request_id = request_id
        self.shown = shown


class RequestNotFound(SeatbotError):
    def __init__(self, request_id: int | None) -> None:
        super().__init__(f"no request {request_id}")
        self.request_id = request_id


class NothingToWithdraw(SeatbotError):
    """The person has no pending request."""


class NothingToAmend(SeatbotError):
    """The person has no pending request to amend."""


class RequestChanged(SeatbotError):
    """The requester amended the request since the approver saw it: decide on what it is now."""

    def __init__(self, request_id: int, version: int) -> None:
        super().__init__(f"request {request_id} is now version {version}")
        self.request_id = request_id
        self.version = version


class OwnRequest(SeatbotError):
    """Nobody decides their own request."""


class AlreadyDecided(SeatbotError):
    """Someone (or something: withdrawal, expiry) closed the request first."""

    def __init__(self, request_id: int, status: str, by: str | None, at: datetime | None) -> None:
        super().__init__(f"request {request_id} is already {status}")
        self.request_id = request_id
        self.status = status
        self.by = by
        self.at = at


class NoLongerApplicable(SeatbotError):
    """Seat counts or usage moved since the request was drafted; it stays pending."""

    def __init__(self, problems: Sequence[Problem], request_id: int | None = None) -> None:
        super().__init__(", ".join(p.code for p in problems))
        self.problems = list(problems)
        self.request_id = request_id


class SettingsRejected(SeatbotError):
    """The account's settings as a form gave them break the account file's rules; nothing
    was written. Each problem's `field` is its path in the file (`products.0.seats`)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(", ".join(f"{p.field}: {p.code}" for p in problems))
        self.problems = list(problems)


class AlreadySetUp(SeatbotError):
    """Someone set the workspace's account up first; `owner` is its owner, when known."""

    def __init__(self, owner: str | None) -> None:
        super().__init__("the account is already set up")
        self.owner = owner


class SetUpNotAllowed(SeatbotError):
    """Only the person who installed seatbot (`installer`, when known) or a Slack workspace
    admin sets the account up."""

    def __init__(self, installer: str | None) -> None:
        super().__init__("not allowed to set the account up")
        self.installer = installer
