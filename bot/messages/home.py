"""The App Home tab."""

from __future__ import annotations

from typing import Any

from slack_sdk.models.views import View

from bot.messages.reply import Reply


def home_view(content: Reply) -> dict[str, Any]:
    view = View(type="home", blocks=content.blocks)
    return view.to_dict()
