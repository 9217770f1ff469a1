"""The tables of slack_sdk's SQLAlchemy installation and OAuth state stores.

With OAuth, seatbot keeps each workspace's installation (its bot token) and the
state of installs under way in its own database, through slack_sdk's stores.
The stores can create their tables themselves; seatbot creates them by
migration instead (0005), like every other table, so that `seatbot db upgrade`
is the one way the schema changes. `OAUTH_METADATA` describes them as the
stores expect them, for the migrations-vs-models check and for Alembic.
"""

from __future__ import annotations

from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from sqlalchemy import MetaData

INSTALLATIONS = SQLAlchemyInstallationStore.default_installations_table_name
BOTS = SQLAlchemyInstallationStore.default_bots_table_name
STATES = SQLAlchemyOAuthStateStore.default_table_name

OAUTH_METADATA = MetaData()
SQLAlchemyInstallationStore.build_installations_table(OAUTH_METADATA, INSTALLATIONS)
SQLAlchemyInstallationStore.build_bots_table(OAUTH_METADATA, BOTS)
SQLAlchemyOAuthStateStore.build_oauth_states_table(OAUTH_METADATA, STATES)
