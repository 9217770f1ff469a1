"""An interactive body decoded by the door is what Bolt's own decoding gives, exactly."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import unquote_plus, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import parse_body

from bot.runtime.form_payload import interactive_payload, percent_decoded
from bot.runtime.ingress import Door, Verified
from standin import sign

FORM = "application/x-www-form-urlencoded"
SECRET = "form-payload-secret"

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)
# Text rich in what percent-decoding trips on: escapes, half escapes, pluses, backslashes.
TRICKY = st.text(alphabet=st.sampled_from(list('%+\\&=xX0123456789abcdefABCDEFgé€ \n"{}')) | st.characters())


@given(st.dictionaries(st.text(), JSON_VALUES, max_size=6))
def test_any_payload_reads_as_bolt_reads_it(payload: dict[str, Any]) -> None:
    body = urlencode({"payload": json.dumps(payload, ensure_ascii=False)})
    assert interactive_payload(body.encode()) == parse_body(body, FORM)


@given(TRICKY)
def test_percent_decoding_is_unquote_plus_or_refuses(text: str) -> None:
    try:
        decoded = percent_decoded(text.encode())
    except UnicodeDecodeError:
        # Only a `%` without two hex digits after it; Bolt's own decoding then reads the body.
        assert "%" in text
        assert interactive_payload(b"payload=" + text.encode()) is None
        return
    assert decoded == unquote_plus(text)


@pytest.mark.parametrize(
    "body",
    [
        b"command=%2Fseats&text=add+2+support",  # a slash command: Bolt's fields, not a payload
        b"payload=%7B%7D&extra=1",  # more than the payload
        b"payload=%zz",  # a broken escape
        b"payload=%5B1%2C2%5D",  # JSON, but not an object
        b"payload=%7Bnot+json",
    ],
)
def test_anything_else_is_left_to_bolt(body: bytes) -> None:
    assert interactive_payload(body) is None


def test_the_door_hands_bolt_the_request_bolt_would_build() -> None:
    """Same body, raw body (what Bolt's own signature check reads), mode, context."""
    payload = {
        "type": "view_submission",
        "team": {"id": "T0SEATBOT"},
        "user": {"id": "U0ADMIN", "team_id": "T0SEATBOT"},
        "view": {"id": "V1", "callback_id": "change_seats", "state": {"values": {}}, "title": "é + %"},
    }
    text = urlencode({"payload": json.dumps(payload)})
    ts = str(int(time.time()))
    headers = {
        "content-type": FORM,
        "x-slack-request-timestamp": ts,
        "x-slack-signature": sign(SECRET, ts, text.encode()),
    }
    checked = Door(SECRET).check(text.encode(), headers=headers, query="")
    assert isinstance(checked, Verified)
    ours, bolts = checked.request, BoltRequest(body=text, query="", headers=dict(headers))
    assert ours.body == bolts.body == payload
    assert (ours.raw_body, ours.mode, ours.content_type) == (bolts.raw_body, bolts.mode, bolts.content_type)
    assert dict(ours.context) == dict(bolts.context)
    assert ours.headers == bolts.headers
