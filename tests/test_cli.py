"""The `seatbot` command line, as an operator meets it."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlmodel import Session, select

from bot.runtime.cli import main
from storage.engine import make_engine
from storage.models import Account

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
        "user,product,assigned_at\n"
        "U0AG9,talk,2026-05-01T09:00:00Z\n"  # talk: 3 seats, 2 in use → the last one
        "U0AG8,talk,2026-05-02T09:00:00Z\n"  # no seat left
        "U0AG3,support,\n"  # already there
        "bob,support,\n"  # not a Slack id
        "U0AG7,chat,\n",  # unknown product
        encoding="utf-8",
    )
    first = CliRunner().invoke(main, ["agents", "import", str(csv_file)])
    assert first.exit_code == 1  # some rows were not taken
    assert "1 seat(s) added, 1 already there, 3 row(s) not taken" in first.output
    assert "line 3: U0AG8: no free Talk seat (3 of 3 in use)" in first.output
    assert "line 5: 'bob' is not a Slack user id" in first.output
    assert "line 6: unknown product 'chat'" in first.output
    second = CliRunner().invoke(main, ["agents", "import", str(csv_file)])
    assert "0 seat(s) added, 2 already there" in second.output
    exported = CliRunner().invoke(main, ["agents", "export"])
    assert exported.exit_code == 0
    lines = exported.output.splitlines()
    assert lines[0] == "user,product,assigned_at,assigned_by"
    assert "U0AG9,talk,2026-05-01T09:00:00Z," in lines
    assert len(lines) == 1 + 7
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
