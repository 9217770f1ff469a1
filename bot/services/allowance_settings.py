"""The owner sets each product's standing allowance from App Home.

The form's values go into the account's file and are checked by its schema (one
schema, as for every setting), then applied by `load_account`: audited with
before and after, and saving unchanged allowances records nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.domain.account_file import AccountFile
from bot.domain.account_form import validate_form
from bot.domain.permissions import Action
from bot.services.actors import load_actor, require
from bot.services.export_account import export_account
from bot.services.load_account import LoadReport, load_account

Allowances = Mapping[str, Mapping[str, Any] | None]
"""Per product key: `{"seats_per_month": …, "cost_per_month": …}` as typed, or None for none."""


def allowances_to_edit(session: Session, *, team_id: str, user_id: str) -> AccountFile:
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    require(session, actor, Action.CHANGE_SETTINGS)
    return export_account(session, account=actor.account)


def check_allowances(session: Session, *, team_id: str, user_id: str, allowances: Allowances) -> AccountFile:
    """The account's file with these allowances, validated (read-only). Products the form
    did not name keep theirs; a key the account does not have is ignored (forged)."""
    current = allowances_to_edit(session, team_id=team_id, user_id=user_id)
    document = current.model_dump(mode="python")
    for product in document["products"]:
        if product["key"] in allowances:
            wanted = allowances[product["key"]]
            product["allowance"] = dict(wanted) if wanted else None
    return validate_form(document)


def save_allowances(
    session: Session, *, team_id: str, user_id: str, now: datetime, allowances: Allowances
) -> LoadReport:
    data = check_allowances(session, team_id=team_id, user_id=user_id, allowances=allowances)
    return load_account(session, data=data, team_id=team_id, now=now, actor_id=user_id)
