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
    body = (
        f"<p>{_words(t('intro'))}</p>"
        f'<p><a class="button" href="{html.escape(authorize_url)}">{_words(t("add"))}</a></p>'
        f"<p>{_words(t('after'))}</p>"
    )
    return PAGE.format(lang=language, title=_words(t("title")), body=body)


def installed_page(team_name: str, app_url: str, language: str) -> str:
    t = texts("install", language)
    body = (
        f"<p>{_words(t('done', team=team_name))}</p>"
        f'<p><a class="button" href="{html.escape(app_url)}">{_words(t("open_slack"))}</a></p>'
    )
    return PAGE.format(lang=language, title=_words(t("done_title")), body=body)


def failed_page(reason: str, install_url: str, language: str) -> str:
    t = texts("install", language)
    body = (
        f"<p>{_words(t('failed', reason=reason))}</p>"
        f'<p><a class="button" href="{html.escape(install_url)}">{_words(t("try_again"))}</a></p>'
    )
    return PAGE.format(lang=language, title=_words(t("failed_title")), body=body)


def _words(text: str) -> str:
    return html.escape(unescape_mrkdwn(text))
