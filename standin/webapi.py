"""``SlackStandIn``: a local, strict imitation of Slack's Web API.

The bot's ``WebClient(base_url=standin.api_url)`` talks to it over real HTTP.
It serves ``/api/<method>`` (see :mod:`standin.methods`), response_urls
under ``/hooks/``, and (on demand) a Socket Mode websocket.  Tests arrange
people and channels, inject faults, and inspect what the bot did.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from standin import response_urls
from standin.api import WebApi, json_reply
from standin.errors import ApiError
from standin.faults import Fault
from standin.http_service import HttpReply, HttpRequest, HttpService
from standin.inspection import Inspection
from standin.models import Message, SlackUser
from standin.workspace import ChannelRecord, MessageRecord, Workspace

if TYPE_CHECKING:
    from standin.socket_mode import SocketService


class SlackStandIn(Inspection):
    """A fake Slack workspace with one installed app.

    Starts with the bot's own user and a ``#general`` channel (``C0GENERAL``).
    Thread-safe: all state lives in a :class:`Workspace` behind one lock.
    """

    def __init__(
        self,
        *,
        team_id: str = "T0SEATBOT",
        team_name: str = "Acme",
        bot_token: str = "xoxb-standin",
        app_token: str = "xapp-standin",
        bot_user_id: str = "U0SEATBOT",
        host: str = "127.0.0.1",
        port: int = 0,
        app_id: str = "A0SEATBOT",
        bot_name: str = "seatbot",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._ws = Workspace(
            team_id=team_id, team_name=team_name, bot_user_id=bot_user_id, app_id=app_id, clock=clock
        )
        self._ws.users[bot_user_id] = SlackUser(bot_user_id, bot_name, bot_name.capitalize(), is_bot=True)
        self._ws.channels["C0GENERAL"] = ChannelRecord("C0GENERAL", "general")
        self.bot_token = bot_token
        self.app_token = app_token
        self._host, self._port = host, port
        self._stopping = threading.Event()
        self._api = WebApi(
            self._ws,
            bot_token=bot_token,
            app_token=app_token,
            stopping=self._stopping,
            socket_url=self._socket_url,
        )
        self._http: HttpService | None = None
        self._socket: SocketService | None = None

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> SlackStandIn:
        if self._http is None:
            self._stopping.clear()
            self._http = HttpService(self._host, self._port, self._route)
            self._http.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases requests held by timeout faults
        if self._socket is not None:
            self._socket.stop()
            self._socket = None
        if self._http is not None:
            self._http.stop()
            self._http = None

    def __enter__(self) -> SlackStandIn:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._http is None:
            raise RuntimeError("SlackStandIn is not started")
        return f"http://{self._host}:{self._http.port}/"

    @property
    def api_url(self) -> str:
        """Web API base URL with the trailing slash slack_sdk's ``base_url`` expects."""
        return f"{self.base_url}api/"

    # -- identity --------------------------------------------------------------

    @property
    def team_id(self) -> str:
        return self._ws.team_id

    @property
    def team_name(self) -> str:
        return self._ws.team_name

    @property
    def bot_user_id(self) -> str:
        return self._ws.bot_user_id

    @property
    def bot_id(self) -> str:
        return self._ws.bot_id

    @property
    def app_id(self) -> str:
        return self._ws.app_id

    @property
    def workspace(self) -> Workspace:
        """The raw state, for :mod:`standin.driver` (hold ``workspace.lock`` to touch it)."""
        return self._ws

    # -- arranging the workspace -----------------------------------------------

    def add_user(self, user: SlackUser) -> SlackUser:
        with self._ws.lock:
            self._ws.users[user.id] = user
        return user

    def user(self, user_id: str) -> SlackUser | None:
        with self._ws.lock:
            return self._ws.users.get(user_id)

    def add_channel(self, id: str, name: str, *, bot_is_member: bool = True) -> None:
        with self._ws.lock:
            self._ws.channels[id] = ChannelRecord(id, name, bot_is_member=bot_is_member)

    def remove_channel(self, id: str) -> None:
        with self._ws.lock:
            self._ws.channels.pop(id, None)

    def channel_name(self, channel_id: str) -> str | None:
        with self._ws.lock:
            channel = self._ws.channels.get(channel_id)
            return channel.name if channel else None

    def add_message(self, channel: str, user_id: str, text: str, *, thread_ts: str | None = None) -> Message:
        """Record a message a person wrote (it did not go through the API).

        Deliver the matching ``message`` event with :meth:`SlackDriver.event` if
        the bot should hear about it.
        """
        with self._ws.lock:
            if channel not in self._ws.channels or user_id not in self._ws.users:
                raise AssertionError(f"unknown channel {channel} or user {user_id}")
            record = self._ws.add_message(
                MessageRecord(channel, self._ws.next_ts(), text, [], user_id, thread_ts=thread_ts)
            )
            self._ws.notify()
            return record.snapshot()

    def new_trigger_id(self, user_id: str | None = None) -> str:
        """A trigger_id as an interaction by ``user_id`` would carry (valid 3 s, once)."""
        with self._ws.lock:
            return self._ws.new_trigger(user_id)

    def new_response_url(self, user_id: str, channel_id: str, *, message_ts: str | None = None) -> str:
        """A response_url for an interaction in ``channel_id``; ``message_ts`` is the source message."""
        with self._ws.lock:
            return response_urls.issue(self._ws, self.base_url, user_id, channel_id, message_ts)

    def reset(self) -> None:
        """Forget messages, views, calls, faults; keep people and channels."""
        with self._ws.lock:
            self._api.faults.clear()
            self._ws.channel_errors.clear()
            self._ws.reset()

    # -- fault injection -------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        error: str = "ratelimited",
        status: int = 429,
        retry_after: int = 1,
        times: int = 1,
        timeout: bool = False,
        hang_seconds: float = 5.0,
        lands: bool = False,
    ) -> None:
        """Make the next ``times`` calls to ``method`` fail (``"*"``: any method,
        ``"response_url"``: response_url posts).  See :class:`Fault`."""
        with self._ws.lock:
            self._api.faults.append(
                Fault(
                    method,
                    error,
                    status,
                    retry_after,
                    times,
                    timeout=timeout or lands,
                    hang_seconds=hang_seconds,
                    lands=lands,
                )
            )

    def hanging(self, method: str) -> int:
        """How many calls to ``method`` a timeout fault is holding at this moment."""
        with self._ws.lock:
            return self._api.hanging.get(method, 0)

    def clear_faults(self) -> None:
        """Slack is healthy again: drop every failure still queued by ``fail_next``."""
        with self._ws.lock:
            self._api.faults.clear()

    def set_channel_error(self, channel_id: str, error: str | None) -> None:
        """Every message call targeting ``channel_id`` fails with ``error`` (None clears it)."""
        with self._ws.lock:
            if error is None:
                self._ws.channel_errors.pop(channel_id, None)
            else:
                self._ws.channel_errors[channel_id] = error

    # -- Socket Mode -----------------------------------------------------------

    def _socket_url(self) -> str:
        if self._socket is None:
            from standin.socket_mode import SocketService

            self._socket = SocketService(self._ws, host=self._host)
            self._socket.start()
        return self._socket.new_url()

    def socket_send(
        self,
        envelope_type: str,
        payload: dict[str, Any],
        *,
        accepts_response_payload: bool | None = None,
        timeout: float = 5.0,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Push a Socket Mode envelope to the connected client and return its ack.

        ``accepts_response_payload`` defaults to what Slack sets for the type:
        true for slash commands, view submissions and block suggestions.
        ``extra`` adds envelope fields (``retry_attempt``, ``retry_reason``).
        """
        if self._socket is None:
            raise AssertionError("no Socket Mode client ever called apps.connections.open")
        return self._socket.send(
            envelope_type,
            payload,
            accepts_response_payload=accepts_response_payload,
            timeout=timeout,
            extra=extra,
        )

    def socket_disconnect(self, reason: str = "refresh_requested") -> None:
        """Send Socket Mode clients a ``disconnect`` message (they should reconnect)."""
        if self._socket is not None:
            self._socket.disconnect(reason)

    @property
    def socket_connections(self) -> int:
        """How many Socket Mode clients are connected right now."""
        return self._socket.connected if self._socket is not None else 0

    @property
    def socket_connects(self) -> int:
        """How many Socket Mode connections were ever accepted (grows on reconnect)."""
        return self._socket.connects if self._socket is not None else 0

    # -- HTTP routing ----------------------------------------------------------

    def _route(self, request: HttpRequest) -> HttpReply | None:
        if request.path.startswith("/api/"):
            return self._api.handle(request, request.path[len("/api/") :])
        if request.path.startswith("/hooks/"):
            return response_urls.handle(self._api, request, request.path[len("/hooks/") :])
        return json_reply(ApiError("unknown_method").body(), status=404)
