"""The `seatbot` command line (SPEC section 3)."""

from __future__ import annotations

import csv
import io
import logging
import sys
from collections.abc import Callable
from pathlib import Path

import click
from pydantic import ValidationError
from slack_sdk.errors import SlackApiError
from sqlalchemy import Engine
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InterfaceError, OperationalError
from sqlmodel import Session, select

from bot.delivery.sender import Sender
from bot.domain.clock import utcnow
from bot.runtime import logs
from bot.runtime.config import CredentialsError, Settings
from bot.runtime.loading import ExportFailed, LoadFailed, export_file, load_file
from bot.runtime.logs import LEVELS
from bot.runtime.memory import fewer_malloc_arenas, freeze_startup_objects
from bot.runtime.work_queue import MAX_WAIT
from bot.services.assignments import export_rows, import_rows
from bot.services.audit_export import audit_rows, to_csv, to_json
from bot.services.ledger import Person
from bot.slack.client import make_web_client
from bot.slack.users import UserDirectory
from storage import schema_version
from storage.engine import make_engine, normalise_url, unit_of_work
from storage.models import Account

logger = logging.getLogger("seatbot")


ENVIRONMENT_NAMES = {
    "log_level": "SEATBOT_LOG_LEVEL",
    "log_format": "SEATBOT_LOG_FORMAT",
    "seatbot_config": "SEATBOT_CONFIG",
}


def _settings() -> Settings:
    """The settings, or one line per faulty variable naming it and what to write instead."""
    try:
        return Settings()
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "configuration"
            name = ENVIRONMENT_NAMES.get(field, field.upper())
            problems.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise click.ClickException("invalid configuration: " + "; ".join(problems)) from exc


def _engine(settings: Settings, *, connections: int = 5) -> Engine:
    """The database, migrated to the newest schema, with a connection for each thread that
    may use one at once (so none waits for the pool). A database that cannot be reached
    is one line saying so, not a traceback."""
    try:
        engine = make_engine(settings.database_url, pool_size=connections, max_overflow=4)
        if not schema_version.is_current(engine):
            from storage import migrate  # only when there is something to migrate (memory)

            migrate.upgrade(engine)
    except (OperationalError, InterfaceError) as exc:
        where = make_url(normalise_url(settings.database_url)).render_as_string(hide_password=True)
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        raise click.ClickException(
            f"cannot reach the database {where} ({reason}): is it running, and is DATABASE_URL right?"
        ) from exc
    return engine


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="seatbot", prog_name="seatbot")
@click.option(
    "--log-level",
    default=None,
    type=click.Choice(LEVELS, case_sensitive=False),
    help="default: SEATBOT_LOG_LEVEL or INFO",
)
def main(log_level: str | None) -> None:
    """seatbot runs your team's SaaS seat subscription from Slack."""
    settings = _settings()
    logs.configure(level=(log_level or settings.log_level).upper(), fmt=settings.log_format)


@main.command()
@click.option("--host", default="0.0.0.0", show_default=True)
@click.option("--port", default=3000, show_default=True, type=click.IntRange(1, 65535))
@click.option(
    "--threads", default=16, show_default=True, type=click.IntRange(1, 256), help="Requests served at once."
)
@click.option(
    "--workers",
    default=4,
    show_default=True,
    type=click.IntRange(1, 512),
    help="Work done after the ack (SQL, Slack calls) at once.",
)
@click.option(
    "--queue",
    default=512,
    show_default=True,
    type=click.IntRange(1, 100_000),
    help="Work waiting for a worker, beyond which seatbot answers 'busy, try again' "
    f"(as it does once the oldest has waited {MAX_WAIT:g} s).",
)
def serve(host: str, port: int, threads: int, workers: int, queue: int) -> None:
    """HTTP mode: Slack posts to POST /slack/events; GET /healthz for probes."""
    # Bolt, the web server and the scheduler are imported by the commands that run them
    # only, so that `seatbot load`, `agents`, `db` and `--help` start without them.
    from bot.runtime.app import create_app
    from bot.runtime.jobs import app_deps, start_jobs
    from bot.runtime.server import SeatbotWSGI, bind, serve_until_stopped

    fewer_malloc_arenas()  # before any thread starts
    settings = _ready(_settings(), "serve")
    _check_token(settings)
    # Request threads (read-only checks before the ack), workers, the sender and the scheduler.
    engine = _engine(settings, connections=threads + workers + 2)
    _load_configured_account(settings, engine)
    app = create_app(settings, engine=engine, workers=workers, queue=queue)
    try:
        server = bind(SeatbotWSGI(app, engine), host=host, port=port, threads=threads)
    except OSError as exc:
        raise click.ClickException(
            f"cannot listen on {host}:{port} ({exc.strerror or exc}): is another program using "
            "the port? Choose another with --port."
        ) from exc
    jobs = start_jobs(app)
    freeze_startup_objects()  # before the first request: what lives from here on is not walked
    click.echo(f"seatbot listening on http://{host}:{port}/slack/events", err=True)

    def stop() -> None:
        jobs.shutdown()  # after the scheduler's pass under way
        app_deps(app).close()  # the work queue finishes what it holds; the sender its row

    serve_until_stopped(server, on_stop=stop)


@main.command()
@click.option(
    "--health-port",
    default=None,
    type=click.IntRange(1, 65535),
    help="Also serve GET /healthz, /readyz and /metrics on this port (127.0.0.1 unless --health-host).",
)
@click.option("--health-host", default="127.0.0.1", show_default=True)
def socket(health_port: int | None, health_host: str) -> None:
    """Socket Mode: no public URL needed (needs SLACK_APP_TOKEN)."""
    # Imported here, as in `serve`: only this command pays for Bolt and the scheduler.
    from bot.runtime.jobs import start_jobs
    from bot.runtime.server import Probes, ProbesWSGI, start_in_background
    from bot.runtime.socket_mode import socket_handler

    fewer_malloc_arenas()
    settings = _ready(_settings(), "socket")
    _check_token(settings)
    engine = _engine(settings)
    _load_configured_account(settings, engine)
    handler = socket_handler(settings, engine=engine)
    if health_port is not None:
        try:
            probes = start_in_background(
                ProbesWSGI(Probes(engine)), host=health_host, port=health_port, threads=2
            )
        except OSError as exc:
            raise click.ClickException(
                f"cannot listen on {health_host}:{health_port} ({exc.strerror or exc}): choose another "
                "--health-port."
            ) from exc
        click.echo(f"seatbot health checks on {probes.url}/healthz", err=True)
    start_jobs(handler.app)
    freeze_startup_objects()
    click.echo("seatbot connecting to Slack in Socket Mode", err=True)
    handler.start()  # type: ignore[no-untyped-call]


@main.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--team",
    "team_id",
    default=None,
    help="Slack team id (T…); default: account.team_id in the file, else the bot token's team.",
)
def load(file: Path, team_id: str | None) -> None:
    """Create or update an account from FILE (idempotent)."""
    settings = _settings()
    engine = _engine(settings)
    try:
        report = load_file(engine, file, team_id=team_id, settings=settings)
    except LoadFailed as exc:
        click.echo(str(exc), err=True)
        sys.exit(1)
    verb = "created" if report.created else "updated"
    if not report.changes:
        click.echo(f"{file}: already up to date, nothing changed")
    else:
        click.echo(f"{file}: account {verb}, {len(report.changes)} change(s)")
        for change in report.changes:
            click.echo(f"  {change}")
    for key in report.kept:
        click.echo(f"  kept product {key}: not in the file (nothing is deleted)")


@main.command()
def demo() -> None:
    """Play the whole flow on this machine, with no Slack workspace."""
    # Imported here: the demo brings the app and the Slack stand-in, which no other command needs.
    from bot.runtime.demo import run_demo

    sys.exit(run_demo())


@main.group()
def db() -> None:
    """Database schema."""


@db.command()
def upgrade() -> None:
    """Apply every pending migration."""
    engine = _engine(_settings())
    click.echo(f"database at the newest schema ({engine.url.render_as_string(hide_password=True)})")


@main.group()
def audit() -> None:
    """The audit log: every change, who made it and when."""


@audit.command("export")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True)
@click.option("--team", "team_id", default=None, help="Only this workspace (T…).")
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="File to write (default: standard output).",
)
def audit_export(fmt: str, team_id: str | None, output: Path | None) -> None:
    """Write the whole audit log as CSV or JSON."""
    engine = _engine(_settings())
    with unit_of_work(engine) as session:
        rows = audit_rows(session, team_id=team_id)
    text = to_csv(rows) if fmt == "csv" else to_json(rows)
    _write_out(text, output, what=f"{len(rows)} audit event(s)")


@main.group()
def config() -> None:
    """The account file: the account as infrastructure-as-code."""


@config.command("export")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
@click.option(
    "--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None, help="Same as FILE."
)
@click.option(
    "--team",
    "team_id",
    default=None,
    help="Workspace (T…); default: the only account, else the bot token's workspace.",
)
def config_export(file: Path | None, output: Path | None, team_id: str | None) -> None:
    """Write the account as a file that `seatbot load` takes back unchanged (standard output
    when no FILE)."""
    if file is not None and output is not None:
        raise click.UsageError("give FILE or --output, not both")
    settings = _settings()
    try:
        text = export_file(_engine(settings), team_id=team_id, settings=settings)
    except ExportFailed as exc:
        raise click.ClickException(str(exc)) from exc
    _write_out(text, file or output, what="account")


@main.group()
def agents() -> None:
    """Who holds a seat: bulk import and export (CSV: user, product, assigned_at)."""


@agents.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--team", "team_id", default=None, help="Workspace (T…); default: the only account.")
def agents_import(file: Path, team_id: str | None) -> None:
    """Add the agents listed in FILE; rows already there are skipped (idempotent).

    Bots and deactivated people get no seat: with SLACK_BOT_TOKEN, Slack is asked
    who they are (users.list) before anything is written.
    """
    settings = _settings()
    engine = _engine(settings)
    try:
        with file.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            missing = {"user", "product"} - set(reader.fieldnames or [])
            if missing:
                raise click.ClickException(
                    f"{file}: the header needs user, product (and assigned_at, last_active)"
                )
            rows = [(reader.line_num, row) for row in reader]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise click.ClickException(f"{file}: not a readable CSV file ({exc})") from exc
    people = _people(settings)
    with unit_of_work(engine, write=True) as session:
        account = _account(session, team_id)
        report = import_rows(session, account=account, rows=rows, now=utcnow(), people=people)
    click.echo(
        f"{file}: {report.added} seat(s) added, {report.already} already there, "
        f"{len(report.refused)} row(s) not taken"
    )
    for line in report.refused:
        click.echo(f"  {line}", err=True)
    _deliver_now(settings, engine)
    if report.refused:
        sys.exit(1)


@agents.command("export")
@click.option("--team", "team_id", default=None, help="Workspace (T…); default: the only account.")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None)
def agents_export(team_id: str | None, output: Path | None) -> None:
    """Write who holds which seat, as CSV (re-importable)."""
    engine = _engine(_settings())
    with unit_of_work(engine) as session:
        account = _account(session, team_id)
        rows = export_rows(session, account_id=account.id or 0)
    buffer = io.StringIO()
    writer = csv.DictWriter(
        buffer, fieldnames=["user", "product", "assigned_at", "assigned_by", "last_active"]
    )
    writer.writeheader()
    writer.writerows(rows)
    if output is None:
        click.echo(buffer.getvalue(), nl=False)
    else:
        output.write_text(buffer.getvalue(), encoding="utf-8")
        click.echo(f"{len(rows)} seat(s) written to {output}", err=True)


def _people(settings: Settings) -> Callable[[str], Person]:
    """Who a user id is, as Slack says (one users.list, read before the import's transaction
    so that no lock waits on Slack); without a token, nobody is known to be a bot."""
    if settings.slack_bot_token is None:
        click.echo("SLACK_BOT_TOKEN is not set: bots and deactivated people cannot be checked", err=True)
        return Person
    client = make_web_client(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    try:
        known = {profile.user_id: profile.person for profile in UserDirectory(client).everyone()}
    except SlackApiError as exc:
        raise click.ClickException(
            f"Slack refused to list its people ({exc.response.get('error')}): nothing was imported"
        ) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot reach Slack at {settings.slack_api_url}: {exc}") from exc
    return lambda user_id: known.get(user_id) or Person(user_id)


def _account(session: Session, team_id: str | None) -> Account:
    query = select(Account) if team_id is None else select(Account).where(Account.team_id == team_id)
    accounts = session.exec(query).all()
    if len(accounts) != 1:
        raise click.ClickException(
            "no such account: load one with `seatbot load`"
            if not accounts
            else "several workspaces: say which with --team T…"
        )
    return accounts[0]


def _deliver_now(settings: Settings, engine: Engine) -> None:
    """Send the alerts an import caused; without a token they wait for the running bot's job."""
    if settings.slack_bot_token is None:
        return
    client = make_web_client(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    Sender(engine=engine, client=client).deliver_due(now=utcnow())


def _write_out(text: str, target: Path | None, *, what: str) -> None:
    """An export to standard output, or to `target` with one line on stderr saying so."""
    if target is None:
        click.echo(text, nl=False)
        return
    target.write_text(text, encoding="utf-8")
    click.echo(f"{what} written to {target}", err=True)


def _ready(settings: Settings, mode: str) -> Settings:
    try:
        settings.require(mode)
    except CredentialsError as exc:
        raise click.ClickException(str(exc)) from exc
    return settings


def _check_token(settings: Settings) -> None:
    """One auth.test at start-up (to SLACK_API_URL only), so a wrong token fails now, clearly.
    With OAuth there is no token yet: each workspace's comes with its install."""
    if settings.slack_bot_token is None:
        return
    client = make_web_client(
        token=settings.slack_bot_token.get_secret_value(), base_url=settings.slack_api_url
    )
    try:
        identity = client.auth_test()
    except SlackApiError as exc:
        raise click.ClickException(
            f"Slack refused SLACK_BOT_TOKEN ({exc.response.get('error')}): copy the Bot User OAuth "
            "Token of the installed app (Settings → Install App)"
        ) from exc
    except OSError as exc:
        raise click.ClickException(f"cannot reach Slack at {settings.slack_api_url}: {exc}") from exc
    logger.info("connected team=%s bot=%s", identity.get("team_id"), identity.get("user_id"))


def _load_configured_account(settings: Settings, engine: Engine) -> None:
    if settings.seatbot_config is None:
        return
    try:
        report = load_file(engine, settings.seatbot_config, team_id=None, settings=settings)
    except (LoadFailed, SlackApiError) as exc:
        raise click.ClickException(str(exc)) from exc
    logger.info("account file loaded path=%s changes=%d", settings.seatbot_config, len(report.changes))
