"""The account's settings as a form sends them, checked by the account file's own schema.

A form (onboarding, App Home's settings) is turned into the document `seatbot load`
reads and validated by `AccountFile`: one schema for both. What it breaks comes
back as `Problem`s located by their path in the file, for the form to show each
next to its field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from bot.domain.account_file import AccountFile, FieldError
from bot.domain.errors import Problem, SettingsRejected


def validate_form(document: Mapping[str, Any]) -> AccountFile:
    """The document as an AccountFile, or SettingsRejected naming every field at fault."""
    try:
        return AccountFile.model_validate(document)
    except ValidationError as exc:
        raise SettingsRejected([_problem(error) for error in exc.errors()]) from exc


def _problem(error: Any) -> Problem:
    cause = (error.get("ctx") or {}).get("error")
    loc: tuple[str | int, ...] = tuple(error["loc"])
    if isinstance(cause, FieldError):
        loc = (*loc, *cause.loc)
        if cause.code:
            return Problem(cause.code, _path(loc), dict(cause.facts))
    if loc == ("products",):
        return Problem("products_needed", "products")
    if error["type"] == "missing":
        return Problem("required", _path(loc))
    return Problem(f"field_{field_name(loc)}", _path(loc))


def field_name(loc: tuple[str | int, ...]) -> str:
    """What kind of field a path is: `products.2.seats` → `product_seats`, `roles.admins.0` → `admins`."""
    names = [part for part in loc if isinstance(part, str)]
    last = names[-1] if names else ""
    return f"product_{last}" if names[:1] == ["products"] and len(names) > 1 else last


def _path(loc: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in loc)


@dataclass(frozen=True)
class SettingsForm:
    """What a settings form holds, as the account file's sections (values as typed: the
    schema checks them). The owner is never in it: onboarding makes the person setting
    up the owner, and ownership moves only by a transfer."""

    account: dict[str, Any]
    roles: dict[str, Any]
    """`billing_admins` and `admins`."""
    products: list[dict[str, Any]] | None
    """None: the form did not show the products (too many for it); they stay as they are."""
    policy: dict[str, Any]

    def document(self, *, owner: str) -> dict[str, Any]:
        """The file a new account would be loaded from."""
        return {
            "account": dict(self.account),
            "roles": {"owner": owner, **self.roles},
            "products": list(self.products or []),
            "policy": dict(self.policy),
        }

    def applied_to(self, current: AccountFile) -> dict[str, Any]:
        """The file of `current` with this form's edits: what the form does not hold (the
        owner, the agents, products it did not show) is kept as it is, so nothing is lost."""
        document = current.model_dump(mode="python")
        document["account"] = {**document["account"], **self.account}
        contact = current.account.sales_contact
        if self.account.get("sales_contact") is None and contact and contact[:1] in ("C", "G"):
            # A channel as sales contact (set by the file) is kept: the form picks people only.
            document["account"]["sales_contact"] = contact
        document["roles"] = {"owner": current.roles.owner, **self.roles}
        # Fields the form does not show (a product's allowance, the idle threshold) keep their value.
        document["policy"] = {**document["policy"], **self.policy}
        if self.products is not None:
            before = {p["key"]: p for p in document["products"]}
            shown = {row.get("key") for row in self.products}
            kept = [p for p in document["products"] if p["key"] not in shown]
            edited = [{**before.get(str(row.get("key")), {}), **row} for row in self.products]
            document["products"] = [*edited, *kept]
        return document
