"""Account file validation: each rule, with the field a person has to fix."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import ValidationError

from bot.domain.account_file import AccountFile, AccountFileError, read_account_file
from tests.factories import account_data


def _with(path: str, value: Any) -> dict[str, Any]:
    data = account_data()
    *parents, last = path.split(".")
    node: Any = data
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    node[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        ("account.plan", "enterprise", "self_service"),  # unknown plan
        ("account.currency", "EURO", "ISO 4217"),  # not a currency code
        ("account.alerts_channel", "general", "not a Slack channel id"),  # neither an id nor a #name
        ("account.alerts_channel", "#two words", "not a Slack channel id"),  # no channel is called so
        ("account.sales_contact", "rep", "neither a Slack user nor a channel"),
        ("account.name", "Acme\u202eevil", "invisible"),  # bidi override smuggled into a name
        ("account.name", "   ", "empty"),  # blank after trimming
        ("roles.owner", "olivia", "not a Slack user id"),  # neither an id nor an @name
        ("roles.owner", "<@U0OWNER>", "not a Slack user id"),  # a mention, not an id
        ("roles.admins", ["U0OWNER"], "listed twice"),  # one role per person
        ("products.0.seats", -1, "greater than or equal to 0"),  # negative
        ("products.0.seats", 10**9, "less than or equal to 100000"),  # absurd
        ("products.0.seats", "10", "valid integer"),  # strings are not counts
        ("account.timezone", "Mars/Olympus", "not a time zone"),
        ("account.timezone", "../../etc/passwd", "not a time zone"),
        ("products.0.allowance", {"seats_per_month": 0}, "greater than 0"),
        ("products.0.allowance", {"seats_per_month": -5}, "greater than 0"),
        ("products.0.allowance", {"seats_per_month": 5, "cost_per_month": -1}, "greater than or equal to 0"),
        ("products.0.allowance", {"cost_per_month": 600}, "seats_per_month"),  # a cap alone means nothing
        ("products.0.allowance", {"seats_per_month": 5, "when": "always"}, "Extra inputs"),
        ("products.0.price_per_seat", -5, "greater than or equal to 0"),
        ("products.0.key", "Support Suite", "lowercase"),
        ("products.1.key", "support", "listed twice"),  # duplicate product
        ("agents.0.product", "chat", "unknown product"),
        ("agents.0.assigned_at", "2026-01-05T09:00:00", "time zone"),  # naive time
        ("policy", {"nudge_after": "tomorrow"}, "not a duration"),
        ("policy", {"working_hours": "18:00-09:00"}, "opening-closing"),
        ("policy", {"alert_threshold": 100}, "less than 100"),
        ("account.surprise", True, "Extra inputs"),  # typos are not ignored
    ],
)
def test_invalid_files_are_refused(path: str, value: Any, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AccountFile.model_validate(_with(path, value))


def test_suite_products_must_share_their_seat_count() -> None:
    data = account_data()
    data["products"][0]["suite"] = "Support Suite"
    data["products"][1]["suite"] = "Support Suite"  # 10 vs 5 seats
    with pytest.raises(ValidationError, match="same number of seats"):
        AccountFile.model_validate(data)


def test_sales_assisted_needs_a_sales_contact() -> None:
    data = account_data()
    data["account"]["plan"] = "sales_assisted"
    with pytest.raises(ValidationError, match="sales_contact"):
        AccountFile.model_validate(data)


def test_more_agents_than_seats_is_refused() -> None:
    data = account_data()
    data["agents"].append({"user": "U0AG3", "product": "talk"})  # talk has 2 seats
    with pytest.raises(ValidationError, match="talk has 2 seats but 3 agents"):
        AccountFile.model_validate(data)


def test_the_example_file_is_valid() -> None:
    parsed = read_account_file(Path(__file__).parents[2] / "examples" / "account.yml")
    assert parsed.roles.owner == "U0OWNER"


FILE = """\
account:
  name: Acme Support
  plan: self_service
roles:
  owner: U0OWNER
  admins: [U0ADMIN]
products:
  - key: support
    name: Support
    edition: Professional
    seats: 10
    suite: Support Suite
  - {key: guide, name: Guide, edition: Professional, seats: 10, suite: Support Suite}
agents:
  - {user: U0AG1, product: support}
"""


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "account.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AccountFileError) as raised:
        read_account_file(path)
    return [str(problem) for problem in raised.value.problems]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        # a field's own rule: its line
        ("    seats: 10\n", "    seats: -1\n", "line 11, products.0.seats: Input should be greater"),
        # a missing field: the line of the mapping it is missing from
        ("    edition: Professional\n", "", "line 8, products.0.edition: Field required"),
        ("  name: Acme Support\n", "", "line 1, account.name: Field required"),
        # rules across fields point at the field at fault, not at `account:`
        (
            "seats: 10, suite",
            "seats: 5, suite",
            "line 13, products.1.seats: products of suite 'Support Suite'",
        ),
        ("{key: guide,", "{key: support,", "line 13, products.1.key: product 'support' is listed twice"),
        (
            "admins: [U0ADMIN]",
            "admins: [U0ADMIN, U0OWNER]",
            "line 6, roles.admins.1: U0OWNER is listed twice",
        ),
        (
            "plan: self_service",
            "plan: sales_assisted",
            "line 3, account.plan: a sales_assisted account needs",
        ),
        ("product: support}", "product: chat}", "line 15, agents.0.product: agent U0AG1: unknown product"),
        # YAML keeps the last of two equal keys: the file is refused instead
        (
            "    seats: 10\n",
            "    seats: 10\n    seats: 12\n",
            "line 12, products.0.seats: given twice (first on line 11)",
        ),
        ("agents:\n", "products: []\nagents:\n", "line 14, products: given twice (first on line 7)"),
    ],
)
def test_problems_point_at_the_line_of_the_field(tmp_path: Path, old: str, new: str, expected: str) -> None:
    assert old in FILE
    problems = _problems(tmp_path, FILE.replace(old, new, 1))
    assert any(problem.startswith(expected) for problem in problems), problems


def test_the_agent_past_the_last_seat_is_pointed_at(tmp_path: Path) -> None:
    text = FILE.replace("seats: 10", "seats: 1").replace(
        "  - {user: U0AG1, product: support}\n",
        "  - {user: U0AG1, product: support}\n  - {user: U0AG2, product: support}\n",
    )
    assert _problems(tmp_path, text) == ["line 16, agents.1: support has 1 seat but 2 agents"]


class FakeDirectory:
    """Slack's directory as the file's names see it."""

    people: ClassVar[dict[str, list[str]]] = {
        "ana": ["U0AG1", "U0AG9"],
        "olivia": ["U0OLIVIA"],
        "ana lima": ["U0AG1"],
    }
    channels: ClassVar[dict[str, list[str]]] = {"seat-alerts": ["C0ALERTS"]}

    def people_named(self, name: str) -> list[str]:
        return self.people.get(name.lower(), [])

    def channels_named(self, name: str) -> list[str]:
        return self.channels.get(name, [])


NAMED = FILE.replace("owner: U0OWNER", "owner: '@olivia'").replace(
    "  plan: self_service\n", "  plan: self_service\n  alerts_channel: '#seat-alerts'\n"
)


def test_names_are_replaced_by_the_ids_they_stand_for(tmp_path: Path) -> None:
    path = tmp_path / "account.yml"
    path.write_text(NAMED.replace("user: U0AG1", "user: '@Ana Lima'"), encoding="utf-8")
    data = read_account_file(path, directory=FakeDirectory())
    assert (data.account.alerts_channel, data.roles.owner, data.agents[0].user) == (
        "C0ALERTS",
        "U0OLIVIA",
        "U0AG1",
    )
    assert data.names() == []


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ("'#seat-alerts'", "'#alerts'", "line 4, account.alerts_channel: no channel named #alerts"),
        (
            "admins: [U0ADMIN]",
            "admins: ['@ana']",
            "line 7, roles.admins.0: 2 people are called @ana: U0AG1, U0AG9; use the id",
        ),
        ("admins: [U0ADMIN]", "admins: ['@bob']", "line 7, roles.admins.0: no person named @bob"),
        # resolved, then checked again: @olivia is the owner already
        (
            "admins: [U0ADMIN]",
            "admins: [U0OLIVIA]",
            "line 7, roles.admins.0: U0OLIVIA is listed twice: give each person one role",
        ),
    ],
)
def test_unknown_or_ambiguous_names_are_refused_at_their_line(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    path = tmp_path / "account.yml"
    assert old in NAMED
    path.write_text(NAMED.replace(old, new), encoding="utf-8")
    with pytest.raises(AccountFileError) as raised:
        read_account_file(path, directory=FakeDirectory())
    assert [str(p) for p in raised.value.problems] == [expected]


def test_names_without_a_directory_ask_for_ids(tmp_path: Path) -> None:
    path = tmp_path / "account.yml"
    path.write_text(NAMED, encoding="utf-8")
    with pytest.raises(AccountFileError) as raised:
        read_account_file(path)
    assert [str(p) for p in raised.value.problems] == [
        "line 4, account.alerts_channel: #seat-alerts is a name: write the channel's id (C…), "
        "or give seatbot a way to look names up",
        "line 6, roles.owner: @olivia is a name: write the person's id (U…), "
        "or give seatbot a way to look names up",
    ]
