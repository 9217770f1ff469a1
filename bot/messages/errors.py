"""The one place a domain error becomes what a person reads."""

from __future__ import annotations

from babel.lists import format_list

from bot.errors import AccountNotSetUp, InvalidInput, PermissionDenied, RequestsDisabled, SeatbotError
from bot.messages.i18n import Mrkdwn, escape_mrkdwn, mention, texts
from bot.messages.reply import Reply, section
from bot.permissions import ALLOWED, APPROVERS, Action
from storage.models import Role

_LOCALES = {"en": "en_US", "fr": "fr_FR"}

NAMED_PRODUCTS = 20
"""An error lists this many product keys; for more, it points to `/seats`, which shows all."""


def people(user_ids: list[str], language: str) -> Mrkdwn:
    """`<@A>, <@B> and <@C>`, joined the way the language does it."""
    return Mrkdwn(format_list([mention(u) for u in user_ids], locale=_LOCALES[language]))


def error_reply(error: SeatbotError, language: str) -> Reply:
    t = texts("errors", language)
    if isinstance(error, PermissionDenied):
        action = Action(error.action)
        allowed = ALLOWED[action]
        roles_block = (
            "roles_owner"
            if allowed == {Role.OWNER}
            else "roles_approvers"
            if allowed <= APPROVERS
            else "roles_admins"
        )
        text = t(
            "denied",
            action=Mrkdwn(t(f"action_{action.value}")),
            roles=Mrkdwn(t(roles_block)),
            people=people(error.who_can, language) if error.who_can else "",
        )
    elif isinstance(error, AccountNotSetUp):
        text = t("not_set_up")
    elif isinstance(error, InvalidInput) and t.has(f"invalid_{error.code}"):
        facts = dict(error.facts)
        products = facts.get("products")
        if isinstance(products, list):
            named = ", ".join(f"`{escape_mrkdwn(str(p))}`" for p in products[:NAMED_PRODUCTS])
            if len(products) > NAMED_PRODUCTS:
                named = f"{named} {t('more_products', count=len(products) - NAMED_PRODUCTS)}"
            facts["products"] = Mrkdwn(named)
        text = t(f"invalid_{error.code}", **facts)
    elif isinstance(error, RequestsDisabled):
        text = t("requests_disabled", owner=error.owner)
    else:
        text = t("internal")
    return Reply(text=text, blocks=[section(text)])


def internal_error_reply(language: str) -> Reply:
    text = texts("errors", language)("internal")
    return Reply(text=text, blocks=[section(text)])
