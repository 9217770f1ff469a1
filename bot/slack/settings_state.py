"""The settings form's state (as Slack sends it back) read into the account file's sections.

Values are passed on as typed, for the file's schema to judge: only their shape is
Slack's (a select's `selected_option`, a number as a string). Anything odd, forged
or missing becomes a value the schema refuses, next to its field.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from bot.domain.account_form import SettingsForm
from bot.messages.settings_form import (
    ACCOUNT_FIELDS,
    CHANGE_REQUESTS_ON,
    POLICY_FIELDS,
    PRODUCT_FIELDS,
    ROLE_FIELDS,
    VALUE,
    FormLayout,
    product_block,
)
from bot.slack.inbound import ViewState

_WHOLE = re.compile(r"^\s*-?\d{1,12}\s*$")
_NUMBERS = frozenset({"seats", "max_nudges", "alert_threshold"})


def settings_form_of(view: ViewState) -> SettingsForm:
    values = view.values
    layout = FormLayout.of(view.private_metadata)

    def read(block_id: str, name: str) -> Any:
        entry = (values.get(block_id) or {}).get(VALUE) or {}
        value = _value(entry)
        return _number(value) if name in _NUMBERS else value

    account = {name: read(name, name) for name in ACCOUNT_FIELDS}
    selected = account["change_requests"]
    account["change_requests"] = isinstance(selected, list) and CHANGE_REQUESTS_ON in selected
    roles = {name: _people(read(name, name)) for name in ROLE_FIELDS}
    policy = {name: read(name, name) for name in POLICY_FIELDS}
    products = None
    if layout.products_shown:
        products = []
        for row, key in enumerate(layout.keys):
            product = {
                name: read(product_block(row, suffix), name) for name, suffix in PRODUCT_FIELDS.items()
            }
            if key is not None:
                product["key"] = key  # an existing product's key is not in the form
            products.append(product)
    return SettingsForm(account=account, roles=roles, products=products, policy=policy)


def _value(entry: Mapping[str, Any]) -> Any:
    """What the person gave, by element type; "" and nothing read as None (field left empty)."""
    for key in ("value", "selected_conversation", "selected_user", "selected_channel"):
        if key in entry:
            found = entry[key]
            return found.strip() or None if isinstance(found, str) else found
    if "selected_option" in entry:
        option = entry["selected_option"]
        return option.get("value") if isinstance(option, Mapping) else None
    if "selected_options" in entry:
        options = entry["selected_options"]
        return (
            [o.get("value") for o in options if isinstance(o, Mapping)] if isinstance(options, list) else []
        )
    if "selected_users" in entry:
        return entry["selected_users"]
    return None


def _number(value: Any) -> Any:
    """A whole number as an int; anything else as typed, for the schema to refuse."""
    return int(value) if isinstance(value, str) and _WHOLE.match(value) else value


def _people(value: Any) -> Any:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]
