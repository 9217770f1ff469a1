"""The permission table of the product contract (SPEC section 1), in one place."""

from __future__ import annotations

from enum import StrEnum

from storage.models import Role


class Action(StrEnum):
    SEE_SUMMARY = "see_summary"
    CHANGE_SEATS = "change_seats"
    SEND_REQUEST = "send_request"
    DECIDE_REQUEST = "decide_request"
    ASSIGN_SEATS = "assign_seats"
    CHANGE_SETTINGS = "change_settings"


APPROVERS = frozenset({Role.OWNER, Role.BILLING_ADMIN})

ALLOWED: dict[Action, frozenset[Role]] = {
    Action.SEE_SUMMARY: frozenset({Role.OWNER, Role.BILLING_ADMIN, Role.ADMIN}),
    Action.CHANGE_SEATS: APPROVERS,
    # Further gated by the account's change_requests flag.
    Action.SEND_REQUEST: frozenset({Role.ADMIN}),
    Action.DECIDE_REQUEST: APPROVERS,
    Action.ASSIGN_SEATS: frozenset({Role.OWNER, Role.BILLING_ADMIN, Role.ADMIN}),
    Action.CHANGE_SETTINGS: frozenset({Role.OWNER}),
}


def allows(role: Role, action: Action) -> bool:
    return role in ALLOWED[action]


def who_to_ask(action: Action) -> frozenset[Role]:
    """The roles a refused person should contact: the narrowest that can do it,
    owner first, since the owner can always act or delegate."""
    roles = ALLOWED[action] & APPROVERS
    return roles or frozenset({Role.OWNER})
