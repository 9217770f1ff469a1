"""SPEC's permission table, driven through Slack: every action × every role, plus a
user of another Slack team. Payloads are signed (they pass verification) but may
be forged (a button no one showed them, a modal opened by someone else). What is
refused changes nothing in the database and says who can do it; what is allowed works."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from standin import SlackUser
from storage import repositories as repo
from storage.engine import unit_of_work
from storage.models import ChangeRequest, PendingAssignment, Product, SeatAssignment
from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.clicks import click_body, command_body, post, submission_body
from tests.slack.conftest import RunningBot, blocks_text, open_modal, submit

OTHER_TEAM = "T0OTHER"
ROLES = {
    "owner": "U0OWNER",
    "billing admin": "U0BILL",
    "admin": "U0ADMIN",
    "member": "U0AG2",
    "other team": "U0XOWN",  # posts with team_id T0OTHER, where seatbot is not set up
}
NOT_SET_UP = "seatbot is not set up for this workspace yet"
ASK_APPROVERS = "Ask <@U0OWNER> and <@U0BILL>."


@pytest.fixture
def world(bot: RunningBot, engine: Engine) -> None:
    """Support 10 (2 used), Guide 5, Talk 2 (full, Chloé waiting: entry w1);
    request #1 (Support 10 → 15) pending, sent by a second admin."""
    for person in [
        SlackUser(id="U0ADM2", name="adam", real_name="Adam Admin"),
        SlackUser(id="U0AG3", name="chloe", real_name="Chloé Agent"),
        SlackUser(id="U0XOWN", name="xavier", real_name="Xavier Elsewhere"),
    ]:
        bot.slack.add_user(person)
    make_account(
        engine,
        now=NOW,
        roles={"owner": "U0OWNER", "billing_admins": ["U0BILL"], "admins": ["U0ADMIN", "U0ADM2"]},
    )
    view = open_modal(bot, "U0ADM2", "request support +5")
    submit(bot, "U0ADM2", view, {"justification": {"text": "New hires"}})
    bot.command("U0ADMIN", "assign <@U0AG3|chloe> talk")
    with Session(engine) as session:
        assert session.exec(select(ChangeRequest.id, ChangeRequest.status)).all() == [(1, "pending")]
        assert session.exec(select(PendingAssignment.id)).all() == [1]


def _state(engine: Engine) -> tuple[Any, ...]:
    """Everything an action may change: seat counts, requests, holders, who waits."""
    with Session(engine) as session:
        return (
            sorted((p.key, p.seats) for p in session.exec(select(Product))),
            [
                (r.id, r.requester_id, r.status, r.decided_by)
                for r in session.exec(select(ChangeRequest).order_by(col(ChangeRequest.id)))
            ],
            sorted((a.product_id, a.user_id) for a in session.exec(select(SeatAssignment))),
            sorted((w.user_id, w.status) for w in session.exec(select(PendingAssignment))),
        )


def _team(role: str) -> str | None:
    return OTHER_TEAM if role == "other team" else None


def _told(bot: RunningBot, user_id: str, seen: int) -> str:
    """The next ephemeral answer `user_id` gets, blocks included."""
    message = bot.slack.wait_for(lambda: bot.slack.ephemerals(user_id)[seen:] or None)[0]
    return f"{message.text}\n{blocks_text(message.blocks)}"


def _command(bot: RunningBot, role: str, text: str) -> str:
    user = ROLES[role]
    seen = len(bot.slack.ephemerals(user))
    team = _team(role)
    if team is None:
        post(bot, command_body(bot, user, text, team_id=bot.slack.team_id))
    else:
        post(bot, command_body(bot, user, text, team_id=team))
    return _told(bot, user, seen)


def _click(
    bot: RunningBot, role: str, action_id: str, value: str, done: Callable[[], bool] = lambda: False
) -> str:
    """Click a button no one showed them; return the answer, the modal it opened,
    or "" once `done` says the click took effect silently (an approval)."""
    user = ROLES[role]
    seen = len(bot.slack.ephemerals(user))
    views = len(bot.slack.open_views(user))
    post(bot, click_body(bot, user, action_id=action_id, value=value, team_id=_team(role)))
    found = bot.slack.wait_for(
        lambda: bot.slack.ephemerals(user)[seen:] or bot.slack.open_views(user)[views:] or done() or None
    )
    if found is True:
        return ""
    first = found[0]
    if isinstance(first, dict):  # a modal opened
        return "modal:" + blocks_text(first["blocks"])
    return f"{first.text}\n{blocks_text(first.blocks)}"


def _change_modal(bot: RunningBot, role: str, values: dict[str, Any]) -> str:
    """Submit a change modal (the owner's, replayed as `role`: the role in the
    database decides what happens, never the modal). A refusal comes back in the
    response; an accepted form is written after the ack: wait for its change."""
    view = open_modal(bot, "U0OWNER", "request support 11")
    changes = len(_state(bot.deps.engine)[1])
    response = post(bot, submission_body(bot, ROLES[role], view, values, team_id=_team(role)))
    answer = response.json() if response.body else {}
    told = blocks_text(answer.get("view", {}).get("blocks", [])) + str(answer.get("errors", ""))
    if role in ("owner", "billing admin", "admin"):
        bot.slack.wait_for(lambda: len(_state(bot.deps.engine)[1]) > changes or None)
    return told


def see_summary(bot: RunningBot, role: str) -> str:
    return _command(bot, role, "summary")


def change_directly(bot: RunningBot, role: str) -> str:
    typed = {"type": "plain_text_input"}
    values = {
        "seats:support": {"seats": {**typed, "value": "11"}},
        "justification": {"text": {**typed, "value": "Growth"}},
    }
    return _change_modal(bot, role, values)


def send_request(bot: RunningBot, role: str) -> str:
    if role in ("admin", "owner", "billing admin"):
        user = ROLES[role]
        view = open_modal(bot, user, "request guide +1")
        answer = submit(bot, user, view, {"justification": {"text": "One more"}})
        return blocks_text(answer.get("view", {}).get("blocks", [])) + str(answer.get("errors", ""))
    return _command(bot, role, "request guide +1")


def approve(bot: RunningBot, role: str) -> str:
    return _click(bot, role, "approve_request", "1", done=lambda: _status(bot, 1) != "pending")


def _status(bot: RunningBot, request_id: int) -> str:
    with Session(bot.deps.engine) as session:
        request = session.get(ChangeRequest, request_id)
        assert request is not None
        return request.status


def decline(bot: RunningBot, role: str) -> str:
    return _click(bot, role, "decline_request", "1")


def withdraw_own(bot: RunningBot, role: str) -> str:
    if role == "admin":  # the only role that sends requests: send one, then withdraw it
        view = open_modal(bot, "U0ADMIN", "request guide +1")
        submit(bot, "U0ADMIN", view, {"justification": {"text": "One more"}})
    return _command(bot, role, "withdraw")


def withdraw_others(bot: RunningBot, role: str) -> str:
    return _click(bot, role, "withdraw_request", "1")  # request #1 is the second admin's


def assign(bot: RunningBot, role: str) -> str:
    return _command(bot, role, "assign <@U0AG3|chloe> guide")


def unassign(bot: RunningBot, role: str) -> str:
    return _command(bot, role, "unassign <@U0AG1|ana> support")


def buy(bot: RunningBot, role: str) -> str:
    return _click(bot, role, "buy_seats", "talk:2:1:w1")  # the offer made when Chloé started waiting


Action = Callable[[RunningBot, str], str]


DENIED_SUMMARY = "You can't see the seat subscription"
DENIED_DIRECT = (
    f"You can't change seats directly: only the account owner and billing admins can. {ASK_APPROVERS}"
)
DENIED_REQUEST = "You can't send a change request"
DENIED_DECIDE = (
    f"You can't approve or decline requests: only the account owner and billing admins can. {ASK_APPROVERS}"
)
DENIED_ASSIGN = (
    f"You can't assign seats: only admins, billing admins and the account owner can. {ASK_APPROVERS}"
)
NOTHING_TO_WITHDRAW = (
    "You have no pending request to withdraw.",
    "Vous n'avez aucune demande en attente à retirer.",
)
NOT_FOUND = ("That request does not exist any more.", "Cette demande n'existe plus.")


def _seats_of(state: tuple[Any, ...], key: str) -> int:
    return dict(state[0])[key]


def _status_of(state: tuple[Any, ...], request_id: int) -> str:
    return next(r[2] for r in state[1] if r[0] == request_id)


# (action, role, what the person is told, or None if the action works: then `works` checks the state)
CASES: list[tuple[Action, str, str | tuple[str, str] | None]] = [
    # see the subscription summary: owner, billing admin, admin; not members
    (see_summary, "owner", None),
    (see_summary, "billing admin", None),
    (see_summary, "admin", None),
    (see_summary, "member", DENIED_SUMMARY),
    (see_summary, "other team", NOT_SET_UP),
    # change seats directly: only the owner and billing admins; an admin's submission is a request
    (change_directly, "owner", None),
    (change_directly, "billing admin", None),
    (change_directly, "admin", None),
    (change_directly, "member", DENIED_REQUEST),
    (change_directly, "other team", NOT_SET_UP),
    # send a request: admins; for the owner and billing admins the same form changes seats directly
    (send_request, "owner", None),
    (send_request, "billing admin", None),
    (send_request, "admin", None),
    (send_request, "member", DENIED_REQUEST),
    (send_request, "other team", NOT_SET_UP),
    # approve / decline: owner and billing admins
    (approve, "owner", None),
    (approve, "billing admin", None),
    (approve, "admin", DENIED_DECIDE),
    (approve, "member", DENIED_DECIDE),
    (approve, "other team", NOT_SET_UP),
    (decline, "owner", None),
    (decline, "billing admin", None),
    (decline, "admin", DENIED_DECIDE),
    (decline, "member", DENIED_DECIDE),
    (decline, "other team", NOT_SET_UP),
    # withdraw their own request: only admins have requests (the others change seats directly)
    (withdraw_own, "owner", NOTHING_TO_WITHDRAW),
    (withdraw_own, "billing admin", NOTHING_TO_WITHDRAW),
    (withdraw_own, "admin", None),
    (withdraw_own, "member", NOTHING_TO_WITHDRAW),
    (withdraw_own, "other team", NOT_SET_UP),
    # withdraw someone else's request: nobody; it is not even theirs to see
    (withdraw_others, "owner", NOT_FOUND),
    (withdraw_others, "billing admin", NOT_FOUND),
    (withdraw_others, "admin", NOT_FOUND),
    (withdraw_others, "member", NOT_FOUND),
    (withdraw_others, "other team", NOT_SET_UP),
    # assign / unassign: owner, billing admin, admin
    (assign, "owner", None),
    (assign, "billing admin", None),
    (assign, "admin", None),
    (assign, "member", DENIED_ASSIGN),
    (assign, "other team", NOT_SET_UP),
    (unassign, "owner", None),
    (unassign, "billing admin", None),
    (unassign, "admin", None),
    (unassign, "member", DENIED_ASSIGN),
    (unassign, "other team", NOT_SET_UP),
    # Buy (a direct change): owner and billing admins
    (buy, "owner", None),
    (buy, "billing admin", None),
    (buy, "admin", DENIED_DIRECT),
    (buy, "member", DENIED_DIRECT),
    (buy, "other team", NOT_SET_UP),
]


def works(action: Action, role: str, before: tuple[Any, ...], after: tuple[Any, ...], told: str) -> None:
    """What an allowed action must have done, seen in the database and the answer."""
    if action is see_summary:
        assert after == before
        assert "Support" in told
        assert "Talk" in told
    elif action is change_directly and role == "admin":
        # The owner's "Update subscription" form, submitted by an admin, is only a request.
        assert _seats_of(after, "support") == 10
        assert after[1][-1][1:3] == ("U0ADMIN", "pending")
    elif action is change_directly:
        assert _seats_of(after, "support") == 11
        assert after[1][-1][1:3] == (ROLES[role], "applied")
    elif action is send_request and role == "admin":
        assert after[1][-1][1:3] == ("U0ADMIN", "pending")
        assert _seats_of(after, "guide") == 5
    elif action is send_request:
        assert _seats_of(after, "guide") == 6  # applied at once, no request to approve
        assert after[1][-1][1:3] == (ROLES[role], "applied")
    elif action is approve:
        assert (_status_of(after, 1), _seats_of(after, "support")) == ("applied", 15)
    elif action is decline:
        assert told.startswith("modal:")  # the reason modal opens; the request waits for its submission
        assert after == before
    elif action is withdraw_own:
        assert "withdrawn" in told
        assert after[1][-1][1:3] == ("U0ADMIN", "withdrawn")
        assert _status_of(after, 1) == "pending"
    elif action is assign:
        assert ("U0AG3", "guide") in _holders(after)
    elif action is unassign:
        assert ("U0AG1", "support") not in _holders(after)
    elif action is buy:
        assert _seats_of(after, "talk") == 3
        assert ("U0AG3", "talk") in _holders(after)
    else:  # pragma: no cover - every action has its check
        raise AssertionError(action)


def _holders(state: tuple[Any, ...]) -> set[tuple[str, str]]:
    ids = {1: "support", 2: "guide", 3: "talk"}
    return {(user, ids[product_id]) for product_id, user in state[2]}


@pytest.mark.parametrize(("action", "role", "refusal"), CASES, ids=[f"{a.__name__}-{r}" for a, r, _ in CASES])
def test_permission_matrix(
    bot: RunningBot,
    engine: Engine,
    world: None,
    action: Action,
    role: str,
    refusal: str | tuple[str, str] | None,
) -> None:
    before = _state(engine)
    told = action(bot, role)
    if refusal is None:
        works(action, role, before, _state(engine), told)
        return
    # Bastien (billing admin) reads French: (English, French) pairs say the same thing.
    assert any(text in told for text in ((refusal,) if isinstance(refusal, str) else refusal)), told
    after = _state(engine)
    assert after == before, "a refused action changed the database"


@pytest.mark.parametrize(
    ("clicker", "team", "action_id", "value", "refusal"),
    [
        # Our owner names the other workspace's request: it does not exist for them.
        ("U0OWNER", None, "approve_request", "2", NOT_FOUND[0]),
        ("U0OWNER", None, "decline_request", "2", NOT_FOUND[0]),
        # The other workspace's owner names ours: same answer, nothing learnt.
        ("U0XOWN", OTHER_TEAM, "approve_request", "1", NOT_FOUND[0]),
        ("U0XOWN", OTHER_TEAM, "withdraw_request", "1", NOT_FOUND[0]),
        # …and our Buy offer (waiting entry w1 is ours): refused as a forged button.
        ("U0XOWN", OTHER_TEAM, "buy_seats", "talk:2:1:w1", "This Buy button is not one seatbot made"),
    ],
)
def test_another_teams_ids_get_nothing(
    bot: RunningBot,
    engine: Engine,
    world: None,
    clicker: str,
    team: str | None,
    action_id: str,
    value: str,
    refusal: str,
) -> None:
    # The other workspace has seatbot too; its owner asks nothing of ours. Its request is #2.
    make_account(engine, now=NOW, team_id=OTHER_TEAM, roles={"owner": "U0XOWN", "admins": ["U0XADM"]})
    with unit_of_work(engine, write=True) as session:
        account = repo.account_by_team(session, team_id=OTHER_TEAM)
        assert account is not None
        assert account.id is not None
        session.add(
            ChangeRequest(account_id=account.id, requester_id="U0XADM", created_at=NOW, updated_at=NOW)
        )
    before = _state(engine)
    seen = len(bot.slack.ephemerals(clicker))
    post(bot, click_body(bot, clicker, action_id=action_id, value=value, team_id=team))
    assert refusal in _told(bot, clicker, seen)
    assert bot.slack.open_views(clicker) == []
    assert _state(engine) == before
