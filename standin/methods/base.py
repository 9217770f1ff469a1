"""What every Web API method implementation receives and how methods are registered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from standin.params import Params

if TYPE_CHECKING:
    from standin.oauth import OAuthApp
from standin.workspace import Workspace

TokenKind = Literal["bot", "app", "none"]
"""``none``: the method authenticates the app by its client id and secret (oauth.v2.access)."""


@dataclass
class CallContext:
    """One method call.  ``warnings`` end up on the :class:`RecordedCall`.

    ``oauth`` holds the app's client credentials and the codes handed out.
    ``socket_url`` is provided by the stand-in so apps.connections.open can hand
    out the Socket Mode endpoint without the method knowing about servers.
    """

    ws: Workspace
    params: Params
    warnings: list[str] = field(default_factory=list)
    socket_url: Callable[[], str] | None = None
    oauth: OAuthApp | None = None


Handler = Callable[[CallContext], dict[str, Any]]


@dataclass(frozen=True)
class Method:
    """A Web API method: its implementation, the token it needs, and its documented arguments.

    Arguments outside ``known`` are accepted (Slack ignores them) but produce an
    ``unknown_argument:<name>`` warning, because a misspelt argument is
    silently dropped by Slack and is nearly always a bug.
    """

    handler: Handler
    known: frozenset[str]
    token: TokenKind = "bot"
