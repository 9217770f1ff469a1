"""The `seatbot` command line, as an operator meets it."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, select

from bot.runtime.cli import main
from standin import SlackStandIn, SlackUser
from storage.engine import make_engine, normalise_url
from storage.models import Account, Product, RoleGrant, SeatAssignment
from tests.factories import account_data

ROOT = Path(__file__).parents[1]


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, db_url: str) -> str:
    """A clean working directory (no .env) and no Slack credentials."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SEATBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    return db_url


@pytest.mark.parametrize(
    ("mode", "missing"),
    [
        ("serve", "SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET"),
        ("socket", "SLACK_BOT_TOKEN and SLACK_APP_TOKEN"),
    ],
)
def test_missing_credentials_give_one_clear_line(env: str, mode: str, missing: str) -> None:
    result = CliRunner().invoke(main, [mode])
    assert result.exit_code == 1
    assert f"seatbot {mode} needs {missing}" in result.output
    assert "manifest.yml" in result.output
    assert "seatbot demo" in result.output
    assert "Traceback" not in result.output


def test_credentials_can_come_from_a_dotenv_file(env: str, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SLACK_BOT_TOKEN=xoxb-1\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["serve"])
    assert "needs SLACK_SIGNING_SECRET:" in result.output  # the token was found in .env


def test_db_upgrade(env: str) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "newest schema" in result.output


def test_load_is_idempotent(env: str) -> None:
    example = str(ROOT / "examples" / "account.yml")
    first = CliRunner().invoke(main, ["load", example])
    assert first.exit_code == 0, first.output
    assert "account created" in first.output
    second = CliRunner().invoke(main, ["load", example])
    assert second.exit_code == 0
    assert "already up to date, nothing changed" in second.output
    engine = make_engine(env)
    with Session(engine) as session:
        assert [a.team_id for a in session.exec(select(Account))] == ["T0SEATBOT"]
    engine.dispose()


def test_load_reports_a_bad_file(env: str, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    bad.write_text("account: {name: X}\nroles: {owner: nobody}\nproducts: []\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["load", str(bad)])
    assert result.exit_code == 1
    assert "line 2, roles.owner: 'nobody' is not a Slack user id" in result.output
    assert "nothing was written" in result.output


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_audit_export(env: str, tmp_path: Path, fmt: str) -> None:
    import csv
    import json

    CliRunner().invoke(main, ["load", str(ROOT / "examples" / "account.yml")])
    out = tmp_path / f"audit.{fmt}"
    result = CliRunner().invoke(main, ["audit", "export", "--format", fmt, "--output", str(out)])
    assert result.exit_code == 0, result.output
    text = out.read_text(encoding="utf-8")
    rows = json.loads(text) if fmt == "json" else list(csv.DictReader(text.splitlines()))
    assert rows[0]["action"] == "account.created"
    assert rows[0]["team_id"] == "T0SEATBOT"
    assert {r["action"] for r in rows} >= {"product.created", "role.changed", "seat.assigned"}
    seat = next(r for r in rows if r["action"] == "seat.assigned")
    after = seat["after"] if fmt == "json" else json.loads(seat["after"])
    assert after["product"] == "support"


def test_agents_import_is_idempotent_and_reports_what_it_refused(env: str, tmp_path: Path) -> None:
    CliRunner().invoke(main, ["load", str(ROOT / "examples" / "account.yml")])
    csv_file = tmp_path / "agents.csv"
    csv_file.write_text(
        "user,product,assigned_at,last_active\n"
        "U0AG9,talk,2026-05-01T09:00:00Z,2026-06-01T10:00:00Z\n"  # talk: 3 seats, 2 in use → the last one
        "U0AG8,talk,2026-05-02T09:00:00Z,\n"  # no seat left
        "U0AG3,support,,2026-06-02T08:00:00Z\n"  # already there: its activity is recorded
        "bob,support,,\n"  # not a Slack id
        "U0AG7,chat,,\n"  # unknown product
        "U0AG6,guide,,yesterday\n",  # not a date
        encoding="utf-8",
    )
    first = CliRunner().invoke(main, ["agents", "import", str(csv_file)])
    assert first.exit_code == 1  # some rows were not taken
    assert "1 seat(s) added, 1 already there, 4 row(s) not taken" in first.output
    assert "line 7: 'yesterday' is not a date and time, e.g. 2026-01-05T09:00:00Z" in first.output
    assert "line 3: U0AG8: no free Talk seat (3 of 3 in use)" in first.output
    assert "line 5: 'bob' is not a Slack user id" in first.output
    assert "line 6: unknown product 'chat'" in first.output
    second = CliRunner().invoke(main, ["agents", "import", str(csv_file)])
    assert "0 seat(s) added, 2 already there" in second.output
    exported = CliRunner().invoke(main, ["agents", "export"])
    assert exported.exit_code == 0
    lines = exported.output.splitlines()
    assert lines[0] == "user,product,assigned_at,assigned_by,last_active"
    assert "U0AG9,talk,2026-05-01T09:00:00Z,,2026-06-01T10:00:00Z" in lines
    assert any(line.startswith("U0AG3,support,") and line.endswith(",2026-06-02T08:00:00Z") for line in lines)
    assert len(lines) == 1 + 8  # the example's seven agents and U0AG9
    engine = make_engine(env)
    with Session(engine) as session:
        from storage.models import SeatAlert

        assert len(session.exec(select(SeatAlert)).all()) == 1  # talk filled up: one alert episode
    engine.dispose()


def test_agents_import_refuses_a_file_without_the_columns(env: str, tmp_path: Path) -> None:
    CliRunner().invoke(main, ["load", str(ROOT / "examples" / "account.yml")])
    bad = tmp_path / "bad.csv"
    bad.write_text("name,seat\nana,support\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["agents", "import", str(bad)])
    assert result.exit_code == 1
    assert "the header needs user, product" in result.output


def test_load_refuses_a_key_given_twice_and_writes_nothing(env: str, tmp_path: Path) -> None:
    text = (ROOT / "examples" / "account.yml").read_text(encoding="utf-8")
    twice = tmp_path / "twice.yml"
    twice.write_text(
        text.replace("  currency: EUR\n", "  currency: EUR\n  currency: USD\n"), encoding="utf-8"
    )
    result = CliRunner().invoke(main, ["load", str(twice)])
    assert result.exit_code == 1
    assert "line 10, account.currency: given twice (first on line 9); keep one" in result.output
    assert "nothing was written" in result.output
    engine = make_engine(env)
    with Session(engine) as session:
        assert session.exec(select(Account)).all() == []
    engine.dispose()


def test_load_points_at_the_faulty_field_of_a_rule_across_fields(env: str, tmp_path: Path) -> None:
    text = (ROOT / "examples" / "account.yml").read_text(encoding="utf-8")
    suite = tmp_path / "suite.yml"
    suite.write_text(
        text.replace("price_per_seat: 115, suite: null}", "price_per_seat: 115, suite: Suite}").replace(
            "price_per_seat: 49}", "price_per_seat: 49, suite: Suite}"
        ),
        encoding="utf-8",
    )
    result = CliRunner().invoke(main, ["load", str(suite)])
    assert result.exit_code == 1
    assert "line 17, products.1.seats: products of suite 'Suite' must have the same number of seats" in (
        result.output
    )


@pytest.fixture
def fresh_db_url(db_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[str]:
    """A second, empty database on the same backend (the CLI migrates it)."""
    if db_url.startswith("sqlite"):
        path = tmp_path / "fresh.db"
        shutil.copy(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = make_url(normalise_url(db_url))
    name = f"seatbot_fresh_{uuid.uuid4().hex[:10]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield server.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _rich_file(path: Path) -> Path:
    """BASE with suites, prices in cents, a sales contact, a policy and more agents."""
    data = account_data(
        policy={
            "nudge_after": "36h",
            "nudge_every": "90m",
            "max_nudges": 5,
            "expire_after": "21d",
            "working_hours": "08:30-17:45",
            "alert_threshold": 80,
        }
    )
    data["account"].update(
        plan="sales_assisted",
        sales_contact="U0REP",
        currency="USD",
        team_id="T0RICH",
        timezone="America/Chicago",
    )
    data["roles"]["admins"] = ["U0ADMIN", "U0ADMIN2"]
    data["products"][0].update(suite="Support Suite", price_per_seat="115.50")
    data["products"][1].update(suite="Support Suite", seats=10, price_per_seat="19.90")
    data["products"][2].update(allowance={"seats_per_month": 2, "cost_per_month": "150.00"})
    data["products"].append({"key": "explore", "name": "Explore", "edition": "Lite", "seats": 0})
    data["agents"].append({"user": "U0AG3", "product": "guide", "assigned_at": "2026-03-01T08:15:30Z"})
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _state(url: str) -> dict[str, Any]:
    """What the account file holds, as the database has it (no ids, no load times)."""
    engine = make_engine(url)
    with Session(engine) as session:
        account = session.exec(select(Account)).one()
        products = session.exec(select(Product).order_by(Product.position)).all()
        keys = {p.id: p.key for p in products}
        state = {
            "account": account.model_dump(exclude={"id", "created_at", "updated_at"}),
            "products": [
                p.model_dump(exclude={"id", "account_id", "created_at", "updated_at"}) for p in products
            ],
            "roles": sorted((g.user_id, g.role) for g in session.exec(select(RoleGrant))),
            "seats": sorted(
                (a.user_id, keys[a.product_id], a.assigned_at, a.assigned_by)
                for a in session.exec(select(SeatAssignment))
            ),
        }
    engine.dispose()
    return state


def test_config_export_is_loaded_back_unchanged(
    env: str, fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    loaded = CliRunner().invoke(main, ["load", str(_rich_file(tmp_path / "rich.yml"))])
    assert loaded.exit_code == 0, loaded.output
    first = CliRunner().invoke(main, ["config", "export"])  # to standard output
    assert first.exit_code == 0, first.output
    exported = tmp_path / "exported.yml"
    exported.write_text(first.output, encoding="utf-8")
    again = CliRunner().invoke(main, ["load", str(exported)])
    assert "already up to date, nothing changed" in again.output  # the same database: nothing to do

    monkeypatch.setenv("DATABASE_URL", fresh_db_url)
    assert CliRunner().invoke(main, ["load", str(exported)]).exit_code == 0
    second = tmp_path / "second.yml"
    written = CliRunner().invoke(main, ["config", "export", str(second)])
    assert written.exit_code == 0, written.output
    assert second.read_text(encoding="utf-8") == first.output
    assert _state(fresh_db_url) == _state(env)
    document = yaml.safe_load(first.output)
    assert list(document) == ["account", "roles", "products", "agents", "policy"]
    assert list(document["account"]) == [
        "name",
        "team_id",
        "plan",
        "change_requests",
        "currency",
        "alerts_channel",
        "sales_contact",
        "timezone",
    ]
    assert document["account"]["timezone"] == "America/Chicago"
    assert document["products"][2]["allowance"] == {"seats_per_month": 2, "cost_per_month": 150}
    guide = (
        "  - {key: guide, name: Guide, edition: Professional, seats: 10, price_per_seat: 19.9, "
        "suite: Support Suite}"
    )
    assert guide in first.output.splitlines()
    assert "#" not in first.output


def test_config_export_needs_an_account(env: str) -> None:
    result = CliRunner().invoke(main, ["config", "export"])
    assert result.exit_code == 1
    assert "no account yet: load one with `seatbot load`" in result.output
    CliRunner().invoke(main, ["load", str(ROOT / "examples" / "account.yml")])
    other = CliRunner().invoke(main, ["config", "export", "--team", "T0OTHER"])
    assert other.exit_code == 1
    assert "no account for T0OTHER" in other.output


@pytest.fixture
def slack(env: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[SlackStandIn]:
    """The stand-in for Slack, with two people called Ana, and SLACK_BOT_TOKEN pointing at it."""
    with SlackStandIn() as server:
        server.add_user(SlackUser("U0OWNER", "olivia", "Olivia Owner"))
        server.add_user(SlackUser("U0AG1", "ana", "Ana Lima"))
        server.add_user(SlackUser("U0AG9", "ana.b", "Ana"))
        server.add_user(SlackUser("U0AG2", "bruno", "Bruno Costa"))
        server.add_channel("C0ALERTS", "seat-alerts")
        monkeypatch.setenv("SLACK_BOT_TOKEN", server.bot_token)
        monkeypatch.setenv("SLACK_API_URL", server.api_url)
        yield server


def _named(path: Path, **changes: str) -> Path:
    """examples/account.yml with some ids replaced by names."""
    text = (ROOT / "examples" / "account.yml").read_text(encoding="utf-8")
    for old, new in {"alerts_channel: C0ALERTS": "alerts_channel: '#seat-alerts'", **changes}.items():
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")
    return path


def test_load_looks_names_up_in_slack(slack: SlackStandIn, env: str, tmp_path: Path) -> None:
    named = _named(
        tmp_path / "named.yml",
        **{
            "owner: U0OWNER": "owner: '@olivia'",
            "{user: U0AG2, product: support": "{user: '@Bruno Costa', product: support",
        },
    )
    result = CliRunner().invoke(main, ["load", str(named)])
    assert result.exit_code == 0, result.output
    exported = CliRunner().invoke(main, ["config", "export"])
    assert "  alerts_channel: C0ALERTS" in exported.output  # stored and written back as ids
    assert "  owner: U0OWNER" in exported.output
    assert "{user: U0AG2, product: support, assigned_at: '2026-02-10T09:00:00Z'}" in exported.output
    listed = [call.method for call in slack.calls]
    assert listed.count("conversations.list") == listed.count("users.list") == 1  # once, for every name
    assert CliRunner().invoke(main, ["load", str(named)]).output.endswith("nothing changed\n")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"alerts_channel: C0ALERTS": "alerts_channel: '#alerts'"},
            "line 10, account.alerts_channel: no channel named #alerts",
        ),
        (
            {"admins: [U0ADMIN, U0ADMIN2]": "admins: [U0ADMIN, '@ana']"},
            "line 14, roles.admins.1: 2 people are called @ana: U0AG1, U0AG9; use the id",
        ),
        (
            {"admins: [U0ADMIN, U0ADMIN2]": "admins: [U0ADMIN, '@nobody']"},
            "line 14, roles.admins.1: no person named @nobody",
        ),
    ],
)
def test_load_refuses_unknown_or_ambiguous_names(
    slack: SlackStandIn, env: str, tmp_path: Path, change: dict[str, str], message: str
) -> None:
    result = CliRunner().invoke(main, ["load", str(_named(tmp_path / "named.yml", **change))])
    assert result.exit_code == 1
    assert message in result.output
    assert "nothing was written" in result.output
    engine = make_engine(env)
    with Session(engine) as session:
        assert session.exec(select(Account)).all() == []
    engine.dispose()


def test_load_without_a_token_asks_for_ids_instead_of_names(env: str, tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["load", str(_named(tmp_path / "named.yml"))])
    assert result.exit_code == 1
    assert (
        "line 10, account.alerts_channel: #seat-alerts is a name: write the channel's id (C…), "
        "or set SLACK_BOT_TOKEN so seatbot can look names up in Slack"
    ) in result.output
    assert "nothing was written" in result.output
