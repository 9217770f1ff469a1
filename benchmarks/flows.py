"""The five flows, as jobs a client runs: each sends one signed request the way
Slack would and says how seatbot's answer will be recognised.

The flows chain within one load level, on people nobody used before: the
admins who open the change modal are the ones who then type in its seat field,
submit it, and whose requests the approvers then approve. So every request is
real (a modal seatbot opened, a request seatbot stored) and each admin has at
most one pending request, as the product requires.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from benchmarks.answers import AnswerWatcher, Waiter, decided, new_ephemeral
from benchmarks.load import Attempt, Job
from benchmarks.setup_data import People
from benchmarks.wire import BenchDriver, Sent, ack_body, post
from bot.messages.change_modal import CHANGE_CALLBACK, PRODUCT_BLOCK, SEATS_ACTION, WORKING_CALLBACK
from bot.messages.requests import APPROVE
from standin import Message, SlackStandIn

DELIVERY_WAIT = 120.0  # seconds to wait for approval DMs before the approve phase (bounded)


@dataclass
class Bench:
    standin: SlackStandIn
    driver: BenchDriver
    watcher: AnswerWatcher
    people: People
    clicked: set[str] = field(default_factory=set)  # request ids already approved (or refused)


def channel_of(user_id: str) -> str:
    """Each person types /seats in a channel of their own, so their answers are easy to find."""
    return f"C{user_id}"


def summary(bench: Bench, users: Sequence[str]) -> list[Job]:
    return [_command(bench, user, "") for user in users]


def open_modal(bench: Bench, users: Sequence[str]) -> list[Job]:
    return [_command(bench, user, "request support +1", modal=True) for user in users]


def _command(bench: Bench, user: str, text: str, *, modal: bool = False) -> Job:
    def job() -> Attempt:
        check = new_ephemeral(bench.standin, user, channel_of(user))
        result = bench.driver.slash_command(user, text, channel_id=channel_of(user))
        sent = bench.driver.last_sent()
        attempt = Attempt(sent, result.status, result.elapsed)
        if result.status != 200:
            return attempt
        if result.body.strip() not in (b"", b"{}"):
            attempt.answered_in_ack = True  # refused or busy, right in the ack
        elif modal:
            trigger_id = urllib.parse.parse_qs(sent.body.decode())["trigger_id"][0]
            attempt.waiter = bench.watcher.expect_call(("trigger", trigger_id), sent.at)
        else:
            attempt.waiter = bench.watcher.expect(check, sent.at)
        return attempt

    return job


def _change_modal(bench: Bench, user: str) -> dict[str, Any] | None:
    views = bench.standin.open_views(user)
    return views[-1] if views and views[-1].get("callback_id") == CHANGE_CALLBACK else None


def _support_seats(view: dict[str, Any]) -> int:
    for block in view["blocks"]:
        if block.get("block_id") == f"{PRODUCT_BLOCK}support":
            return int(block["element"].get("initial_value") or 0)
    raise AssertionError("the change modal has no Support field")


def keystroke(bench: Bench, users: Sequence[str]) -> list[Job]:
    """One keystroke in the Support field of each open change modal (→ views.update)."""

    def job_for(user: str) -> Job:
        def job() -> Attempt:
            view = _change_modal(bench, user)
            if view is None:
                raise RuntimeError(f"{user} has no change modal open")
            result = bench.driver.click(
                user,
                view=view,
                action_id=SEATS_ACTION,
                block_id=f"{PRODUCT_BLOCK}support",
                value=str(_support_seats(view) + 1),
            )
            sent = bench.driver.last_sent()
            attempt = Attempt(sent, result.status, result.elapsed)
            if result.status == 200:
                attempt.waiter = bench.watcher.expect_call(("view", str(view["id"])), sent.at)
            return attempt

        return job

    return [job_for(user) for user in users if _change_modal(bench, user) is not None]


def submit(bench: Bench, users: Sequence[str]) -> list[Job]:
    """Submit each open change modal; the answer is the views.update replacing the working view."""

    def job_for(user: str) -> Job:
        def job() -> Attempt:
            view = _change_modal(bench, user)
            if view is None:
                raise RuntimeError(f"{user} has no change modal open")
            result = bench.driver.submit_view(user, view, {"justification": {"text": "benchmark"}})
            sent = bench.driver.last_sent()
            attempt = Attempt(sent, result.status, result.elapsed)
            if result.status != 200:
                return attempt
            body = ack_body(result) or {}
            working = (body.get("view") or {}).get("callback_id") == WORKING_CALLBACK
            if body.get("response_action") == "update" and working:
                attempt.waiter = bench.watcher.expect_call(("view", str(view["id"])), sent.at)
            else:
                attempt.answered_in_ack = True  # errors next to a field, or a refusal
            return attempt

        return job

    return [job_for(user) for user in users if _change_modal(bench, user) is not None]


def pending_approvals(standin: SlackStandIn, approver: str) -> dict[str, Message]:
    """Request id → the approval DM ``approver`` can still click Approve on."""
    found: dict[str, Message] = {}
    for message in standin.dm(approver):
        for block in message.blocks:
            for element in block.get("elements", []) if block.get("type") == "actions" else []:
                if element.get("action_id") == APPROVE:  # its value: `<request id>:<version>`
                    found[str(element.get("value")).split(":")[0]] = message
    return found


def approve(bench: Bench, expected: int) -> list[Job]:
    """Click Approve on every pending request, spreading them over the approvers; the answer
    is the first edit of the clicked copy (chat.update / replace_original), or the refusal
    when another approval already moved the product's count (requests drafted at the same
    count conflict: the first approved wins, as the product requires)."""
    approvers = bench.people.approvers

    def pending() -> list[dict[str, Message]]:
        return [
            {r: m for r, m in pending_approvals(bench.standin, a).items() if r not in bench.clicked}
            for a in approvers
        ]

    def delivered() -> list[dict[str, Message]] | None:
        copies = pending()
        return copies if min(len(c) for c in copies) >= expected else None

    try:
        copies = bench.standin.wait_for(delivered, timeout=DELIVERY_WAIT)
    except AssertionError:
        copies = pending()  # measure what arrived; the shortfall shows in the request count
    requests = sorted(set.intersection(*(set(c) for c in copies)), key=int)
    bench.clicked.update(requests)

    def job_for(index: int, request_id: str) -> Job:
        approver = approvers[index % len(approvers)]
        message = copies[index % len(approvers)][request_id]

        def job() -> Attempt:
            ws = bench.standin.workspace
            with ws.lock:
                record = ws.find_message(message.channel, message.ts)
            assert record is not None
            answer = decided(bench.standin, record, approver)
            result = bench.driver.click(approver, message=message, action_id=APPROVE)
            sent = bench.driver.last_sent()
            attempt = Attempt(sent, result.status, result.elapsed)
            if result.status == 200:
                attempt.waiter = bench.watcher.expect(answer(sent.at), sent.at)
            return attempt

        return job

    return [job_for(i, r) for i, r in enumerate(requests)]


def replayed(bench: Bench, flow: str, port: int, sent: Sent) -> Job:
    """``sent`` again, freshly signed, to the app on ``port``; its answer awaited the way
    seatbot's was (the same kind of Web API call for the same person, view or message)."""

    def job() -> Attempt:
        expect = _answer_to(bench, flow, sent)  # before sending: a check starts from what is there
        at = time.time()
        result = post(port, sent)
        attempt = Attempt(replace(sent, at=at), result.status, result.elapsed)
        if result.status == 200:
            attempt.waiter = expect(at)
        return attempt

    return job


def _answer_to(bench: Bench, flow: str, sent: Sent) -> Callable[[float], Waiter]:
    form = {k: v[0] for k, v in urllib.parse.parse_qs(sent.body.decode()).items()}
    watcher = bench.watcher
    if flow == "summary":
        check = new_ephemeral(bench.standin, form["user_id"], form["channel_id"])
        return lambda at: watcher.expect(check, at)
    if flow == "open_modal":
        return lambda at: watcher.expect_call(("trigger", form["trigger_id"]), at)
    payload = json.loads(form["payload"])
    if flow in ("keystroke", "submit"):
        return lambda at: watcher.expect_call(("view", str(payload["view"]["id"])), at)
    ws = bench.standin.workspace
    with ws.lock:
        record = ws.find_message(payload["container"]["channel_id"], payload["container"]["message_ts"])
    assert record is not None
    since = decided(bench.standin, record, payload["user"]["id"])
    return lambda at: watcher.expect(since(at), at)


Flow = Callable[[Bench, Sequence[str]], list[Job]]
FLOWS: tuple[str, ...] = ("summary", "open_modal", "keystroke", "submit", "approve")
