"""Fixtures of the fault families: the Slack-level ones, shared with tests/slack."""

from __future__ import annotations

from tests.slack.conftest import bot, clock, slack, standin

__all__ = ["bot", "clock", "slack", "standin"]
