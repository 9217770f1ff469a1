"""Whatever an unauthenticated caller posts, the answer is a 401 (413 when oversized) and at
most one short log line: never the body, never a traceback, never a 5xx, and Bolt never runs."""

from __future__ import annotations

import http.client
import json
import logging
import socket
import time
import urllib.parse
from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from bot.runtime.app import create_app
from bot.runtime.config import Settings
from bot.runtime.ingress import RefusalLog
from bot.runtime.server import MAX_BODY, SeatbotWSGI, start_in_background
from standin import SlackDriver, SlackStandIn
from standin.signing import sign
from standin.transport import HttpResult
from tests.conftest import BACKENDS, NOW
from tests.factories import make_account
from tests.reliability import record
from tests.slack.conftest import SIGNING_SECRET, RunningBot

MARKER = "BODY-MARKER-7f3a"
"""Put in every body: it must appear in no log line."""
FORM = urllib.parse.urlencode(
    {"team_id": "T0SEATBOT", "user_id": "U0ADMIN", "command": "/seats", "text": MARKER, "trigger_id": "1.2"}
).encode()
TRIED: dict[str, int] = {}


@pytest.fixture(autouse=True)
def account(engine: Engine) -> None:
    make_account(engine, now=NOW)


def _now() -> str:
    return str(int(time.time()))


# (case, body, timestamp, signature or None for a correct one, expected status) — each a way in
# that an attacker, a misconfigured proxy or a replay might try.
CASES = [
    ("no signature", FORM, _now, "", 401),
    ("signature of zeros", FORM, _now, "v0=" + "0" * 64, 401),
    ("signed with another secret", FORM, _now, "other-secret", 401),
    ("signature not hex", FORM, _now, "v0=" + "zz" * 32, 401),
    ("signature with Unicode", FORM, _now, "v0=" + "é" * 64, 401),
    ("ten minutes old", FORM, lambda: str(int(time.time()) - 600), None, 401),
    ("ten minutes ahead", FORM, lambda: str(int(time.time()) + 600), None, 401),
    ("timestamp not a number", FORM, lambda: "yesterday", None, 401),
    ("timestamp of superscript digits (Latin-1)", FORM, lambda: "¹²³", None, 401),
    ("timestamp of Unicode digits (UTF-8)", FORM, lambda: "¹²³⁴⁵⁶⁷⁸⁹⁰", None, 401),
    ("timestamp of Arabic-Indic digits (UTF-8)", FORM, lambda: "١٧٠٠٠٠٠٠٠٠", None, 401),
    ("timestamp negative", FORM, lambda: "-5", None, 401),
    ("timestamp float", FORM, lambda: f"{time.time():.3f}", None, 401),
    ("timestamp enormous", FORM, lambda: "9" * 40, None, 401),
    ("timestamp empty", FORM, lambda: "", None, 401),
    ("body not UTF-8, signed", b"payload=\xff\xfe" + MARKER.encode() + b"\xc3", _now, None, 401),
    ("payload not JSON, signed", b"payload=%7Bnot+json+" + MARKER.encode(), _now, None, 401),
    ("JSON list, signed", json.dumps([MARKER]).encode(), _now, None, 401),
    (
        "JSON string payload, signed",
        urllib.parse.urlencode({"payload": json.dumps(MARKER)}).encode(),
        _now,
        None,
        401,
    ),
    (
        "block_actions with no actions, signed",
        urllib.parse.urlencode(
            {"payload": json.dumps({"type": "block_actions", "actions": [], "x": MARKER})}
        ).encode(),
        _now,
        None,
        400,
    ),
    (
        "view_submission whose view is a list, signed",
        urllib.parse.urlencode(
            {"payload": json.dumps({"type": "view_submission", "view": [MARKER]})}
        ).encode(),
        _now,
        None,
        400,
    ),
]


@pytest.mark.parametrize(
    ("case", "body", "timestamp", "signature", "status"), CASES, ids=[c[0] for c in CASES]
)
def test_refused_with_one_short_line(
    bot: RunningBot,
    caplog: pytest.LogCaptureFixture,
    case: str,
    body: bytes,
    timestamp: object,
    signature: str | None,
    status: int,
) -> None:
    caplog.set_level(logging.DEBUG)
    ts = timestamp() if callable(timestamp) else str(timestamp)
    if signature == "other-secret":
        signature = sign("other-secret", ts, body)
    content_type = "application/json" if body.startswith(b"[") else "application/x-www-form-urlencoded"
    if ts.isascii() or (ts.isdigit() and all(ord(c) < 256 for c in ts)):
        response = bot.driver.post_raw(body, content_type=content_type, timestamp=ts, signature=signature)
    else:  # headers as raw UTF-8 bytes, which urllib will not send
        response = _post_raw_headers(bot, body, ts, signature)
    assert response.status == status
    assert MARKER not in response.text
    _assert_calm(caplog, expect_lines=1)
    assert bot.slack.calls == []  # no listener ran: nothing was asked of Slack
    TRIED[case] = TRIED.get(case, 0) + 1


def _post_raw_headers(bot: RunningBot, body: bytes, ts: str, signature: str | None) -> HttpResult:
    url = urllib.parse.urlsplit(bot.url)
    connection = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    try:
        connection.putrequest("POST", "/slack/events")
        connection.putheader("Content-Type", "application/x-www-form-urlencoded")
        connection.putheader("Content-Length", str(len(body)))
        connection.putheader("X-Slack-Request-Timestamp", ts.encode("utf-8"))
        connection.putheader("X-Slack-Signature", signature or sign(SIGNING_SECRET, ts, body))
        connection.endheaders(body)
        reply = connection.getresponse()
        return HttpResult(reply.status, dict(reply.getheaders()), reply.read())
    finally:
        connection.close()


def test_an_oversized_body_is_413_and_never_read(bot: RunningBot, caplog: pytest.LogCaptureFixture) -> None:
    """Refused on its Content-Length alone: the answer comes before the body is sent."""
    caplog.set_level(logging.DEBUG)
    url = urllib.parse.urlsplit(bot.url)
    with socket.create_connection((url.hostname or "", url.port or 80), timeout=10) as sock:
        sock.sendall(
            b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
            + f"Content-Length: {MAX_BODY + 1}\r\nX-Slack-Request-Timestamp: {_now()}\r\n".encode()
            + b"X-Slack-Signature: v0=00\r\n\r\npayload="
            + MARKER.encode()
        )
        answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    _assert_calm(caplog, expect_lines=1)
    assert bot.slack.calls == []
    TRIED["oversized body (Content-Length 1 MiB + 1)"] = 1


def test_a_genuine_request_still_gets_through(bot: RunningBot) -> None:
    reply = bot.command("U0ADMIN", "help")
    assert reply.blocks


def _assert_calm(caplog: pytest.LogCaptureFixture, *, expect_lines: int | None) -> None:
    assert all(r.exc_info is None for r in caplog.records), "a traceback was logged"
    assert all(r.levelno < logging.ERROR for r in caplog.records)
    assert not [r for r in caplog.records if MARKER in r.getMessage()], "a body was logged"
    refusals = [r for r in caplog.records if r.name == "bot.runtime.ingress"]
    if expect_lines is not None:
        assert len(refusals) <= expect_lines
    assert all(len(r.getMessage()) < 200 for r in refusals)


# -- a flood: one line per reason per interval ------------------------------------


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def flood_target(
    engine: Engine, slack: SlackStandIn, db_url: str
) -> Iterator[tuple[SlackDriver, FakeMonotonic]]:
    settings = Settings(
        _env_file=None,
        slack_bot_token=slack.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db_url,
    )
    clock = FakeMonotonic()
    app = create_app(settings, engine=engine)
    server = start_in_background(SeatbotWSGI(app, engine, refusals=RefusalLog(interval=60, clock=clock)))
    try:
        yield (
            SlackDriver(bot_url=f"{server.url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack),
            clock,
        )
    finally:
        server.stop()


def test_a_flood_of_forgeries_writes_one_line_per_reason_per_minute(
    flood_target: tuple[SlackDriver, FakeMonotonic], caplog: pytest.LogCaptureFixture
) -> None:
    driver, clock = flood_target
    caplog.set_level(logging.DEBUG)
    big = FORM + b"&pad=" + b"x" * 500_000  # half a megabyte each, as in the incident
    for _ in range(40):
        assert (
            driver.post_raw(
                big, content_type="application/x-www-form-urlencoded", signature="v0=" + "0" * 64
            ).status
            == 401
        )
    for _ in range(5):
        assert (
            driver.post_raw(FORM, content_type="application/x-www-form-urlencoded", timestamp="x").status
            == 401
        )
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.runtime.ingress"]
    assert lines == [
        "request refused reason=bad_signature status=401 detail=127.0.0.1 suppressed_since_last=0",
        "request refused reason=bad_timestamp status=401 detail=127.0.0.1 suppressed_since_last=0",
    ]
    clock.now += 61  # a minute later, the next one says how many went unsaid
    assert (
        driver.post_raw(FORM, content_type="application/x-www-form-urlencoded", signature="v0=1").status
        == 401
    )
    assert caplog.records[-1].getMessage() == (
        "request refused reason=bad_signature status=401 detail=127.0.0.1 suppressed_since_last=39"
    )
    assert sum(len(r.getMessage()) for r in caplog.records if r.name == "bot.runtime.ingress") < 300
    TRIED["flood: 41 forged 0.5 MB bodies + 5 bad timestamps"] = 46


def test_bolt_never_logs_a_refused_body(
    engine: Engine, slack: SlackStandIn, db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """Even reached directly (not through the door), Bolt's signature check logs no body."""
    from slack_bolt.request import BoltRequest

    caplog.set_level(logging.DEBUG)
    settings = Settings(
        _env_file=None,
        slack_bot_token=slack.bot_token,
        slack_signing_secret=SIGNING_SECRET,
        slack_api_url=slack.api_url,
        database_url=db_url,
    )
    app = create_app(settings, engine=engine)
    forged = BoltRequest(
        body=FORM.decode(),
        headers={"x-slack-request-timestamp": _now(), "x-slack-signature": "v0=" + "0" * 64},
    )
    assert app.dispatch(forged).status == 401
    bolt_lines = [r.getMessage() for r in caplog.records if r.name.startswith("slack_bolt")]
    assert any("body not logged" in line for line in bolt_lines)
    assert not [line for line in bolt_lines if MARKER in line]


def test_record_what_was_tried() -> None:
    """Runs last in this module: writes the family's row of docs/reliability.md."""
    expected = len(CASES) + 2  # + the oversized body and the flood
    record(
        "unauthenticated requests",
        "+".join(BACKENDS),
        tried={
            "distinct hostile requests": len(TRIED),
            "requests sent": sum(TRIED.values()),
            "cases": ", ".join(sorted(TRIED)),
        },
        held={
            "401 (413 oversized; 400 signed but unroutable)": True,
            "log lines per refusal": "<= 1, under 200 characters, rate-limited per reason",
            "bodies logged": 0,
            "tracebacks": 0,
            "calls to Slack": 0,
        },
        not_held=None
        if len(TRIED) >= expected
        else f"only {len(TRIED)} of {expected} cases ran in this session",
    )
