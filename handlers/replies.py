"""Answering the person who clicked or typed, wherever they did it."""

from __future__ import annotations

from typing import Any

from slack_bolt import Respond
from slack_sdk import WebClient

from bot.messages.reply import Reply


def tell(reply: Reply, *, user_id: str, respond: Respond | None, client: WebClient) -> None:
    """Ephemeral where the click happened (a message); by DM when there is no
    response_url (App Home, modals)."""
    if respond is not None and getattr(respond, "response_url", None):
        respond(**reply.payload(), response_type="ephemeral", replace_original=False)
    else:
        client.chat_postMessage(channel=user_id, **reply.payload())


def action_value(body: dict[str, Any]) -> str:
    actions = body.get("actions") or [{}]
    return str(actions[0].get("value") or "")


def request_id_of(value: object) -> int:
    """Ids in payloads are untrusted text: anything but a small positive integer is 0 (not found)."""
    text = str(value or "")
    return int(text) if text.isdigit() and len(text) < 10 else 0
