"""What Slack does with the bot's acknowledgement of an interaction.

* Slash command: a non-empty ack body is shown as a message (ephemeral unless
  ``response_type`` is ``in_channel``); a plain-text body is an ephemeral text.
* view_submission: empty body closes the submitted view; ``response_action``
  ``errors`` / ``update`` / ``push`` / ``clear`` act on the modal stack.
* view_closed / block_actions / events: the body is ignored.

Every ack is recorded as a call named ``ack.<kind>``; one Slack would reject
(non-200 status, invalid blocks or view, errors for unknown blocks) is recorded
with ``ok=False`` so ``api_errors()`` reports it.
"""

from __future__ import annotations

import json
from typing import Any

from standin.blockkit import normalize_blocks, validate_message_blocks, validate_view
from standin.copies import detached
from standin.methods.views import apply_update
from standin.models import RecordedCall
from standin.workspace import MAX_VIEW_STACK, MessageRecord, ViewRecord, Workspace


class AckRejected(Exception):
    def __init__(self, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.messages = messages or []


def _record(ws: Workspace, kind: str, status: int, body: Any, error: AckRejected | None) -> None:
    response: dict[str, Any] = {"ok": error is None}
    if error is not None:
        response["error"] = error.error
        if error.messages:
            response["errors"] = error.messages
    ws.record(
        RecordedCall(
            method=f"ack.{kind}",
            params=detached(body) if isinstance(body, dict) else {"body": body},
            response=response,
            ok=error is None,
            at=ws.clock(),
            status=status,
            error=None if error is None else error.error,
        )
    )


def decode(body: bytes) -> Any:
    """An ack body: None when empty, a dict when JSON, else the text."""
    text = body.decode("utf-8", errors="replace").strip()
    if not text:
        return None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def record_plain(ws: Workspace, kind: str, status: int, body: bytes) -> None:
    """Acks whose body Slack ignores: only the status matters."""
    with ws.lock:
        error = None if status == 200 else AckRejected(f"http_{status}")
        _record(ws, kind, status, decode(body), error)


def apply_command_ack(ws: Workspace, user_id: str, channel_id: str, status: int, body: bytes) -> None:
    decoded = decode(body)
    with ws.lock:
        try:
            if status != 200:
                raise AckRejected(f"http_{status}")
            if decoded is not None:
                _command_message(ws, user_id, channel_id, decoded)
            error = None
        except AckRejected as exc:
            error = exc
        _record(ws, "slash_command", status, decoded, error)


def _command_message(ws: Workspace, user_id: str, channel_id: str, decoded: Any) -> None:
    message = {"text": decoded} if isinstance(decoded, str) else decoded
    if not isinstance(message, dict):
        raise AckRejected("invalid_payload")
    text, blocks = message.get("text") or "", message.get("blocks") or []
    errors = validate_message_blocks(blocks)
    if errors:
        raise AckRejected("invalid_blocks", errors)
    if not text and not blocks:
        return  # {} is a silent ack
    in_channel = message.get("response_type") == "in_channel"
    ts = ws.next_ts()
    ws.add_message(
        MessageRecord(
            channel=channel_id,
            ts=ts,
            text=text,
            blocks=normalize_blocks(blocks, ts),
            user=ws.bot_user_id,
            ephemeral_for=None if in_channel else user_id,
            via="ack",
        )
    )


def apply_submission_ack(ws: Workspace, user_id: str, view_id: str, status: int, body: bytes) -> None:
    decoded = decode(body)
    with ws.lock:
        try:
            if status != 200:
                raise AckRejected(f"http_{status}")
            _submission(ws, user_id, ws.views[view_id], decoded)
            error = None
        except AckRejected as exc:
            error = exc
        _record(ws, "view_submission", status, decoded, error)


def _submission(ws: Workspace, user_id: str, record: ViewRecord, decoded: Any) -> None:
    stack = ws.stacks.setdefault(user_id, [])
    if decoded is None or (isinstance(decoded, dict) and "response_action" not in decoded):
        if stack and stack[-1] == record.id:
            stack.pop()
        return
    if not isinstance(decoded, dict):
        raise AckRejected("invalid_payload", ["a view_submission ack must be empty or JSON"])
    action = decoded["response_action"]
    if action == "clear":
        stack.clear()
    elif action == "errors":
        _check_errors(record, decoded.get("errors"))
    elif action in ("update", "push"):
        view = decoded.get("view")
        if not isinstance(view, dict):
            raise AckRejected("invalid_arguments", ["view must be an object"])
        problems = validate_view(view)
        if problems:
            raise AckRejected("invalid_arguments", problems)
        if action == "update":
            apply_update(ws, record, view)
        elif len(stack) >= MAX_VIEW_STACK:
            raise AckRejected("push_limit_reached")
        else:
            view_id = ws.new_id("V")
            ws.views[view_id] = ViewRecord(
                id=view_id,
                user_id=user_id,
                source={**detached(view), "blocks": normalize_blocks(view["blocks"], view_id)},
                hash=ws.new_hash(),
                root_view_id=record.root_view_id,
                previous_view_id=record.id,
            )
            stack.append(view_id)
    else:
        raise AckRejected("invalid_response_action", [f"unknown response_action {action!r}"])


def _check_errors(record: ViewRecord, errors: Any) -> None:
    """Errors must name input blocks of the submitted view, or Slack shows nothing."""
    if not isinstance(errors, dict) or not errors:
        raise AckRejected("invalid_errors", ["errors must be a non-empty object"])
    inputs = {b.get("block_id") for b in record.source["blocks"] if b.get("type") == "input"}
    unknown = sorted(set(errors) - inputs)
    if unknown:
        raise AckRejected("invalid_errors", [f"not input blocks of this view: {unknown}"])
    too_long = [k for k, v in errors.items() if not isinstance(v, str) or len(v) > 2000]
    if too_long:
        raise AckRejected("invalid_errors", [f"messages must be strings ≤2000 chars: {too_long}"])
