"""Fixtures for the stand-in's own tests: a started stand-in with two people."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from standin import SlackStandIn, SlackUser

ALICE = SlackUser("U0ALICE", "alice", "Alice Martin", email="alice@acme.test")
BOB = SlackUser("U0BOB", "bob", "Bob Durand", locale="fr-FR", tz="Europe/Paris")


class FakeClock:
    """A settable clock so trigger/response_url expiry is tested without sleeping."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def standin(clock: FakeClock) -> Iterator[SlackStandIn]:
    with SlackStandIn(clock=clock) as server:
        server.add_user(ALICE)
        server.add_user(BOB)
        server.add_channel("C0SEATS", "seat-requests")
        yield server


@pytest.fixture
def client(standin: SlackStandIn) -> WebClient:
    # No retry handlers: tests of retries add them explicitly.
    return WebClient(token=standin.bot_token, base_url=standin.api_url, timeout=3, retry_handlers=[])


def section(text: str, **extra: object) -> dict[str, object]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def button(label: str, action_id: str, value: str = "v", **extra: object) -> dict[str, object]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": label},
        "action_id": action_id,
        "value": value,
        **extra,
    }


def modal(*blocks: dict[str, object], **extra: object) -> dict[str, object]:
    view: dict[str, object] = {
        "type": "modal",
        "title": {"type": "plain_text", "text": "Request a seat"},
        "submit": {"type": "plain_text", "text": "Send"},
        "blocks": list(blocks),
    }
    view.update(extra)
    return view


def text_input(
    block_id: str, action_id: str, *, optional: bool = False, **element: object
) -> dict[str, object]:
    return {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": {"type": "plain_text", "text": block_id.title()},
        "element": {"type": "plain_text_input", "action_id": action_id, **element},
    }
