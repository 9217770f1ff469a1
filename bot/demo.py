"""`seatbot demo`: the real bot, end to end, with no Slack workspace.

A local stand-in plays Slack: it serves the Web API seatbot calls and sends
seatbot signed requests exactly as Slack would. seatbot itself runs as in
production (waitress, the Bolt app, a SQLite database, migrations, the
account file), and the conversation is printed as the people in it see it.
"""

from __future__ import annotations

import logging
import shutil
import tempfile
import textwrap
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import bot
from bot.app import create_app
from bot.config import Settings
from bot.loading import load_file
from bot.server import SeatbotWSGI, start_in_background
from bot.standin import SlackDriver, SlackStandIn, SlackUser
from bot.standin.transcript import render_message, render_view
from storage import migrate
from storage.engine import make_engine

SIGNING_SECRET = "demo-signing-secret"
TEAM = "T0SEATBOT"

CAST = [
    SlackUser(id="U0OWNER", name="olivia", real_name="Olivia Owner", locale="en-US"),
    SlackUser(id="U0BILL", name="bastien", real_name="Bastien Facturation", locale="fr-FR"),
    SlackUser(
        id="U0ADMIN", name="alex", real_name="Alex Admin", locale="en-GB", tz="Europe/London", tz_offset=0
    ),
    SlackUser(id="U0ADMIN2", name="amelie", real_name="Amélie Admin", locale="fr-FR"),
    SlackUser(id="U0AG1", name="ana", real_name="Ana Agent"),
    SlackUser(id="U0AG2", name="bo", real_name="Bo Agent"),
    SlackUser(id="U0AG3", name="chloe", real_name="Chloé Agent", locale="fr-FR"),
    SlackUser(id="U0MEL", name="mel", real_name="Mel Member"),
]
ROLES = {"U0OWNER": "owner", "U0BILL": "billing admin", "U0ADMIN": "admin", "U0ADMIN2": "admin"}


def example_account_file() -> Path:
    """examples/account.yml: shipped inside the package, or beside it in a checkout."""
    packaged = Path(bot.__file__).parent / "examples" / "account.yml"
    if packaged.exists():
        return packaged
    return Path(bot.__file__).parents[1] / "examples" / "account.yml"


@dataclass
class Stage:
    slack: SlackStandIn
    driver: SlackDriver
    out: Callable[[str], None]

    def name(self, user_id: str) -> str:
        return next((u.real_name for u in CAST if u.id == user_id), user_id)

    def who(self, user_id: str) -> str:
        role = ROLES.get(user_id, "member")
        user = next(u for u in CAST if u.id == user_id)
        return f"{user.real_name} ({role}, Slack in {user.locale})"

    def types(self, user_id: str, text: str) -> None:
        """A person types a slash command; print it and what seatbot answers them."""
        before = len(self.slack.ephemerals(user_id))
        self.out(f"\n{self.who(user_id)} types:  /seats {text}".rstrip())
        response = self.driver.slash_command(user_id, text)
        self.out(f"  (Slack gets HTTP {response.status} from seatbot)")
        reply = self.slack.wait_for(lambda: self.slack.ephemerals(user_id)[before:] or None, timeout=10)[-1]
        self.out("  seatbot, only visible to you:")
        self.out(_indent(render_message(reply.blocks, reply.text, names=self.name)))

    def opens_home(self, user_id: str) -> None:
        self.out(f"\n{self.who(user_id)} opens seatbot's Home tab")
        self.driver.app_home_opened(user_id)
        home = self.slack.wait_for(lambda: self.slack.home(user_id), timeout=10)
        self.out(_indent(render_view(home, names=self.name)))


def _indent(text: str) -> str:
    return textwrap.indent(text, "    │ ")


@contextmanager
def _running_bot(workdir: Path) -> Iterator[Stage]:
    with SlackStandIn(team_id=TEAM, team_name="Acme") as slack:
        for user in CAST:
            slack.add_user(user)
        slack.add_channel("C0GENERAL", "general")
        slack.add_channel("C0ALERTS", "seat-alerts")
        settings = Settings(
            _env_file=None,
            slack_bot_token=slack.bot_token,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
            database_url=f"sqlite:///{workdir / 'seatbot.db'}",
        )
        engine = make_engine(settings.database_url)
        migrate.upgrade(engine)
        report = load_file(engine, example_account_file(), team_id=TEAM, settings=settings)
        app = create_app(settings, engine=engine)
        server = start_in_background(SeatbotWSGI(app, engine))
        try:
            driver = SlackDriver(
                bot_url=f"{server.url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack
            )
            stage = Stage(slack, driver, print)
            stage.out(
                f"Loaded {example_account_file().name}: {len(report.changes)} change(s), account ready."
            )
            yield stage
        finally:
            server.stop()
            engine.dispose()


def run_demo() -> int:
    # The conversation is the output; operational logs would only interleave with it.
    if logging.getLogger().level < logging.WARNING:
        logging.getLogger().setLevel(logging.WARNING)
    print("seatbot demo: the real bot, with a local stand-in playing Slack.")
    print("Every line below went through a signed request to seatbot's /slack/events")
    print("and seatbot's own calls to the Slack Web API (here, the stand-in).")
    workdir = Path(tempfile.mkdtemp(prefix="seatbot-demo-"))
    try:
        with _running_bot(workdir) as stage:
            stage.types("U0ADMIN", "")
            stage.types("U0ADMIN2", "summary")
            stage.types("U0MEL", "")
            stage.types("U0ADMIN", "help")
            stage.types("U0OWNER", "buy a pony")
            stage.opens_home("U0OWNER")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\nThat's seatbot today: seat summary, help, permissions, English and French.")
    return 0
