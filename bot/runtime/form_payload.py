"""The JSON inside an interactive request's form body, decoded at C speed.

Slack posts every click and form submission as `payload=<the JSON, percent-encoded>`.
Bolt decodes that with `urllib.parse.parse_qsl`, whose percent-decoding is a Python
loop over every `%XX`: a submitted form of a few kilobytes holds thousands, and
decoding them was a fifth of a submission's ack. Here each `%XX` becomes a `\\xXX`
escape that the `unicode_escape` codec decodes in one pass, giving the same text
`urllib.parse.unquote_plus` gives (`tests/unit/test_form_payload.py` compares them).
"""

from __future__ import annotations

import json
from typing import Any

PREFIX = b"payload="


def interactive_payload(body: bytes) -> dict[str, Any] | None:
    """The payload of a body that is exactly `payload=…`, or None for anything else (a
    slash command's fields, a malformed escape, JSON that is not an object): Bolt then
    reads the body its own way, as it always did."""
    if not body.startswith(PREFIX) or b"&" in body:
        return None
    try:
        payload = json.loads(percent_decoded(body[len(PREFIX) :]))
    except ValueError:  # UnicodeDecodeError (a `%` not followed by two hex digits) included
        return None
    return payload if isinstance(payload, dict) else None


def percent_decoded(value: bytes) -> str:
    """`urllib.parse.unquote_plus(value)`: `+` is a space, `%XX` a byte, the bytes UTF-8
    (a byte that is not UTF-8 becomes U+FFFD). Raises UnicodeDecodeError on a `%` not
    followed by two hex digits, which unquote_plus would keep as it is."""
    # Backslashes are doubled first, so the only escapes the codec sees are ours.
    escaped = value.replace(b"+", b" ").replace(b"\\", b"\\\\").replace(b"%", b"\\x")
    return escaped.decode("unicode_escape").encode("latin-1").decode("utf-8", "replace")
