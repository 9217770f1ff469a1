"""The install pages a browser shows, in the visitor's language (their Accept-Language).

The words come from `templates/install.j2`; this module only puts them into a small
HTML page, escaping every piece for HTML (the templates escape for Slack mrkdwn,
which `unescape_mrkdwn` undoes first).
"""

from __future__ import annotations

import html

from bot.messages.i18n import LANGUAGES, texts, unescape_mrkdwn

PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title>
<style>body{{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;
line-height:1.5}}
a.button{{display:inline-block;padding:.6rem 1.2rem;border-radius:.3rem;background:#4a154b;color:#fff;
text-decoration:none}}</style></head>
<body><h1>{title}</h1>{body}</body></html>
"""


def language_of(accept_language: str | None) -> str:
    """The first language of the browser's list that seatbot speaks, else English."""
    for part in (accept_language or "").split(","):
        code = part.split(";")[0].strip().split("-")[0].lower()
        if code in LANGUAGES:
            return code
    return "en"


def install_page(authorize_url: str, language: str) -> str:
    t = texts("install", language)
    return _page(language, t("title"), t("intro"), authorize_url, t("add"), after=t("after"))


def installed_page(team_name: str, app_url: str, language: str) -> str:
    t = texts("install", language)
    return _page(language, t("done_title"), t("done", team=team_name), app_url, t("open_slack"))


def failed_page(reason: str, install_url: str, language: str) -> str:
    t = texts("install", language)
    return _page(language, t("failed_title"), t("failed", reason=reason), install_url, t("try_again"))


def _page(language: str, title: str, said: str, url: str, button: str, *, after: str | None = None) -> str:
    """A title, what happened, one button; the words as the templates gave them (mrkdwn)."""
    body = f'<p>{_words(said)}</p><p><a class="button" href="{html.escape(url)}">{_words(button)}</a></p>' + (
        f"<p>{_words(after)}</p>" if after is not None else ""
    )
    return PAGE.format(lang=language, title=_words(title), body=body)


def _words(text: str) -> str:
    return html.escape(unescape_mrkdwn(text))
