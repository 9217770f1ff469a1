"""Slack payloads, parsed once into typed requests that have validated themselves.

Everything Slack posts is untrusted, even when correctly signed: a forged or
malformed payload may have any shape. Each surface has one parser; it returns
a typed request, or None when the payload is not one seatbot can act on (the
listener then acks calmly and does nothing). Listeners and use cases never
read the raw payload.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from slack_bolt.request.internals import extract_team_id

_USER = re.compile(r"^[UW][A-Z0-9]{1,31}$")
_TEAM = re.compile(r"^[TE][A-Z0-9]{1,31}$")
_ANY_ID = re.compile(r"^[A-Za-z0-9._-]{1,255}$")
MAX_TEXT = 4000
"""Longer than anything Slack's own inputs let a person type; the rest is cut."""


@dataclass(frozen=True)
class Origin:
    """Who acts, in which workspace, and the locale their client sent, if any."""

    team_id: str
    user_id: str
    locale: str | None = None


@dataclass(frozen=True)
class Command:
    origin: Origin
    text: str
    trigger_id: str | None
    response_url: str | None


@dataclass(frozen=True)
class ViewState:
    """A modal as Slack sends it back: its id, its fields' values and our metadata."""

    id: str
    hash: str | None
    callback_id: str
    private_metadata: str
    values: Mapping[str, Mapping[str, Mapping[str, Any]]]
    """block_id → action_id → the element's state, with every level checked to be a mapping."""
    blocks: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Action:
    origin: Origin
    action_id: str
    value: str
    trigger_id: str | None
    response_url: str | None
    view: ViewState | None
    """The modal the action happened in, if it did."""


@dataclass(frozen=True)
class Submission:
    origin: Origin
    view: ViewState


@dataclass(frozen=True)
class HomeOpened:
    origin: Origin
    tab: str


@dataclass(frozen=True)
class PersonChanged:
    """Slack changed someone of the workspace; of it seatbot keeps whether they are deactivated."""

    origin: Origin
    deactivated: bool


def _text(value: object, *, limit: int = MAX_TEXT) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _opt_id(value: object) -> str | None:
    return value if isinstance(value, str) and _ANY_ID.match(value) else None


def _origin(team: object, user: object, locale: object = None) -> Origin | None:
    if not (isinstance(team, str) and _TEAM.match(team) and isinstance(user, str) and _USER.match(user)):
        return None
    return Origin(team_id=team, user_id=user, locale=locale if isinstance(locale, str) else None)


def _interaction_origin(body: Mapping[str, Any]) -> Origin | None:
    user = body.get("user")
    if not isinstance(user, Mapping):
        return None
    team_id = _authorized_team(body)
    return _origin(team_id, user.get("id"), body.get("locale") or user.get("locale"))


def _authorized_team(body: Mapping[str, Any]) -> object:
    """The workspace whose installation answers this interaction: the one Bolt picked the
    bot token for, read by Bolt's own rule (`view.app_installed_team_id` first, then
    `team.id`, then `user.team_id`).

    The account acted on must be that workspace's: a payload naming two workspaces must
    never act on one with the other's token."""
    try:
        return extract_team_id(dict(body))
    except (AttributeError, TypeError, KeyError, IndexError):
        return None


def _values(state: object) -> dict[str, dict[str, dict[str, Any]]]:
    """`state.values`, keeping only the entries shaped as Slack shapes them."""
    values = state.get("values") if isinstance(state, Mapping) else None
    if not isinstance(values, Mapping):
        return {}
    clean: dict[str, dict[str, dict[str, Any]]] = {}
    for block_id, actions in values.items():
        if not isinstance(block_id, str) or not isinstance(actions, Mapping):
            continue
        clean[block_id] = {
            action_id: dict(element)
            for action_id, element in actions.items()
            if isinstance(action_id, str) and isinstance(element, Mapping)
        }
    return clean


def _view(view: object) -> ViewState | None:
    if not isinstance(view, Mapping):
        return None
    view_id = _opt_id(view.get("id"))
    if view_id is None:
        return None
    blocks = view.get("blocks")
    return ViewState(
        id=view_id,
        hash=_opt_id(view.get("hash")),
        callback_id=_text(view.get("callback_id"), limit=255),
        private_metadata=_text(view.get("private_metadata"), limit=3000),
        values=_values(view.get("state")),
        blocks=[b for b in blocks if isinstance(b, dict)] if isinstance(blocks, list) else [],
    )


def command(body: Mapping[str, Any]) -> Command | None:
    origin = _origin(body.get("team_id"), body.get("user_id"))
    if origin is None:
        return None
    return Command(
        origin=origin,
        text=_text(body.get("text")),
        trigger_id=_opt_id(body.get("trigger_id")),
        response_url=_url(body.get("response_url")),
    )


def action(body: Mapping[str, Any]) -> Action | None:
    """The first action of a `block_actions` payload (Slack sends exactly one per click)."""
    origin = _interaction_origin(body)
    actions = body.get("actions")
    if origin is None or not isinstance(actions, list) or not actions or not isinstance(actions[0], Mapping):
        return None
    first = actions[0]
    action_id = first.get("action_id")
    if not isinstance(action_id, str):
        return None
    selected = first.get("selected_option")
    value = first.get("value")
    if value is None and isinstance(selected, Mapping):
        value = selected.get("value")
    response_urls = body.get("response_url")
    return Action(
        origin=origin,
        action_id=action_id,
        value=_text(value, limit=2000),
        trigger_id=_opt_id(body.get("trigger_id")),
        response_url=_url(response_urls),
        view=_view(body.get("view")),
    )


def submission(body: Mapping[str, Any]) -> Submission | None:
    origin = _interaction_origin(body)
    view = _view(body.get("view"))
    if origin is None or view is None:
        return None
    return Submission(origin=origin, view=view)


def home_opened(event: Mapping[str, Any], *, team_id: str | None) -> HomeOpened | None:
    origin = _origin(team_id, event.get("user"))
    if origin is None:
        return None
    return HomeOpened(origin=origin, tab=_text(event.get("tab"), limit=20))


def person_changed(event: Mapping[str, Any], *, team_id: str | None) -> PersonChanged | None:
    """A `user_change` event of the workspace that sent it (never the team the payload names)."""
    user = event.get("user")
    if not isinstance(user, Mapping) or not isinstance(user.get("deleted"), bool):
        return None
    origin = _origin(team_id, user.get("id"))
    return None if origin is None else PersonChanged(origin=origin, deactivated=user["deleted"])


def _url(value: object) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None
