"""A settings form turned into the account file: checked by its schema, problems located by
field, and what the form does not hold kept as it is."""

from __future__ import annotations

from typing import Any

import pytest

from bot.domain.account_form import SettingsForm, validate_form
from bot.domain.errors import SettingsRejected
from tests.factories import account_data, account_file


def _form(**changes: Any) -> SettingsForm:
    data = account_data()
    return SettingsForm(
        account={k: v for k, v in data["account"].items()} | changes.pop("account", {}),
        roles={"billing_admins": ["U0BILL"], "admins": ["U0ADMIN"]},
        products=changes.pop("products", None),
        policy={"nudge_after": "24h", "nudge_every": "24h", "max_nudges": 3, "expire_after": "14d"}
        | {"working_hours": "09:00-18:00", "alert_threshold": None},
    )


def test_edits_keep_the_owner_the_agents_and_the_products_the_form_did_not_show() -> None:
    current = account_file()
    edited = validate_form(
        _form(products=[{"key": "chat", "name": "Chat", "edition": "Team", "seats": 1}]).applied_to(current)
    )
    assert edited.roles.owner == "U0OWNER"
    assert edited.agents == current.agents
    assert [p.key for p in edited.products] == ["chat", "support", "guide", "talk"]


def test_a_channel_as_sales_contact_is_kept_as_the_form_picks_people_only() -> None:
    data = account_data()
    data["account"].update(plan="sales_assisted", sales_contact="C0SALES")
    current = account_file(account=data["account"])
    edited = validate_form(
        _form(account={"plan": "sales_assisted", "sales_contact": None}).applied_to(current)
    )
    assert edited.account.sales_contact == "C0SALES"


@pytest.mark.parametrize(
    ("products", "code", "field"),
    [
        ([], "products_needed", "products"),  # a set-up with no product
        (
            [{"key": "x", "name": "X", "edition": "T", "seats": "ten"}],
            "field_product_seats",
            "products.0.seats",
        ),
        ([{"key": "x", "name": "X", "edition": "T"}], "required", "products.0.seats"),
    ],
)
def test_problems_name_their_field(products: list[dict[str, Any]], code: str, field: str) -> None:
    with pytest.raises(SettingsRejected) as rejected:
        validate_form(_form(products=products).document(owner="U0OWNER"))
    assert [(p.code, p.field) for p in rejected.value.problems] == [(code, field)]
