"""``SlackStandIn``: a local, strict imitation of Slack's Web API.

The bot's ``WebClient(base_url=standin.api_url)`` talks to it over real HTTP.
It serves ``/api/<method>`` (see :mod:`standin.methods`), response_urls
under ``/hooks/``, and (on demand) a Socket Mode websocket.  Tests arrange
people and channels, inject faults, and inspect what the bot did.
"""

from __future__ import annotations

import secrets
import ssl
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from standin import response_urls
from standin.api import WebApi, json_reply
from standin.errors import ApiError
from standin.faults import Fault
from standin.http_service import HttpReply, HttpRequest, HttpService
from standin.inspection import Inspection
from standin.models import Message, SlackUser
from standin.oauth import Installed, OAuthApp
from standin.workspace import ChannelRecord, MessageRecord, Workspace

if TYPE_CHECKING:
    from standin.socket_mode import SocketService


class SlackStandIn(Inspection):
    """A fake Slack workspace with one installed app.

    Starts with the bot's own user and a ``#general`` channel (``C0GENERAL``).
    Thread-safe: all state lives in a :class:`Workspace` behind one lock.

    More workspaces can share its server (:meth:`add_team`), each with its own
    people, conversations, bot token and record of calls; the app is installed in
    them through the OAuth flow (:meth:`configure_oauth`, :meth:`authorize`,
    ``oauth.v2.access``).
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
        tls: ssl.SSLContext | None = None,
    ) -> None:
        """``tls``: serve HTTPS with this server context, as Slack does (the benchmark of
        calls to Slack uses it); plain HTTP otherwise."""
        self._tls = tls
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
            oauth=OAuthApp(clock),  # replaced below, once the workspace is registered
        )
        self._http: HttpService | None = None
        self._socket: SocketService | None = None
        self._host_standin: SlackStandIn | None = None
        """Set on a workspace added with :meth:`add_team`: the stand-in whose server it shares."""
        self._teams: dict[str, SlackStandIn] = {}
        self._oauth = OAuthApp(clock)
        self._oauth.teams[team_id] = Installed(self._ws, bot_token)
        self._api.oauth = self._oauth

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> SlackStandIn:
        if self._host_standin is not None:
            return self  # served by the stand-in it was added to
        if self._http is None:
            self._stopping.clear()
            self._http = HttpService(self._host, self._port, self._route, tls=self._tls)
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
        host = self._host_standin or self  # a workspace added to another is served by it
        scheme = "https" if host._tls is not None else "http"
        return f"{scheme}://{host._host}:{host._service().port}/"

    @property
    def api_url(self) -> str:
        """Web API base URL with the trailing slash slack_sdk's ``base_url`` expects."""
        return f"{self.base_url}api/"

    def _service(self) -> HttpService:
        host = self._host_standin or self  # a workspace added to another is served by it
        if host._http is None:
            raise RuntimeError("SlackStandIn is not started")
        return host._http

    @property
    def connections_accepted(self) -> int:
        """Connections opened to this stand-in so far (a kept-alive one carries many calls)."""
        return self._service().connections_accepted

    def drop_idle_connections(self, settle: float = 1.0) -> None:
        """Close every connection not carrying a call, as Slack's servers do with idle ones
        (after waiting up to `settle` seconds for the calls in progress to end)."""
        self._service().drop_idle_connections(settle)

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

    # -- more workspaces, and installing the app by OAuth ------------------------

    def add_team(
        self,
        team_id: str,
        team_name: str,
        *,
        bot_token: str | None = None,
        bot_user_id: str | None = None,
        bot_name: str = "seatbot",
    ) -> SlackStandIn:
        """Another workspace on the same server, with its own people, bot user and token.

        Returns its own ``SlackStandIn`` (arrange it, inspect it and drive it with a
        ``SlackDriver(standin=team)`` as the first one); calls carrying its bot token
        act on it and are recorded there. Faults are arranged on the first stand-in
        and apply to every workspace. :meth:`reset` forgets the added workspaces.
        """
        if self._host_standin is not None:
            raise AssertionError("add teams to the stand-in that serves them")
        with self._oauth.lock:
            if team_id in self._oauth.teams:
                raise AssertionError(f"team {team_id} already exists")
        team = SlackStandIn(
            team_id=team_id,
            team_name=team_name,
            bot_token=bot_token or f"xoxb-{team_id.lower()}-{secrets.token_hex(6)}",
            app_token=self.app_token,
            bot_user_id=bot_user_id or f"U{team_id[1:]}BOT",
            app_id=self.app_id,
            bot_name=bot_name,
            clock=self._ws.clock,
        )
        team._host_standin = self
        with self._oauth.lock:
            self._oauth.teams[team_id] = Installed(team.workspace, team.bot_token)
        self._teams[team_id] = team
        return team

    def team(self, team_id: str) -> SlackStandIn:
        """A workspace by id: this one, or one added with :meth:`add_team`."""
        return self if team_id == self.team_id else self._teams[team_id]

    def configure_oauth(self, *, client_id: str, client_secret: str, redirect_url: str | None = None) -> None:
        """The app's credentials (Basic Information) and its redirect URL (OAuth & Permissions)."""
        self._oauth.configure(client_id=client_id, client_secret=client_secret, redirect_url=redirect_url)

    def authorize(self, authorize_url: str, *, user_id: str, team_id: str | None = None) -> str:
        """``user_id`` of ``team_id`` (this workspace by default) opened the app's authorize
        URL and pressed Allow: the URL Slack redirects their browser to, with a one-time
        ``code`` and the app's ``state``."""
        team = self.team(team_id or self.team_id)
        if team.user(user_id) is None:
            raise AssertionError(f"{user_id} is not a member of {team.team_id}")
        return self._oauth.authorize(authorize_url, team_id=team.team_id, user_id=user_id)

    def revoke(self, team_id: str | None = None) -> None:
        """The app is uninstalled from a workspace: its bot token stops working
        (``invalid_auth``). Send the ``app_uninstalled`` event with the driver."""
        with self._oauth.lock:
            team = self._oauth.teams[team_id or self.team_id]
            self._oauth.teams[team.ws.team_id] = Installed(team.ws, f"revoked-{secrets.token_hex(8)}")

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
        """Forget messages, views, calls, faults, added workspaces and OAuth codes;
        keep people and channels; the bot token works again."""
        with self._ws.lock:
            self._api.faults.clear()
            self._ws.channel_errors.clear()
            self._ws.reset()
        self._teams.clear()
        self._oauth.forget_codes()
        with self._oauth.lock:
            self._oauth.teams.clear()
            self._oauth.teams[self.team_id] = Installed(self._ws, self.bot_token)

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

    def _hook_owner(self, key: str) -> Workspace:
        for team in self._teams.values():
            with team.workspace.lock:
                if key in team.workspace.response_urls:
                    return team.workspace
        return self._ws

    def _authorize_page(self, request: HttpRequest) -> HttpReply:
        """The authorize page, approved at once by ``user`` of ``team`` (query arguments
        only the stand-in reads: in Slack they are the person signed in to the browser)."""
        team_id = request.query.get("team") or self.team_id
        user_id = request.query.get("user")
        url = f"{self.base_url.rstrip('/')}{request.path}?{urlencode(request.query)}"
        try:
            team = self.team(team_id)
            with team.workspace.lock:
                people = [u.id for u in team.workspace.users.values() if not u.is_bot]
            installer = user_id or (people[0] if people else team.bot_user_id)
            location = self.authorize(url, user_id=installer, team_id=team_id)
        except (AssertionError, KeyError) as exc:
            return HttpReply(400, str(exc).encode(), "text/plain; charset=utf-8")
        return HttpReply(302, b"", "text/plain; charset=utf-8", {"Location": location})

    def _route(self, request: HttpRequest) -> HttpReply | None:
        if request.path.startswith("/api/"):
            return self._api.handle(request, request.path[len("/api/") :])
        if request.path.startswith("/hooks/"):
            key = request.path[len("/hooks/") :]
            return response_urls.handle(self._api, request, key, ws=self._hook_owner(key))
        if request.path == "/oauth/v2/authorize" and request.method == "GET":
            return self._authorize_page(request)
        return json_reply(ApiError("unknown_method").body(), status=404)
