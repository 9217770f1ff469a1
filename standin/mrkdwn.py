"""Slack mrkdwn to the plain text a person reads.

Mentions and links are resolved (``<@U1>`` → ``@Alice Smith``, ``<url|label>``
→ ``label``) and HTML entities unescaped.  Emphasis markers (``*bold*``,
``_italic_``) are kept: they read fine as plain text and show intent.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Names = Callable[[str], str]

_ANGLE = re.compile(r"<([^<>]+)>")


def _special(body: str, label: str | None) -> str:
    """``<!here>``, ``<!subteam^S1|@team>``, ``<!date^1700000000^{date}|fallback>``."""
    if label:
        return label if label.startswith("@") or body.startswith("!date") else f"@{label}"
    command = body[1:].split("^", 1)[0]
    return f"@{command}"


def _replace(match: re.Match[str], names: Names) -> str:
    body, _, label = match.group(1).partition("|")
    label_or_none = label or None
    if body.startswith("@"):
        return f"@{names(body[1:])}"
    if body.startswith("#"):
        return f"#{label_or_none or names(body[1:])}"
    if body.startswith("!"):
        return _special(body, label_or_none)
    return label_or_none or body.removeprefix("mailto:")


def readable(text: str, names: Names) -> str:
    """Render mrkdwn ``text`` as plain text; ``names`` maps a user/channel id to its name."""
    resolved = _ANGLE.sub(lambda m: _replace(m, names), text)
    # Entities last: a literal "&lt;" must not turn into a link marker above.
    return resolved.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
