"""The subscription summary use case and who may see it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import Engine
from sqlmodel import Session

from bot.domain.errors import AccountNotSetUp, PermissionDenied
from bot.services.summary import subscription_summary
from storage.models import Role
from tests.conftest import NOW
from tests.factories import TEAM, make_account


@pytest.mark.parametrize(
    ("user", "role"),
    [
        ("U0OWNER", Role.OWNER),
        ("U0BILL", Role.BILLING_ADMIN),
        ("U0ADMIN", Role.ADMIN),
    ],
)
def test_owner_billing_and_admins_see_the_summary(engine: Engine, user: str, role: Role) -> None:
    make_account(engine, now=NOW)
    with Session(engine) as session:
        summary = subscription_summary(session, team_id=TEAM, user_id=user)
    assert summary.viewer_role is role
    support, guide, talk = summary.products
    assert (support.seats, support.used, support.free) == (10, 2, 8)
    assert (guide.used, guide.free) == (0, 5)
    assert talk.full
    assert talk.free == 0
    assert summary.monthly_total == Decimal(115 * 10 + 49 * 5)


def test_members_are_refused_and_told_whom_to_ask(engine: Engine) -> None:
    make_account(engine, now=NOW)
    with Session(engine) as session, pytest.raises(PermissionDenied) as denied:
        subscription_summary(session, team_id=TEAM, user_id="U0AG1")
    assert denied.value.who_can == ["U0OWNER", "U0BILL"]


def test_unknown_workspace(engine: Engine) -> None:
    with Session(engine) as session, pytest.raises(AccountNotSetUp):
        subscription_summary(session, team_id="T0ELSEWHERE", user_id="U0OWNER")
