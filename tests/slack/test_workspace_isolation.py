"""Two workspaces installed by OAuth, each with its own account and people. A user of
workspace B (its owner, its admin) drives every surface against workspace A's objects:
request ids, offers, product keys, a modal's view id, A's team id itself. They see B's
account only, act on B's account only, are answered in B with B's bot token, and
nothing of A changes; a workspace that never installed seatbot is refused calmly."""

from __future__ import annotations

import json
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from bot.domain.clock import utcnow
from bot.messages.change_modal import DECLINE_CALLBACK
from standin import SlackStandIn, SlackUser
from standin.payloads import block_actions, slash_command, view_submission
from standin.transport import HttpResult
from storage.models import (
    Account,
    AuditEvent,
    ChangeRequest,
    OutboxMessage,
    PendingAssignment,
    Product,
    RoleGrant,
    SeatAlert,
    SeatAssignment,
)
from tests.factories import make_account
from tests.slack.conftest import PEOPLE, RunningBot, blocks_text, open_modal, submit
from tests.slack.workspaces import OAuthBot, serving_oauth

ALPHA, BETA = "T0ALPHA", "T0BETA"
CHLOE = SlackUser(id="U0AG3", name="chloe", real_name="Chloé Agent")
BETA_PEOPLE = [
    SlackUser(id="U0BOWN", name="bea", real_name="Béa Owner", locale="en-US"),
    SlackUser(id="U0BADM", name="bruno", real_name="Bruno Admin", locale="en-US"),
    SlackUser(id="U0BBILL", name="boris", real_name="Boris Billing", locale="en-US"),
    SlackUser(id="U0BAG1", name="bianca", real_name="Bianca Agent"),
]
BETA_IDS = {p.id for p in BETA_PEOPLE}
BETA_ACCOUNT: dict[str, Any] = {
    "account": {
        "name": "Beta Service",
        "plan": "self_service",
        "change_requests": True,
        "currency": "USD",
        "alerts_channel": "C0BALERTS",
    },
    "roles": {"owner": "U0BOWN", "billing_admins": ["U0BBILL"], "admins": ["U0BADM"]},
    "products": [
        {"key": "helpdesk", "name": "Helpdesk", "edition": "Growth", "seats": 4, "price_per_seat": 20}
    ],
    "agents": [{"user": "U0BAG1", "product": "helpdesk", "assigned_at": "2026-01-05T09:00:00Z"}],
}
NOT_FOUND = "That request does not exist any more."
BAD_OFFER = "This Buy button is not one seatbot made"
A_WORDS = ("Support", "Guide", "Talk", "New hires", "Acme")
"""What only workspace A's account says: none of it may reach a person of B."""


@dataclass
class World:
    oauth: OAuthBot
    engine: Engine
    host: SlackStandIn
    """The stand-in's first workspace: it never installed seatbot."""
    alpha: RunningBot
    beta: RunningBot
    a_request: int
    """A's pending request, sent by A's admin."""
    a_view: str
    """The view id of the change modal that sent it (its idempotency key is `view:<id>`)."""
    a_waiting: int
    """Chloé waits for a Talk seat in A: the Buy offer `talk:2:1:w<id>`."""
    a_alert: int
    """A's out-of-licences alert on Talk: the Buy offer `talk:2:1:a<id>`."""
    b_request: int
    """B's pending request, sent by B's admin (for B's owner to open its decline modal)."""
    expected_errors: set[str] = field(default_factory=set)
    """Slack errors a test provokes on purpose (a view id B does not know, a user A does not)."""

    def account_id(self, team_id: str) -> int:
        with Session(self.engine) as session:
            account = session.exec(select(Account).where(Account.team_id == team_id)).one()
            assert account.id is not None
            return account.id


@pytest.fixture
def world(engine: Engine, slack: SlackStandIn, db_url: str) -> Iterator[World]:
    alpha, beta = slack.add_team(ALPHA, "Alpha"), slack.add_team(BETA, "Beta")
    for person in [*PEOPLE, CHLOE]:
        alpha.add_user(person)
    alpha.add_channel("C0ALERTS", "seat-alerts")
    for person in BETA_PEOPLE:
        beta.add_user(person)
    beta.add_channel("C0BALERTS", "beta-alerts")
    with serving_oauth(engine, slack, db_url) as oauth:
        assert oauth.install(alpha, user_id="U0OWNER")[0] == 200
        assert oauth.install(beta, user_id="U0BOWN")[0] == 200
        make_account(engine, now=utcnow(), team_id=ALPHA)
        make_account(engine, now=utcnow(), team_id=BETA, **BETA_ACCOUNT)
        a, b = oauth.workspace(alpha), oauth.workspace(beta)
        for _ in range(100):  # A's view ids never coincide with B's, as in Slack
            alpha.new_trigger_id("U0OWNER")
        view = open_modal(a, "U0ADMIN", "request support +5")
        submit(a, "U0ADMIN", view, {"justification": {"text": "New hires"}})
        a.command("U0ADMIN", "assign <@U0AG3|chloe> talk")  # Talk is full: Chloé waits, the alert opens
        view_b = open_modal(b, "U0BADM", "request helpdesk +1")
        submit(b, "U0BADM", view_b, {"justification": {"text": "Beta growth"}})
        with Session(engine) as session:
            requests = session.exec(select(ChangeRequest).order_by(col(ChangeRequest.id))).all()
            [a_request] = [r for r in requests if r.requester_id == "U0ADMIN"]
            [b_request] = [r for r in requests if r.requester_id == "U0BADM"]
            [waiting] = session.exec(select(PendingAssignment)).all()
            a_alert = slack.wait_for(lambda: session.exec(select(SeatAlert.id)).first())
        assert a_request.idempotency_key == f"view:{view['id']}"
        built = World(
            oauth,
            engine,
            slack,
            a,
            b,
            a_request.id or 0,
            view["id"],
            waiting.id or 0,
            a_alert,
            b_request.id or 0,
        )
        yield built
        alpha.wait_for(lambda: _settled(engine))
    for team in (alpha, beta):
        assert team.api_errors(ignore=built.expected_errors) == [], team.dump()


def _settled(engine: Engine) -> bool:
    """The sender has nothing left to post (so a later test's counts start clean)."""
    with Session(engine) as session:
        return session.exec(select(OutboxMessage.id).where(OutboxMessage.status == "pending")).first() is None


def _state(engine: Engine, account_id: int) -> tuple[Any, ...]:
    """Everything of one account a person of another workspace could try to change."""
    with Session(engine) as session:

        def rows(model: Any, *fields: str) -> list[tuple[Any, ...]]:
            query = select(model).where(model.account_id == account_id).order_by(model.id)
            return [tuple(getattr(row, f) for f in fields) for row in session.exec(query)]

        return (
            rows(Product, "key", "seats"),
            rows(ChangeRequest, "id", "requester_id", "status", "decided_by", "idempotency_key"),
            rows(SeatAssignment, "product_id", "user_id"),
            rows(PendingAssignment, "id", "user_id", "status"),
            rows(SeatAlert, "id", "level", "closed_at", "revision"),
            rows(RoleGrant, "user_id", "role"),
            rows(AuditEvent, "id", "action", "actor_id"),
            rows(OutboxMessage, "id", "kind", "recipient"),
        )


# -- what B's people send, signed correctly ------------------------------------------------


def _person(team: SlackStandIn, user_id: str) -> SlackUser:
    person = team.user(user_id)
    assert person is not None
    return person


def _post(issuer: RunningBot, fields: dict[str, str]) -> HttpResult:
    body = urllib.parse.urlencode(fields).encode()
    response = issuer.driver.post_raw(body, content_type="application/x-www-form-urlencoded")
    assert response.status == 200, response.text
    return response


def _command(sender: RunningBot, user_id: str, text: str, *, team_id: str | None = None) -> HttpResult:
    """`/seats text` typed in `sender`'s workspace, or naming `team_id` instead (a forged team)."""
    slack = sender.slack
    return _post(
        sender,
        slash_command(
            team_id=team_id or slack.team_id,
            team_name=slack.team_name,
            api_app_id=slack.app_id,
            person=_person(slack, user_id),
            channel_id="C0GENERAL",
            channel_name="general",
            command="/seats",
            text=text,
            response_url=slack.new_response_url(user_id, "C0GENERAL"),
            trigger_id=slack.new_trigger_id(user_id),
        ),
    )


def _click(
    sender: RunningBot, user_id: str, action_id: str, value: str, *, team_id: str | None = None
) -> HttpResult:
    """A button no one showed them, carrying `value`, clicked in a message of #general."""
    slack = sender.slack
    payload = block_actions(
        team_id=team_id or slack.team_id,
        team_name=slack.team_name,
        api_app_id=slack.app_id,
        person=_person(slack, user_id),
        trigger_id=slack.new_trigger_id(user_id),
        container={"type": "message", "message_ts": "1700000000.000100", "channel_id": "C0GENERAL"},
        action={
            "action_id": action_id,
            "block_id": "forged",
            "type": "button",
            "text": {"type": "plain_text", "text": "Click"},
            "value": value,
            "action_ts": "1700000000.000200",
        },
        channel={"id": "C0GENERAL", "name": "general"},
        response_url=slack.new_response_url(user_id, "C0GENERAL", message_ts="1700000000.000100"),
    )
    return _post(sender, {"payload": json.dumps(payload)})


def _submission(sender: RunningBot, user_id: str, view: dict[str, Any], values: dict[str, Any]) -> HttpResult:
    """A modal submitted as it is (its id, metadata and team ids as given), with `values`."""
    slack = sender.slack
    payload = view_submission(
        team_id=slack.team_id,
        team_name=slack.team_name,
        api_app_id=slack.app_id,
        person=_person(slack, user_id),
        trigger_id=slack.new_trigger_id(user_id),
        view={**view, "state": {"values": values}},
        response_urls=[],
    )
    return _post(sender, {"payload": json.dumps(payload)})


def _seats(value: str) -> dict[str, Any]:
    """The change form's Helpdesk field, as Slack sends its state."""
    return {
        "seats:helpdesk": {"seats": {"type": "number_input", "is_decimal_allowed": False, "value": value}}
    }


def _said(message: Any) -> str:
    return f"{message.text}\n{blocks_text(message.blocks)}"


def _next_ephemeral(team: SlackStandIn, user_id: str, seen: int) -> str:
    return _said(team.wait_for(lambda: team.ephemerals(user_id)[seen:] or None)[0])


def _calls_about_beta(team: SlackStandIn, since: int) -> list[Any]:
    """Calls made in `team` since `since` that name one of B's people or B's words."""
    return [
        call
        for call in team.calls[since:]
        if any(user_id in json.dumps(call.params, default=str) for user_id in BETA_IDS)
    ]


@dataclass
class Before:
    a_state: tuple[Any, ...]
    alpha_calls: int
    host_calls: int


def _before(world: World) -> Before:
    world.alpha.slack.wait_for(lambda: _settled(world.engine))
    return Before(
        _state(world.engine, world.account_id(ALPHA)), len(world.alpha.slack.calls), len(world.host.calls)
    )


def _a_untouched(world: World, before: Before) -> None:
    """Nothing of A changed, and A's workspace was never used to answer B's people."""
    assert _state(world.engine, world.account_id(ALPHA)) == before.a_state
    assert _calls_about_beta(world.alpha.slack, before.alpha_calls) == []
    assert world.host.calls[before.host_calls :] == []


def _shows_beta_only(told: str) -> None:
    assert "Helpdesk" in told, told
    for word in A_WORDS:
        assert word not in told, told


# -- what B's owner and admin see ----------------------------------------------------------


@pytest.mark.parametrize("user_id", ["U0BOWN", "U0BADM"])
def test_the_summary_shows_b_account_only(world: World, user_id: str) -> None:
    before = _before(world)
    told = _said(world.beta.command(user_id, ""))
    _shows_beta_only(told)
    _a_untouched(world, before)


@pytest.mark.parametrize("user_id", ["U0BOWN", "U0BADM"])
def test_the_request_list_shows_b_requests_only(world: World, user_id: str) -> None:
    before = _before(world)
    told = _said(world.beta.command(user_id, "requests"))
    assert f"#{world.b_request}" in told, told
    assert f"#{world.a_request}" not in told, told
    for word in A_WORDS:
        assert word not in told, told
    _a_untouched(world, before)


@pytest.mark.parametrize("user_id", ["U0BOWN", "U0BADM"])
def test_app_home_shows_b_data_only(world: World, user_id: str) -> None:
    before = _before(world)
    beta = world.beta.slack
    assert world.beta.driver.app_home_opened(user_id).status == 200
    home = beta.wait_for(lambda: beta.home(user_id))
    _shows_beta_only(blocks_text(home["blocks"]))
    assert beta.calls_to("views.publish")  # drawn with B's token: the call is recorded in B
    _a_untouched(world, before)


# -- the change modal ----------------------------------------------------------------------


def test_the_change_modal_changes_b_account_never_a(world: World) -> None:
    before = _before(world)
    view = open_modal(world.beta, "U0BOWN", "request helpdesk 6")
    _shows_beta_only(blocks_text(view["blocks"]))
    answer = submit(world.beta, "U0BOWN", view, {"justification": {"text": "Busy season"}})
    assert answer.get("response_action") == "update"
    seats = _state(world.engine, world.account_id(BETA))[0]
    assert seats == [("helpdesk", 6)]
    _a_untouched(world, before)


def test_a_submission_replaying_a_view_id_changes_b_and_never_returns_a_request(world: World) -> None:
    """B's owner submits B's form under the view id of A's submitted modal: the idempotency
    key `view:<id>` is A's already, yet in B it names nothing, so B's change is made
    (once) and A's request is never shown."""
    before = _before(world)
    beta = world.beta.slack
    view = open_modal(world.beta, "U0BOWN", "request helpdesk 7")
    replayed = {**view, "id": world.a_view}
    values = {**_seats("7"), "justification": {"text": {"type": "plain_text_input", "value": "Same id"}}}
    response = _submission(world.beta, "U0BOWN", replayed, values)
    answer = response.json() if response.body else {}
    assert f"#{world.a_request}" not in json.dumps(answer)

    def made() -> list[tuple[Any, ...]] | None:
        requests = _state(world.engine, world.account_id(BETA))[1]
        mine = [r for r in requests if r[4] == f"view:{world.a_view}"]
        return mine or None

    [request] = beta.wait_for(made)
    assert request[1:3] == ("U0BOWN", "applied")
    assert _state(world.engine, world.account_id(BETA))[0] == [("helpdesk", 7)]
    _a_untouched(world, before)
    # The modal to redraw is A's view id, which B's workspace does not know: that miss is expected.
    beta.wait_for(lambda: beta.calls_to("views.update") or None)
    world.expected_errors |= {"not_found", "view_not_found"}
    assert {call.method for call in beta.api_errors(ignore={"not_found", "view_not_found"})} == set()


# -- buttons carrying A's ids ----------------------------------------------------------------

ClickValue = Callable[[World], str]

CLICKS: list[tuple[str, str, ClickValue, str]] = [
    # B's owner approves A's pending request by its id.
    ("U0BOWN", "approve_request", lambda w: str(w.a_request), NOT_FOUND),
    # B's owner opens the decline form of A's request: no form, not found.
    ("U0BOWN", "decline_request", lambda w: str(w.a_request), NOT_FOUND),
    # B's admin withdraws A's request (sent by A's admin).
    ("U0BADM", "withdraw_request", lambda w: str(w.a_request), NOT_FOUND),
    # B's owner and admin try to read A's request in full.
    ("U0BOWN", "read_request", lambda w: str(w.a_request), NOT_FOUND),
    ("U0BADM", "read_request", lambda w: str(w.a_request), NOT_FOUND),
    # B's owner buys from A's waiting-line offer, as A showed it: B has no Talk.
    ("U0BOWN", "buy_seats", lambda w: f"talk:2:1:w{w.a_waiting}", "There is no product"),
    # …and from A's channel alert.
    ("U0BOWN", "buy_seats", lambda w: f"talk:2:1:a{w.a_alert}", "There is no product"),
    # …naming B's own product with A's waiting entry or alert as the offer's origin.
    ("U0BOWN", "buy_seats", lambda w: f"helpdesk:4:1:w{w.a_waiting}", BAD_OFFER),
    ("U0BOWN", "buy_seats", lambda w: f"helpdesk:4:1:a{w.a_alert}", BAD_OFFER),
]


@pytest.mark.parametrize(
    ("user_id", "action_id", "value", "refusal"),
    CLICKS,
    ids=[f"{action}-{user}-{i}" for i, (user, action, _, _) in enumerate(CLICKS)],
)
def test_a_click_carrying_a_ids_reads_as_not_found(
    world: World, user_id: str, action_id: str, value: ClickValue, refusal: str
) -> None:
    before = _before(world)
    b_before = _state(world.engine, world.account_id(BETA))
    beta = world.beta.slack
    seen, views = len(beta.ephemerals(user_id)), len(beta.open_views(user_id))
    _click(world.beta, user_id, action_id, value(world))
    told = _next_ephemeral(beta, user_id, seen)
    assert refusal in told, told
    assert beta.open_views(user_id)[views:] == []
    assert _state(world.engine, world.account_id(BETA)) == b_before
    _a_untouched(world, before)


def test_the_decline_form_submitted_with_a_request_id_reads_as_not_found(world: World) -> None:
    """B's owner opens the decline form of B's own request, then submits it with A's
    request id in its private_metadata."""
    before = _before(world)
    b_before = _state(world.engine, world.account_id(BETA))
    beta = world.beta.slack
    views = len(beta.open_views("U0BOWN"))
    _click(world.beta, "U0BOWN", "decline_request", str(world.b_request))
    modal = beta.wait_for(lambda: beta.open_views("U0BOWN")[views:] and beta.open_views("U0BOWN")[-1])
    assert modal["callback_id"] == DECLINE_CALLBACK
    forged = {**modal, "private_metadata": json.dumps({"request_id": world.a_request})}
    reason = {"type": "plain_text_input", "value": "Not ours"}
    response = _submission(world.beta, "U0BOWN", forged, {"reason": {"text": reason}})
    answer = response.json()
    assert answer["response_action"] == "update"
    assert NOT_FOUND in blocks_text(answer["view"]["blocks"])
    assert _state(world.engine, world.account_id(BETA)) == b_before  # B's request still waits
    _a_untouched(world, before)


@pytest.mark.parametrize("user_id", ["U0BOWN", "U0BADM"])
def test_assigning_a_product_of_a_is_an_unknown_product(world: World, user_id: str) -> None:
    before = _before(world)
    b_before = _state(world.engine, world.account_id(BETA))
    told = _said(world.beta.command(user_id, "assign <@U0BAG1|bianca> talk"))
    assert "There is no product “talk”. Products: `helpdesk`." in told, told
    assert _state(world.engine, world.account_id(BETA)) == b_before
    _a_untouched(world, before)


# -- payloads naming another workspace -------------------------------------------------------

FORGED: list[tuple[str, Callable[[World], None]]] = [
    # `/seats`: B's owner is nobody in A: A's answer to a member.
    ("summary", lambda w: _command(w.beta, "U0BOWN", "", team_id=ALPHA)),
    # `/seats requests` and `/seats withdraw` in A's name.
    ("requests", lambda w: _command(w.beta, "U0BOWN", "requests", team_id=ALPHA)),
    ("withdraw", lambda w: _command(w.beta, "U0BOWN", "withdraw", team_id=ALPHA)),
    # `/seats assign` of A's product to one of A's people.
    ("assign", lambda w: _command(w.beta, "U0BOWN", "assign <@U0AG1|ana> guide", team_id=ALPHA)),
    # Approve, decline, withdraw, read A's request with A's team id on the payload.
    ("approve", lambda w: _click(w.beta, "U0BOWN", "approve_request", str(w.a_request), team_id=ALPHA)),
    ("decline", lambda w: _click(w.beta, "U0BOWN", "decline_request", str(w.a_request), team_id=ALPHA)),
    ("withdraw", lambda w: _click(w.beta, "U0BOWN", "withdraw_request", str(w.a_request), team_id=ALPHA)),
    ("read", lambda w: _click(w.beta, "U0BOWN", "read_request", str(w.a_request), team_id=ALPHA)),
    # Buy from A's offer with A's team id.
    ("buy", lambda w: _click(w.beta, "U0BOWN", "buy_seats", f"talk:2:1:w{w.a_waiting}", team_id=ALPHA)),
]
A_REFUSALS = (
    "You can't see the seat subscription",
    "You have no pending request to withdraw",
    "You can't assign seats",
    "You can't approve or decline requests",
    NOT_FOUND,
    "You can't change seats directly",
)


@pytest.mark.parametrize(("name", "send"), FORGED, ids=[f"{n}-{i}" for i, (n, _) in enumerate(FORGED)])
def test_a_forged_team_is_answered_as_a_answers_a_stranger(
    world: World, name: str, send: Callable[[World], None]
) -> None:
    """A payload signed correctly, naming A's team but sent by B's owner (a user A does not
    know): A's answer to someone with no role in A's account, and nothing changes."""
    before = _before(world)
    b_before = _state(world.engine, world.account_id(BETA))
    beta = world.beta.slack
    seen = len(beta.ephemerals("U0BOWN"))
    send(world)
    told = _next_ephemeral(beta, "U0BOWN", seen)  # through the response_url the payload carried
    assert any(refusal in told for refusal in A_REFUSALS), told
    for word in ("Support", "New hires", "Helpdesk"):
        assert word not in told, told
    assert beta.open_views("U0BOWN") == []
    assert _state(world.engine, world.account_id(ALPHA)) == before.a_state
    assert _state(world.engine, world.account_id(BETA)) == b_before
    # Looked up in A (where the payload says it comes from): A does not know B's owner.
    world.expected_errors.add("user_not_found")
    assert world.alpha.slack.api_errors(ignore={"user_not_found"}) == []


def test_a_modal_naming_two_workspaces_acts_on_the_one_that_answers(world: World) -> None:
    """B's owner submits B's change form with A's team id in `team` and `user.team_id` but
    B's in `view.app_installed_team_id`: Bolt answers with B's installation, so B's account
    is the one acted on, and A is neither changed nor used."""
    before = _before(world)
    beta = world.beta.slack
    view = open_modal(world.beta, "U0BOWN", "request helpdesk 8")
    payload = view_submission(
        team_id=ALPHA,
        team_name="Alpha",
        api_app_id=beta.app_id,
        person=_person(beta, "U0BOWN"),
        trigger_id=beta.new_trigger_id("U0BOWN"),
        view={**view, "state": {"values": _seats("8")}},
        response_urls=[],
    )
    assert payload["view"]["app_installed_team_id"] == BETA
    _post(world.beta, {"payload": json.dumps(payload)})
    beta.wait_for(lambda: _state(world.engine, world.account_id(BETA))[0] == [("helpdesk", 8)] or None)
    _a_untouched(world, before)


def test_a_workspace_that_never_installed_is_refused_calmly(world: World) -> None:
    """The stand-in's first workspace never installed seatbot: its people's commands and
    clicks (A's request id and offer among them) are acked and refused by Bolt's notice
    that the app is not installed; no Web API call is made, nothing changes."""
    before = _before(world)
    host = world.oauth.workspace(world.host)
    assert _command(host, "U0OWNER", "").status == 200
    assert _command(host, "U0OWNER", "assign <@U0AG1|ana> guide").status == 200
    assert _click(host, "U0OWNER", "approve_request", str(world.a_request)).status == 200
    assert _click(host, "U0OWNER", "buy_seats", f"talk:2:1:w{world.a_waiting}").status == 200
    assert _state(world.engine, world.account_id(ALPHA)) == before.a_state
    assert _calls_about_beta(world.alpha.slack, before.alpha_calls) == []
    assert {call.method for call in world.host.calls[before.host_calls :]} <= {"response_url"}
    for told in world.host.ephemerals("U0OWNER"):
        assert "seatbot is not installed in this workspace" in told.text
        assert "seatbot n'est pas (ou plus) installé dans cet espace de travail" in told.text
        for word in A_WORDS:
            assert word not in _said(told)
