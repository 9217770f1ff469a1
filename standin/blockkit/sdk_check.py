"""Second opinion from ``slack_sdk.models``.

The stand-in's own schema is the primary check (the sdk silently accepts unknown
keys and mrkdwn where only plain_text is legal).  The sdk's validators are still
worth running: they encode limits written by Slack's own engineers.  We also
round-trip each component through ``to_dict()`` and report keys the sdk drops,
since a dropped key means the sdk does not know it.

To avoid reporting one mistake twice, callers only consult the sdk for parts
that the primary schema found clean.
"""

from __future__ import annotations

import json
import logging
from functools import lru_cache
from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from standin.copies import detached

_QUIET = logging.getLogger("slack_sdk.models")


def _dropped_keys(given: Any, kept: Any, ptr: str) -> list[str]:
    """JSON pointers of keys present in ``given`` but absent after the round trip."""
    if isinstance(given, dict) and isinstance(kept, dict):
        found: list[str] = []
        for key, value in given.items():
            if key not in kept:
                # The sdk omits empty arrays/strings and None: Slack rejects empty
                # arrays itself and our schema reports them, so ignore here.
                if value in ([], "", None):
                    continue
                found.append(f"{ptr}/{key}")
            else:
                found += _dropped_keys(value, kept[key], f"{ptr}/{key}")
        return found
    if isinstance(given, list) and isinstance(kept, list) and len(given) == len(kept):
        found = []
        for i, (a, b) in enumerate(zip(given, kept, strict=True)):
            found += _dropped_keys(a, b, f"{ptr}/{i}")
        return found
    return []


def _round_trip(parse: Any, value: dict[str, Any], ptr: str) -> list[str]:
    previous = _QUIET.level
    _QUIET.setLevel(logging.ERROR)  # the sdk logs a warning for every unknown thing
    try:
        parsed = parse(detached(value))
        if parsed is None:
            return [f"slack_sdk could not parse this component [json-pointer:{ptr}]"]
        kept = parsed.to_dict()
    except SlackObjectFormationError as exc:
        return [f"slack_sdk: {exc} [json-pointer:{ptr}]"]
    except (TypeError, KeyError, AttributeError, ValueError) as exc:
        return [f"slack_sdk could not build this component ({exc}) [json-pointer:{ptr}]"]
    finally:
        _QUIET.setLevel(previous)
    return [
        f"slack_sdk does not know this property [json-pointer:{p}]" for p in _dropped_keys(value, kept, ptr)
    ]


def check_block(block: dict[str, Any], ptr: str) -> list[str]:
    return _remembered("block", block, ptr)


def check_view(view: dict[str, Any], ptr: str) -> list[str]:
    return _remembered("view", view, ptr)


_PARSERS: dict[str, Any] = {"block": Block.parse, "view": lambda v: View(**v)}


def _remembered(kind: str, value: dict[str, Any], ptr: str) -> list[str]:
    """The round trip is a pure function of the JSON, and costs far more than writing the
    JSON out: bots send the same blocks again and again (a header, a form's fields), so
    each distinct one is checked once."""
    try:
        canonical = json.dumps(value, sort_keys=True)
    except (TypeError, ValueError):  # not JSON at all: no key to remember it by
        return _round_trip(_PARSERS[kind], value, ptr)
    return list(_round_trip_of(kind, canonical, ptr))


@lru_cache(maxsize=8192)
def _round_trip_of(kind: str, canonical: str, ptr: str) -> tuple[str, ...]:
    return tuple(_round_trip(_PARSERS[kind], json.loads(canonical), ptr))
