"""The one place text is rendered: jinja2 templates, translated with gettext.

Templates live in `templates/`: one file per surface, one `{% block %}` per
piece of text. English is the source language; other languages are gettext
catalogs under `templates/locale/`, read with Babel at start-up so the .po
file is the single source of truth.

Escaping: every value interpolated into a template is escaped for Slack
mrkdwn (`&`, `<`, `>`), so user text can never become a mention, a
`<!channel>` or a link. Text that is already mrkdwn (a mention built by
`mention()`) is wrapped in `Mrkdwn` and passes through untouched. JSON
escaping is not done here: builders hand plain strings to slack_sdk models,
which serialise them.
"""

from __future__ import annotations

import gettext as gettext_module
import io
from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from babel.dates import format_datetime, get_timezone
from babel.lists import format_list
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_currency, format_decimal
from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from jinja2.runtime import new_context

import templates

TEMPLATES_DIR = Path(templates.__file__).parent
LOCALE_DIR = TEMPLATES_DIR / "locale"
DOMAIN = "messages"
LANGUAGES = ("en", "fr")
DEFAULT_LANGUAGE = "en"


class Mrkdwn(str):
    """Text that is already valid, safe Slack mrkdwn."""

    __slots__ = ()


def escape_mrkdwn(text: str) -> str:
    """Escape the three characters Slack gives meaning to in message text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def unescape_mrkdwn(text: str) -> str:
    """For plain_text fields, where Slack shows characters as they are."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _safe(value: Any) -> str:
    if isinstance(value, Mrkdwn):
        return value
    return escape_mrkdwn("" if value is None else str(value))


def mention(user_id: str) -> Mrkdwn:
    """A user mention; ids come from Slack or the database, never free text."""
    if not user_id.isalnum():
        raise ValueError(f"not a Slack id: {user_id!r}")
    return Mrkdwn(f"<@{user_id}>")


def channel_link(channel_id: str) -> Mrkdwn:
    if not channel_id.isalnum():
        raise ValueError(f"not a Slack id: {channel_id!r}")
    return Mrkdwn(f"<#{channel_id}>")


def language_for(slack_locale: str | None) -> str:
    """Slack locales look like `fr-FR`; anything we do not speak falls back to English."""
    if slack_locale:
        language = slack_locale.replace("_", "-").split("-")[0].lower()
        if language in LANGUAGES:
            return language
    return DEFAULT_LANGUAGE


@cache
def _translations(language: str) -> gettext_module.NullTranslations:
    po_path = LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_path.exists():
        return gettext_module.NullTranslations()

    with po_path.open("rb") as po_file:
        catalog = read_po(po_file, locale=language)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext_module.GNUTranslations(buffer)


def _gettext(translations: gettext_module.NullTranslations) -> Callable[..., Mrkdwn]:
    def gettext(message: str, **variables: Any) -> Mrkdwn:
        text = translations.gettext(message)
        if variables:
            text = text % {k: _safe(v) for k, v in variables.items()}
        return Mrkdwn(text)

    return gettext


def _ngettext(translations: gettext_module.NullTranslations) -> Callable[..., Mrkdwn]:
    def ngettext(singular: str, plural: str, num: int, **variables: Any) -> Mrkdwn:
        variables.setdefault("num", num)
        text = translations.ngettext(singular, plural, num)
        return Mrkdwn(text % {k: _safe(v) for k, v in variables.items()})

    return ngettext


@cache
def environment(language: str) -> Environment:
    """One jinja2 environment per language, with gettext bound to its catalog."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        extensions=["jinja2.ext.i18n"],
        finalize=_safe,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=False,  # HTML escaping is wrong for Slack; `finalize` escapes for mrkdwn
        auto_reload=False,  # templates ship with the code; no stat() on every message
    )
    env.newstyle_gettext = True  # type: ignore[attr-defined]
    translations = _translations(language)
    env.globals.update(
        gettext=_gettext(translations),
        ngettext=_ngettext(translations),
        _=_gettext(translations),
        mention=mention,
        channel=channel_link,
    )
    env.filters.update(
        money=lambda amount, currency: _money(Decimal(amount), currency, language),
        signed_money=lambda amount, currency: _signed_money(Decimal(amount), currency, language),
        number=lambda n: _number(n, language),
    )
    return env


# Babel's number formatting is a good part of rendering a message, and the same few
# prices and counts come back in every summary: each is formatted once per language.
@lru_cache(maxsize=4096)
def _money(amount: Decimal, currency: str, language: str) -> str:
    return format_currency(amount, currency, locale=_BABEL_LOCALES[language])


@lru_cache(maxsize=4096)
def _number(n: int | Decimal, language: str) -> str:
    return format_decimal(n, locale=_BABEL_LOCALES[language])


@lru_cache(maxsize=4096)
def _signed_money(amount: Decimal, currency: str, language: str) -> str:
    """`+€690.00`, `−€115.00` (a true minus sign): a change of cost never reads as a total."""
    sign = "+" if amount > 0 else "−" if amount < 0 else ""
    return sign + _money(abs(amount), currency, language)


class Texts:
    """The pieces of text of one template, in one language."""

    def __init__(self, name: str, language: str) -> None:
        self.language = language
        self._template: Template = environment(language).get_template(f"{name}.j2")

    def __call__(self, block: str, /, **context: Any) -> str:
        """Render one `{% block %}` as mrkdwn."""
        template = self._template
        render = template.blocks.get(block)
        if render is None:
            raise KeyError(f"template {template.name} has no block {block!r}")
        # A context that knows this block alone: `new_context` would copy every block of the
        # template (up to a hundred) for each piece of text. No block calls another.
        env, only = template.environment, {block: render}
        ctx = new_context(env, template.name, only, context, shared=False, globals=template.globals)
        return "".join(render(ctx)).strip()

    def plain(self, block: str, /, **context: Any) -> str:
        """Render one block for a plain_text field (button labels, headers, titles)."""
        return unescape_mrkdwn(self(block, **context))

    def has(self, block: str) -> bool:
        return block in self._template.blocks


def texts(name: str, language: str) -> Texts:
    return Texts(name, language)


def people(user_ids: list[str], language: str) -> Mrkdwn:
    """`<@A>, <@B> and <@C>`, joined the way the language does it."""
    return Mrkdwn(format_list([mention(u) for u in user_ids], locale=_BABEL_LOCALES[language]))


def listing(items: list[str], language: str) -> Mrkdwn:
    """Names (of products, suites…) escaped and joined the way the language does it."""
    return Mrkdwn(format_list([escape_mrkdwn(i) for i in items], locale=_BABEL_LOCALES[language]))


def slack_date(at: datetime, language: str) -> Mrkdwn:
    """A date Slack shows in each reader's own time zone ("Today at 09:14"),
    with a UTC fallback where it can't (notifications, old clients)."""
    fallback = (
        format_datetime(at, "medium", tzinfo=get_timezone("UTC"), locale=_BABEL_LOCALES[language]) + " UTC"
    )
    word = _translations(language).gettext("at")
    return Mrkdwn(
        f"<!date^{int(at.timestamp())}^{{date_short_pretty}} {word} {{time}}|{escape_mrkdwn(fallback)}>"
    )


_BABEL_LOCALES = {"en": "en_US", "fr": "fr_FR"}
