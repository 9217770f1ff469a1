"""A state change is recorded one way: `bot.services.recording.record` writes its
audit event and queues its messages; nothing else builds them by hand."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

BUILDERS = {"AuditEvent", "add_audit", "add_audits", "enqueue_many", "insert_many"}
"""What writes an audit row or an outbox row."""

HOMES = {
    Path("bot/services/recording.py"),  # the one caller
    Path("bot/services/outbox.py"),  # defines enqueue_many
    Path("storage/repositories.py"),  # defines add_audit, insert_many
}


def _called_name(call: ast.Call) -> str | None:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return None


def test_only_recording_writes_audit_events_and_outbox_rows() -> None:
    found = []
    for folder in ("bot", "handlers", "storage"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            relative = path.relative_to(ROOT)
            if relative in HOMES or "migrations" in relative.parts:
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
            for node in ast.walk(tree):
                if isinstance(node, ast.Call) and _called_name(node) in BUILDERS:
                    found.append(f"{relative}:{node.lineno} {_called_name(node)}(…)")
    assert found == []
