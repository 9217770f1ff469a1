"""Hypothesis strategies: real Slack payload shapes (`standin.payloads`), then mutated."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st

from bot.messages.change_modal import (
    CHANGE_CALLBACK,
    CONFIRM_ACTION,
    CONFIRM_BLOCK,
    DECLINE_CALLBACK,
    JUSTIFICATION_BLOCK,
    PRODUCT_BLOCK,
    REASON_BLOCK,
    SEATS_ACTION,
    TEXT_ACTION,
)
from bot.messages.requests import APPROVE, DECLINE, WITHDRAW
from bot.messages.seats import BUY_SEATS
from bot.messages.summary import OPEN_CHANGE
from tests.properties.conftest import EXAMPLES

PROPERTY_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    # Generate only: a failing case is reported as generated, without minutes of shrinking
    # against a live server.
    phases=[Phase.explicit, Phase.generate],
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example],
    print_blob=True,
)

PEOPLE_IDS = ["U0OWNER", "U0BILL", "U0ADMIN", "U0AG1"]
USERS = st.one_of(st.sampled_from(PEOPLE_IDS), st.sampled_from(["U0NOBODY", "W0GRID", ""]))

json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
any_json: st.SearchStrategy[Any] = st.recursive(
    json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=16,
)

CONTROL = st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zl", "Zp"]), min_size=1, max_size=4)
ODD_DIGITS = st.text(alphabet=st.characters(categories=["Nd", "No", "Nl"]), min_size=1, max_size=6)
AMOUNTS = st.one_of(
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.integers(min_value=-(10**40), max_value=10**40).map(lambda n: f"{n:+d}"),
    st.integers(min_value=0, max_value=30).map(str),
    st.integers(min_value=-5, max_value=5).map(lambda n: f"{n:+d}"),
    st.sampled_from(["+", "-", "¹", "+¹", "٣", "١٠", "½", "∞", "1e3", "0x10", "-0", "+0", "٫٥", "ⅻ", "１２"]),
    ODD_DIGITS,
    ODD_DIGITS.map(lambda d: "+" + d),
)
PRODUCTS = st.one_of(
    st.sampled_from(
        ["support", "Support", "SUPPORT", "guide", "talk", "chat", "sup", "ｓｕｐｐｏｒｔ", "Suppοrt"]
    ),
    st.text(max_size=20),
)
MENTIONS = st.one_of(
    st.sampled_from(
        [
            "<@U0AG1|ana>",
            "<@U0AG2>",
            "<@U0NOBODY|x>",
            "<@U0OWNER|olivia>",
            "<@|>",
            "<@",
            "@ana",
            "@bo",
            "<#C0GENERAL|general>",
            "<!channel>",
            "<@U0AG1|ana",
            "<@U0AG1|<@U0AG2>>",
        ]
    ),
    st.text(max_size=12).map(lambda t: f"<@{t}>"),
)
SUBCOMMANDS = st.sampled_from(
    [
        "",
        "summary",
        "request",
        "manage",
        "requests",
        "assign",
        "unassign",
        "withdraw",
        "help",
        "REQUEST",
        "Assign",
        "demande",
        "résumé",
        "request request",
    ]
)
TOKENS = st.one_of(SUBCOMMANDS, PRODUCTS, AMOUNTS, MENTIONS, CONTROL, st.text(max_size=10))
COMMAND_TEXT = st.one_of(
    st.lists(TOKENS, min_size=1, max_size=7).map(" ".join),
    st.tuples(SUBCOMMANDS, PRODUCTS, AMOUNTS).map(" ".join),
    st.tuples(st.sampled_from(["assign", "unassign"]), MENTIONS, PRODUCTS).map(" ".join),
    st.text(max_size=300),
    st.text(min_size=400, max_size=4000),
)

# -- view submissions ------------------------------------------------------------


def _input(value: Any) -> dict[str, Any]:
    return {"type": "plain_text_input", "value": value}


seat_entry = st.one_of(
    AMOUNTS.map(_input),
    st.integers(min_value=0, max_value=40).map(lambda n: _input(str(n))),
    any_json.map(_input),
    any_json,
)
realistic_values = st.fixed_dictionaries(
    {},
    optional={
        f"{PRODUCT_BLOCK}support": st.fixed_dictionaries({SEATS_ACTION: seat_entry}) | any_json,
        f"{PRODUCT_BLOCK}guide": st.fixed_dictionaries({SEATS_ACTION: seat_entry}),
        f"{PRODUCT_BLOCK}talk": st.fixed_dictionaries({SEATS_ACTION: seat_entry}),
        f"{PRODUCT_BLOCK}nope": st.fixed_dictionaries({SEATS_ACTION: seat_entry}),
        JUSTIFICATION_BLOCK: st.fixed_dictionaries({TEXT_ACTION: st.one_of(st.text().map(_input), any_json)}),
        REASON_BLOCK: st.fixed_dictionaries({TEXT_ACTION: st.one_of(st.text().map(_input), any_json)}),
        f"{CONFIRM_BLOCK}support": st.fixed_dictionaries(
            {
                CONFIRM_ACTION: st.one_of(
                    st.fixed_dictionaries(
                        {"type": st.just("checkboxes"), "selected_options": st.lists(any_json, max_size=3)}
                    ),
                    any_json,
                )
            }
        ),
    },
)
STATE_VALUES = st.one_of(realistic_values, realistic_values, any_json)
METADATA = st.one_of(
    st.none(),
    st.text(max_size=50),
    any_json.map(lambda v: json.dumps(v)),
    st.one_of(st.integers(min_value=-5, max_value=10**12).map(str), AMOUNTS, any_json).map(
        lambda v: json.dumps({"request_id": v})
    ),
    any_json,
)
CALLBACKS = st.one_of(
    st.sampled_from([CHANGE_CALLBACK, CHANGE_CALLBACK, DECLINE_CALLBACK]), st.text(max_size=10)
)

# -- block actions ---------------------------------------------------------------

ACTION_IDS = st.one_of(
    st.sampled_from([OPEN_CHANGE, SEATS_ACTION, APPROVE, DECLINE, WITHDRAW, BUY_SEATS]), st.text(max_size=12)
)
ACTION_VALUES = st.one_of(
    st.integers(min_value=-3, max_value=12).map(str),
    st.sampled_from(
        [
            "¹",
            "٣",
            "1" * 40,
            "",
            "0",
            "prefill:support:+2",
            "prefill:support:+¹",
            "prefill:nope:+1",
            "prefill::",
            "support:3",
            "support:¹",
            "talk:1000",
            "support:99999",
        ]
    ),
    st.tuples(PRODUCTS, AMOUNTS).map(lambda t: f"prefill:{t[0]}:{t[1]}"),
    st.tuples(PRODUCTS, AMOUNTS).map(lambda t: f"{t[0]}:{t[1]}"),
    any_json,
)
