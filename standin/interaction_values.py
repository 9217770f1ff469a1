"""What a person can do with an element, expressed as Slack payload fragments.

Used by the driver to build ``actions[]`` entries for block_actions and
``state.values`` for view submissions.  Every helper refuses (AssertionError)
what a person could not do in Slack: click a button that is not there, pick
an option that is not offered, leave a required input empty, type letters
into a number input.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from standin.copies import detached

Value = str | list[str] | None

_SINGLE_OPTION = frozenset({"static_select", "external_select", "overflow", "radio_buttons"})
_MULTI_OPTION = frozenset({"multi_static_select", "multi_external_select", "checkboxes"})
_TEXTUAL = frozenset({"plain_text_input", "number_input", "email_text_input", "url_text_input"})
_SINGLE_ID = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
}
_MULTI_ID = {
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}
_PICKERS = {"datepicker": "selected_date", "timepicker": "selected_time"}


@dataclass(frozen=True)
class Located:
    """An element found on a surface, with the block that holds it."""

    block: dict[str, Any]
    element: dict[str, Any]


def find_elements(blocks: list[dict[str, Any]], action_id: str) -> list[Located]:
    """Every element with ``action_id`` that a person can interact with.

    Slack only requires action_ids to be unique within a block, so one
    action_id may appear in several blocks (one Approve button per request).
    """
    found = []
    for block in blocks:
        candidates: list[Any] = []
        if block.get("type") == "section":
            candidates = [block.get("accessory")]
        elif block.get("type") == "actions":
            candidates = list(block.get("elements", []))
        elif block.get("type") == "input":
            candidates = [block.get("element")]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == action_id:
                found.append(Located(block, element))
    return found


def find_element(blocks: list[dict[str, Any]], action_id: str, block_id: str | None = None) -> Located | None:
    """The one element a click means; AssertionError when ``block_id`` is needed to tell."""
    found = [f for f in find_elements(blocks, action_id) if block_id in (None, f.block.get("block_id"))]
    if len(found) > 1:
        where = [f.block.get("block_id") for f in found]
        raise AssertionError(f"action_id {action_id!r} is in several blocks {where}: pass block_id=")
    return found[0] if found else None


def all_action_ids(blocks: list[dict[str, Any]]) -> list[str]:
    ids = []
    for block in blocks:
        for element in [block.get("accessory"), block.get("element"), *block.get("elements", [])]:
            if isinstance(element, dict) and "action_id" in element:
                ids.append(str(element["action_id"]))
    return ids


def _options(element: dict[str, Any]) -> list[dict[str, Any]]:
    options = list(element.get("options", []))
    for group in element.get("option_groups", []):
        options += group.get("options", [])
    return options


def _pick(element: dict[str, Any], value: str) -> dict[str, Any]:
    if element["type"].endswith("external_select"):
        # External options come from the app's options endpoint; trust the test.
        return {"text": {"type": "plain_text", "text": value}, "value": value}
    for option in _options(element):
        if option.get("value") == value:
            return detached(option)
    offered = [o.get("value") for o in _options(element)]
    raise AssertionError(f"option {value!r} is not offered by {element['action_id']} (offered: {offered})")


def _as_list(value: Value) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)


def _check_text(element: dict[str, Any], value: str) -> None:
    """Reject input the Slack client would not let a person submit."""
    kind, action_id = element["type"], element.get("action_id")
    if kind == "number_input":
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise AssertionError(f"{action_id}: Slack only accepts numbers here, got {value!r}") from None
        if not element.get("is_decimal_allowed") and number != number.to_integral_value():
            raise AssertionError(f"{action_id}: decimals are not allowed, got {value!r}")
        lo, hi = element.get("min_value"), element.get("max_value")
        if (lo is not None and number < Decimal(lo)) or (hi is not None and number > Decimal(hi)):
            raise AssertionError(f"{action_id}: {value} is outside [{lo}, {hi}]")
    if kind == "plain_text_input":
        lo, hi = element.get("min_length", 0), element.get("max_length", 3000)
        if not lo <= len(value) <= hi:
            raise AssertionError(f"{action_id}: length {len(value)} is outside [{lo}, {hi}]")


def selection(element: dict[str, Any], value: Value) -> dict[str, Any]:
    """The fields describing ``value`` chosen/entered in ``element`` (without ``type``)."""
    kind = element["type"]
    if kind in _SINGLE_OPTION:
        return {"selected_option": _pick(element, value) if isinstance(value, str) else None}
    if kind in _MULTI_OPTION:
        return {"selected_options": [_pick(element, v) for v in _as_list(value)]}
    if kind in _SINGLE_ID:
        return {_SINGLE_ID[kind]: value}
    if kind in _MULTI_ID:
        return {_MULTI_ID[kind]: _as_list(value)}
    if kind in _PICKERS:
        return {_PICKERS[kind]: value}
    if kind == "datetimepicker":
        return {"selected_date_time": int(value) if isinstance(value, str) else None}
    if kind in _TEXTUAL:
        if isinstance(value, str):
            _check_text(element, value)
        return {"value": value}
    raise AssertionError(f"the stand-in cannot enter a value into a {kind}")


def initial_selection(element: dict[str, Any]) -> dict[str, Any] | None:
    """What Slack pre-fills from ``initial_*``, or None when the element starts empty."""
    kind = element["type"]
    if kind in _SINGLE_OPTION and element.get("initial_option"):
        return {"selected_option": detached(element["initial_option"])}
    if kind in _MULTI_OPTION and element.get("initial_options"):
        return {"selected_options": detached(element["initial_options"])}
    for key in (
        "initial_value",
        "initial_date",
        "initial_time",
        "initial_user",
        "initial_users",
        "initial_conversation",
        "initial_conversations",
        "initial_channel",
        "initial_channels",
    ):
        if element.get(key):
            return selection(element, element[key])
    if kind == "datetimepicker" and element.get("initial_date_time") is not None:
        return {"selected_date_time": element["initial_date_time"]}
    return None


def is_empty(entry: dict[str, Any]) -> bool:
    return all(v in (None, [], "") for k, v in entry.items() if k != "type")


def submission_state(blocks: list[dict[str, Any]], given: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """``state.values`` for a view submission, complete like Slack's.

    Every input block appears: with the test's value, else its initial value,
    else empty.  ``given`` is ``{block_id: {action_id: entry}}`` where an entry
    is a full state dict (``{"type": ..., "value": ...}``) or shorthand (a
    string, or a list of strings for multi-selects).
    """
    inputs = {b["block_id"]: b for b in blocks if b.get("type") == "input"}
    for block_id, actions in given.items():
        block = inputs.get(block_id)
        if block is None:
            raise AssertionError(f"no input block {block_id!r} in this view (inputs: {sorted(inputs)})")
        for action_id in actions:
            if block["element"].get("action_id") != action_id:
                raise AssertionError(f"input block {block_id!r} has no element {action_id!r}")
    state: dict[str, Any] = {}
    for block_id, block in inputs.items():
        element = block["element"]
        action_id = element["action_id"]
        entry = _entry(element, given.get(block_id, {}).get(action_id, _UNSET))
        if is_empty(entry) and not block.get("optional"):
            raise AssertionError(
                f"required input {block_id!r} is empty: Slack would not let the person submit"
            )
        state[block_id] = {action_id: entry}
    return state


_UNSET: Any = object()


def _entry(element: dict[str, Any], value: Any) -> dict[str, Any]:
    kind = element["type"]
    if value is _UNSET:
        return {"type": kind, **(initial_selection(element) or selection(element, None))}
    if isinstance(value, dict):
        if value.get("type", kind) != kind:
            raise AssertionError(f"{element['action_id']} is a {kind}, not a {value['type']}")
        if "value" in value and isinstance(value["value"], str):
            _check_text(element, value["value"])
        return {"type": kind, **{k: v for k, v in value.items() if k != "type"}}
    return {"type": kind, **selection(element, value)}
