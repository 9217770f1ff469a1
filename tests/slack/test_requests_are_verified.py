"""Forged or replayed requests are rejected before any listener runs."""

from __future__ import annotations

import time
import urllib.parse

import pytest
from sqlalchemy import Engine

from tests.conftest import NOW
from tests.factories import make_account
from tests.slack.conftest import RunningBot

BODY = urllib.parse.urlencode(
    {
        "token": "x",
        "team_id": "T0SEATBOT",
        "user_id": "U0ADMIN",
        "command": "/seats",
        "text": "",
        "response_url": "http://127.0.0.1:9/nowhere",
        "trigger_id": "1.2.3",
    }
).encode()


@pytest.fixture(autouse=True)
def account(engine: Engine) -> None:
    make_account(engine, now=NOW)


def _sign(bot: RunningBot, timestamp: str) -> str:
    import hashlib
    import hmac

    from tests.slack.conftest import SIGNING_SECRET

    base = f"v0:{timestamp}:".encode() + BODY
    return "v0=" + hmac.new(SIGNING_SECRET.encode(), base, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "case",
    [
        "bad signature",
        "signed with another secret",
        "ten minutes old",
        "no signature",
    ],
)
def test_rejected_and_nothing_runs(bot: RunningBot, case: str) -> None:
    now = str(int(time.time()))
    headers = {
        "bad signature": (now, "v0=" + "0" * 64),
        "signed with another secret": (now, "v0=" + "ab" * 32),
        "ten minutes old": (str(int(time.time()) - 600), _sign(bot, str(int(time.time()) - 600))),
        "no signature": (now, ""),
    }[case]
    response = bot.driver.post_raw(
        BODY, content_type="application/x-www-form-urlencoded", timestamp=headers[0], signature=headers[1]
    )
    assert response.status == 401
    time.sleep(0.3)  # give a (wrongly) started listener the time to call Slack
    assert bot.slack.calls == []


def test_a_correctly_signed_request_is_accepted(bot: RunningBot) -> None:
    now = str(int(time.time()))
    response = bot.driver.post_raw(
        BODY, content_type="application/x-www-form-urlencoded", timestamp=now, signature=_sign(bot, now)
    )
    assert response.status == 200


def test_health_and_unknown_paths(bot: RunningBot) -> None:
    import json
    import urllib.error
    import urllib.request

    with urllib.request.urlopen(f"{bot.url}/healthz") as health:
        assert health.status == 200
        assert json.load(health) == {"ok": True, "database": "up"}
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{bot.url}/admin")
    assert missing.value.code == 404
