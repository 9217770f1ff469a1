"""Standing allowances: requests within them are approved at once, the rest as always."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from standin import SlackStandIn, SlackUser
from tests.conftest import NOW
from tests.factories import BASE, make_account
from tests.slack.conftest import RunningBot, forged_submission, open_modal, submit

AUCKLAND_NEW_MONTH = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
"""Still November in UTC; already 1 December, 01:00, in Auckland."""


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> Callable[[], datetime]:
    marker = request.node.get_closest_marker("at")
    at = marker.args[0] if marker else NOW
    return lambda: at


@pytest.fixture(autouse=True)
def account(engine: Engine, slack: SlackStandIn, request: pytest.FixtureRequest) -> None:
    for user in ("U0ADMIN2", "U0ADMIN3"):
        slack.add_user(SlackUser(id=user, name=user.lower(), real_name=f"Admin {user[-1]}", locale="en-US"))
    marker = request.node.get_closest_marker("allowance")
    options = {"seats": 5, "cost": "600", "timezone": "UTC", **(marker.kwargs if marker else {})}
    products = [dict(p) for p in BASE["products"]]
    products[0]["allowance"] = {"seats_per_month": options["seats"]}
    if options["cost"] is not None:
        products[0]["allowance"]["cost_per_month"] = options["cost"]
    make_account(
        engine,
        now=NOW - timedelta(days=60),
        products=products,
        roles={**BASE["roles"], "admins": ["U0ADMIN", "U0ADMIN2", "U0ADMIN3"]},
        account={**BASE["account"], "timezone": options["timezone"]},
    )


def _request(bot: RunningBot, user: str, command: str) -> str:
    """Type `/seats request …` and submit the form; the words the form shows afterwards."""
    form = open_modal(bot, user, command)
    answer = submit(bot, user, form, {"justification": {"text": "New hires"}})
    return json.dumps(answer, ensure_ascii=False)


def _rows(engine: Engine, sql: str) -> list[Any]:
    with engine.connect() as connection:
        return [row[0] for row in connection.execute(text(sql))]


def _support(engine: Engine) -> int:
    return int(_rows(engine, "SELECT seats FROM product WHERE key = 'support'")[0])


def test_a_request_within_the_allowance_is_applied_at_once(bot: RunningBot, engine: Engine) -> None:
    assert "approved and applied at once" in _request(bot, "U0ADMIN", "request support +2")
    assert _support(engine) == 12
    assert _rows(engine, "SELECT status FROM change_request") == ["applied"]
    audited = _rows(engine, "SELECT after FROM audit_event WHERE action = 'request.auto_approved'")
    assert len(audited) == 1
    assert "allowance" in str(audited[0])
    # The approvers are told, quietly: nothing to press.
    for approver in ("U0OWNER", "U0BILL"):
        dms = bot.slack.wait_for(lambda a=approver: bot.slack.dm(a) or None)
        assert len(dms) == 1
        assert not [b for b in dms[0].blocks if b["type"] == "actions"]
    owner = json.dumps(bot.slack.dm("U0OWNER")[0].blocks, ensure_ascii=False)
    assert "was approved automatically" in owner
    assert "Support: 3 seats left in this month's allowance and €370.00 a month" in owner
    bill = json.dumps(bot.slack.dm("U0BILL")[0].blocks, ensure_ascii=False)
    assert "approuvée automatiquement" in bill
    assert "3 sièges restants" in bill


def test_the_requester_sees_it_approved_automatically_in_their_requests(bot: RunningBot) -> None:
    bot.driver.app_home_opened("U0ADMIN")
    bot.slack.wait_for(lambda: bot.slack.home("U0ADMIN"))
    _request(bot, "U0ADMIN", "request support +2")
    mine = json.dumps(bot.command("U0ADMIN", "requests").blocks, ensure_ascii=False)
    assert "Approved automatically" in mine
    assert "within the standing allowance, and applied" in mine
    home = bot.slack.wait_for(  # the requester's Home lists it the same way
        lambda: (h := bot.slack.home("U0ADMIN")) and "Approved automatically" in json.dumps(h["blocks"]) and h
    )
    assert "Approved by" not in json.dumps(home["blocks"])


def test_beyond_the_allowance_it_goes_to_the_approvers(bot: RunningBot, engine: Engine) -> None:
    assert "approved and applied at once" not in _request(bot, "U0ADMIN", "request support +6")  # 6 > 5
    assert _rows(engine, "SELECT status FROM change_request") == ["pending"]
    assert _support(engine) == 10
    dms = bot.slack.wait_for(lambda: bot.slack.dm("U0OWNER") or None)
    assert [b for b in dms[0].blocks if b["type"] == "actions"], "the usual approval card, with its buttons"
    assert _rows(engine, "SELECT count(*) FROM allowance_use WHERE seats > 0") == [0], "nothing taken"


@pytest.mark.allowance(cost="300")
def test_the_cost_cap_counts_too(bot: RunningBot, engine: Engine) -> None:
    _request(bot, "U0ADMIN", "request support +3")  # 3 × €115 = €345 > €300
    assert _rows(engine, "SELECT status FROM change_request") == ["pending"]
    _request(bot, "U0ADMIN2", "request support +2")  # €230: within
    assert _rows(engine, "SELECT status FROM change_request ORDER BY id") == ["pending", "applied"]


def test_what_is_left_shrinks_then_the_normal_approval_takes_over(bot: RunningBot, engine: Engine) -> None:
    _request(bot, "U0ADMIN", "request support +3")
    _request(bot, "U0ADMIN2", "request support +3")  # 3 + 3 > 5
    assert _rows(engine, "SELECT status FROM change_request ORDER BY id") == ["applied", "pending"]
    _request(bot, "U0ADMIN3", "request support +2")  # exactly what is left (and still ≤ €600)
    assert _rows(engine, "SELECT seats FROM allowance_use") == [5]
    assert _support(engine) == 15


def test_a_product_without_an_allowance_is_never_automatic(bot: RunningBot, engine: Engine) -> None:
    _request(bot, "U0ADMIN", "request guide +1")
    assert _rows(engine, "SELECT status FROM change_request") == ["pending"]


def test_a_reduction_is_never_automatic(bot: RunningBot, engine: Engine) -> None:
    _request(bot, "U0ADMIN", "request support -1")
    assert _rows(engine, "SELECT status FROM change_request") == ["pending"]


@pytest.mark.at(AUCKLAND_NEW_MONTH)
@pytest.mark.allowance(timezone="Pacific/Auckland")
def test_the_allowance_resets_with_the_month_of_the_accounts_time_zone(
    bot: RunningBot, engine: Engine
) -> None:
    _spent(engine, "2026-11")  # November's allowance is all used
    assert "approved and applied at once" in _request(bot, "U0ADMIN", "request support +2")
    assert _rows(engine, "SELECT month FROM allowance_use ORDER BY month") == ["2026-11", "2026-12"]


@pytest.mark.at(AUCKLAND_NEW_MONTH)
def test_in_utc_it_is_still_the_spent_month(bot: RunningBot, engine: Engine) -> None:
    _spent(engine, "2026-11")
    _request(bot, "U0ADMIN", "request support +2")
    assert _rows(engine, "SELECT status FROM change_request") == ["pending"]


def _spent(engine: Engine, month: str) -> None:
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO allowance_use (product_id, month, seats, cost) "
                "SELECT id, :month, 5, 575 FROM product WHERE key = 'support'"
            ),
            {"month": month},
        )


def _open_allowances(bot: RunningBot, user_id: str = "U0OWNER") -> dict[str, Any]:
    bot.driver.app_home_opened(user_id)
    home = bot.slack.wait_for(
        lambda: (h := bot.slack.home(user_id)) and "open_allowances" in json.dumps(h) and h
    )
    seen = len(bot.slack.open_views(user_id))
    bot.driver.click(user_id, action_id="open_allowances", view=home)
    return bot.slack.wait_for(
        lambda: bot.slack.open_views(user_id)[seen:] and bot.slack.open_views(user_id)[-1]
    )


def _allowances(engine: Engine) -> dict[str, tuple[Any, Any]]:
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT key, allowance_seats, allowance_cost FROM product"))
        return {str(k): (s, None if c is None else str(c)) for k, s, c in rows}


def test_the_owner_sets_allowances_from_app_home(bot: RunningBot, engine: Engine) -> None:
    form = _open_allowances(bot)
    support = next(b for b in form["blocks"] if b.get("block_id") == "allowance:support:seats")
    assert support["element"]["initial_value"] == "5"
    done = submit(
        bot,
        "U0OWNER",
        form,
        {
            "allowance:guide:seats": {"value": "3"},
            "allowance:support:seats": {"value": None},
            "allowance:support:cost": {"value": ""},
        },
    )
    assert "Standing allowances saved." in json.dumps(done)
    assert _allowances(engine) == {"support": (None, None), "guide": (3, None), "talk": (None, None)}
    audited = _rows(engine, "SELECT before FROM audit_event WHERE action = 'product.updated' ORDER BY id")
    assert any("allowance_seats" in str(b) for b in audited)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"allowance:guide:seats": {"value": "lots"}}, "allowance:guide:seats"),
        ({"allowance:guide:seats": {"value": "-3"}}, "allowance:guide:seats"),
        (
            {"allowance:guide:seats": {"value": "2"}, "allowance:guide:cost": {"value": "-5"}},
            "allowance:guide:cost",
        ),
        (
            {"allowance:guide:seats": {"value": "2"}, "allowance:guide:cost": {"value": "1.999"}},
            "allowance:guide:cost",
        ),
        ({"allowance:guide:cost": {"value": "100"}}, "allowance:guide:seats"),  # a cap alone means nothing
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_changes_nothing(
    bot: RunningBot, engine: Engine, values: dict[str, Any], field: str
) -> None:
    before = _allowances(engine)
    form = _open_allowances(bot)
    state = {
        b["block_id"]: {
            "value": {
                "type": b["element"]["type"],
                "value": values.get(b["block_id"], {}).get("value", b["element"].get("initial_value")),
            }
        }
        for b in form["blocks"]
        if b["type"] == "input"
    }
    answer = forged_submission(bot, "U0OWNER", form, state)
    assert answer["response_action"] == "errors"
    assert list(answer["errors"]) == [field]
    assert _allowances(engine) == before


def test_only_the_owner_sets_them(bot: RunningBot, engine: Engine) -> None:
    before = _allowances(engine)
    form = _open_allowances(bot)
    state = {"allowance:guide:seats": {"value": {"type": "number_input", "value": "50"}}}
    answer = forged_submission(bot, "U0ADMIN", form, state)
    assert "You can't change roles and settings" in json.dumps(answer)
    assert _allowances(engine) == before
