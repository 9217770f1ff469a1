"""`seatbot demo`: the real bot, end to end, with no Slack workspace.

A local stand-in plays Slack: it serves the Web API seatbot calls and sends
seatbot signed requests exactly as Slack would. seatbot itself runs as in
production (waitress, the Bolt app, a SQLite database, migrations, the
account file), and the conversation is printed as the people in it see it.

It opens on an install (OAuth, "Add to Slack") and the installer setting seatbot
up from its Home tab; the rest runs on the example account file, loaded months
before the story begins. seatbot's clock starts on a Monday morning and runs in
real time; where the story waits for days (reminders, escalation, expiry, a
forecast's seat history) the demo moves it on and runs the scheduler's pass.
"""

from __future__ import annotations

import html
import logging
import re
import shutil
import tempfile
import textwrap
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import Session, func, select

import bot
from bot.messages.change_modal import WORKING_CALLBACK
from bot.messages.seats import BUY_SEATS
from bot.runtime.app import create_app
from bot.runtime.config import Settings
from bot.runtime.deps import Deps
from bot.runtime.jobs import run_nudge_job
from bot.runtime.loading import export_file, load_file
from bot.runtime.server import SeatbotWSGI, start_in_background
from bot.runtime.terminal import for_terminal, shows_ansi
from standin import Message, SlackDriver, SlackStandIn, SlackUser
from standin.mrkdwn import readable
from standin.transcript import render_message, render_view
from storage import migrate
from storage.engine import make_engine
from storage.models import OutboxMessage, OutboxStatus

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
    SlackUser(id="U0DAN", name="dan", real_name="Dan Departed", deleted=True),
    SlackUser(id="U0SAM", name="sam", real_name="Sam Sales"),
]
ROLES = {"U0OWNER": "owner", "U0BILL": "billing admin", "U0ADMIN": "admin", "U0ADMIN2": "admin"}


def example_account_file() -> Path:
    """examples/account.yml: shipped inside the package, or beside it in a checkout."""
    packaged = Path(bot.__file__).parent / "examples" / "account.yml"
    if packaged.exists():
        return packaged
    return Path(bot.__file__).parents[1] / "examples" / "account.yml"


class DemoClock:
    """seatbot's clock in the demo: a Monday morning that runs in real time, moved on
    by the scenes where days pass (reminders wait for days, not seconds)."""

    def __init__(self, start: datetime) -> None:
        self._start = start
        self._began = time.monotonic()
        self._skipped = timedelta()
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._start + self._skipped + timedelta(seconds=time.monotonic() - self._began)

    def advance(self, by: timedelta) -> None:
        with self._lock:
            self._skipped += by


START = datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
"""When the demo's story begins: a Monday morning, in everyone's working hours."""
LOADED = START - timedelta(days=150)
"""When the example account was loaded, so it has a history before the story begins."""


def _button(blocks: list[dict[str, Any]], action_id: str, value: str | None = None) -> dict[str, Any]:
    """The button `action_id` (with `value`, when several share it), in a row of buttons or beside a text."""
    found = [
        (element, block.get("block_id"))
        for block in blocks
        for element in [*block.get("elements", []), block.get("accessory") or {}]
        if element.get("action_id") == action_id and (value is None or element.get("value") == value)
    ]
    element, block_id = found[0]
    return {**element, "block_id": block_id}


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

    def says(self, narration: str) -> None:
        """What happens between the steps, told as a person would tell it."""
        self.out("\n" + textwrap.fill(narration, width=100))

    def types(self, user_id: str, text: str) -> Message:
        """A person types a slash command; print it and what seatbot answers them."""
        before = len(self.slack.ephemerals(user_id))
        # As typed: Slack shows the person "@Ana Agent" where it sends seatbot "<@U0AG1|ana>".
        self.out(f"\n{self.who(user_id)} types:  /seats {readable(text, self.name)}".rstrip())
        response = self.driver.slash_command(user_id, text)
        if response.status != 200:
            self.out(f"  (Slack got HTTP {response.status} from seatbot)")
        reply = self.slack.wait_for(lambda: self.slack.ephemerals(user_id)[before:] or None, timeout=10)[-1]
        self.out("  seatbot, only visible to you:")
        self.out(_indent(render_message(reply.blocks, reply.text, names=self.name)))
        return reply

    def opens_modal(self, user_id: str, text: str) -> dict[str, Any]:
        seen = self._views(user_id)
        self.out(f"\n{self.who(user_id)} types:  /seats {text}")
        self.driver.slash_command(user_id, text)
        view = self._new_view(user_id, seen)
        self.out("  a form opens:")
        self.out(_indent(render_view(view, names=self.name)))
        return view

    def _views(self, user_id: str) -> set[str]:
        return {v["id"] for v in self.slack.open_views(user_id)}

    def _new_view(self, user_id: str, seen: set[str]) -> dict[str, Any]:
        """The form seatbot opens for `user_id` after `seen` were open (a new root replaces those)."""
        return self.slack.wait_for(
            lambda: next((v for v in self.slack.open_views(user_id) if v["id"] not in seen), None),
            timeout=10,
        )

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

    def submits(
        self, user_id: str, view: dict[str, Any], why: str, *, also: dict[str, Any] | None = None
    ) -> None:
        self.out(f"\n{self.name(user_id)} writes “{why}” and presses “{view['submit']['text']}”")
        values = {"justification": {"text": why}, **(also or {})}
        self._show_answer(view, self.driver.submit_view(user_id, view, values))

    def sends(self, user_id: str, view: dict[str, Any], values: dict[str, Any], what: str) -> None:
        """A person fills a form in and sends it; print what seatbot shows them, if anything."""
        self.out(f"\n{self.name(user_id)} {what} and presses “{view['submit']['text']}”")
        self._show_answer(view, self.driver.submit_view(user_id, view, values))

    def _show_answer(self, view: dict[str, Any], response: Any) -> None:
        if response.status != 200:
            self.out(f"  (Slack got HTTP {response.status} from seatbot)")
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
        else:
            self.out("  the form closes")

    def gets_dm(self, user_id: str, contains: str = "", *, after: int = 0) -> Message:
        """The newest direct message from seatbot (from the `after`th on) that says `contains`."""
        message = self.slack.wait_for(
            lambda: next(
                (
                    m
                    for m in reversed(self.slack.dm(user_id)[after:])
                    if contains in m.text or contains in str(m.blocks)
                ),
                None,
            ),
            timeout=10,
        )
        self.out(f"\n{self.who(user_id)} gets a direct message from seatbot:")
        self.out(_indent(render_message(message.blocks, message.text, names=self.name)))
        return message

    def dms(self, user_id: str) -> int:
        """How many direct messages seatbot has sent `user_id` so far."""
        return len(self.slack.dm(user_id))

    def clicks(self, user_id: str, message: Message, action_id: str, *, value: str | None = None) -> None:
        button = _button(message.blocks, action_id, value)
        self.out(f"\n{self.name(user_id)} clicks [ {button['text']['text']} ]")
        if "confirm" in button:
            confirm = button["confirm"]
            self.out(f"  Slack asks: {confirm['title']['text']} {confirm['text']['text']}")
            self.out(f"  {self.name(user_id)} clicks [ {confirm['confirm']['text']} ]")
        self.driver.click(
            user_id, message=message, action_id=action_id, value=value, block_id=button["block_id"]
        )

    def sees_update(self, user_id: str, message: Message, *, showing: str = "") -> Message:
        """`message` once seatbot has rewritten it (to show `showing`): print it as it reads now."""
        where = "their copy of the request" if message.channel.startswith("D") else "the message"
        return self._rewritten(message, showing, heading=f"{self.who(user_id)}: {where} now reads:")

    def channel_update(self, message: Message, *, showing: str = "") -> Message:
        """A channel's `message` once seatbot has rewritten it (to show `showing`), as the
        team reads it now."""
        name = self.slack.channel_name(message.channel) or message.channel
        return self._rewritten(message, showing, heading=f"#{name}, seatbot's message now reads:")

    def _rewritten(self, message: Message, showing: str, *, heading: str) -> Message:
        def rewritten() -> Message | None:
            current = self.slack.message(message.channel, message.ts)
            if current is None or len(current.edits) <= len(message.edits):
                return None
            return current if showing in str(current.blocks) else None

        updated = self.slack.wait_for(rewritten, timeout=10)
        self.out(f"\n{heading}")
        self.out(_indent(render_message(updated.blocks, updated.text, names=self.name)))
        return updated

    def channel(self, channel_id: str, *, after: int = 0) -> list[Message]:
        """Print the channel's messages from index `after` on, as the team sees them."""
        name = self.slack.channel_name(channel_id) or channel_id
        posted = self.slack.wait_for(
            lambda: self.posts(channel_id)[after:] or None,
            timeout=10,
        )
        for message in posted:
            self.out(f"\n#{name}, seatbot posts:")
            self.out(_indent(render_message(message.blocks, message.text, names=self.name)))
        return posted

    def posts(self, channel_id: str) -> list[Message]:
        """What the whole channel sees (no one's ephemeral messages)."""
        return [m for m in self.slack.messages(channel_id) if m.ephemeral_for is None]

    def clicks_for_form(
        self, user_id: str, message: Message, action_id: str, *, filled_in: bool = True
    ) -> dict[str, Any]:
        seen = self._views(user_id)
        self.clicks(user_id, message, action_id)
        view = self._new_view(user_id, seen)
        self.out("  a form opens, already filled in:" if filled_in else "  a form opens:")
        self.out(_indent(render_view(view, names=self.name)))
        return view

    def opens_home(self, user_id: str, *, showing: str = "") -> dict[str, Any]:
        self.out(f"\n{self.who(user_id)} opens seatbot's Home tab")
        before = (self.slack.home(user_id) or {}).get("hash")
        self.driver.app_home_opened(user_id)

        def drawn() -> dict[str, Any] | None:  # drawn for this visit, not an earlier one
            home = self.slack.home(user_id)
            return home if home and home.get("hash") != before and showing in str(home["blocks"]) else None

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


@dataclass
class Running:
    """The running bot of the demo's main story, and what the scenes where time passes need."""

    stage: Stage
    deps: Deps
    clock: DemoClock
    settings: Settings
    workdir: Path

    def days_pass(self, days: float, narration: str) -> None:
        """The clock moves on; seatbot's scheduler takes its pass and delivers what it queued."""
        self._delivered()
        self.clock.advance(timedelta(days=days))
        self.stage.out(f"\n⏩ {narration}")
        run_nudge_job(self.deps)

    def _delivered(self) -> None:
        """Wait until the sender has recorded all it was given as sent: after a jump of days
        a message still in its hands would look abandoned, and be sent twice."""

        def nothing_pending() -> bool | None:
            with Session(self.deps.engine) as session:
                pending = session.exec(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status == OutboxStatus.PENDING)
                ).one()
            return pending == 0 or None

        self.stage.slack.wait_for(nothing_pending, timeout=10)

    def loads_again(self, change: Callable[[dict[str, Any]], None]) -> None:
        """The owner exports the account's file (`seatbot config export`), changes it, and loads it."""
        self._delivered()
        data = yaml.safe_load(export_file(self.deps.engine, team_id=TEAM, settings=self.settings))
        change(data)
        path = self.workdir / "account.yml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        report = load_file(self.deps.engine, path, team_id=TEAM, settings=self.settings, now=self.clock())
        self.stage.out(f"  $ seatbot load account.yml  →  {len(report.changes)} change(s), account updated.")


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
        app = create_app(settings, engine=engine, executor=executor, clock=DemoClock(START))
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
            app._seatbot_deps.close()  # type: ignore[attr-defined]
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
        if (status := _install(stage, url, user_id="U0OWNER")) != 200:
            stage.out(f"  (seatbot's install page answered HTTP {status})")
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
def _running_bot(workdir: Path) -> Iterator[Running]:
    with SlackStandIn(team_id=TEAM, team_name="Acme") as slack:
        for user in [*CAST, *NEW_AGENTS]:
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
        report = load_file(engine, example_account_file(), team_id=TEAM, settings=settings, now=LOADED)
        clock = DemoClock(START)
        # Our own listener pool, so the demo can let seatbot finish before Slack "goes away".
        executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="listener")
        app = create_app(settings, engine=engine, executor=executor, clock=clock)
        server = start_in_background(SeatbotWSGI(app, engine))
        try:
            driver = SlackDriver(
                bot_url=f"{server.url}/slack/events", signing_secret=SIGNING_SECRET, standin=slack
            )
            stage = Stage(slack, driver, print)
            stage.out(
                f"Loaded {example_account_file().name}: {len(report.changes)} change(s), account ready."
            )
            yield Running(stage, app._seatbot_deps, clock, settings, workdir)  # type: ignore[attr-defined]
        finally:
            server.stop()
            executor.shutdown(wait=True)
            app._seatbot_deps.close()  # type: ignore[attr-defined]
            engine.dispose()


NEW_AGENTS = [
    SlackUser(id=f"U0NEW{i:02d}", name=f"new{i}", real_name=f"New Agent {i + 1}") for i in range(28)
]
"""Support's hires of the last four weeks, one a day (the run-out forecast reads their pace)."""


def _the_first_request(stage: Stage) -> None:
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


def _out_of_seats(stage: Stage) -> None:
    _scene("6. Talk runs out of seats")
    stage.types("U0ADMIN", "assign <@U0AG1|ana> talk")
    alert = stage.channel("C0ALERTS")[-1]
    stage.types("U0ADMIN", "assign @mel talk")
    # The same alert, rewritten to say who waits (with a button to buy their seats): the
    # owner clicks it as it reads then, as people do.
    alert = stage.channel_update(alert, showing=BUY_SEATS)
    _scene("7. The owner adds seats from the alert; Mel gets hers")
    view = stage.clicks_for_form("U0OWNER", alert, "open_change_modal")
    view = stage.edits("U0OWNER", view, "talk", 5)
    stage.submits("U0OWNER", view, "Talk for the new phone line")
    stage.gets_dm("U0MEL")
    stage.gets_dm("U0ADMIN", contains="got the")
    stage.channel("C0ALERTS")
    stage.types("U0OWNER", "frobnicate")


def _declined_and_withdrawn(stage: Stage) -> None:
    _scene("8. A request declined, with the reason")
    seen = stage.dms("U0BILL"), stage.dms("U0ADMIN")
    view = stage.opens_modal("U0ADMIN", "request support +4")
    stage.submits("U0ADMIN", view, "Cover for the summer holidays")
    billing_copy = stage.gets_dm("U0BILL", after=seen[0])
    form = stage.clicks_for_form("U0BILL", billing_copy, "decline_request", filled_in=False)
    reason = "Budget gelé jusqu'en juillet"
    stage.sends("U0BILL", form, {"reason": {"text": reason}}, f"writes “{reason}”")
    stage.gets_dm("U0ADMIN", contains="declined", after=seen[1])

    _scene("9. A request withdrawn by the one who sent it")
    seen = stage.dms("U0OWNER"), 0
    view = stage.opens_modal("U0ADMIN2", "request talk +2")
    stage.submits("U0ADMIN2", view, "Deux agents de plus au téléphone")
    owner_copy = stage.gets_dm("U0OWNER", after=seen[0])
    stage.says("Amélie hears the phone line will not open after all.")
    stage.types("U0ADMIN2", "withdraw")
    stage.sees_update("U0OWNER", owner_copy, showing="Withdrawn")


def _amended_then_forgotten(run: Running) -> None:
    stage = run.stage
    _scene("10. A pending request amended: every copy rewritten in place")
    seen = stage.dms("U0OWNER"), stage.dms("U0BILL")
    view = stage.opens_modal("U0ADMIN", "request support +2")
    stage.submits("U0ADMIN", view, "Two more agents for the night shift")
    owner_copy = stage.gets_dm("U0OWNER", after=seen[0])
    billing_copy = stage.slack.wait_for(lambda: stage.slack.dm("U0BILL")[seen[1] :] or None, timeout=10)[-1]
    stage.says("The night shift grows to four. Alex asks again; seatbot amends the pending request:")
    view = stage.opens_modal("U0ADMIN", "request support +4")
    stage.submits("U0ADMIN", view, "Four more agents for the night shift")
    owner_copy = stage.sees_update("U0OWNER", owner_copy, showing="Amended")
    billing_copy = stage.sees_update("U0BILL", billing_copy, showing="Modifiée")

    _scene("11. The owner's Home tab: the subscription, what waits for her, the settings")
    stage.opens_home("U0OWNER", showing="approve_request")

    _scene("12. Nobody decides: reminders, then the alerts channel, then expiry")
    alerts = len(stage.posts("C0ALERTS"))
    reminded = stage.dms("U0OWNER"), stage.dms("U0BILL")
    run.days_pass(1, "Tuesday, a day later: the request has waited 24 hours (the account's nudge_after)")
    stage.gets_dm("U0OWNER", contains=":alarm_clock:", after=reminded[0])
    stage.gets_dm("U0BILL", contains=":alarm_clock:", after=reminded[1])
    run.days_pass(1, "Wednesday: another reminder to both (nudge_every 24h)")
    run.days_pass(1, "Thursday: the third, the last one (max_nudges: 3)")
    stage.slack.wait_for(lambda: _reminders(stage, reminded) == (3, 3) or None, timeout=10)
    stage.out("  (Olivia and Bastien now have three reminders each)")
    run.days_pass(1, "Friday: still no decision, so seatbot asks in the alerts channel")
    stage.channel("C0ALERTS", after=alerts)
    asked = stage.dms("U0ADMIN")
    run.days_pass(10, "Two weeks after it was sent (expire_after: 14d), the request expires")
    stage.gets_dm("U0ADMIN", contains="expired", after=asked)
    stage.sees_update("U0OWNER", owner_copy, showing="Expired")


def _reminders(stage: Stage, since: tuple[int, int]) -> tuple[int, int]:
    """The reminders Olivia and Bastien got since they had `since` direct messages."""
    owner, billing = (
        [m for m in stage.slack.dm(user_id)[seen:] if ":alarm_clock:" in str(m.blocks)]
        for user_id, seen in zip(("U0OWNER", "U0BILL"), since, strict=True)
    )
    return len(owner), len(billing)


def _seats_freed(stage: Stage) -> None:
    _scene("13. Before buying more: seats to reclaim")
    listed = stage.types("U0ADMIN", "reclaim")
    stage.clicks("U0ADMIN", listed, "reclaim_seat", value="talk:U0AG2")
    stage.gets_dm("U0AG2")

    _scene("14. Fewer seats than agents: who loses theirs is named, and told")
    seen = stage.dms("U0OWNER"), stage.dms("U0ADMIN")
    view = stage.opens_modal("U0ADMIN", "request talk 2")
    token = next(
        b["block_id"] for b in view["blocks"] if b.get("block_id", "").startswith("confirm_downgrade:")
    )
    stage.out(f"\n{stage.name('U0ADMIN')} ticks the box")
    stage.submits(
        "U0ADMIN",
        view,
        "The phone line closes in the evenings",
        also={token: {"confirm": [token.split(":", 1)[1]]}},
    )
    owner_copy = stage.gets_dm("U0OWNER", after=seen[0])
    stage.clicks("U0OWNER", owner_copy, "approve_request")
    stage.gets_dm("U0MEL", contains="removed")
    stage.gets_dm("U0ADMIN", contains="approved", after=seen[1])

    _scene("15. Within the standing allowance: approved at once")
    seen = stage.dms("U0OWNER"), stage.dms("U0BILL")
    view = stage.opens_modal("U0ADMIN", "request guide +1")
    stage.submits("U0ADMIN", view, "A writer for the help centre")
    stage.gets_dm("U0OWNER", after=seen[0])
    stage.gets_dm("U0BILL", after=seen[1])


def _sales_assisted(run: Running) -> None:
    stage = run.stage
    _scene("16. Two weeks on: Support fills up, and seatbot says when it will be full")
    stage.says(
        "Acme hired a Support agent a day for four weeks, and moved to a sales-assisted plan with "
        "Sam Sales as its sales contact. Olivia exports the account's file, writes that in, and loads it:"
    )
    run.clock.advance(timedelta(days=14))
    now = run.clock()

    def grown(data: dict[str, Any]) -> None:
        data["account"].update(plan="sales_assisted", sales_contact="U0SAM")
        support = next(p for p in data["products"] if p["key"] == "support")
        support["seats"] = 40
        data["agents"] = [
            *data.get("agents", []),
            *(
                {"user": user.id, "product": "support", "assigned_at": now - timedelta(days=27.5 - i)}
                for i, user in enumerate(NEW_AGENTS)
            ),
        ]

    run.loads_again(grown)
    stage.types("U0OWNER", "")

    _scene("17. On a sales-assisted plan, the owner's change is an order to the sales contact")
    seen = stage.dms("U0SAM")
    view = stage.opens_modal("U0OWNER", "manage")
    view = stage.edits("U0OWNER", view, "support", 50)
    stage.submits("U0OWNER", view, "Ten more agents for the autumn")
    stage.gets_dm("U0SAM", contains="Order", after=seen)


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
        with _running_bot(workdir) as run:
            _the_first_request(run.stage)
            _out_of_seats(run.stage)
            _declined_and_withdrawn(run.stage)
            _amended_then_forgotten(run)
            _seats_freed(run.stage)
            _sales_assisted(run)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\nThat was seatbot: an install and its set-up in Slack, the summary, a request with")
    print("its live summary, a one-click approval with every copy updated, seats assigned on")
    print("the fly, and the channel told when a product runs out; a request declined with its")
    print("reason, one withdrawn, one amended in place; reminders, the alerts channel, then")
    print("expiry; the owner's Home tab; seats reclaimed from departed and idle agents; a")
    print("reduction that names who loses a seat and tells them; a request approved at once")
    print("within a standing allowance; a run-out forecast; and an order sent to the sales")
    print("contact on a sales-assisted plan; in English and French.")
    return 0
