"""Connections to the stand-in are kept alive, as Slack's are, and end when Slack ends them:
idle ones on request, every one when the stand-in stops (a stopped Slack answers nobody)."""

from __future__ import annotations

import http.client
import urllib.parse

import pytest

from standin import SlackStandIn


def _auth_test(connection: http.client.HTTPConnection, token: str) -> int:
    connection.request("POST", "/api/auth.test", headers={"Authorization": f"Bearer {token}"})
    reply = connection.getresponse()
    reply.read()
    return reply.status


def _connect(slack: SlackStandIn) -> http.client.HTTPConnection:
    address = urllib.parse.urlsplit(slack.base_url)
    return http.client.HTTPConnection(address.hostname or "", address.port, timeout=3)


def test_one_connection_carries_many_calls(standin: SlackStandIn) -> None:
    opened = standin.connections_accepted
    connection = _connect(standin)
    assert [_auth_test(connection, standin.bot_token) for _ in range(3)] == [200, 200, 200]
    assert standin.connections_accepted == opened + 1
    connection.close()


@pytest.mark.parametrize("ending", ["idle dropped", "stopped"])
def test_a_kept_connection_ends_with_slack(ending: str) -> None:
    with SlackStandIn() as slack:
        connection = _connect(slack)
        assert _auth_test(connection, slack.bot_token) == 200
        if ending == "stopped":
            slack.stop()
        else:
            slack.drop_idle_connections()
        with pytest.raises((http.client.HTTPException, ConnectionError)):
            _auth_test(connection, slack.bot_token)
        connection.close()
