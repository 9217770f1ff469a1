"""The App Home tab."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_HOME_BLOCKS = 100


def home_view(blocks: Sequence[Block]) -> dict[str, Any]:
    """The tab's blocks, cut to Slack's 100-block limit."""
    content = list(blocks)
    view = View(type="home", blocks=content[:MAX_HOME_BLOCKS])
    return view.to_dict()
