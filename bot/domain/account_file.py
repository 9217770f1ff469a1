"""The account file (`seatbot load FILE.yml`): parsing and validation.

Validation errors name the field and the line it is on, so a person can fix
the file; nothing is written unless the whole file is valid.

People and channels are Slack ids (`U0ANA`, `C0ALERTS`) or names (`@ana`,
`#seat-alerts`). A name is looked up in a `Directory` (Slack, at load time)
and replaced by its id before anything is written: what is stored, and what
`dump_account_file` writes, is always the id.
"""

from __future__ import annotations

import copy
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from babel.numbers import list_currencies
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.domain.durations import parse_duration
from storage.models import MAX_SEATS, Plan

USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,30}$")
_TEAM_ID = re.compile(r"^[TE][A-Z0-9]{2,30}$")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_POLICY_DURATION = timedelta(days=365)
"""A reminder policy spans at most a year (and so fits the database's seconds columns)."""
_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")


_CHANNEL_NAME = re.compile(r"^#[^\s#@<>]{1,80}$")
_PERSON_NAME = re.compile(r"^@[^\s#@<>][^@<>]{0,79}$")
"""A handle or display name, which may hold spaces (`@Ana Lima`)."""


def _pattern(regex: re.Pattern[str], what: str) -> AfterValidator:
    def check(value: str) -> str:
        if not regex.match(value):
            raise ValueError(f"{value!r} is not a Slack {what} id")
        return value

    return AfterValidator(check)


def _display_text(value: str) -> str:
    """Names are shown in Slack: printable, normalised, no control characters."""
    value = unicodedata.normalize("NFC", value.strip())
    if not value:
        raise ValueError("must not be empty")
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co") for ch in value):
        raise ValueError("contains control or invisible characters")
    return value


def _reference(*kinds: str) -> AfterValidator:
    """A Slack id or a name of one of `kinds` ("user", "channel")."""
    forms = {
        "user": (USER_ID, _PERSON_NAME, "user id (U…) or @name"),
        "channel": (_CHANNEL_ID, _CHANNEL_NAME, "channel id (C…) or #name"),
    }

    def check(value: str) -> str:
        if any(forms[k][0].match(value) or forms[k][1].match(value) for k in kinds):
            return value
        if len(kinds) == 1:
            raise ValueError(f"{value!r} is not a Slack {forms[kinds[0]][2]}")
        raise ValueError(f"{value!r} is neither a Slack user nor a channel: write U…, C…, @name or #channel")

    return AfterValidator(check)


def is_name(reference: str) -> bool:
    """Whether a person or channel of the file is a name to look up rather than an id."""
    return reference.startswith(("@", "#"))


UserId = Annotated[str, _reference("user")]
ChannelId = Annotated[str, _reference("channel")]
Name = Annotated[str, AfterValidator(_display_text)]


class FieldError(ValueError):
    """A rule broken by a field below the model that checks it: `loc` is that field's path,
    relative to the model, so the message can point at its line rather than the model's."""

    def __init__(self, loc: tuple[str | int, ...], message: str, *, code: str = "", **facts: object) -> None:
        super().__init__(message)
        self.loc = loc
        self.code = code
        """Which rule, for the words a form shows next to the field (`bot.domain.account_form`)."""
        self.facts = facts


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class AccountSection(_Strict):
    name: Annotated[Name, Field(max_length=200)]
    team_id: Annotated[str, _pattern(_TEAM_ID, "team")] | None = None
    plan: Plan = Plan.SELF_SERVICE
    change_requests: bool = True
    currency: str = "EUR"
    alerts_channel: ChannelId | None = None
    sales_contact: Annotated[str, _reference("user", "channel")] | None = None
    timezone: Annotated[str, Field(max_length=64)] = "UTC"
    """Where the account's months start (standing allowances reset then)."""

    @field_validator("currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        value = value.upper()
        if value not in list_currencies():
            raise ValueError(f"{value!r} is not an ISO 4217 currency code")
        return value

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not a time zone, e.g. Europe/Paris or UTC") from None
        return value


class RolesSection(_Strict):
    owner: UserId
    billing_admins: list[UserId] = []
    admins: list[UserId] = []

    @model_validator(mode="after")
    def _one_role_each(self) -> RolesSection:
        seen: set[str] = {self.owner}
        for role in ("billing_admins", "admins"):
            for index, user in enumerate(getattr(self, role)):
                if user in seen:
                    raise FieldError(
                        (role, index),
                        f"{user} is listed twice: give each person one role",
                        code="person_twice",
                        user=user,
                    )
                seen.add(user)
        return self


class AllowanceSection(_Strict):
    """A standing allowance: requests within it are approved without an approver."""

    seats_per_month: Annotated[int, Field(gt=0, le=MAX_SEATS, strict=True)]
    cost_per_month: Annotated[Decimal, Field(ge=0, le=100_000_000, decimal_places=2)] | None = None
    """At most this much more a month, in the account's currency (None: seats only)."""


class ProductSection(_Strict):
    key: str
    name: Annotated[Name, Field(max_length=80)]
    edition: Annotated[Name, Field(max_length=80)]
    seats: Annotated[int, Field(ge=0, le=MAX_SEATS, strict=True)]
    price_per_seat: Annotated[Decimal, Field(ge=0, le=1_000_000, decimal_places=2)] | None = None
    suite: Annotated[str, Field(max_length=40)] | None = None
    allowance: AllowanceSection | None = None

    @field_validator("key")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not _KEY.match(value):
            raise ValueError(f"{value!r}: a product key is lowercase letters, digits and _")
        return value


class AgentSection(_Strict):
    user: UserId
    product: str
    assigned_at: datetime | None = None
    last_active: datetime | None = None
    """When they last worked in the product, where a usage export says so."""

    @field_validator("assigned_at", "last_active")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("give a time zone, e.g. 2026-01-05T09:00:00Z")
        return value


class PolicySection(_Strict):
    nudge_after: str = "24h"
    nudge_every: str = "24h"
    max_nudges: Annotated[int, Field(ge=0, le=50)] = 3
    expire_after: str = "14d"
    working_hours: str = "09:00-18:00"
    alert_threshold: Annotated[int, Field(gt=0, lt=100)] | None = None
    """Early warning when this percentage of a product's seats is in use."""
    idle_after: str = "30d"
    """An agent inactive this long holds a seat that could be freed before buying more."""

    @field_validator("nudge_after", "nudge_every", "expire_after", "idle_after")
    @classmethod
    def _duration(cls, value: str) -> str:
        if parse_duration(value) > MAX_POLICY_DURATION:
            raise ValueError(f"{value!r} is too long: at most {MAX_POLICY_DURATION.days}d")
        return value

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str) -> str:
        match = _HOURS.match(value)
        if not match or match[1] + match[2] >= match[3] + match[4]:
            raise ValueError(f"{value!r}: write opening-closing hours, e.g. 09:00-18:00")
        return value


class AccountFile(_Strict):
    account: AccountSection
    roles: RolesSection
    products: Annotated[list[ProductSection], Field(min_length=1, max_length=100)]
    agents: list[AgentSection] = []
    policy: PolicySection = PolicySection()

    def names(self) -> list[tuple[tuple[str | int, ...], str]]:
        """Every person or channel given by name, with its path: what is left to look up."""
        found: list[tuple[tuple[str | int, ...], str | None]] = [
            (("account", "alerts_channel"), self.account.alerts_channel),
            (("account", "sales_contact"), self.account.sales_contact),
            (("roles", "owner"), self.roles.owner),
            *((("roles", "billing_admins", i), u) for i, u in enumerate(self.roles.billing_admins)),
            *((("roles", "admins", i), u) for i, u in enumerate(self.roles.admins)),
            *((("agents", i, "user"), a.user) for i, a in enumerate(self.agents)),
        ]
        return [(loc, value) for loc, value in found if value is not None and is_name(value)]

    @model_validator(mode="after")
    def _cross_checks(self) -> AccountFile:
        seen_keys: set[str] = set()
        suites: dict[str, int] = {}
        for index, product in enumerate(self.products):
            if product.key in seen_keys:
                raise FieldError(
                    ("products", index, "key"),
                    f"product {product.key!r} is listed twice",
                    code="product_twice",
                    key=product.key,
                )
            seen_keys.add(product.key)
            if product.suite is None:
                continue
            seats = suites.setdefault(product.suite, product.seats)
            if seats != product.seats:
                raise FieldError(
                    ("products", index, "seats"),
                    f"products of suite {product.suite!r} must have the same number of seats",
                    code="suite_seats",
                    suite=product.suite,
                )
        if self.account.plan is Plan.SALES_ASSISTED and not self.account.sales_contact:
            raise FieldError(
                ("account", "plan"),
                "a sales_assisted account needs account.sales_contact",
                code="sales_contact_needed",
            )
        licensed = {p.key: p.seats for p in self.products}
        used: dict[str, set[str]] = {}
        first_over: dict[str, int] = {}
        for index, agent in enumerate(self.agents):
            if agent.product not in licensed:
                raise FieldError(
                    ("agents", index, "product"), f"agent {agent.user}: unknown product {agent.product!r}"
                )
            holders = used.setdefault(agent.product, set())
            if agent.user in holders:
                raise FieldError(
                    ("agents", index, "user"), f"agent {agent.user} is listed twice for {agent.product}"
                )
            holders.add(agent.user)
            if len(holders) > licensed[agent.product]:
                first_over.setdefault(agent.product, index)
        for key, index in first_over.items():
            # Pointed at the first agent who has no seat left.
            raise FieldError(
                ("agents", index),
                f"{key} has {licensed[key]} seat{'' if licensed[key] == 1 else 's'} "
                f"but {len(used[key])} agents",
                code="fewer_seats_than_agents",
                key=key,
                seats=licensed[key],
                agents=len(used[key]),
            )
        return self


@dataclass(frozen=True)
class FileProblem:
    """One thing wrong with the file, located for a person."""

    where: str
    line: int | None
    message: str

    def __str__(self) -> str:
        at = f"line {self.line}, " if self.line else ""
        return f"{at}{self.where}: {self.message}" if self.where else f"{at}{self.message}"


class AccountFileError(Exception):
    def __init__(self, path: Path, problems: list[FileProblem]) -> None:
        self.path = path
        self.problems = problems
        super().__init__("\n".join(f"{path}: {p}" for p in problems))


class NamesUnavailable(Exception):
    """Names cannot be looked up; the message says what would let them be."""


class Directory(Protocol):
    """Who and what the names of a file stand for (Slack's directory, at load time)."""

    def people_named(self, name: str) -> list[str]:
        """Ids of the people whose handle or display name is `name` (without the @)."""
        ...

    def channels_named(self, name: str) -> list[str]:
        """Ids of the channels called `name` (without the #)."""
        ...


class _NoDirectory:
    def people_named(self, name: str) -> list[str]:
        raise NamesUnavailable("give seatbot a way to look names up")

    def channels_named(self, name: str) -> list[str]:
        return self.people_named(name)


def read_account_file(path: Path, *, directory: Directory | None = None) -> AccountFile:
    """Parse and validate the file, and look up its names in `directory`; raise
    AccountFileError listing every problem. The result holds ids only."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AccountFileError(path, [FileProblem("", None, f"cannot read: {exc}")]) from exc
    document = _parse(path, text)
    data = _validate(path, document.data, document.lines)
    names = data.names()
    if not names:
        return data
    resolved = copy.deepcopy(document.data)
    problems = []
    for loc, name in names:
        where = ".".join(str(part) for part in loc)
        try:
            found = _look_up(directory or _NoDirectory(), name)
        except _Unresolved as exc:
            problems.append(FileProblem(where, _nearest_line(document.lines, loc), str(exc)))
            continue
        node: Any = resolved
        for part in loc[:-1]:
            node = node[part]
        node[loc[-1]] = found
    if problems:
        raise AccountFileError(path, problems)
    # Checked again with ids: `@ana` and `U0ANA` may be one person listed twice.
    return _validate(path, resolved, document.lines)


class _Unresolved(Exception):
    pass


def _look_up(directory: Directory, name: str) -> str:
    channel = name.startswith("#")
    what, kind, prefix = ("channel", "channels", "C") if channel else ("person", "people", "U")
    try:
        ids = directory.channels_named(name[1:]) if channel else directory.people_named(name[1:])
    except NamesUnavailable as exc:
        raise _Unresolved(f"{name} is a name: write the {what}'s id ({prefix}…), or {exc}") from exc
    if not ids:
        raise _Unresolved(f"no {what} named {name}")
    if len(ids) > 1:
        raise _Unresolved(f"{len(ids)} {kind} are called {name}: {', '.join(sorted(ids))}; use the id")
    return ids[0]


@dataclass(frozen=True)
class _Document:
    data: dict[str, Any]
    lines: dict[tuple[Any, ...], int]
    """The 1-based line of every node, by its path (keys and list indexes)."""


def _parse(path: Path, text: str) -> _Document:
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        duplicates = list(_duplicate_keys(node, ()))
        if duplicates:
            raise AccountFileError(path, duplicates)
        data = loader.construct_document(node) if node is not None else None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or str(exc)
        raise AccountFileError(path, [FileProblem("", line, f"not valid YAML: {problem}")]) from exc
    finally:
        loader.dispose()
    if node is None or not isinstance(data, dict):
        raise AccountFileError(path, [FileProblem("", 1, "expected a mapping with account, roles, products")])
    return _Document(data, {(): node.start_mark.line + 1, **dict(_line_index(node, ()))})


def _validate(path: Path, data: dict[str, Any], lines: dict[tuple[Any, ...], int]) -> AccountFile:
    try:
        return AccountFile.model_validate(data)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            # A cross-field rule names the field at fault below the model that checks it.
            below = getattr((error.get("ctx") or {}).get("error"), "loc", ())
            loc = (*error["loc"], *below)
            where = ".".join(str(part) for part in loc)
            problems.append(FileProblem(where, _nearest_line(lines, loc), _message(error)))
        raise AccountFileError(path, problems) from exc


def _message(error: Any) -> str:
    message = str(error["msg"])
    return message.removeprefix("Value error, ")


def _duplicate_keys(node: yaml.Node | None, path: tuple[Any, ...]) -> Iterator[FileProblem]:
    """A key given twice in one mapping: YAML loaders silently keep the last one, which
    hides a typo (two `products:`), so the file is refused instead."""
    if isinstance(node, yaml.MappingNode):
        first: dict[Any, int] = {}
        for key, value in node.value:
            line = key.start_mark.line + 1
            if isinstance(key, yaml.ScalarNode) and key.value in first:
                where = ".".join(str(part) for part in (*path, key.value))
                yield FileProblem(where, line, f"given twice (first on line {first[key.value]}); keep one")
            elif isinstance(key, yaml.ScalarNode):
                first[key.value] = line
            yield from _duplicate_keys(value, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield from _duplicate_keys(item, (*path, index))


def _line_index(node: yaml.Node | None, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], int]]:
    """Yield (path, 1-based line) for every node of the YAML document.

    A mapping's entry is located at its key (`seats: -1` is on the key's line even when
    the value is a block below it), so a field missing from it points at its parent key.
    """
    if node is None:
        return
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield (*path, key.value), key.start_mark.line + 1
            yield from _children(value, (*path, key.value))
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            yield (*path, index), item.start_mark.line + 1
            yield from _children(item, (*path, index))


def _children(node: yaml.Node, path: tuple[Any, ...]) -> Iterator[tuple[tuple[Any, ...], int]]:
    if isinstance(node, yaml.MappingNode | yaml.SequenceNode):
        yield from _line_index(node, path)


def _nearest_line(lines: dict[tuple[Any, ...], int], loc: tuple[Any, ...]) -> int | None:
    while loc:
        if loc in lines:
            return lines[loc]
        loc = loc[:-1]
    return lines.get(())


def dump_account_file(data: AccountFile) -> str:
    """The file as `seatbot load` reads it back unchanged: keys in the documented order,
    optional fields left out when empty, products and agents one line each, no comments."""
    document = data.model_dump(mode="python", exclude_none=True)
    for section in ("products", "agents"):
        document[section] = [_Row(item) for item in document[section]]
    return yaml.dump(
        document, Dumper=_Dumper, sort_keys=False, allow_unicode=True, default_flow_style=False, width=4096
    )


class _Row(dict[str, Any]):
    """A list item written on one line, `- {key: support, …}`, as the format shows it."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        # Items indented under their key, as people write them.
        super().increase_indent(flow, False)


def _row(dumper: yaml.SafeDumper, row: _Row) -> yaml.Node:
    return dumper.represent_mapping("tag:yaml.org,2002:map", row, flow_style=True)


def _list(dumper: yaml.SafeDumper, items: list[Any]) -> yaml.Node:
    ids = all(isinstance(item, str) for item in items)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", items, flow_style=ids)


def _decimal(dumper: yaml.SafeDumper, value: Decimal) -> yaml.Node:
    if value == value.to_integral_value():
        return dumper.represent_int(int(value))
    return dumper.represent_scalar("tag:yaml.org,2002:float", format(value.normalize(), "f"))


def _timestamp(dumper: yaml.SafeDumper, value: datetime) -> yaml.Node:
    # Quoted, as a timestamp cannot be written plain inside `{…}`; the schema parses it back.
    return dumper.represent_str(value.astimezone(UTC).isoformat().replace("+00:00", "Z"))


_Dumper.add_representer(_Row, _row)
_Dumper.add_representer(list, _list)
_Dumper.add_representer(Decimal, _decimal)
_Dumper.add_representer(datetime, _timestamp)
_Dumper.add_multi_representer(StrEnum, lambda dumper, value: dumper.represent_str(str(value)))
