"""Loading an account file: create, update, idempotence, nothing half-written."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import yaml
from sqlalchemy import Engine
from sqlmodel import Session, select

from bot.runtime.config import Settings
from bot.runtime.loading import LoadFailed, load_file
from storage import repositories as repo
from storage.models import Account, AuditEvent, Product, Role, SeatAssignment
from tests.conftest import NOW
from tests.factories import TEAM, account_data, make_account


def _counts(engine: Engine) -> tuple[int, int, int]:
    with Session(engine) as session:
        return (
            len(session.exec(select(Product)).all()),
            len(session.exec(select(SeatAssignment)).all()),
            len(session.exec(select(AuditEvent)).all()),
        )


def test_creates_everything_in_the_file(engine: Engine) -> None:
    report = make_account(engine, now=NOW)
    assert report.created
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
        assert (account.team_id, account.name, account.currency) == (TEAM, "Acme Support", "EUR")
        assert account.nudge_after_s == 24 * 3600
        assert account.expire_after_s == 14 * 86400
        assert [p.key for p in repo.products(session, account_id=report.account_id)] == [
            "support",
            "guide",
            "talk",
        ]
        assert repo.role_of(session, account_id=report.account_id, user_id="U0OWNER") is Role.OWNER
        assert repo.role_of(session, account_id=report.account_id, user_id="U0BILL") is Role.BILLING_ADMIN
        assert repo.role_of(session, account_id=report.account_id, user_id="U0NOBODY") is Role.MEMBER
        used = repo.used_seats(session, account_id=report.account_id)
        support = session.exec(select(Product).where(Product.key == "support")).one()
        assert used[support.id or 0] == 2


def test_loading_twice_changes_nothing(engine: Engine) -> None:
    make_account(engine, now=NOW)
    before = _counts(engine)
    report = make_account(engine, now=NOW + timedelta(hours=1))
    assert not report.created
    assert report.changes == []
    assert _counts(engine) == before


def test_an_update_changes_only_what_differs_and_audits_it(engine: Engine) -> None:
    make_account(engine, now=NOW)
    data = account_data()
    data["products"][0]["seats"] = 12
    report = make_account(engine, now=NOW + timedelta(hours=1), products=data["products"])
    assert report.changes == ["product support: seats"]
    with Session(engine) as session:
        event = session.exec(select(AuditEvent).where(AuditEvent.action == "product.updated")).one()
        assert (event.before, event.after) == ({"seats": 10}, {"seats": 12})


def test_owner_can_be_handed_over(engine: Engine) -> None:
    make_account(engine, now=NOW)
    report = make_account(
        engine, now=NOW, roles={"owner": "U0BILL", "billing_admins": ["U0OWNER"], "admins": ["U0ADMIN"]}
    )
    with Session(engine) as session:
        assert repo.role_of(session, account_id=report.account_id, user_id="U0BILL") is Role.OWNER
        assert repo.role_of(session, account_id=report.account_id, user_id="U0OWNER") is Role.BILLING_ADMIN


def test_products_missing_from_the_file_are_kept(engine: Engine) -> None:
    make_account(engine, now=NOW)
    data = account_data()
    report = make_account(
        engine,
        now=NOW,
        products=data["products"][:2],
        agents=[a for a in data["agents"] if a["product"] != "talk"],
    )
    assert report.kept == ["talk"]
    assert _counts(engine)[0] == 3


def _write(tmp_path: Path, data: dict[str, object]) -> Path:
    path = tmp_path / "account.yml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_seats_below_usage_are_refused_and_nothing_is_written(engine: Engine, tmp_path: Path) -> None:
    make_account(engine, now=NOW)
    before = _counts(engine)
    data = account_data()
    data["products"][0]["seats"] = 1  # two agents hold support seats
    data["agents"] = []
    data["account"]["name"] = "Renamed"
    with pytest.raises(LoadFailed, match="support would have 1 seat but 2 are in use"):
        load_file(engine, _write(tmp_path, data), team_id=TEAM, settings=Settings(_env_file=None))
    assert _counts(engine) == before
    with Session(engine) as session:
        assert session.exec(select(Account)).one().name == "Acme Support"


def test_a_bad_file_names_the_line_and_field(engine: Engine, tmp_path: Path) -> None:
    path = tmp_path / "account.yml"
    path.write_text(
        "account:\n  name: Acme\n  currency: EUR\nroles:\n  owner: U0OWNER\n"
        "products:\n  - {key: support, name: Support, edition: Team, seats: ten}\n",
        encoding="utf-8",
    )
    with pytest.raises(LoadFailed) as failure:
        load_file(engine, path, team_id=TEAM, settings=Settings(_env_file=None))
    assert "line 7, products.0.seats" in str(failure.value)
    assert _counts(engine) == (0, 0, 0)


def test_without_a_team_the_loader_says_how_to_give_one(engine: Engine, tmp_path: Path) -> None:
    with pytest.raises(LoadFailed, match="--team"):
        load_file(
            engine,
            _write(tmp_path, account_data()),
            team_id=None,
            settings=Settings(_env_file=None, slack_bot_token=None),
        )
