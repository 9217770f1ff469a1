"""`seatbot demo`: the real bot, end to end, with no Slack workspace.

A local stand-in plays Slack: it serves the Web API seatbot calls and sends
seatbot signed requests exactly as Slack would. seatbot itself runs as in
production (waitress, the Bolt app, a SQLite database, migrations, the
account file), and the conversation is printed as the people in it see it.

It opens on an install (OAuth, "Add to Slack") and the installer setting seatbot
up from its Home tab; the rest runs on the example account file.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
import tempfile
import textwrap
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bot
from bot.messages.change_modal import WORKING_CALLBACK
from bot.runtime.app import create_app
from bot.runtime.config import Settings
from bot.runtime.loading import load_file
from bot.runtime.server import SeatbotWSGI, start_in_background
from bot.runtime.terminal import for_terminal, shows_ansi
from standin import Message, SlackDriver, SlackStandIn, SlackUser
from standin.mrkdwn import readable
from standin.transcript import render_message, render_view
from storage import migrate
from storage.engine import make_engine

SIGNING_SECRET = "demo-signing-secret"
TEAM = "T0SEATBOT"
CLIENT_ID, CLIENT_SECRET = "1000.2000", "demo-client-secret"

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
        """A person's name, or a channel's (mentions and links are shown by name)."""
        person = next((u.real_name for u in CAST if u.id == user_id), None)
        return person or self.slack.channel_name(user_id) or user_id

    def who(self, user_id: str) -> str:
        role = ROLES.get(user_id, "member")
        user = next(u for u in CAST if u.id == user_id)
        return f"{user.real_name} ({role}, Slack in {user.locale})"

    def types(self, user_id: str, text: str) -> None:
        """A person types a slash command; print it and what seatbot answers them."""
        before = len(self.slack.ephemerals(user_id))
        # As typed: Slack shows the person "@Ana Agent" where it sends seatbot "<@U0AG1|ana>".
        self.out(f"\n{self.who(user_id)} types:  /seats {readable(text, self.name)}".rstrip())
        response = self.driver.slash_command(user_id, text)
        self.out(f"  (Slack gets HTTP {response.status} from seatbot)")
        reply = self.slack.wait_for(lambda: self.slack.ephemerals(user_id)[before:] or None, timeout=10)[-1]
        self.out("  seatbot, only visible to you:")
        self.out(_indent(render_message(reply.blocks, reply.text, names=self.name)))

    def opens_modal(self, user_id: str, text: str) -> dict[str, Any]:
        self.out(f"\n{self.who(user_id)} types:  /seats {text}")
        self.driver.slash_command(user_id, text)
        view = self.slack.wait_for(lambda: self.slack.open_views(user_id) or None, timeout=10)[-1]
        self.out("  a form opens:")
        self.out(_indent(render_view(view, names=self.name)))
        return view

    def edits(self, user_id: str, view: dict[str, Any], product: str, value: int) -> dict[str, Any]:
        self.out(
            f"\n{self.name(user_id)} changes {product.title()} to {value}; the summary follows as they type:"
        )
        field = {f"seats:{product}": {"seats": str(value)}}
        self.driver.click(
            user_id,
            view=view,
            action_id="seats",
            block_id=f"seats:{product}",
            value=str(value),
            state_values=field,
        )
        updated = self.slack.wait_for(
            lambda: next(
                (v for v in self.slack.open_views(user_id) if v.get("hash") != view.get("hash")), None
            ),
            timeout=10,
        )
        summary = [b for b in updated["blocks"] if b.get("block_id") == "live_summary"]
        self.out(_indent(render_message(summary, "", names=self.name)))
        return updated

    def submits(self, user_id: str, view: dict[str, Any], why: str) -> None:
        self.out(f"\n{self.name(user_id)} writes “{why}” and presses “{view['submit']['text']}”")
        response = self.driver.submit_view(user_id, view, {"justification": {"text": why}})
        shown = response.json().get("view") if response.body else None
        if shown and shown.get("callback_id") == WORKING_CALLBACK:
            working = self.slack.view(view["id"]) or {}
            shown = self.slack.wait_for(
                lambda: (
                    (current := self.slack.view(view["id"]))
                    and current.get("hash") != working.get("hash")
                    and current
                ),
                timeout=10,
            )
        if shown:
            self.out(_indent(render_view(shown, names=self.name)))

    def gets_dm(self, user_id: str, contains: str = "") -> Message:
        message = self.slack.wait_for(
            lambda: next((m for m in reversed(self.slack.dm(user_id)) if contains in m.text), None),
            timeout=10,
        )
        self.out(f"\n{self.who(user_id)} gets a direct message from seatbot:")
        self.out(_indent(render_message(message.blocks, message.text, names=self.name)))
        return message

    def clicks(self, user_id: str, message: Message, action_id: str) -> None:
        button = next(
            e
            for b in message.blocks
            if b.get("type") == "actions"
            for e in b["elements"]
            if e.get("action_id") == action_id
        )
        self.out(f"\n{self.name(user_id)} clicks [ {button['text']['text']} ]")
        if "confirm" in button:
            confirm = button["confirm"]
            self.out(f"  Slack asks: {confirm['title']['text']} {confirm['text']['text']}")
            self.out(f"  {self.name(user_id)} clicks [ {confirm['confirm']['text']} ]")
        self.driver.click(user_id, message=message, action_id=action_id)

    def sees_update(self, user_id: str, message: Message) -> None:
        updated = self.slack.wait_for(
            lambda: next((m for m in self.slack.dm(user_id) if m.ts == message.ts and m.edits), None),
            timeout=10,
        )
        self.out(f"\n{self.who(user_id)}: their copy of the request now reads:")
        self.out(_indent(render_message(updated.blocks, updated.text, names=self.name)))

    def channel(self, channel_id: str, *, after: int = 0) -> list[Message]:
        """Print the channel's messages from index `after` on, as the team sees them."""
        name = self.slack.channel_name(channel_id) or channel_id
        posted = self.slack.wait_for(
            lambda: [m for m in self.slack.messages(channel_id) if m.ephemeral_for is None][after:] or None,
            timeout=10,
        )
        for message in posted:
            self.out(f"\n#{name}, seatbot posts:")
            self.out(_indent(render_message(message.blocks, message.text, names=self.name)))
        return posted

    def clicks_for_form(self, user_id: str, message: Message, action_id: str) -> dict[str, Any]:
        seen = len(self.slack.open_views(user_id))
        self.clicks(user_id, message, action_id)
        view = self.slack.wait_for(lambda: self.slack.open_views(user_id)[seen:] or None, timeout=10)[-1]
        self.out("  a form opens, already filled in:")
        self.out(_indent(render_view(view, names=self.name)))
        return view

    def opens_home(self, user_id: str, *, showing: str = "") -> dict[str, Any]:
        self.out(f"\n{self.who(user_id)} opens seatbot's Home tab")
        self.driver.app_home_opened(user_id)

        def drawn() -> dict[str, Any] | None:
            home = self.slack.home(user_id)
            return home if home and showing in str(home["blocks"]) else None

        home = self.slack.wait_for(drawn, timeout=10)
        self.out(_indent(render_view(home, names=self.name)))
        return home

    def fills_in(self, user_id: str, view: dict[str, Any], values: dict[str, Any], what: str) -> None:
        """A person fills a form in and sends it; print what seatbot shows them then."""
        self.out(f"\n{self.name(user_id)} fills in {what} and presses “{view['submit']['text']}”")
        before = (self.slack.view(view["id"]) or {}).get("hash")
        self.driver.submit_view(user_id, view, values)
        shown = self.slack.wait_for(
            lambda: (
                (current := self.slack.view(view["id"]))
                and current.get("hash") != before
                and current.get("callback_id") != WORKING_CALLBACK
                and current
            ),
            timeout=10,
        )
        self.out(_indent(render_view(shown, names=self.name)))


@contextmanager
def _installable_bot(workdir: Path) -> Iterator[tuple[Stage, str]]:
    """seatbot as a Slack app workspaces install (OAuth), before any account exists."""
    with SlackStandIn(team_id=TEAM, team_name="Acme") as slack:
        for user in CAST:
            slack.add_user(user)
        slack.add_channel("C0ALERTS", "seat-alerts")
        settings = Settings(
            _env_file=None,
            slack_client_id=CLIENT_ID,
            slack_client_secret=CLIENT_SECRET,
            slack_signing_secret=SIGNING_SECRET,
            slack_api_url=slack.api_url,
            database_url=f"sqlite:///{workdir / 'install.db'}",
        )
        engine = make_engine(settings.database_url)
        migrate.upgrade(engine)
        executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="listener")
        app = create_app(settings, engine=engine, executor=executor)
        server = start_in_background(SeatbotWSGI(app, engine))
        slack.configure_oauth(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            redirect_url=f"{server.url}/slack/oauth_redirect",
        )
        try:
            driver = SlackDriver(
                bot_url=f"{server.url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack
            )
            yield Stage(slack, driver, print), server.url
        finally:
            server.stop()
            executor.shutdown(wait=True)
            app._seatbot_deps.sender.close()  # type: ignore[attr-defined]
            engine.dispose()


def _install(stage: Stage, url: str, *, user_id: str) -> int:
    """`user_id`'s browser: seatbot's install page, Slack's Allow, the redirect back."""
    with urllib.request.urlopen(f"{url}/slack/install", timeout=10) as page:
        cookie = page.headers["Set-Cookie"].split(";")[0]
        [link] = re.findall(r'href="([^"]+/oauth/v2/authorize[^"]*)"', page.read().decode())
    redirect = stage.slack.authorize(html.unescape(link), user_id=user_id)
    back = urllib.request.Request(redirect, headers={"Cookie": cookie})
    with urllib.request.urlopen(back, timeout=10) as answer:
        return int(answer.status)


def _set_up_in_slack(workdir: Path) -> None:
    with _installable_bot(workdir) as (stage, url):
        _scene("0. Olivia installs seatbot and sets it up from Slack")
        stage.out("\nOlivia Owner clicks “Add to Slack” and presses Allow")
        stage.out(f"  (seatbot's install page answers HTTP {_install(stage, url, user_id='U0OWNER')})")
        stage.types("U0MEL", "")
        home = stage.opens_home("U0OWNER", showing="open_setup")
        stage.out("\nOlivia Owner clicks [ Set up seatbot ]: a form opens")
        stage.driver.click("U0OWNER", action_id="open_setup", view=home)
        form = stage.slack.wait_for(lambda: stage.slack.open_views("U0OWNER") or None, timeout=10)[-1]
        stage.out(_indent(render_view(form, names=stage.name)))
        fields = {
            "name": {"value": "Acme Support"},
            **{f"product:0:{k}": {"value": v} for k, v in PRODUCT.items()},
            "alerts_channel": {"value": "C0ALERTS"},
            "billing_admins": {"value": ["U0BILL"]},
            "admins": {"value": ["U0ADMIN", "U0ADMIN2"]},
        }
        stage.fills_in("U0OWNER", form, fields, "the account, one product and the people")
        stage.opens_home("U0BILL", showing="settings")


PRODUCT = {"key": "support", "name": "Support", "edition": "Professional", "seats": "10", "price": "115"}
"""The product Olivia types into the set-up form."""


def _scene(title: str) -> None:
    print(f"\n{'═' * 72}\n{title}\n{'═' * 72}")


def _indent(text: str) -> str:
    """What seatbot said, as the person reads it: emphasis drawn, not spelled in stars."""
    return textwrap.indent(for_terminal(text, ansi=shows_ansi()), "    │ ")


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
        # Our own listener pool, so the demo can let seatbot finish before Slack "goes away".
        executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="listener")
        app = create_app(settings, engine=engine, executor=executor)
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
            executor.shutdown(wait=True)
            app._seatbot_deps.sender.close()  # type: ignore[attr-defined]
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
        _set_up_in_slack(workdir)
        with _running_bot(workdir) as stage:
            _scene("1. Who sees what")
            stage.types("U0ADMIN", "")
            stage.types("U0ADMIN2", "summary")
            stage.types("U0MEL", "")
            _scene("2. An admin asks for more Support seats")
            view = stage.opens_modal("U0ADMIN", "request support +5")
            view = stage.edits("U0ADMIN", view, "support", 16)
            stage.submits("U0ADMIN", view, "Six new agents start on Monday")
            _scene("3. The owner and the billing admin are asked")
            owner_copy = stage.gets_dm("U0OWNER")
            billing_copy = stage.gets_dm("U0BILL")
            _scene("4. The owner approves in one click")
            stage.clicks("U0OWNER", owner_copy, "approve_request")
            stage.gets_dm("U0ADMIN", contains="#1")
            stage.sees_update("U0BILL", billing_copy)
            _scene("5. The subscription now")
            stage.types("U0ADMIN", "")
            stage.types("U0OWNER", "requests")
            _scene("6. Talk runs out of seats")
            stage.types("U0ADMIN", "assign <@U0AG1|ana> talk")
            alert = stage.channel("C0ALERTS")[-1]
            stage.types("U0ADMIN", "assign @mel talk")
            stage.channel("C0ALERTS")  # the same alert, now saying who waits
            _scene("7. The owner adds seats from the alert; Mel gets hers")
            view = stage.clicks_for_form("U0OWNER", alert, "open_change_modal")
            view = stage.edits("U0OWNER", view, "talk", 5)
            stage.submits("U0OWNER", view, "Talk for the new phone line")
            stage.gets_dm("U0MEL")
            stage.gets_dm("U0ADMIN", contains="got the")
            stage.channel("C0ALERTS")
            stage.types("U0OWNER", "frobnicate")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\nThat was seatbot: an install and its set-up in Slack, the summary, a request with")
    print("its live summary, a one-click approval with every copy updated, seats assigned on")
    print("the fly, and the channel told when a product runs out; in English and French.")
    return 0
