"""Several workspaces on one stand-in, and installing the app in them by OAuth."""

from __future__ import annotations

import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from standin import SlackStandIn, SlackUser
from tests.standin.conftest import ALICE, FakeClock

GINA = SlackUser("U0GINA", "gina", "Gina Globex")
REDIRECT = "https://seatbot.example/slack/oauth_redirect"


def client_for(standin: SlackStandIn, token: str | None = None) -> WebClient:
    return WebClient(token=token, base_url=standin.api_url, timeout=3, retry_handlers=[])


def authorize_url(**extra: str) -> str:
    query = {"client_id": "111.222", "scope": "commands,chat:write", "state": "s-1", **extra}
    return f"https://slack.com/oauth/v2/authorize?{urlencode(query)}"


@pytest.fixture
def globex(standin: SlackStandIn) -> SlackStandIn:
    team = standin.add_team("T0GLOBEX", "Globex")
    team.add_user(GINA)
    standin.configure_oauth(client_id="111.222", client_secret="sekrit", redirect_url=REDIRECT)
    return team


def code_from(redirect: str) -> str:
    query = parse_qs(urlsplit(redirect).query)
    return query["code"][0]


def test_each_token_acts_on_its_own_workspace(standin: SlackStandIn, globex: SlackStandIn) -> None:
    assert client_for(globex, globex.bot_token).auth_test()["team_id"] == "T0GLOBEX"
    assert client_for(standin, standin.bot_token).auth_test()["team_id"] == standin.team_id
    client_for(globex, globex.bot_token).chat_postMessage(channel=GINA.id, text="hello Globex")
    assert [m.text for m in globex.dm(GINA.id)] == ["hello Globex"]
    assert standin.calls_to("chat.postMessage") == []
    # A person of one workspace is unknown in the other.
    with pytest.raises(SlackApiError) as refused:
        client_for(globex, globex.bot_token).users_info(user=ALICE.id)
    assert refused.value.response["error"] == "user_not_found"
    assert globex.api_errors() != []  # recorded where the call was made


def test_authorize_then_exchange_the_code(standin: SlackStandIn, globex: SlackStandIn) -> None:
    redirect = standin.authorize(authorize_url(), user_id=GINA.id, team_id="T0GLOBEX")
    assert redirect.startswith(REDIRECT + "?")
    assert parse_qs(urlsplit(redirect).query)["state"] == ["s-1"]
    # slack_sdk sends the client id and secret as HTTP basic auth.
    answer = client_for(standin).oauth_v2_access(
        client_id="111.222", client_secret="sekrit", code=code_from(redirect)
    )
    assert answer["team"] == {"id": "T0GLOBEX", "name": "Globex"}
    assert answer["authed_user"] == {"id": GINA.id}
    assert answer["scope"] == "commands,chat:write"
    assert answer["token_type"] == "bot"
    assert answer["bot_user_id"] == globex.bot_user_id
    issued = str(answer["access_token"])
    tested = client_for(standin, issued).auth_test()
    assert (tested["team_id"], tested["bot_id"]) == ("T0GLOBEX", globex.bot_id)


@pytest.mark.parametrize(
    ("client_id", "client_secret", "code", "error"),
    [
        ("999.999", "sekrit", None, "invalid_client_id"),  # not this app
        ("111.222", "wrong", None, "bad_client_secret"),
        ("111.222", "sekrit", "made-up", "invalid_code"),
    ],
)
def test_exchange_errors_like_slack(
    standin: SlackStandIn,
    globex: SlackStandIn,
    client_id: str,
    client_secret: str,
    code: str | None,
    error: str,
) -> None:
    issued = code_from(standin.authorize(authorize_url(), user_id=GINA.id, team_id="T0GLOBEX"))
    with pytest.raises(SlackApiError) as refused:
        client_for(standin).oauth_v2_access(
            client_id=client_id, client_secret=client_secret, code=code or issued
        )
    assert refused.value.response["error"] == error


def test_a_code_works_once_and_for_ten_minutes(
    standin: SlackStandIn, globex: SlackStandIn, clock: FakeClock
) -> None:
    oauth = client_for(standin)
    code = code_from(standin.authorize(authorize_url(), user_id=GINA.id, team_id="T0GLOBEX"))
    oauth.oauth_v2_access(client_id="111.222", client_secret="sekrit", code=code)
    with pytest.raises(SlackApiError, match="invalid_code"):
        oauth.oauth_v2_access(client_id="111.222", client_secret="sekrit", code=code)
    late = code_from(standin.authorize(authorize_url(), user_id=GINA.id, team_id="T0GLOBEX"))
    clock.advance(601)
    with pytest.raises(SlackApiError, match="invalid_code"):
        oauth.oauth_v2_access(client_id="111.222", client_secret="sekrit", code=late)


def test_the_authorize_page_refuses_what_slack_refuses(standin: SlackStandIn, globex: SlackStandIn) -> None:
    with pytest.raises(AssertionError, match="client_id"):
        standin.authorize(authorize_url(client_id="999.999"), user_id=GINA.id, team_id="T0GLOBEX")
    with pytest.raises(AssertionError, match="redirect_uri"):
        standin.authorize(
            authorize_url(redirect_uri="https://evil.example/cb"), user_id=GINA.id, team_id="T0GLOBEX"
        )
    with pytest.raises(AssertionError, match="member"):
        standin.authorize(authorize_url(), user_id=ALICE.id, team_id="T0GLOBEX")


def test_the_authorize_page_over_http_redirects_with_a_code(
    standin: SlackStandIn, globex: SlackStandIn
) -> None:
    query = urlencode({"client_id": "111.222", "state": "xyz", "team": "T0GLOBEX"})
    url = f"{standin.base_url}oauth/v2/authorize?{query}"

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    with pytest.raises(urllib.error.HTTPError) as answer:
        urllib.request.build_opener(NoRedirect).open(url, timeout=3)
    assert answer.value.code == 302
    location = answer.value.headers["Location"]
    assert location.startswith(REDIRECT)
    assert "state=xyz" in location
    assert "code=" in location


def test_revoked_token_and_reset(standin: SlackStandIn, globex: SlackStandIn) -> None:
    token = globex.bot_token
    standin.revoke("T0GLOBEX")
    with pytest.raises(SlackApiError, match="invalid_auth"):
        client_for(standin, token).auth_test()
    standin.reset()
    with pytest.raises(KeyError):
        standin.team("T0GLOBEX")
    assert client_for(standin, standin.bot_token).auth_test()["ok"]
