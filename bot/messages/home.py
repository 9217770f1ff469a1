"""The App Home tab."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MAX_HOME_BLOCKS = 100


def home_view(blocks: Sequence[Block]) -> dict[str, Any]:
    """The tab's blocks. What goes in fits by construction (the summary takes at most 21
    blocks, whatever the number of products; the request lists at most 50); the cut to
    Slack's 100 is a last guard that keeps the tab publishable."""
    content = list(blocks)
    view = View(type="home", blocks=content[:MAX_HOME_BLOCKS])
    return view.to_dict()
