"""Slack request signing (https://docs.slack.dev/authentication/verifying-requests-from-slack).

The signature is ``v0=`` + hex HMAC-SHA256 of ``v0:{timestamp}:{raw body}``
keyed by the app's signing secret.
"""

from __future__ import annotations

import hashlib
import hmac


def sign(signing_secret: str, timestamp: str, body: bytes) -> str:
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(signing_secret.encode(), base, hashlib.sha256).hexdigest()
