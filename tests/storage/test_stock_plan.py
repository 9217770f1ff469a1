"""The stock read (the change form, its keystrokes, a submission) asks its account-level
questions once a statement, not once a product row: a subquery tied to the outer row runs
again for every product, so its cost grows with the catalogue and, for the idempotency
check, with the account's history."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Engine, event

from storage import repositories as repo
from storage.engine import unit_of_work
from storage.models import Role
from tests.conftest import NOW
from tests.factories import TEAM, make_account

PRODUCTS = [
    {"key": f"p{i}", "name": f"Product {i}", "edition": "Team", "seats": 10, "price_per_seat": 5}
    for i in range(8)
]


def _stock_statement(engine: Engine) -> tuple[str, Any]:
    """The stock read with every question asked, as sent to the database."""
    sent: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if "pending_id" in statement:
            sent.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        with unit_of_work(engine) as session:
            stock = repo.stock_of(
                session,
                team_id=TEAM,
                user_id="U0ADMIN",
                pending=True,
                made_with="view:V1",
                holders=[Role.OWNER, Role.BILLING_ADMIN],
            )
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert stock is not None
    assert len(stock.products) == len(PRODUCTS)
    assert stock.holders == ["U0OWNER", "U0BILL"]
    assert len(sent) == 1
    return sent[0]


def _subplans(node: dict[str, Any]) -> list[str]:
    """The names of PostgreSQL's subplans under `node` that run once per outer row."""
    found = [node["Subplan Name"]] if node.get("Subplan Name", "").startswith("SubPlan") else []
    for child in node.get("Plans", []):
        found += _subplans(child)
    return found


def test_the_stock_reads_each_account_level_answer_once_whatever_the_number_of_products(
    engine: Engine,
) -> None:
    make_account(engine, now=NOW, products=PRODUCTS, agents=[])
    statement, parameters = _stock_statement(engine)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
            cursor.execute("EXPLAIN (FORMAT JSON) " + statement, parameters)
            plan = cursor.fetchone()[0]
            plan = json.loads(plan) if isinstance(plan, str) else plan
            assert _subplans(plan[0]["Plan"]) == []
        else:
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters).all()
            details = [str(row[-1]) for row in rows]
            assert any("SCALAR SUBQUERY" in detail for detail in details), details
            assert not any("CORRELATED" in detail for detail in details), details
