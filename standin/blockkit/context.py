"""One validation pass over a Block Kit surface.

A :class:`Ctx` collects every error found (validation never stops at the first
one, so a test failure shows everything that is wrong at once) and remembers the
identifiers seen so far, because uniqueness is a property of the whole message or
view, not of one block.

Errors are formatted like Slack's own ``response_metadata.messages``:
``"<what is wrong> [json-pointer:/blocks/0/text]"``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

Surface = Literal["message", "modal", "home"]

# Slack's documented limits shared by several components.
MAX_ID_LENGTH = 255  # block_id, action_id, callback_id, external_id


def type_name(value: object) -> str:
    """Name a JSON value's type the way a Slack developer thinks of it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


_BLOCK_POINTER = re.compile(r"^.*?/blocks/\d+")


@dataclass
class Ctx:
    """Mutable state of one validation pass.

    Invariants: ``errors`` only grows; ``block_ids`` maps each block_id, and
    ``action_ids`` each ``"<block pointer>|<action_id>"``, to the JSON pointer
    where it was first seen.
    """

    surface: Surface
    errors: list[str] = field(default_factory=list)
    block_ids: dict[str, str] = field(default_factory=dict)
    action_ids: dict[str, str] = field(default_factory=dict)
    focus_pointer: str | None = None

    def error(self, pointer: str, message: str) -> None:
        self.errors.append(f"{message} [json-pointer:{pointer}]")

    def errors_under(self, pointer: str) -> bool:
        """Whether any error was reported at ``pointer`` or below it."""
        marker = f"[json-pointer:{pointer}"
        return any(e.endswith(f"{marker}]") or f"{marker}/" in e for e in self.errors)

    # -- shape -----------------------------------------------------------------

    def obj(
        self,
        value: Any,
        pointer: str,
        *,
        allowed: frozenset[str],
        required: frozenset[str] = frozenset(),
    ) -> bool:
        """Check that ``value`` is an object with only ``allowed`` and all ``required`` keys.

        Returns False when ``value`` is not an object at all, so callers can stop
        looking inside it.  Unknown keys are errors because Slack rejects
        "invalid additional property" rather than ignoring it.
        """
        if not isinstance(value, dict):
            self.error(pointer, f"expected an object, got {type_name(value)}")
            return False
        for key in value:
            if key not in allowed:
                self.error(f"{pointer}/{key}", f"invalid additional property: {key}")
        for key in sorted(required - value.keys()):
            self.error(pointer, f"missing required field: {key}")
        return True

    def array(
        self, value: Any, pointer: str, *, min_items: int = 1, max_items: int | None = None
    ) -> list[Any]:
        """Return ``value`` if it is an array within the bounds (reporting otherwise)."""
        if not isinstance(value, list):
            self.error(pointer, f"expected an array, got {type_name(value)}")
            return []
        if len(value) < min_items:
            self.error(pointer, f"must have at least {min_items} item(s), got {len(value)}")
        if max_items is not None and len(value) > max_items:
            self.error(pointer, f"must have at most {max_items} items, got {len(value)}")
        return value

    def string(
        self,
        parent: dict[str, Any],
        key: str,
        pointer: str,
        *,
        max_len: int,
        min_len: int = 1,
    ) -> str | None:
        """Check ``parent[key]`` (when present) is a string of ``min_len..max_len`` characters."""
        if key not in parent:
            return None
        value = parent[key]
        where = f"{pointer}/{key}"
        if not isinstance(value, str):
            self.error(where, f"{key} must be a string, got {type_name(value)}")
            return None
        if len(value) < min_len:
            self.error(where, f"{key} must be at least {min_len} character(s)")
        if len(value) > max_len:
            self.error(where, f"{key} must be at most {max_len} characters (got {len(value)})")
        return value

    def boolean(self, parent: dict[str, Any], key: str, pointer: str) -> None:
        if key in parent and not isinstance(parent[key], bool):
            self.error(f"{pointer}/{key}", f"{key} must be a boolean, got {type_name(parent[key])}")

    def integer(self, parent: dict[str, Any], key: str, pointer: str, *, lo: int, hi: int) -> int | None:
        if key not in parent:
            return None
        value = parent[key]
        if isinstance(value, bool) or not isinstance(value, int):
            self.error(f"{pointer}/{key}", f"{key} must be an integer, got {type_name(value)}")
            return None
        if not lo <= value <= hi:
            self.error(f"{pointer}/{key}", f"{key} must be between {lo} and {hi}, got {value}")
        return value

    def string_list(self, parent: dict[str, Any], key: str, pointer: str, *, max_items: int = 100) -> None:
        if key not in parent:
            return
        items = self.array(parent[key], f"{pointer}/{key}", min_items=0, max_items=max_items)
        for i, item in enumerate(items):
            if not isinstance(item, str) or not item:
                self.error(f"{pointer}/{key}/{i}", f"{key} items must be non-empty strings")

    # -- identifiers -----------------------------------------------------------

    def block_id(self, block: dict[str, Any], pointer: str) -> None:
        """Check a block_id's length and that no other block on the surface uses it."""
        value = self.string(block, "block_id", pointer, max_len=MAX_ID_LENGTH)
        if value is None:
            return
        first = self.block_ids.setdefault(value, f"{pointer}/block_id")
        if first != f"{pointer}/block_id":
            self.error(f"{pointer}/block_id", f'duplicate block_id "{value}" (first used at {first})')

    def action_id(self, element: dict[str, Any], pointer: str) -> None:
        """Check an action_id's length and that it is unique within its block.

        That is Slack's rule: the same action_id may appear in several blocks
        (a list of requests, each with its own Approve button); the block_id
        tells them apart.
        """
        value = self.string(element, "action_id", pointer, max_len=MAX_ID_LENGTH)
        if value is None:
            return
        block = _BLOCK_POINTER.match(pointer)
        scope = block.group(0) if block else ""
        first = self.action_ids.setdefault(f"{scope}|{value}", f"{pointer}/action_id")
        if first != f"{pointer}/action_id":
            self.error(
                f"{pointer}/action_id", f'duplicate action_id "{value}" in one block (first used at {first})'
            )

    def focus_on_load(self, element: dict[str, Any], pointer: str) -> None:
        """Only one element of a view may ask for focus, and never in a message."""
        self.boolean(element, "focus_on_load", pointer)
        if element.get("focus_on_load") is not True:
            return
        if self.surface == "message":
            self.error(f"{pointer}/focus_on_load", "focus_on_load is only allowed in modals and Home tabs")
        elif self.focus_pointer is not None:
            self.error(
                f"{pointer}/focus_on_load",
                f"only one element may set focus_on_load (first at {self.focus_pointer})",
            )
        else:
            self.focus_pointer = f"{pointer}/focus_on_load"
