"""Every block of every template, in both languages, for zero, one and two of everything.

The blocks are found in `templates/*.j2`, not listed here: a new block is rendered the day
it is written, and a new variable needs a sample below (or the test says which is missing).
Counts must go through Babel plurals: a number followed by a noun outside `{% pluralize %}`
fails the static check, and "1 seats" or "1 utilisés" the rendered one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from jinja2 import meta, nodes

from bot.messages import i18n

NUMBERS = {
    "count", "seats", "used", "free", "max", "now", "expected", "before", "after", "offered", "days", "weeks",
    "more", "most", "agents", "net",
}  # fmt: skip
"""Variables that hold a count: each is 0, 1 or 2 in turn."""

NOT_COUNTS = {
    "product", "products", "suite", "account", "people", "who", "text", "edition", "plan", "role",
    "roles", "action", "status", "when", "line", "lines", "requester", "approvers", "channel", "error",
    "amount", "price", "total", "owner", "id", "pct", "delta", "change", "cost", "before_total",
    "after_total", "detail", "shown", "name", "level", "n", "key", "hours", "every", "expire", "team",
    "reason",
}  # fmt: skip
"""Variables a noun may follow without a plural: names, ids, sentences, money."""


class Sample(str):
    """A string that also has the attributes a block reads from an object (product.name, line.after)."""

    def __new__(cls, text: str, **attributes: Any) -> Sample:
        sample = super().__new__(cls, text)
        sample.__dict__.update(attributes)
        return sample


@dataclass(frozen=True)
class LineSample:
    name: str
    before: int
    after: int
    used: int | None
    used_after: int | None

    @property
    def delta(self) -> int:
        return self.after - self.before


def _context(n: int) -> dict[str, Any]:
    product = Sample("Support", name="Support", edition="Team", key="support", seats=n, used=n, free=n)
    line = LineSample("Support", n + 3, n, n, n)
    values: dict[str, Any] = dict.fromkeys(NUMBERS, n)
    values |= {
        "product": product,
        "line": Sample("Support: 4 → 5", **line.__dict__, delta=line.delta),
        "id": 42,
        "pct": 90,
        "amount": Decimal("690"),
        "price": Decimal("115"),
        "total": Decimal("1452"),
        "before_total": Decimal("1452"),
        "after_total": Decimal("2142"),
        "currency": "EUR",
        "requester": "U0ADMIN",
        "requester_name": "Alex",
        "by": "U0OWNER",
        "user": "U0AG1",
        "owner": "U0OWNER",
        "target": "C0ALERTS",
        "people": "Ana",
        "who": "Olivia",
        "approvers": "Olivia",
        "when": "today",
        "text": "Six new agents",
        "action": "see",
        "roles": "admins",
        "products": "Support",
        "account": "Acme",
        "suite": "Support Suite",
        "edition": "Team",
        "status": "approved",
        "lines": "Support: 4 → 5",
        "plan": "self_service",
        "role": "admin",
        "error": "not_in_channel",
        "shown": 3,
        "allowed": True,
        "channel_id": "C0ALERTS",
        "contact": "U0REP",
        "every": "24h",
        "expire": "14d",
        "hours": "09:00-18:00",
        "installer": "U0INSTALLER",
        "key": "support",
        "name": "Support",
        "n": 2,
        "new_owner": "U0BILL",
        "old_owner": "U0OWNER",
        "team": "Acme",
        "reason": "access_denied",
    }
    return values


def _blocks() -> list[tuple[str, str, set[str]]]:
    """(template, block, the variables it reads) for every block of every template."""
    env = i18n.environment("en")
    found = []
    for path in sorted(i18n.TEMPLATES_DIR.glob("*.j2")):
        tree = env.parse(path.read_text(encoding="utf-8"))
        for block in tree.find_all(nodes.Block):
            body = nodes.Template(block.body, lineno=block.lineno)
            body.set_environment(env)
            used = meta.find_undeclared_variables(body)
            names = {v for v in used if not v.startswith("_")}  # `_trans`: the i18n extension's own
            found.append((path.stem, block.name, names - set(env.globals)))
    return found


BLOCKS = _blocks()


def test_blocks_are_found() -> None:
    assert len(BLOCKS) > 150
    assert ("requests", "line", {"line"}) in BLOCKS


EN_MISMATCH = re.compile(
    r"\b1 (?:of 1 )?(?:more )?(?:seats|agents|products|people|characters|requests|persons)\b"
)
FR_MISMATCH = re.compile(
    r"\b[01] (?:sur [01] )?(?:\w+ )?"
    r"(?:sièges|agents|produits|personnes|caractères|demandes|utilisés|libres|autres)\b"
)
LEFTOVERS = re.compile(r"\{\{|\{%|%\(\w+\)s|Undefined")


def _render(language: str, template: str, block: str, n: int) -> str:
    return i18n.texts(template, language)(block, **_context(n))


@pytest.mark.parametrize("n", [0, 1, 2], ids=["zero", "one", "two"])
@pytest.mark.parametrize(("template", "block", "variables"), BLOCKS, ids=[f"{t}.{b}" for t, b, _ in BLOCKS])
def test_every_block_renders_in_both_languages(
    template: str, block: str, variables: set[str], n: int
) -> None:
    missing = variables - set(_context(n))
    assert not missing, f"give {sorted(missing)} a sample value in this test"
    english = _render("en", template, block, n)
    french = _render("fr", template, block, n)
    for text in (english, french):
        assert not LEFTOVERS.search(text), text
        # Slack adds "(optional)" to optional inputs itself: a label saying it reads twice.
        assert "(optional)" not in text, text
        assert "(facultatif)" not in text, text
    assert not EN_MISMATCH.search(english), english
    assert not FR_MISMATCH.search(french), french


def _source(template: str, block: str) -> str:
    source = (i18n.TEMPLATES_DIR / f"{template}.j2").read_text(encoding="utf-8")
    return source.split(f"{{% block {block} %}}", 1)[1].split("{% endblock %}", 1)[0]


def _translatable(template: str, block: str) -> bool:
    body = _source(template, block)
    return "_(" in body or "{% trans" in body


@pytest.mark.parametrize(("template", "block", "variables"), BLOCKS, ids=[f"{t}.{b}" for t, b, _ in BLOCKS])
def test_french_readers_read_french(template: str, block: str, variables: set[str]) -> None:
    if not _translatable(template, block):
        pytest.skip("no words of its own (names and numbers only)")
    assert _render("fr", template, block, 2) != _render("en", template, block, 2)


def _messages() -> list[tuple[str | tuple[str, str], str]]:
    method_map = [("**.j2", "jinja2")]
    options = {"**.j2": {"extensions": "jinja2.ext.i18n"}}
    return [(m[2], m[0]) for m in extract_from_dir(str(i18n.TEMPLATES_DIR), method_map, options)]


COUNT_THEN_NOUN = re.compile(r"%\((\w+)\)s (?:more )?[a-zé]{3,}s\b")


def test_no_count_is_followed_by_a_noun_without_a_plural() -> None:
    """`{{ seats }} seats` outside `{% pluralize %}` reads "1 seats": write both forms."""
    catalog = i18n._translations("fr")
    wrong = []
    for message, where in _messages():
        if not isinstance(message, str):
            continue  # singular and plural forms: fine
        for text in (message, catalog.gettext(message)):
            for match in COUNT_THEN_NOUN.finditer(text):
                if match.group(1) not in NOT_COUNTS:
                    wrong.append(f"{where}: {text}")
    assert wrong == []


def test_a_count_changes_the_words_around_it() -> None:
    """Wherever a block has two forms, one and two read differently beyond the digit."""
    for template, block, _variables in BLOCKS:
        body = _source(template, block)
        if "{% pluralize" not in body and "seat_count(" not in body:
            continue
        readings = {
            language: {re.sub(r"\d", "N", _render(language, template, block, n)) for n in (1, 2)}
            for language in i18n.LANGUAGES
        }
        assert any(len(forms) == 2 for forms in readings.values()), (template, block, readings)
