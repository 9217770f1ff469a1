"""A local stand-in for Slack, for tests and the demo.

* :class:`SlackStandIn` — the Web API, response_urls and Socket Mode endpoint
  the bot talks to (``WebClient(base_url=standin.api_url)``).
* :class:`SlackDriver` — sends the bot what Slack sends when people use it.
* :func:`validate_message_blocks` / :func:`validate_view` — strict Block Kit checks.
* :func:`render_message` / :func:`render_view` — Block Kit as a person reads it.
"""

from __future__ import annotations

from standin.blockkit import validate_message_blocks, validate_view
from standin.driver import HttpResult, SlackDriver
from standin.models import Message, MessageEdit, RecordedCall, SlackUser
from standin.signing import sign
from standin.transcript import render_message, render_view
from standin.webapi import SlackStandIn

__all__ = [
    "HttpResult",
    "Message",
    "MessageEdit",
    "RecordedCall",
    "SlackDriver",
    "SlackStandIn",
    "SlackUser",
    "render_message",
    "render_view",
    "sign",
    "validate_message_blocks",
    "validate_view",
]
