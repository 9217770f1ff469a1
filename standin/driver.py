"""``SlackDriver``: plays the part of Slack (and its users) towards the bot.

It sends what Slack sends — signed HTTP requests to the bot's request URL, or
Socket Mode envelopes — for a person typing a slash command, clicking a
button, submitting or closing a modal, or for an Events API event.  Then it
applies the bot's acknowledgement the way Slack would (see :mod:`acks`).

People can only do what they could do in Slack: the clicked element must be on
the message or view they are looking at, options must be offered, required
inputs filled; otherwise the driver raises AssertionError.  Slack waits 3
seconds for an ack; a slower ack is an AssertionError too.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from standin import acks, payloads
from standin.interaction_values import (
    Located,
    Value,
    all_action_ids,
    find_element,
    find_elements,
    selection,
    submission_state,
)
from standin.methods.people import user_object
from standin.models import Message, SlackUser
from standin.transport import HttpResult, SlackTransport, Transport
from standin.webapi import SlackStandIn
from standin.workspace import ViewRecord

__all__ = ["HttpResult", "SlackDriver"]


@dataclass(frozen=True)
class _Click:
    """What the test asked a person to do with one element."""

    action_id: str
    block_id: str | None
    value: str | None
    selected: list[str] | None
    state_values: dict[str, Any]


# Keys of an ``actions[]`` entry that are not part of the element's state entry.
_NOT_STATE = frozenset({"action_id", "block_id", "action_ts", "placeholder"})


class SlackDriver(SlackTransport):
    """Drives the bot like Slack does.  See the module docstring."""

    def __init__(
        self,
        *,
        bot_url: str,
        signing_secret: str,
        standin: SlackStandIn,
        team_id: str | None = None,
        api_app_id: str = "A0SEATBOT",
        clock: Callable[[], float] = time.time,
        transport: Transport = "http",
        ack_timeout: float = 3.0,
    ) -> None:
        super().__init__(
            bot_url=bot_url,
            signing_secret=signing_secret,
            standin=standin,
            clock=clock,
            transport=transport,
            ack_timeout=ack_timeout,
        )
        self.team_id = team_id or standin.team_id
        self.api_app_id = api_app_id
        self._event_ids = itertools.count(1)

    # -- helpers ---------------------------------------------------------------

    def _person(self, user_id: str) -> SlackUser:
        person = self.standin.user(user_id)
        if person is None or person.deleted:
            raise AssertionError(f"{user_id} is not an active member of the stand-in workspace")
        return person

    def _common(self, person: SlackUser) -> dict[str, Any]:
        return {
            "team_id": self.team_id,
            "team_name": self.standin.team_name,
            "api_app_id": self.api_app_id,
            "person": person,
        }

    # -- slash commands --------------------------------------------------------

    def slash_command(
        self, user_id: str, text: str, *, command: str = "/seats", channel_id: str = "C0GENERAL"
    ) -> HttpResult:
        """``user_id`` types ``{command} {text}`` in ``channel_id``; the ack is shown like Slack shows it."""
        person = self._person(user_id)
        channel_name = self.standin.channel_name(channel_id)
        if channel_name is None:
            raise AssertionError(f"there is no conversation {channel_id} to type {command} in")
        fields = payloads.slash_command(
            **self._common(person),
            channel_id=channel_id,
            channel_name=channel_name,
            command=command,
            text=text,
            response_url=self.standin.new_response_url(user_id, channel_id),
            trigger_id=self.standin.new_trigger_id(user_id),
        )
        result = self._deliver(
            "slash_commands",
            dict(fields),
            http_body=urlencode(fields).encode(),
            content_type="application/x-www-form-urlencoded",
            accepts_response_payload=True,
        )
        acks.apply_command_ack(self.standin.workspace, user_id, channel_id, result.status, result.body)
        return result

    # -- clicks ----------------------------------------------------------------

    def click(
        self,
        user_id: str,
        *,
        action_id: str,
        message: Message | None = None,
        view: dict[str, Any] | None = None,
        value: str | None = None,
        selected: list[str] | None = None,
        state_values: dict[str, Any] | None = None,
        stale: bool = False,
        block_id: str | None = None,
    ) -> HttpResult:
        """``user_id`` uses the element ``action_id`` on ``message`` or ``view``.

        Buttons send their own value unless ``value`` forges another.  Menus,
        pickers and dispatching inputs need ``value`` (or ``selected`` for
        multi-selects/checkboxes).  ``stale=True`` clicks the given message
        snapshot even if the bot has changed the message since (a race).
        ``block_id`` picks the element when the same action_id is in several
        blocks; on a view it may instead be implied by ``state_values`` naming
        exactly one of those blocks (the input the person typed into).
        """
        if (message is None) == (view is None):
            raise AssertionError("click needs exactly one of message= or view=")
        person = self._person(user_id)
        click = _Click(action_id, block_id, value, selected, state_values or {})
        if view is not None and block_id is None:
            click = self._infer_block(view, click)
        if message is not None:
            payload = self._message_click(person, message, click, stale=stale)
        else:
            assert view is not None
            payload = self._view_click(person, view, click)
        result = self._interactive(payload, accepts_response_payload=False)
        acks.record_plain(self.standin.workspace, "block_actions", result.status, result.body)
        return result

    def _infer_block(self, view: dict[str, Any], click: _Click) -> _Click:
        """When an action_id repeats across a view's blocks, ``state_values`` naming
        exactly one of them says which input the person typed into."""
        with self.standin.workspace.lock:
            record = self.standin.workspace.views.get(str(view.get("id")))
            blocks = record.source["blocks"] if record else []
        candidates = {f.block.get("block_id") for f in find_elements(blocks, click.action_id)}
        named = [
            b for b in click.state_values if b in candidates and click.action_id in click.state_values[b]
        ]
        if len(candidates) > 1 and len(named) == 1:
            return replace(click, block_id=named[0])
        return click

    def _action(self, located: Located, click: _Click) -> dict[str, Any]:
        element, block = located.element, located.block
        action: dict[str, Any] = {
            "action_id": element["action_id"],
            "block_id": block["block_id"],
            "type": element["type"],
            "action_ts": f"{self.clock():.6f}",
        }
        if block.get("type") == "input" and block.get("dispatch_action") is not True:
            raise AssertionError(
                f"{element['action_id']} is an input without dispatch_action: it sends nothing"
            )
        if element["type"] == "button":
            action["text"] = element["text"]
            sent = click.value if click.value is not None else element.get("value")
            if sent is not None:
                action["value"] = sent
            if "style" in element:
                action["style"] = element["style"]
            return action
        chosen: Value = click.selected if click.selected is not None else click.value
        if chosen is None:
            raise AssertionError(f"clicking a {element['type']} needs value= (or selected=)")
        action.update(selection(element, chosen))
        if "placeholder" in element:
            action["placeholder"] = element["placeholder"]
        return action

    def _message_click(
        self, person: SlackUser, message: Message, click: _Click, *, stale: bool
    ) -> dict[str, Any]:
        ws = self.standin.workspace
        with ws.lock:
            record = ws.find_message(message.channel, message.ts)
            if record is None:
                raise AssertionError(f"message {message.ts} in {message.channel} is gone")
            if record.ephemeral_for not in (None, person.id):
                raise AssertionError(
                    f"{person.id} cannot see an ephemeral message meant for {record.ephemeral_for}"
                )
            blocks = message.blocks if stale else record.blocks
            located = find_element(blocks, click.action_id, click.block_id)
            if located is None:
                hint = (
                    " (it was there before an edit; stale=True simulates the race)"
                    if find_elements(message.blocks, click.action_id)
                    else ""
                )
                raise AssertionError(
                    f"no element {click.action_id!r} on that message{hint}; it has {all_action_ids(blocks)}"
                )
            shown = ws.message_payload(record)
            if stale:
                shown.update(text=message.text, blocks=message.blocks)
            channel_name = ws.channels[record.channel].name if record.channel in ws.channels else ""
            action = self._action(located, click)
            state = dict(click.state_values)
            if located.block.get("type") == "input":
                entry = {k: v for k, v in action.items() if k not in _NOT_STATE}
                state.setdefault(located.block["block_id"], {})[click.action_id] = entry
            ephemeral = record.ephemeral_for is not None
            return payloads.block_actions(
                **self._common(person),
                trigger_id=ws.new_trigger(person.id),
                container={
                    "type": "message",
                    "message_ts": record.ts,
                    "channel_id": record.channel,
                    "is_ephemeral": ephemeral,
                },
                action=action,
                state_values=state,
                channel={"id": record.channel, "name": channel_name},
                # Slack does not send the content of ephemeral messages back.
                message=None if ephemeral else shown,
                response_url=self.standin.new_response_url(person.id, record.channel, message_ts=record.ts),
            )

    def _displayed(self, person: SlackUser, view: dict[str, Any], *, modal_only: bool) -> ViewRecord:
        """The stored view ``person`` is looking at (top of their modal stack, or Home)."""
        ws = self.standin.workspace
        record = ws.views.get(str(view.get("id")))
        if record is None or record.user_id != person.id:
            raise AssertionError(f"{person.id} has no view {view.get('id')!r}")
        stack = ws.stacks.get(person.id, [])
        on_top = bool(stack) and stack[-1] == record.id
        is_home = ws.homes.get(person.id) == record.id
        if not on_top and (modal_only or not is_home):
            raise AssertionError(f"view {record.id} is not what {person.id} currently sees")
        return record

    def _view_click(self, person: SlackUser, view: dict[str, Any], click: _Click) -> dict[str, Any]:
        ws = self.standin.workspace
        with ws.lock:
            record = self._displayed(person, view, modal_only=False)
            located = find_element(record.source["blocks"], click.action_id, click.block_id)
            if located is None:
                present = all_action_ids(record.source["blocks"])
                raise AssertionError(f"no element {click.action_id!r} on view {record.id}; it has {present}")
            action = self._action(located, click)
            for block_id, entries in click.state_values.items():
                record.state_values.setdefault(block_id, {}).update(entries)
            if action["type"] != "button":
                # Slack keeps what a person picked or typed in the view's state.
                entry = {k: v for k, v in action.items() if k not in _NOT_STATE}
                record.state_values.setdefault(located.block["block_id"], {})[click.action_id] = entry
            return payloads.block_actions(
                **self._common(person),
                trigger_id=ws.new_trigger(person.id),
                container={"type": "view", "view_id": record.id},
                action=action,
                view=ws.view_payload(record),
            )

    # -- modals ----------------------------------------------------------------

    def submit_view(
        self, user_id: str, view: dict[str, Any], values: dict[str, dict[str, Any]]
    ) -> HttpResult:
        """``user_id`` fills in ``values`` and presses the modal's submit button.

        ``values``: ``{block_id: {action_id: entry}}`` with full state entries
        (``{"type": "plain_text_input", "value": "3"}``) or shorthand (``"3"``,
        ``["a", "b"]``).  Unmentioned inputs keep their initial value.
        """
        person = self._person(user_id)
        ws = self.standin.workspace
        with ws.lock:
            record = self._displayed(person, view, modal_only=True)
            if record.source.get("submit") is None:
                raise AssertionError(f"view {record.id} has no submit button")
            blocks = record.source["blocks"]
            inputs = {b["block_id"] for b in blocks if b.get("type") == "input"}
            typed = {k: v for k, v in record.state_values.items() if k in inputs}
            merged = {k: dict(v) for k, v in typed.items()}
            for block_id, entries in values.items():
                merged.setdefault(block_id, {}).update(entries)
            state = submission_state(blocks, merged)
            record.state_values = {**record.state_values, **state}
            payload = payloads.view_submission(
                **self._common(person),
                trigger_id=ws.new_trigger(person.id),
                view=ws.view_payload(record),
                response_urls=self._response_urls(person.id, blocks, state),
            )
            ws.submitting.add(record.id)
        try:
            result = self._interactive(payload, accepts_response_payload=True)
            acks.apply_submission_ack(ws, user_id, record.id, result.status, result.body)
        finally:
            with ws.lock:
                ws.submitting.discard(record.id)
                ws.notify()
        return result

    def _response_urls(
        self, user_id: str, blocks: list[dict[str, Any]], state: dict[str, Any]
    ) -> list[dict[str, str]]:
        """response_urls for conversation/channel inputs with ``response_url_enabled``."""
        found = []
        for block in blocks:
            element = block.get("element") or {}
            if block.get("type") != "input" or not element.get("response_url_enabled"):
                continue
            entry = state[block["block_id"]][element["action_id"]]
            channel_id = entry.get("selected_conversation") or entry.get("selected_channel")
            if channel_id:
                found.append(
                    {
                        "block_id": block["block_id"],
                        "action_id": element["action_id"],
                        "channel_id": channel_id,
                        "response_url": self.standin.new_response_url(user_id, channel_id),
                    }
                )
        return found

    def close_view(self, user_id: str, view: dict[str, Any], *, all_views: bool = False) -> HttpResult | None:
        """``user_id`` presses Cancel (or the X with ``all_views=True``) on the modal on top.

        Slack only tells the app (``view_closed``) when the view has
        ``notify_on_close``; otherwise this returns None.
        """
        person = self._person(user_id)
        ws = self.standin.workspace
        with ws.lock:
            record = self._displayed(person, view, modal_only=True)
            stack = ws.stacks[person.id]
            cleared = all_views or bool(record.source.get("clear_on_close")) or len(stack) == 1
            if cleared:
                stack.clear()
            else:
                stack.pop()
            ws.notify()
            if not record.source.get("notify_on_close"):
                return None
            payload = payloads.view_closed(
                **self._common(person), view=ws.view_payload(record), is_cleared=cleared
            )
        result = self._interactive(payload, accepts_response_payload=False)
        acks.record_plain(ws, "view_closed", result.status, result.body)
        return result

    # -- events ----------------------------------------------------------------

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str | None = None,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> HttpResult:
        """Deliver an Events API ``event_callback``; pass the same ``event_id`` and a
        ``retry_num`` to replay it the way Slack retries."""
        now = self.clock()
        event = {"event_ts": f"{now:.6f}", **event}
        envelope = payloads.event_callback(
            team_id=self.team_id,
            api_app_id=self.api_app_id,
            bot_user_id=self.standin.bot_user_id,
            event=event,
            event_id=event_id or f"Ev{next(self._event_ids):010d}",
            event_time=int(now),
        )
        headers = {}
        if retry_num is not None:
            headers = {"X-Slack-Retry-Num": str(retry_num), "X-Slack-Retry-Reason": retry_reason}
        result = self._deliver(
            "events_api",
            envelope,
            http_body=json.dumps(envelope).encode(),
            content_type="application/json",
            headers=headers,
            envelope_extra={
                "retry_attempt": retry_num or 0,
                "retry_reason": retry_reason if retry_num else "",
            },
        )
        acks.record_plain(self.standin.workspace, "event_callback", result.status, result.body)
        return result

    def set_deactivated(self, user_id: str, deactivated: bool = True) -> HttpResult:
        """A workspace admin deactivates ``user_id`` (or brings them back): users.info
        says so from now on, and Slack sends a ``user_change`` event with the whole user."""
        return self.change_user(user_id, deleted=deactivated)

    def change_user(self, user_id: str, **changes: Any) -> HttpResult:
        """``user_id``'s profile changes (``locale="fr-FR"``, ``deleted=True``…): users.info
        and users.list say so from now on, and Slack sends a ``user_change`` event."""
        person = self.standin.user(user_id)
        if person is None:
            raise AssertionError(f"{user_id} is not a member of the stand-in workspace")
        self.standin.add_user(replace(person, **changes))
        ws = self.standin.workspace
        with ws.lock:
            user = user_object(ws, ws.users[user_id], include_locale=False)
        return self.event({"type": "user_change", "user": user, "cache_ts": int(self.clock())})

    def app_home_opened(self, user_id: str, *, tab: str = "home") -> HttpResult:
        """``user_id`` opens the app's Home (or Messages) tab."""
        self._person(user_id)
        ws = self.standin.workspace
        with ws.lock:
            event: dict[str, Any] = {
                "type": "app_home_opened",
                "user": user_id,
                "channel": ws.im_for(user_id).id,
                "tab": tab,
            }
            home_id = ws.homes.get(user_id)
            if home_id is not None and tab == "home":
                event["view"] = ws.view_payload(ws.views[home_id])
        return self.event(event)

    def url_verification(
        self, challenge: str = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    ) -> HttpResult:
        """Slack's handshake when the request URL is saved; the bot must echo ``challenge``."""
        body = {"token": payloads.VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
        return self.post_raw(json.dumps(body).encode(), content_type="application/json")
