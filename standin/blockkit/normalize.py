"""Give blocks the identifiers Slack gives them when it stores a surface.

Slack assigns a short random ``block_id`` to every block posted without one,
and an ``action_id`` to every interactive element without one; interaction
payloads then carry those generated ids.  Reproducing this matters: a handler
that routes on a block_id it never set would work in a naive fake and fail in
Slack.  Ids here are derived from a salt (message ts or view id) and the
component's position, so they are stable for one stored surface.
"""

from __future__ import annotations

import hashlib
from typing import Any

from standin.blockkit.elements import ELEMENTS
from standin.copies import detached

_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def _short_id(salt: str, where: str, length: int) -> str:
    digest = int.from_bytes(hashlib.sha256(f"{salt}:{where}".encode()).digest()[:8], "big")
    chars = []
    for _ in range(length):
        digest, rem = divmod(digest, len(_ALPHABET))
        chars.append(_ALPHABET[rem])
    return "".join(chars)


def _fill_action_id(element: Any, salt: str, where: str) -> None:
    if not isinstance(element, dict) or "action_id" in element:
        return
    spec = ELEMENTS.get(element.get("type", ""))
    if spec is not None and spec.interactive:
        element["action_id"] = _short_id(salt, where, 5)


def normalize_blocks(blocks: list[dict[str, Any]], salt: str) -> list[dict[str, Any]]:
    """Return a deep copy of valid ``blocks`` with every missing block_id/action_id filled in."""
    result = detached(blocks)
    for i, block in enumerate(result):
        block.setdefault("block_id", _short_id(salt, f"b{i}", 4))
        _fill_action_id(block.get("accessory"), salt, f"b{i}/accessory")
        _fill_action_id(block.get("element"), salt, f"b{i}/element")
        if block.get("type") == "actions":
            for j, element in enumerate(block.get("elements", [])):
                _fill_action_id(element, salt, f"b{i}/e{j}")
    return result
