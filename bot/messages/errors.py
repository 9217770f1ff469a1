"""The one place a domain error becomes what a person reads.

Every class of `bot.domain.errors` has its words here (a test walks them all); an
error with no words would be a bug, and is logged as one.
"""

from __future__ import annotations

import logging

from bot.domain.errors import (
    AccountNotSetUp,
    AlreadyDecided,
    AlreadyPending,
    AlreadySetUp,
    DraftRejected,
    InvalidInput,
    NoLongerApplicable,
    NothingToAmend,
    NothingToWithdraw,
    OwnRequest,
    PermissionDenied,
    Problem,
    RequestChanged,
    RequestNotFound,
    RequestsDisabled,
    SeatbotError,
    SettingsRejected,
    SetUpNotAllowed,
)
from bot.domain.permissions import ALLOWED, APPROVERS, Action
from bot.messages.i18n import LANGUAGES, Mrkdwn, escape_mrkdwn, people, texts
from bot.messages.reply import Reply, section
from bot.messages.requests import already_decided, not_applicable, pending_exists, simple
from storage.models import MAX_SEATS, Role

logger = logging.getLogger(__name__)

NAMED_PRODUCTS = 20
"""An error lists this many product keys; for more, it points to `/seats`, which shows all."""


def _said(text: str) -> Reply:
    return Reply(text=text, blocks=[section(text)])


def error_reply(error: SeatbotError, language: str) -> Reply:
    t = texts("errors", language)
    match error:
        case PermissionDenied():
            return _said(_denied(error, language))
        case AccountNotSetUp():
            return _said(t("not_set_up"))
        case InvalidInput() if t.has(f"invalid_{error.code}"):
            facts = dict(error.facts)
            products = facts.get("products")
            if isinstance(products, list):
                named = ", ".join(f"`{escape_mrkdwn(str(p))}`" for p in products[:NAMED_PRODUCTS])
                if len(products) > NAMED_PRODUCTS:
                    named = f"{named} {t('more_products', count=len(products) - NAMED_PRODUCTS)}"
                facts["products"] = Mrkdwn(named)
            return _said(t(f"invalid_{error.code}", **facts))
        case RequestsDisabled():
            return _said(t("requests_disabled", owner=error.owner))
        case AlreadyPending(shown=shown) if shown is not None:
            return pending_exists(shown, language)
        case AlreadyPending():
            return simple("already_pending", language, id=error.request_id)
        case AlreadyDecided():
            return already_decided(error, language)
        case NoLongerApplicable():
            return not_applicable(error.request_id or 0, error.problems, language)
        case DraftRejected():
            return _said(problems_text(error.problems, language))
        case OwnRequest():
            return simple("own_request", language)
        case RequestNotFound():
            return simple("not_found", language)
        case NothingToWithdraw():
            return simple("nothing_to_withdraw", language)
        case NothingToAmend():
            return simple("nothing_to_amend", language)
        case RequestChanged():
            return simple("request_changed", language, id=error.request_id)
        case AlreadySetUp():
            return _said(t("already_set_up", owner=error.owner))
        case SetUpNotAllowed():
            return _said(texts("settings", language)("who_can", installer=error.installer))
        case SettingsRejected():
            s = texts("settings", language)
            lines = [
                s(f"error_{p.code}", **{"max": MAX_SEATS, **p.facts})
                if s.has(f"error_{p.code}")
                else s("error_field")
                for p in error.problems
            ]
            return _said("\n".join(f"• {line}" for line in lines))
    logger.error("no words for domain error type=%s error=%s", type(error).__name__, error)
    return internal_error_reply(language)


def problems_text(problems: list[Problem], language: str) -> str:
    """A draft's problems as lines, for a reply outside the form that would show them by their field."""
    t = texts("change_modal", language)
    return "\n".join("• " + t(f"error_{p.code}", **p.facts) for p in problems)


def _denied(error: PermissionDenied, language: str) -> str:
    t = texts("errors", language)
    action = Action(error.action)
    allowed = ALLOWED[action]
    roles_block = (
        "roles_owner"
        if allowed == {Role.OWNER}
        else "roles_approvers"
        if allowed <= APPROVERS
        else "roles_admins"
    )
    return t(
        "denied",
        action=Mrkdwn(t(f"action_{action.value}")),
        roles=Mrkdwn(t(roles_block)),
        people=people(error.who_can, language) if error.who_can else "",
    )


def internal_error_reply(language: str, *, changed: bool = False) -> Reply:
    """An unexpected failure. Before anything was committed, nothing changed and the person
    may try again; after, their change stands and only the answer was lost."""
    return _said(texts("errors", language)("internal_after_change" if changed else "internal"))


def busy_reply(language: str) -> Reply:
    return _said(texts("errors", language)("busy"))


def not_installed_text() -> str:
    """What someone of a workspace without seatbot is told (Bolt says it before anyone's
    language can be known): in every language seatbot speaks, one line each."""
    return "\n".join(texts("errors", language)("not_installed") for language in LANGUAGES)
