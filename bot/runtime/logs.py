"""How seatbot logs: plain text lines by default, one JSON object a line with
`SEATBOT_LOG_FORMAT=json`.

Every line seatbot writes says what happened first and its fields after, as
`key=value` (`request decided team=T1 request=7 by=U2 approved=True`). The JSON
form keeps that: `event` is what happened, and each `key=value` becomes a field
(`team`, `user`, `request`, `outbox`…), so a log pipeline can filter on them.
Nothing seatbot logs carries a secret or a payload body (the door refuses forged
requests with one short line, and tokens never appear in a message).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s %(message)s"
RESERVED = frozenset({"time", "level", "logger", "event", "error"})

SLACK_SDK_LOGGERS = ("slack_sdk.web.base_client", "slack_sdk.webhook.client")
"""The loggers slack_sdk's Web API and webhook clients use unless given one."""

_FIELD = re.compile(r"(?:^|\s)([a-z_]+)=(\"[^\"]*\"|'[^']*'|\S*)")


def split_event(message: str) -> tuple[str, dict[str, str]]:
    """`what happened k=v k=v` → ("what happened", {k: v}); a message without fields is all event."""
    first = _FIELD.search(message)
    if first is None:
        return message, {}
    fields = {key: value.strip("\"'") for key, value in _FIELD.findall(message[first.start() :])}
    return message[: first.start()].strip(), fields


class JsonLines(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        event, fields = split_event(record.getMessage())
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "event": event,
            **{
                key: value for key, value in fields.items() if key not in ("time", "level", "logger", "event")
            },
        }
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


def configure(*, level: str, fmt: str) -> None:
    """Log to stderr at `level` in `fmt` (both checked by the settings before this)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines() if fmt == "json" else logging.Formatter(TEXT))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    numeric = logging.getLevelName(level)
    # Migration chatter is for `seatbot db upgrade --log-level DEBUG`, not every start;
    # a scheduler pass every few seconds is routine: its own lines are for DEBUG too.
    for chatty in ("alembic", "apscheduler"):
        logging.getLogger(chatty).setLevel(max(logging.WARNING, numeric))
    # slack_sdk's clients build a DEBUG line of every request and answer, bodies and all
    # (a modal is kilobytes), unless their logger's own level is set: they read
    # `logger.level`, not the level it inherits. Ours, so DEBUG still shows them.
    for eager in SLACK_SDK_LOGGERS:
        logging.getLogger(eager).setLevel(numeric)
