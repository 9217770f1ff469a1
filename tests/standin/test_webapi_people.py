"""users.info, users.list, conversations.open."""

from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from standin import SlackStandIn, SlackUser
from tests.standin.conftest import ALICE, BOB


def test_users_info_shape(client: WebClient) -> None:
    user = client.users_info(user=ALICE.id)["user"]
    assert user["id"] == ALICE.id
    assert user["team_id"] == "T0SEATBOT"
    assert user["name"] == "alice"
    assert user["real_name"] == "Alice Martin"
    assert user["deleted"] is False
    assert user["is_bot"] is False
    assert user["tz"] == "Europe/Paris"
    assert user["tz_offset"] == 3600
    assert user["tz_label"]
    assert user["profile"]["real_name"] == "Alice Martin"
    assert user["profile"]["display_name"] == ""
    assert user["profile"]["email"] == "alice@acme.test"
    assert "locale" not in user
    assert client.users_info(user=BOB.id, include_locale=True)["user"]["locale"] == "fr-FR"
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.users_info(user="U0NOBODY")


def test_users_list_paginates(client: WebClient, standin: SlackStandIn) -> None:
    for i in range(5):
        standin.add_user(SlackUser(f"U0EXTRA{i}", f"extra{i}", f"Extra {i}"))
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        page = client.users_list(limit=3, cursor=cursor)
        seen += [m["id"] for m in page["members"]]
        pages += 1
        cursor = page["response_metadata"]["next_cursor"]
        if not cursor:
            break
    assert pages == 3
    assert len(seen) == len(set(seen)) == 8
    assert "U0SEATBOT" in seen
    everyone = client.users_list()
    assert len(everyone["members"]) == 8
    assert everyone["response_metadata"]["next_cursor"] == ""
    with pytest.raises(SlackApiError, match="invalid_cursor"):
        client.users_list(cursor="bogus!")


def test_conversations_open(client: WebClient, standin: SlackStandIn) -> None:
    first = client.conversations_open(users=ALICE.id)
    again = client.conversations_open(users=ALICE.id)
    assert first["channel"]["id"] == again["channel"]["id"]
    assert again["already_open"] is True
    assert client.conversations_open(users=BOB.id)["channel"]["id"] != first["channel"]["id"]
    full = client.conversations_open(users=ALICE.id, return_im=True)["channel"]
    assert full["is_im"] is True
    assert full["user"] == ALICE.id
    group = client.conversations_open(users=f"{ALICE.id},{BOB.id}")["channel"]["id"]
    assert group.startswith("G")
    with pytest.raises(SlackApiError, match="user_not_found"):
        client.conversations_open(users="U0NOBODY")
    standin.add_user(SlackUser("U0GONE", "gone", "Gone Person", deleted=True))
    with pytest.raises(SlackApiError, match="user_disabled"):
        client.conversations_open(users="U0GONE")
    with pytest.raises(SlackApiError, match="is_archived"):
        client.chat_postMessage(channel="U0GONE", text="hello?")


def test_users_info_says_who_administers_the_workspace(client: WebClient, standin: SlackStandIn) -> None:
    standin.add_user(SlackUser("U0ADM", "adm", "Ada Admin", is_admin=True))
    standin.add_user(SlackUser("U0OWN", "own", "Oscar Owner", is_owner=True))
    flags = {
        u: (client.users_info(user=u)["user"]["is_admin"], client.users_info(user=u)["user"]["is_owner"])
        for u in ("U0ADM", "U0OWN", ALICE.id)
    }
    assert flags == {"U0ADM": (True, False), "U0OWN": (True, True), ALICE.id: (False, False)}
