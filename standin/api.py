"""Web API dispatch: request parsing, authentication, faults, recording.

``WebApi.handle`` turns one HTTP request to ``/api/<method>`` into a Slack-shaped
reply.  Order of checks follows Slack: unknown method, then authentication,
then injected faults, then the method itself.  Every outcome is recorded.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from standin.copies import detached
from standin.errors import ApiError
from standin.faults import Fault
from standin.http_service import HttpReply, HttpRequest
from standin.methods import chat, conversations, oauth, people, views
from standin.methods.base import CallContext, Method
from standin.models import RecordedCall
from standin.oauth import OAuthApp
from standin.params import Params
from standin.workspace import Workspace

METHODS: dict[str, Method] = {
    **chat.METHODS,
    **conversations.METHODS,
    **oauth.METHODS,
    **people.METHODS,
    **views.METHODS,
}
_ALWAYS_KNOWN = frozenset({"team_id"})


def json_reply(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> HttpReply:
    return HttpReply(status, json.dumps(body).encode(), "application/json; charset=utf-8", headers or {})


def parse_request(request: HttpRequest) -> tuple[dict[str, Any], str | None]:
    """Arguments and token of an API request, accepted in the three ways Slack accepts them."""
    params: dict[str, Any] = dict(request.query)
    content_type = (request.header("Content-Type") or "").split(";")[0].strip().lower()
    if request.method == "POST" and request.body:
        if content_type == "application/json":
            try:
                data = json.loads(request.body)
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise ApiError("invalid_json") from None
            if not isinstance(data, dict):
                raise ApiError("invalid_json")
            # Slack ignores a token inside a JSON body: it must be a header.
            data.pop("token", None)
            params.update(data)
        elif content_type in ("application/x-www-form-urlencoded", ""):
            params.update(parse_qsl(request.body.decode("utf-8"), keep_blank_values=True))
        else:
            raise ApiError("invalid_form_data", messages=[f"unsupported Content-Type {content_type}"])
    header = request.header("Authorization") or ""
    token = header[len("Bearer ") :].strip() if header.startswith("Bearer ") else None
    if header.startswith("Basic "):
        # oauth.v2.access: the app's client id and secret, as HTTP basic auth.
        try:
            client_id, _, client_secret = base64.b64decode(header[len("Basic ") :]).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            raise ApiError("invalid_client_id") from None
        params.setdefault("client_id", client_id)
        params.setdefault("client_secret", client_secret)
    form_token = params.pop("token", None)
    return params, token or form_token


class WebApi:
    """Serves ``/api/<method>``.  Holds ``faults``, guarded by the first workspace's lock.

    A bot token names its workspace (``oauth.teams``): each call runs against, and is
    recorded in, the workspace of the token it carries.
    """

    def __init__(
        self,
        ws: Workspace,
        *,
        bot_token: str,
        app_token: str,
        stopping: threading.Event,
        socket_url: Callable[[], str],
        oauth: OAuthApp,
    ) -> None:
        self.ws = ws
        self.oauth = oauth
        self.bot_token = bot_token
        self.app_token = app_token
        self.stopping = stopping
        self.socket_url = socket_url
        self.faults: list[Fault] = []
        self.hanging: dict[str, int] = {}
        """Calls held by a timeout fault right now, by method."""

    def take_fault(self, method: str) -> Fault | None:
        """Consume one pending fault for ``method``; caller holds the lock."""
        for fault in self.faults:
            if fault.matches(method):
                fault.remaining -= 1
                return fault
        return None

    def _workspace_of(self, token: str | None) -> Workspace | None:
        with self.oauth.lock:
            team = next((t for t in self.oauth.teams.values() if t.bot_token == token), None)
        return team.ws if team is not None else None

    def _authenticate(self, method: Method, token: str | None) -> Workspace:
        """The workspace the call acts on: the one whose token it carries."""
        if method.token == "none":
            return self.ws
        if not token:
            raise ApiError("not_authed")
        team = self._workspace_of(token)
        if method.token == "app":
            if token == self.app_token:
                return self.ws
            if team is not None:
                raise ApiError("not_allowed_token_type")
        elif team is not None:
            return team
        elif token == self.app_token:
            raise ApiError("not_allowed_token_type")
        raise ApiError("invalid_auth")

    def _record(
        self, name: str, params: dict[str, Any], body: dict[str, Any], ws: Workspace | None = None, **kw: Any
    ) -> None:
        ok = bool(body.get("ok"))
        ws = ws or self.ws
        ws.record(
            RecordedCall(
                method=name,
                params=detached(params),
                response=detached(body),
                ok=ok,
                at=ws.clock(),
                error=None if ok else str(body.get("error")),
                **kw,
            )
        )

    def handle(self, request: HttpRequest, name: str) -> HttpReply | None:
        params: dict[str, Any] = {}
        ws = self.ws
        try:
            params, token = parse_request(request)
            method = METHODS.get(name)
            if method is None:
                raise ApiError("unknown_method")
            ws = self._authenticate(method, token)
            with self.ws.lock:
                fault = self.take_fault(name)
        except ApiError as exc:
            with ws.lock:
                self._record(name, params, exc.body(), ws)
            return json_reply(exc.body())
        if fault is not None and not fault.lands:
            return self.fail_with(name, params, fault)
        with ws.lock:
            ctx = CallContext(ws, Params(params), socket_url=self.socket_url, oauth=self.oauth)
            unknown = sorted(set(params) - method.known - _ALWAYS_KNOWN)
            ctx.warnings += [f"unknown_argument:{key}" for key in unknown]
            try:
                body = method.handler(ctx)
                injected = False
            except ApiError as exc:
                body, injected = exc.body(), exc.injected
            self._record(name, params, body, ws, warnings=tuple(ctx.warnings), injected=injected)
        if fault is not None:
            # The call took effect; only the answer is lost (held past the client's timeout).
            self.stopping.wait(fault.hang_seconds)
            return None
        return json_reply(body)

    def fail_with(self, name: str, params: dict[str, Any], fault: Fault) -> HttpReply | None:
        with self.ws.lock:
            self._record(name, params, fault.describe(), status=fault.status, injected=True)
        if fault.timeout:
            # Hold the connection past the client's timeout, then hang up.
            with self.ws.lock:
                self.hanging[name] = self.hanging.get(name, 0) + 1
            try:
                self.stopping.wait(fault.hang_seconds)
            finally:
                with self.ws.lock:
                    self.hanging[name] -= 1
            return None
        return fault.reply()
