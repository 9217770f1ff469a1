"""Typed access to Web API arguments as Slack receives them.

The same argument arrives as a JSON value (JSON bodies), or as a string (form
bodies and query strings) — ``blocks`` as a JSON-encoded string, booleans as
``"true"``/``"1"``.  :class:`Params` hides that difference from the methods.
"""

from __future__ import annotations

import json
from typing import Any

from standin.errors import ApiError


class Params:
    """Read-only view over one call's arguments.  Never contains the token."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw

    def __contains__(self, key: str) -> bool:
        return key in self.raw and self.raw[key] not in (None, "")

    def string(self, key: str) -> str | None:
        value = self.raw.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return str(value)  # slack_sdk may send numbers for ts-like fields
        if not isinstance(value, str):
            raise ApiError("invalid_arguments", messages=[f"{key} must be a string"])
        return value

    def require(self, key: str, error: str = "invalid_arguments") -> str:
        value = self.string(key)
        if value is None:
            raise ApiError(error, messages=[f"missing required field: {key}"])
        return value

    def flag(self, key: str) -> bool:
        value = self.raw.get(key)
        if isinstance(value, bool):
            return value
        return isinstance(value, (str, int)) and str(value).lower() in ("1", "true")

    def integer(self, key: str, default: int) -> int:
        value = self.raw.get(key)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ApiError("invalid_arguments", messages=[f"{key} must be an integer"]) from None

    def decoded(self, key: str, *, error: str) -> Any:
        """A structured argument that may arrive decoded or as a JSON string."""
        value = self.raw.get(key)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except json.JSONDecodeError:
                raise ApiError(error, messages=[f"{key} is not valid JSON"]) from None
        return value
