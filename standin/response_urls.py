"""response_url endpoints, as handed out with slash commands and message actions.

A response_url can be used at most 5 times within 30 minutes.  A POST carries
JSON: ``text``/``blocks``, ``response_type`` (``ephemeral``, the default, or
``in_channel``), ``replace_original`` / ``delete_original`` (which act on the
message the interaction came from), ``thread_ts``.  Success is HTTP 200 with
body ``ok``; problems are 4xx with the error code as the body, like Slack's
webhook endpoints.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from standin.api import WebApi
from standin.blockkit import MAX_MESSAGE_TEXT, normalize_blocks, validate_message_blocks
from standin.copies import detached
from standin.http_service import HttpReply, HttpRequest
from standin.models import RecordedCall
from standin.workspace import (
    RESPONSE_URL_MAX_USES,
    RESPONSE_URL_TTL,
    MessageRecord,
    ResponseUrlRecord,
    Workspace,
)

_KNOWN = frozenset(
    {
        "text",
        "blocks",
        "attachments",
        "response_type",
        "replace_original",
        "delete_original",
        "thread_ts",
        "mrkdwn",
        "unfurl_links",
        "unfurl_media",
        "metadata",
    }
)


class ResponseUrlError(Exception):
    def __init__(self, status: int, error: str, messages: list[str] | None = None) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.messages = messages or []


def issue(ws: Workspace, base_url: str, user_id: str, channel_id: str, message_ts: str | None) -> str:
    """Create a response_url bound to a person, a channel and maybe a source message."""
    key = f"{ws.team_id}/{ws.new_id('')}/{secrets.token_urlsafe(12)}"
    ws.response_urls[key] = ResponseUrlRecord(user_id, channel_id, message_ts, created_at=ws.clock())
    return f"{base_url}hooks/{key}"


def _original(ws: Workspace, hook: ResponseUrlRecord) -> MessageRecord:
    record = ws.find_message(hook.channel_id, hook.message_ts) if hook.message_ts else None
    if record is None:
        raise ResponseUrlError(404, "message_not_found", ["there is no original message to act on"])
    return record


def _apply(ws: Workspace, hook: ResponseUrlRecord, body: dict[str, Any], warnings: list[str]) -> None:
    """Do what the POST asks (caller holds the lock)."""
    unknown = sorted(set(body) - _KNOWN)
    warnings += [f"unknown_argument:{key}" for key in unknown]
    if body.get("delete_original") is True:
        _original(ws, hook).deleted = True
        return
    text = body.get("text") or ""
    if not isinstance(text, str):
        raise ResponseUrlError(400, "invalid_payload", ["text must be a string"])
    if len(text) > MAX_MESSAGE_TEXT:
        raise ResponseUrlError(400, "msg_too_long")
    blocks = body.get("blocks") or []
    errors = validate_message_blocks(blocks)
    if errors:
        raise ResponseUrlError(400, "invalid_blocks", errors)
    if not text and not blocks and not body.get("attachments"):
        raise ResponseUrlError(400, "no_text")
    if blocks and not text:
        warnings.append("missing_text")
    response_type = body.get("response_type", "ephemeral")
    if response_type not in ("ephemeral", "in_channel"):
        raise ResponseUrlError(400, "invalid_payload", [f"unknown response_type {response_type!r}"])
    if body.get("replace_original") is True:
        original = _original(ws, hook)
        salt = f"{original.ts}+{len(original.edits) + 1}"
        ws.replace_message(original, text, normalize_blocks(blocks, salt))
        return
    ts = ws.next_ts()
    ws.add_message(
        MessageRecord(
            channel=hook.channel_id,
            ts=ts,
            text=text,
            blocks=normalize_blocks(blocks, ts),
            user=ws.bot_user_id,
            ephemeral_for=hook.user_id if response_type == "ephemeral" else None,
            via="response_url",
            thread_ts=body.get("thread_ts"),
        )
    )


def handle(api: WebApi, request: HttpRequest, key: str, *, ws: Workspace | None = None) -> HttpReply | None:
    """A post to a response_url handed out by ``ws`` (the first workspace by default)."""
    ws = ws or api.ws
    body: Any = None
    warnings: list[str] = []
    result: dict[str, Any]
    with ws.lock:
        fault = api.take_fault("response_url")
    if fault is not None:
        return api.fail_with("response_url", {}, fault)
    with ws.lock:
        try:
            hook = ws.response_urls.get(key)
            if hook is None or request.method != "POST":
                raise ResponseUrlError(404, "no_service")
            if ws.clock() - hook.created_at > RESPONSE_URL_TTL:
                raise ResponseUrlError(404, "expired_url")
            if hook.uses >= RESPONSE_URL_MAX_USES:
                raise ResponseUrlError(404, "used_url")
            hook.uses += 1
            try:
                body = json.loads(request.body or b"null")
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ResponseUrlError(400, "invalid_payload", ["body is not JSON"]) from None
            if not isinstance(body, dict):
                raise ResponseUrlError(400, "invalid_payload", ["body must be a JSON object"])
            _apply(ws, hook, body, warnings)
            status, result = 200, {"ok": True}
        except ResponseUrlError as exc:
            status, result = exc.status, {"ok": False, "error": exc.error}
            if exc.messages:
                result["errors"] = exc.messages
        ws.record(
            RecordedCall(
                method="response_url",
                params=detached(body) if isinstance(body, dict) else {},
                response=result,
                ok=status == 200,
                warnings=tuple(warnings),
                at=ws.clock(),
                status=status,
                error=None if status == 200 else str(result["error"]),
            )
        )
    text = "ok" if status == 200 else str(result["error"])
    return HttpReply(status, text.encode(), "text/plain; charset=utf-8")
