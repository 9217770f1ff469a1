"""Bolt listeners, one module per Slack surface; each has a `register(app)`."""

from __future__ import annotations

from slack_bolt import App

from handlers import (
    allowances,
    approvals,
    assignments,
    change_modal,
    commands,
    errors,
    home,
    installation,
    ownership,
    people,
    picking,
    reading,
    settings,
)


def register_listeners(app: App) -> None:
    commands.register(app)
    change_modal.register(app)
    approvals.register(app)
    assignments.register(app)
    home.register(app)
    installation.register(app)
    people.register(app)
    settings.register(app)
    allowances.register(app)
    ownership.register(app)
    picking.register(app)
    reading.register(app)
    errors.register(app)
