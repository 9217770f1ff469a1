"""`seatbot agents import` against the Slack stand-in: Slack says who may hold a seat."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.runtime.cli import main
from storage.models import AuditEvent, Product, SeatAssignment
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import SlackStandIn, SlackUser

PEOPLE = [
    SlackUser(id="U0AG3", name="chloe", real_name="Chloé Agent"),
    SlackUser(id="U0ROBOT", name="robot", real_name="Robot", is_bot=True),
    SlackUser(id="U0GONE", name="gone", real_name="Gone Person", deleted=True),
]


@pytest.fixture
def cli_env(slack: SlackStandIn, db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The command line as an operator runs it, with a bot token for the stand-in."""
    for person in PEOPLE:
        slack.add_user(person)
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SEATBOT_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", db_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack.api_url)
    return tmp_path


def _holders(engine: Engine, key: str) -> list[str]:
    with Session(engine) as session:
        query = select(SeatAssignment.user_id).join(Product).where(Product.key == key)
        return sorted(session.exec(query).all())


def test_bots_and_deactivated_people_get_no_seat(cli_env: Path, engine: Engine) -> None:
    """The same rule as `/seats assign`: those lines are refused, the others taken."""
    make_account(engine, now=NOW)  # Support: 10 seats, 2 in use
    rows = cli_env / "agents.csv"
    rows.write_text("user,product,assigned_at\nU0ROBOT,support,\nU0GONE,support,\nU0AG3,support,\n")
    result = CliRunner().invoke(main, ["agents", "import", str(rows)])
    assert result.exit_code == 1, result.output  # some rows were not taken
    assert "1 seat(s) added, 0 already there, 2 row(s) not taken" in result.output
    assert "line 2: U0ROBOT is a bot (bots don't take seats)" in result.output
    assert "line 3: U0GONE is deactivated in Slack (deactivated people don't take seats)" in result.output
    assert _holders(engine, "support") == ["U0AG1", "U0AG2", "U0AG3"]
    with Session(engine) as session:
        about_them = select(AuditEvent).where(col(AuditEvent.subject_id).in_(["U0ROBOT", "U0GONE"]))
        assert session.exec(about_them).all() == []
