"""slack_sdk's installation and OAuth state stores work on a migrated database
(tables from migration 0005, never from the stores' create_tables)."""

from __future__ import annotations

from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import Engine


def installation(team_id: str, token: str) -> Installation:
    return Installation(
        app_id="A0SEATBOT",
        team_id=team_id,
        team_name=f"Team {team_id}",
        bot_token=token,
        bot_id="B0BOT",
        bot_user_id="U0BOT",
        bot_scopes="commands,chat:write",
        user_id="U0INSTALLER",
    )


def test_installations_are_saved_found_and_deleted(engine: Engine) -> None:
    store = SQLAlchemyInstallationStore(client_id="111.222", engine=engine)
    store.save(installation("T0ONE", "xoxb-one"))
    store.save(installation("T0TWO", "xoxb-two"))
    store.save(installation("T0ONE", "xoxb-one-again"))  # a reinstall: the newest wins
    bot = store.find_bot(enterprise_id=None, team_id="T0ONE")
    assert bot is not None
    assert bot.bot_token == "xoxb-one-again"
    found = store.find_installation(enterprise_id=None, team_id="T0TWO")
    assert found is not None
    assert found.user_id == "U0INSTALLER"
    store.delete_installation(enterprise_id=None, team_id="T0ONE")
    store.delete_bot(enterprise_id=None, team_id="T0ONE")
    assert store.find_bot(enterprise_id=None, team_id="T0ONE") is None
    assert store.find_bot(enterprise_id=None, team_id="T0TWO") is not None


def test_oauth_states_are_consumed_once(engine: Engine) -> None:
    store = SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=engine)
    state = store.issue()
    assert store.consume(state) is True
    assert store.consume(state) is False
    assert store.consume("never-issued") is False
