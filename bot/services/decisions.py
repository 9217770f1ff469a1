"""Approve, decline and withdraw: each decision is taken exactly once.

The status change is a single conditional UPDATE (`WHERE status = 'pending'`):
of two approvers clicking together, or a double click, or a click on an
old copy, exactly one update matches; the other is told who decided and when.

Approving and applying are one transaction, on purpose. If the seat counts
moved since the request was drafted, apply raises NoLongerApplicable and the
decision rolls back with it: the request stays pending and the approver is
told why. A moved count is a conflict for a person to resolve (decline, or
ask for a new request), not a transient fault a retry would cure, so there is
no "approved but not applied" state to retry in the background. A transient
fault (database blip) also rolls the click back whole: nothing was changed,
and the click can simply be made again.

Closing a request (decided, withdrawn, expired) clears its due time and
cancels its reminders and escalation not yet sent, so nothing about a closed
request is ever sent as if it were still waiting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.domain.errors import AlreadyDecided, NothingToWithdraw, OwnRequest, RequestNotFound
from bot.domain.permissions import APPROVERS, Action
from bot.domain.request_view import RequestView
from bot.services import ledger
from bot.services.actors import Actor, load_actor, require
from bot.services.closing import close_request as close_request  # where nudges find it
from bot.services.closing import close_requests as close_requests
from bot.services.outbox import Kind
from bot.services.recording import Event, Message, record
from bot.services.request_views import request_view
from bot.services.seat_changes import pending_request_of
from bot.services.text import clean_text
from storage import repositories as repo
from storage.models import ChangeRequest, RequestStatus, SlackMessage

MAX_REASON = 1000


@dataclass(frozen=True)
class Decided:
    request: ChangeRequest
    released: list[ledger.Released]
    concerned: list[str]
    """Whose App Home shows this request: the requester and every approver."""


@dataclass(frozen=True)
class Withdrawn:
    request_id: int
    concerned: list[str]


def decide(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    request_id: int,
    approve: bool,
    reason: str | None,
    now: datetime,
    version: int | None = None,
) -> Decided:
    """Approve (and apply) or decline; with `version`, only the version the approver saw."""
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    require(session, actor, Action.DECIDE_REQUEST)
    request = _request_of_account(session, actor, request_id)
    if request.requester_id == user_id:
        raise OwnRequest()
    reason = clean_text(reason or "", limit=MAX_REASON) or None
    status = RequestStatus.APPROVED if approve else RequestStatus.DECLINED
    close_request(
        session, request, status, by=user_id, now=now, reason=None if approve else reason, version=version
    )
    released: list[ledger.Released] = []
    if approve:
        # Raises NoLongerApplicable if counts moved: the whole transaction, status
        # included, rolls back and the request stays pending.
        released = ledger.apply_change(
            session, account=actor.account, request_id=request_id, actor_id=user_id, now=now
        )
        request.status = RequestStatus.APPLIED.value
        request.applied_at = now
        session.add(request)
    record(
        session,
        account_id=actor.account_id,
        at=now,
        event=Event(
            f"request.{'applied' if approve else 'declined'}",
            "change_request",
            str(request_id),
            actor_id=user_id,
            before={"status": RequestStatus.PENDING.value},
            after={"status": request.status, "reason": reason},
        ),
        messages=[
            Message(Kind.OUTCOME, request.requester_id, f"outcome:{request_id}", request_id=request_id)
        ],
    )
    refresh_copies(session, account_id=actor.account_id, request_id=request_id, now=now)
    return Decided(request, released, _concerned(session, actor, request))


def decision_preflight(session: Session, *, team_id: str, user_id: str, request_id: int) -> RequestView:
    """Everything `decide` would refuse, checked before showing the decline modal."""
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    require(session, actor, Action.DECIDE_REQUEST)
    request = _request_of_account(session, actor, request_id)
    if request.requester_id == user_id:
        raise OwnRequest()
    if request.status != RequestStatus.PENDING.value:
        raise AlreadyDecided(request_id, request.status, request.decided_by, request.decided_at)
    return request_view(session, request, actor.account)


def withdraw(
    session: Session, *, team_id: str, user_id: str, now: datetime, request_id: int | None = None
) -> Withdrawn:
    """Withdraw the person's pending request (or the given one, if it is theirs)."""
    actor = load_actor(session, team_id=team_id, user_id=user_id)
    if request_id is None:
        request = pending_request_of(session, account_id=actor.account_id, user_id=user_id)
        if request is None:
            raise NothingToWithdraw()
    else:
        request = _request_of_account(session, actor, request_id)
        if request.requester_id != user_id:
            raise RequestNotFound(request_id)  # other people's requests are not theirs to see
    close_request(session, request, RequestStatus.WITHDRAWN, by=user_id, now=now, reason=None)
    withdrawn = Event(
        "request.withdrawn",
        "change_request",
        str(request.id),
        actor_id=user_id,
        before={"status": RequestStatus.PENDING.value},
        after={"status": RequestStatus.WITHDRAWN.value},
    )
    record(session, account_id=actor.account_id, at=now, event=withdrawn)
    refresh_copies(session, account_id=actor.account_id, request_id=request.id or 0, now=now)
    return Withdrawn(request.id or 0, _concerned(session, actor, request))


def _concerned(session: Session, actor: Actor, request: ChangeRequest) -> list[str]:
    approvers = repo.holders_of(session, account_id=actor.account_id, roles=APPROVERS)
    return list(dict.fromkeys([request.requester_id, *approvers]))


def _request_of_account(session: Session, actor: Actor, request_id: int) -> ChangeRequest:
    request = session.get(ChangeRequest, request_id)
    # A request of another workspace, or a direct change, is "not found": ids in
    # button values are never trusted to name something the clicker may act on.
    if request is None or request.account_id != actor.account_id or request.direct:
        raise RequestNotFound(request_id)
    return request


def request_state(status: str, version: int) -> str:
    """What an approval copy shows of its request, in a word: a copy is rewritten once for
    each (a decision, and each amendment)."""
    return f"{status}:{version}"


def refresh_copies(session: Session, *, account_id: int, request_id: int, now: datetime) -> None:
    """Queue an update of every approval DM of the request, so no copy keeps live buttons
    (nor shows an amended request as it was)."""
    request = session.get(ChangeRequest, request_id)
    assert request is not None
    refreshes = copy_refreshes(session, {request_id: request_state(request.status, request.version)})
    record(session, account_id=account_id, at=now, messages=refreshes.get(request_id, []))


def copy_refreshes(session: Session, statuses: Mapping[int, str]) -> dict[int, list[Message]]:
    """The updates `refresh_copies` queues, for each request given with its state now (a
    status that ends it is state enough), in one query."""
    copies = session.exec(
        select(SlackMessage)
        .where(
            repo.one_of(session, col(SlackMessage.request_id), statuses),
            SlackMessage.purpose == Kind.APPROVAL.value,
        )
        .order_by(col(SlackMessage.id))
    ).all()
    refreshes: dict[int, list[Message]] = {}
    for copy in copies:
        request_id = copy.request_id or 0
        refreshes.setdefault(request_id, []).append(
            Message(
                Kind.APPROVAL_REFRESH,
                copy.channel,
                f"refresh:{Kind.APPROVAL.value}:{copy.id}:{statuses[request_id]}",
                request_id=request_id,
                slack_message_id=copy.id,
            )
        )
    return refreshes
