"""Slack mrkdwn as a terminal shows it, for `seatbot demo`.

The demo's transcript already resolves what Slack resolves (`<@U1>` to a name,
`<!date^…|fallback>` to its fallback, `&lt;` to `<`); what is left is the
emphasis Slack draws and a terminal would print as stars and underscores, and
emoji codes. Emphasis becomes ANSI bold / italic on a terminal that shows it,
plain text elsewhere (a pipe, a file, `NO_COLOR`).
"""

from __future__ import annotations

import os
import re
import sys
from typing import TextIO

BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
STRIKE = re.compile(r"(?<![\w~])~(?=\S)([^~\n]+?)(?<=\S)~(?![\w~])")
CODE = re.compile(r"(`[^`\n]*`)")
EMOJI = {
    "alarm_clock": "⏰",
    "electric_plug": "🔌",
    "hourglass": "⌛",
    "hourglass_flowing_sand": "⏳",
    "inbox_tray": "📥",
    "information_source": "ℹ️",
    "key": "🔑",
    "leftwards_arrow_with_hook": "↩️",
    "link": "🔗",
    "lock": "🔒",
    "no_entry": "⛔",
    "outbox_tray": "📤",
    "pencil2": "✏️",
    "recycle": "♻️",
    "receipt": "🧾",
    "rotating_light": "🚨",
    "tada": "🎉",
    "warning": "⚠️",
    "wave": "👋",
    "white_check_mark": "✅",
    "x": "❌",
    "zzz": "💤",
}
SHORTCODE = re.compile(r":([a-z0-9_+-]+):")


def shows_ansi(stream: TextIO = sys.stdout) -> bool:
    """Colours and weights only on a terminal, and never when `NO_COLOR` asks for none."""
    return stream.isatty() and not os.environ.get("NO_COLOR")


def for_terminal(text: str, *, ansi: bool) -> str:
    """`*bold*`, `_italic_`, `~struck~` and `:emoji:` as a terminal shows them;
    code spans (`` `/seats help` ``) are left exactly as written."""
    bold, italic, off = ("\033[1m", "\033[3m", "\033[0m") if ansi else ("", "", "")
    parts = CODE.split(text)
    for index in range(0, len(parts), 2):  # even parts are outside code spans
        part = BOLD.sub(lambda m: f"{bold}{m.group(1)}{off}", parts[index])
        part = ITALIC.sub(lambda m: f"{italic}{m.group(1)}{off}", part)
        part = STRIKE.sub(lambda m: m.group(1), part)
        parts[index] = SHORTCODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), part)
    return "".join(parts)
