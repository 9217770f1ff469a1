"""Block elements (buttons, menus, inputs, images) and where each may appear.

Each element type has an :class:`ElementSpec`: its allowed and required keys and
a checker for type-specific rules.  :func:`element` is the single entry point;
the caller says which element types are legal at that position (a section
accessory, an actions block, an input block) because Slack rejects, for
instance, a ``plain_text_input`` inside an ``actions`` block.
"""

from __future__ import annotations

import re
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from standin.blockkit import composition as comp
from standin.blockkit.context import Ctx

Checker = Callable[[Ctx, dict[str, Any], str], None]

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class ElementSpec:
    """What one element type accepts.  ``interactive`` elements carry an action_id."""

    keys: frozenset[str]
    required: frozenset[str]
    check: Checker
    interactive: bool = True


def _nothing(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    """For element types whose every key is checked generically."""


def _options_match(ctx: Ctx, chosen: Any, options: list[Any], ptr: str) -> None:
    """Slack requires initial options to equal one of the options exactly."""
    if chosen not in options:
        ctx.error(ptr, "initial option must exactly match one of the options")


def _button(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    if "text" in el:
        comp.text_object(ctx, el["text"], f"{ptr}/text", plain_only=True, max_len=75)
    ctx.string(el, "url", ptr, max_len=3000)
    ctx.string(el, "value", ptr, max_len=2000)
    ctx.string(el, "accessibility_label", ptr, max_len=75)
    comp.style(ctx, el, ptr)


def _workflow_button(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    if "text" in el:
        comp.text_object(ctx, el["text"], f"{ptr}/text", plain_only=True, max_len=75)
    ctx.obj(
        el.get("workflow"), f"{ptr}/workflow", allowed=frozenset({"trigger"}), required=frozenset({"trigger"})
    )
    ctx.string(el, "accessibility_label", ptr, max_len=75)
    comp.style(ctx, el, ptr)


def _static_select(ctx: Ctx, el: dict[str, Any], ptr: str, *, multi: bool) -> None:
    has_options, has_groups = "options" in el, "option_groups" in el
    if has_options == has_groups:
        ctx.error(ptr, "exactly one of options or option_groups is required")
    all_options: list[Any] = []
    if has_options:
        all_options = ctx.array(el["options"], f"{ptr}/options", max_items=100)
        for i, item in enumerate(all_options):
            comp.option(ctx, item, f"{ptr}/options/{i}")
    if has_groups:
        groups = ctx.array(el["option_groups"], f"{ptr}/option_groups", max_items=100)
        for i, group in enumerate(groups):
            all_options += comp.option_group(ctx, group, f"{ptr}/option_groups/{i}")
    _initial_options(ctx, el, ptr, all_options, multi=multi)


def _initial_options(ctx: Ctx, el: dict[str, Any], ptr: str, options: list[Any], *, multi: bool) -> None:
    if not multi and "initial_option" in el:
        _options_match(ctx, el["initial_option"], options, f"{ptr}/initial_option")
    if multi and "initial_options" in el:
        chosen = ctx.array(el["initial_options"], f"{ptr}/initial_options", max_items=len(options) or 1)
        for i, item in enumerate(chosen):
            _options_match(ctx, item, options, f"{ptr}/initial_options/{i}")


def _multi(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    ctx.integer(el, "max_selected_items", ptr, lo=1, hi=100)


def _static(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    _static_select(ctx, el, ptr, multi=False)


def _multi_static(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    _static_select(ctx, el, ptr, multi=True)
    _multi(ctx, el, ptr)


def _external(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    ctx.integer(el, "min_query_length", ptr, lo=0, hi=100)
    if "initial_option" in el:
        comp.option(ctx, el["initial_option"], f"{ptr}/initial_option")
    for i, item in enumerate(ctx.array(el.get("initial_options", []), f"{ptr}/initial_options", min_items=0)):
        comp.option(ctx, item, f"{ptr}/initial_options/{i}")
    _multi(ctx, el, ptr)


def _ids(key: str, *, many: bool) -> Checker:
    """Checker for user/conversation/channel pickers' initial value(s)."""

    def check(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
        if many:
            ctx.string_list(el, key, ptr)
            _multi(ctx, el, ptr)
        else:
            ctx.string(el, key, ptr, max_len=255)
        ctx.boolean(el, "default_to_current_conversation", ptr)
        ctx.boolean(el, "response_url_enabled", ptr)
        if "filter" in el:
            comp.conversation_filter(ctx, el["filter"], f"{ptr}/filter")

    return check


def _overflow(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    for i, item in enumerate(ctx.array(el.get("options"), f"{ptr}/options", min_items=1, max_items=5)):
        comp.option(ctx, item, f"{ptr}/options/{i}", url_ok=True)


def _choices(ctx: Ctx, el: dict[str, Any], ptr: str, *, multi: bool) -> None:
    options = ctx.array(el.get("options"), f"{ptr}/options", max_items=10)
    for i, item in enumerate(options):
        comp.option(ctx, item, f"{ptr}/options/{i}", mrkdwn_ok=True)
    _initial_options(ctx, el, ptr, options, multi=multi)


def _checkboxes(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    _choices(ctx, el, ptr, multi=True)


def _radio(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    _choices(ctx, el, ptr, multi=False)


def _datepicker(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    value = ctx.string(el, "initial_date", ptr, max_len=10)
    if value is None:
        return
    try:
        ok = bool(_DATE.match(value)) and date.fromisoformat(value) is not None
    except ValueError:
        ok = False
    if not ok:
        ctx.error(f"{ptr}/initial_date", f"initial_date must be a real date as YYYY-MM-DD, got {value!r}")


def _timepicker(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    value = ctx.string(el, "initial_time", ptr, max_len=5)
    if value is not None and not _TIME.match(value):
        ctx.error(f"{ptr}/initial_time", f"initial_time must be HH:mm (24h), got {value!r}")
    tz = ctx.string(el, "timezone", ptr, max_len=64)
    if tz is not None and tz not in zoneinfo.available_timezones():
        ctx.error(f"{ptr}/timezone", f"unknown IANA timezone {tz!r}")


def _datetimepicker(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    ctx.integer(el, "initial_date_time", ptr, lo=0, hi=9_999_999_999)


def _text_input(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    ctx.string(el, "initial_value", ptr, max_len=3000, min_len=0)
    if "dispatch_action_config" in el:
        comp.dispatch_action_config(ctx, el["dispatch_action_config"], f"{ptr}/dispatch_action_config")


def _plain_text_input(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    _text_input(ctx, el, ptr)
    ctx.boolean(el, "multiline", ptr)
    lo = ctx.integer(el, "min_length", ptr, lo=0, hi=3000)
    hi = ctx.integer(el, "max_length", ptr, lo=1, hi=3000)
    if lo is not None and hi is not None and lo > hi:
        ctx.error(f"{ptr}/min_length", "min_length must not exceed max_length")


def _number(ctx: Ctx, el: dict[str, Any], key: str, ptr: str, decimal_ok: bool) -> Decimal | None:
    raw = ctx.string(el, key, ptr, max_len=64)
    if raw is None:
        return None
    try:
        number = Decimal(raw)
    except InvalidOperation:
        ctx.error(f"{ptr}/{key}", f"{key} must be a number written as a string, got {raw!r}")
        return None
    if not decimal_ok and number != number.to_integral_value():
        ctx.error(f"{ptr}/{key}", f"{key} must be an integer when is_decimal_allowed is false")
    return number


def _number_input(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    if "dispatch_action_config" in el:
        comp.dispatch_action_config(ctx, el["dispatch_action_config"], f"{ptr}/dispatch_action_config")
    ctx.boolean(el, "is_decimal_allowed", ptr)
    decimal_ok = el.get("is_decimal_allowed") is True
    lo = _number(ctx, el, "min_value", ptr, decimal_ok)
    hi = _number(ctx, el, "max_value", ptr, decimal_ok)
    initial = _number(ctx, el, "initial_value", ptr, decimal_ok)
    if lo is not None and hi is not None and lo > hi:
        ctx.error(f"{ptr}/min_value", "min_value must not exceed max_value")
    if initial is not None and ((lo is not None and initial < lo) or (hi is not None and initial > hi)):
        ctx.error(f"{ptr}/initial_value", "initial_value must lie between min_value and max_value")


def _file_input(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    ctx.string_list(el, "filetypes", ptr)
    ctx.integer(el, "max_files", ptr, lo=1, hi=10)


def _image(ctx: Ctx, el: dict[str, Any], ptr: str) -> None:
    ctx.string(el, "alt_text", ptr, max_len=2000)
    ctx.string(el, "image_url", ptr, max_len=3000)
    if ("image_url" in el) == ("slack_file" in el):
        ctx.error(ptr, "exactly one of image_url or slack_file is required")


_SELECT = frozenset({"type", "action_id", "placeholder", "confirm", "focus_on_load"})
_INPUT = frozenset({"type", "action_id", "placeholder", "focus_on_load", "dispatch_action_config"})
_TYPE = frozenset({"type"})
_CONV = frozenset({"default_to_current_conversation", "response_url_enabled", "filter"})


def _spec(
    keys: frozenset[str], extra: set[str], check: Checker, required: set[str] | None = None
) -> ElementSpec:
    return ElementSpec(keys | extra, _TYPE | frozenset(required or ()), check)


ELEMENTS: dict[str, ElementSpec] = {
    "button": _spec(
        frozenset({"type", "action_id"}),
        {"text", "url", "value", "style", "confirm", "accessibility_label"},
        _button,
        {"text"},
    ),
    "workflow_button": _spec(
        frozenset({"type", "action_id"}),
        {"text", "workflow", "style", "accessibility_label"},
        _workflow_button,
        {"text", "workflow"},
    ),
    "static_select": _spec(_SELECT, {"options", "option_groups", "initial_option"}, _static),
    "multi_static_select": _spec(
        _SELECT, {"options", "option_groups", "initial_options", "max_selected_items"}, _multi_static
    ),
    "external_select": _spec(_SELECT, {"initial_option", "min_query_length"}, _external),
    "multi_external_select": _spec(
        _SELECT, {"initial_options", "min_query_length", "max_selected_items"}, _external
    ),
    "users_select": _spec(_SELECT, {"initial_user"}, _ids("initial_user", many=False)),
    "multi_users_select": _spec(
        _SELECT, {"initial_users", "max_selected_items"}, _ids("initial_users", many=True)
    ),
    "conversations_select": _spec(
        _SELECT, {"initial_conversation"} | _CONV, _ids("initial_conversation", many=False)
    ),
    "multi_conversations_select": _spec(
        _SELECT,
        {"initial_conversations", "max_selected_items"} | _CONV,
        _ids("initial_conversations", many=True),
    ),
    "channels_select": _spec(
        _SELECT, {"initial_channel", "response_url_enabled"}, _ids("initial_channel", many=False)
    ),
    "multi_channels_select": _spec(
        _SELECT, {"initial_channels", "max_selected_items"}, _ids("initial_channels", many=True)
    ),
    "overflow": _spec(frozenset({"type", "action_id", "confirm"}), {"options"}, _overflow, {"options"}),
    "checkboxes": _spec(
        frozenset({"type", "action_id", "confirm", "focus_on_load"}),
        {"options", "initial_options"},
        _checkboxes,
        {"options"},
    ),
    "radio_buttons": _spec(
        frozenset({"type", "action_id", "confirm", "focus_on_load"}),
        {"options", "initial_option"},
        _radio,
        {"options"},
    ),
    "datepicker": _spec(_SELECT, {"initial_date"}, _datepicker),
    "timepicker": _spec(_SELECT, {"initial_time", "timezone"}, _timepicker),
    "datetimepicker": _spec(
        frozenset({"type", "action_id", "confirm", "focus_on_load"}), {"initial_date_time"}, _datetimepicker
    ),
    "plain_text_input": _spec(
        _INPUT, {"initial_value", "multiline", "min_length", "max_length"}, _plain_text_input
    ),
    "email_text_input": _spec(_INPUT, {"initial_value"}, _text_input),
    "url_text_input": _spec(_INPUT, {"initial_value"}, _text_input),
    "number_input": _spec(
        _INPUT,
        {"is_decimal_allowed", "initial_value", "min_value", "max_value"},
        _number_input,
        {"is_decimal_allowed"},
    ),
    "rich_text_input": _spec(_INPUT, {"initial_value"}, _nothing),
    "file_input": _spec(frozenset({"type", "action_id"}), {"filetypes", "max_files"}, _file_input),
    "image": ElementSpec(
        frozenset({"type", "alt_text", "image_url", "slack_file"}),
        frozenset({"type", "alt_text"}),
        _image,
        interactive=False,
    ),
}

SELECTS = frozenset(
    {
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
    }
)
SECTION_ACCESSORIES = SELECTS | {
    "button",
    "checkboxes",
    "datepicker",
    "image",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
}
ACTIONS_ELEMENTS = SELECTS | {
    "button",
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "overflow",
    "radio_buttons",
    "timepicker",
    "workflow_button",
}
INPUT_ELEMENTS = SELECTS | {
    "checkboxes",
    "datepicker",
    "datetimepicker",
    "email_text_input",
    "file_input",
    "number_input",
    "plain_text_input",
    "radio_buttons",
    "rich_text_input",
    "timepicker",
    "url_text_input",
}
# Elements that can only live in views because their value is collected on submit.
VIEW_ONLY_ELEMENTS = frozenset({"file_input"})


def element(ctx: Ctx, el: Any, ptr: str, *, allowed: frozenset[str], where: str) -> None:
    """Check one element placed where only ``allowed`` element types are legal."""
    if not isinstance(el, dict):
        ctx.error(ptr, f"element must be an object, got {type(el).__name__}")
        return
    kind = el.get("type")
    spec = ELEMENTS.get(kind) if isinstance(kind, str) else None
    if spec is None:
        ctx.error(f"{ptr}/type", f"unknown element type {kind!r}")
        return
    if kind not in allowed:
        ctx.error(f"{ptr}/type", f"element type {kind!r} is not allowed in {where}")
        return
    if kind in VIEW_ONLY_ELEMENTS and ctx.surface == "message":
        ctx.error(f"{ptr}/type", f"element type {kind!r} is only allowed in modals")
    ctx.obj(el, ptr, allowed=spec.keys, required=spec.required)
    if spec.interactive:
        ctx.action_id(el, ptr)
    if "placeholder" in el:
        comp.text_object(ctx, el["placeholder"], f"{ptr}/placeholder", plain_only=True, max_len=150)
    if "confirm" in el:
        comp.confirm(ctx, el["confirm"], f"{ptr}/confirm")
    ctx.focus_on_load(el, ptr)
    spec.check(ctx, el, ptr)
