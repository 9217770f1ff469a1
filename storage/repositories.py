"""Data access: keyword-only functions that take the session and never commit.

The service that calls them owns the transaction (STYLE, practice 4).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import (
    CTE,
    JSON,
    BindParameter,
    ColumnElement,
    CursorResult,
    Integer,
    Result,
    Select,
    String,
    Text,
    and_,
    any_,
    bindparam,
    case,
    column,
    func,
    or_,
    update,
    values,
)
from sqlalchemy import cast as sql_cast
from sqlalchemy import select as sql_select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import aliased
from sqlalchemy.types import TypeEngine
from sqlmodel import Session, SQLModel, col, select

from storage.models import (
    Account,
    AuditEvent,
    ChangeRequest,
    ChangeRequestLine,
    PendingAssignment,
    Product,
    RequestStatus,
    Role,
    RoleGrant,
    SeatAssignment,
    WaitingStatus,
)

_Row = TypeVar("_Row", bound=SQLModel)


def rowcount(result: Result[Any]) -> int:
    """Rows matched by an UPDATE or DELETE: how conditional writes learn whether they won."""
    return int(cast(CursorResult[Any], result).rowcount)


def update_if_pending(session: Session, request_id: int, *conditions: Any, **values: Any) -> bool:
    """`UPDATE change_request SET … WHERE id = … AND status = 'pending' AND <conditions>`.

    The one way a pending request changes: of several writers racing (two
    approvers, a double click, replicas of a job), exactly one sees True.
    """
    statement = (
        update(ChangeRequest)
        .where(
            col(ChangeRequest.id) == request_id,
            col(ChangeRequest.status) == RequestStatus.PENDING.value,
            *conditions,
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return rowcount(session.execute(statement)) == 1


def per_request(
    session: Session, name: str, ids: Sequence[int], **columns: tuple[TypeEngine[Any], Sequence[Any]]
) -> CTE:
    """Requests' ids, and values that differ from request to request (each column's type
    and values, in the order of `ids`), as a table `name(id, *columns)` for
    `update_pending_many` to join: one statement however many requests."""
    every = {"id": (Integer(), ids), **columns}
    if _is_postgresql(session):
        return _unnested(every).cte(name)
    names = [column(key, type_) for key, (type_, _) in every.items()]
    return values(*names, name=name).data(list(zip(*(v for _, v in every.values()), strict=True))).cte(name)


def update_pending_many(session: Session, each: CTE, *conditions: Any, **values_: Any) -> set[int]:
    """`update_if_pending` for many requests in one statement: `UPDATE change_request SET …
    FROM each WHERE id = each.id AND status = 'pending' AND <conditions> RETURNING id`.

    `each` is a `per_request` table, whose columns the conditions and values may use.
    Returns the ids it updated: of racing writers, each request goes to exactly one.
    """
    statement = (
        update(ChangeRequest)
        .where(col(ChangeRequest.id) == each.c.id, col(ChangeRequest.status) == RequestStatus.PENDING.value)
        .where(*conditions)
        .values(**values_)
        .returning(col(ChangeRequest.id))
    )
    result = session.execute(statement.execution_options(synchronize_session=False))
    return {int(request_id) for request_id in result.scalars()}


def insert_many(
    session: Session, model: type[SQLModel], rows: Sequence[Mapping[str, Any]], *, unique: str | None = None
) -> None:
    """Insert `rows` (the same keys in each), in order; with `unique` (a unique column),
    leaving out any whose value is taken (`ON CONFLICT DO NOTHING`), so that inserting the
    same rows twice, even at once, is harmless."""
    if not rows:
        return
    table = cast(Any, model).__table__
    if _is_postgresql(session):
        # One INSERT … SELECT of an array a column: a few parameters however many rows (a
        # multi-row VALUES costs the driver and the planner thousands).
        keys = tuple(rows[0])
        once, params = _unnest_values({key: (table.c[key].type, [row[key] for row in rows]) for key in keys})
        session.execute(_unnested_insert(table, keys, once, unique), params)
        return
    # SQLite runs in the process: one INSERT a row (executemany) costs no round trip.
    statement: Any = sqlite.insert(table)
    if unique:
        statement = statement.on_conflict_do_nothing(index_elements=[unique])
    session.execute(statement, list(rows))


def insert_ignoring(
    session: Session, model: type[SQLModel], row: Mapping[str, Any], *, key: Sequence[str]
) -> None:
    """Insert `row` unless one with the same `key` (a unique set of columns) is there:
    `ON CONFLICT DO NOTHING`, so that two inserting at once are harmless."""
    table = cast(Any, model).__table__
    session.execute(_insert(session, table).values(**row).on_conflict_do_nothing(index_elements=list(key)))


def insert_unless_taken(session: Session, row: _Row) -> _Row | None:
    """`row` inserted and returned as stored (in the session), or None when a unique key of
    its table is taken (`ON CONFLICT DO NOTHING`): the transaction goes on as it was, with
    no savepoint to set and release around the insert."""
    model = type(row)
    values = row.model_dump(exclude={"id"})  # the key is the database's to give
    statement = _insert_unless_taken(model, _is_postgresql(session), tuple(values))
    return session.scalars(statement, values).first()


@functools.lru_cache(maxsize=64)
def _insert_unless_taken(model: type[SQLModel], postgres: bool, columns: tuple[str, ...]) -> Any:
    """The statement for `columns` of `model`, built once: building it and its cache key
    cost more than a request's insert."""
    dialect_insert = postgresql.insert if postgres else sqlite.insert
    return (
        dialect_insert(model)
        .values({name: bindparam(name) for name in columns})
        .on_conflict_do_nothing()
        .returning(model)
    )


def _insert(session: Session, target: Any) -> Any:
    """The dialect's own INSERT, which has `ON CONFLICT`."""
    return (postgresql if _is_postgresql(session) else sqlite).insert(target)


def one_of(session: Session, column_: Any, ids: Collection[int]) -> Any:
    """`column IN (…ids)`; on PostgreSQL `column = ANY(:ids)`: one array parameter, not one
    a value (hundreds, for a scheduler batch), for the driver to send and the planner to read."""
    if _is_postgresql(session):
        return column_ == any_(bindparam(None, list(ids), type_=ARRAY(Integer())))
    return column_.in_(list(ids))


def _is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _unnested(columns: Mapping[str, tuple[TypeEngine[Any], Sequence[Any]]]) -> Select[Any]:
    """PostgreSQL: `SELECT unnest(:a) AS a, unnest(:b) AS b, …` with `columns`' values bound:
    see `_unnest_select`."""
    once, params = _unnest_values(columns)
    return _unnest_select(tuple((key, type_) for key, (type_, _) in columns.items()), once).params(params)


def _unnest_values(
    columns: Mapping[str, tuple[TypeEngine[Any], Sequence[Any]]],
) -> tuple[tuple[bool, ...], dict[str, Any]]:
    """Which columns have one value in every row (sent once), and each column's parameter."""
    once: list[bool] = []
    params: dict[str, Any] = {}
    for key, (type_, items) in columns.items():
        if isinstance(type_, JSON):  # as JSON text: None is JSON null, as the ORM writes it
            items = [json.dumps(item) for item in items]
        single = bool(once) and all(item == items[0] for item in items)
        once.append(single)
        params[f"u_{key}"] = items[0] if single else list(items)
    return tuple(once), params


def _unnest_select(types: Sequence[tuple[str, TypeEngine[Any]]], once: Sequence[bool]) -> Select[Any]:
    """PostgreSQL: `SELECT unnest(:u_a) AS a, unnest(:u_b) AS b, …`, one array parameter a
    column, unnested side by side into rows. A column with one value in every row (the
    time, the kind of message…) is sent once, not as an array: the driver spends more on
    each array item (a timestamp above all) than the database does. The first column is
    always an array: it gives the number of rows."""
    selected: list[Any] = []
    for (key, type_), single in zip(types, once, strict=True):
        sent = Text() if isinstance(type_, JSON) else type_
        value: Any = bindparam(f"u_{key}", type_=sent if single else ARRAY(sent))
        if not single:
            value = func.unnest(value)
        if isinstance(type_, JSON):
            value = sql_cast(value, type_)
        selected.append(value.label(key))
    return sql_select(*selected)


@functools.lru_cache(maxsize=256)
def _unnested_insert(table: Any, keys: tuple[str, ...], once: tuple[bool, ...], unique: str | None) -> Any:
    """`insert_many`'s statement for one shape of rows, built once: building a statement and
    its cache key cost more than a request's rows."""
    source = _unnest_select(tuple((key, table.c[key].type) for key in keys), once)
    statement: Any = postgresql.insert(table).from_select(list(keys), source)
    if unique:
        statement = statement.on_conflict_do_nothing(index_elements=[unique])
    return statement


# The statements every request runs are built once, with bound parameters: building a
# statement and computing its cache key cost more CPU than running it.
_ACCOUNT_BY_TEAM = select(Account).where(Account.team_id == bindparam("team_id"))
_GRANT_OF_USER = and_(col(RoleGrant.account_id) == Account.id, col(RoleGrant.user_id) == bindparam("user_id"))
"""Joined to the account: the person's role on it, if they have one."""
_ACCOUNT_AND_ROLE = (
    select(Account, RoleGrant.role)
    .outerjoin(RoleGrant, _GRANT_OF_USER)
    .where(Account.team_id == bindparam("team_id"))
)
_THE_TEAMS_ACCOUNT = aliased(Account)
_TEAMS_ACCOUNT_ID = (
    sql_select(col(_THE_TEAMS_ACCOUNT.id))
    .where(col(_THE_TEAMS_ACCOUNT.team_id) == bindparam("team_id"))
    .scalar_subquery()
)
"""The team's account, named without reference to the outer row: a subquery of a team's
statement that uses it runs once (PostgreSQL's InitPlan), where one correlated to the
outer account ran again for every product row."""
_PENDING_OF_USER = (
    sql_select(col(ChangeRequest.id))
    .where(
        col(ChangeRequest.account_id) == _TEAMS_ACCOUNT_ID,
        col(ChangeRequest.requester_id) == bindparam("user_id"),
        col(ChangeRequest.status) == RequestStatus.PENDING.value,
    )
    .limit(1)
    .scalar_subquery()
)
_MADE_WITH_KEY = (
    sql_select(col(ChangeRequest.id))
    .where(
        col(ChangeRequest.account_id) == _TEAMS_ACCOUNT_ID,
        col(ChangeRequest.idempotency_key) == bindparam("key"),  # unique in an account
    )
    .scalar_subquery()
)


def account_by_team(session: Session, *, team_id: str) -> Account | None:
    return session.exec(_ACCOUNT_BY_TEAM, params={"team_id": team_id}).first()


def account_and_role(session: Session, *, team_id: str, user_id: str) -> tuple[Account, Role] | None:
    """The team's account and the person's role on it, in one round trip (every request's first)."""
    found = session.exec(_ACCOUNT_AND_ROLE, params={"team_id": team_id, "user_id": user_id}).first()
    if found is None:
        return None
    account, role = found
    return account, Role(role) if role else Role.MEMBER


_PRODUCTS = (
    select(Product)
    .where(Product.account_id == bindparam("account_id"))
    .order_by(col(Product.position), col(Product.id))
)
_PRODUCTS_IN_USE = (
    select(Product, func.count(col(SeatAssignment.id)))
    .outerjoin(SeatAssignment, col(SeatAssignment.product_id) == col(Product.id))
    .where(Product.account_id == bindparam("account_id"))
    .group_by(col(Product.id))  # its key: PostgreSQL then takes the other columns as they are
    .order_by(col(Product.position), col(Product.id))
)


def products(session: Session, *, account_id: int) -> list[Product]:
    return list(session.exec(_PRODUCTS, params={"account_id": account_id}))


def products_in_use(session: Session, *, account_id: int) -> list[tuple[Product, int]]:
    """Every product of the account, in display order, with its seats in use: one query."""
    rows = session.exec(_PRODUCTS_IN_USE, params={"account_id": account_id})
    return [(product, int(count)) for product, count in rows]


@dataclass(frozen=True)
class AccountFacts:
    """What a summary shows of an account, read as plain values (no ORM instance)."""

    id: int
    name: str
    plan: str
    currency: str
    change_requests: bool
    alert_threshold_pct: int | None
    created_at: datetime


@dataclass(frozen=True)
class ProductFacts:
    """What a summary shows of a product, read as plain values."""

    id: int
    key: str
    name: str
    edition: str
    seats: int
    price_per_seat: Decimal | None
    suite: str | None


@dataclass(frozen=True)
class Catalog:
    """An account as one person sees it: their role, and each product with its seats in use."""

    account: AccountFacts
    role: Role
    products: tuple[tuple[ProductFacts, int], ...]


_ACCOUNT_FACTS: tuple[Any, ...] = (
    Account.id,
    Account.name,
    Account.plan,
    Account.currency,
    Account.change_requests,
    Account.alert_threshold_pct,
    Account.created_at,
)
_PRODUCT_FACTS: tuple[Any, ...] = (
    Product.id,
    Product.key,
    Product.name,
    Product.edition,
    Product.seats,
    Product.price_per_seat,
    Product.suite,
)
_IN_USE = func.count(col(SeatAssignment.id))


def _of_team(*columns: Any) -> Select[Any]:
    """`columns` of the team's account, the person's role on it and each of its products
    with its seats in use: one row a product (one row, with no product, for an account
    with none yet), in display order."""
    return (
        sql_select(*columns)
        .select_from(Account)
        .outerjoin(RoleGrant, _GRANT_OF_USER)
        .outerjoin(Product, col(Product.account_id) == Account.id)
        .outerjoin(SeatAssignment, col(SeatAssignment.product_id) == col(Product.id))
        .where(col(Account.team_id) == bindparam("team_id"))
        .group_by(col(Account.id), col(RoleGrant.id), col(Product.id))  # keys: the rest follows
        .order_by(col(Product.position), col(Product.id))
    )


_CATALOG_OF_TEAM = _of_team(*_ACCOUNT_FACTS, col(RoleGrant.role), *_PRODUCT_FACTS, _IN_USE)
"""The summary's one statement, as plain values."""
_CATALOG_OF_ACCOUNT = (
    sql_select(*_PRODUCT_FACTS, _IN_USE)
    .outerjoin(SeatAssignment, col(SeatAssignment.product_id) == col(Product.id))
    .where(col(Product.account_id) == bindparam("account_id"))
    .group_by(col(Product.id))
    .order_by(col(Product.position), col(Product.id))
)
_ACCOUNT_WIDTH = len(_ACCOUNT_FACTS)


def catalog_of(session: Session, *, team_id: str, user_id: str) -> Catalog | None:
    """The team's account, the person's role on it and every product in display order with
    its seats in use: one statement, read as plain rows (the summary is read far more often
    than anything else, and building ORM instances cost more than the query)."""
    rows = session.connection().execute(_CATALOG_OF_TEAM, {"team_id": team_id, "user_id": user_id}).all()
    if not rows:
        return None
    first = rows[0]
    account = AccountFacts(*first[:_ACCOUNT_WIDTH])
    role = first[_ACCOUNT_WIDTH]
    products = tuple(
        (ProductFacts(*row[_ACCOUNT_WIDTH + 1 : -1]), int(row[-1]))
        for row in rows
        if row[_ACCOUNT_WIDTH + 1] is not None  # an account with no product yet: one row, no product
    )
    return Catalog(account, Role(role) if role else Role.MEMBER, products)


def products_with_use(session: Session, *, account_id: int) -> tuple[tuple[ProductFacts, int], ...]:
    """`catalog_of`'s products, for an account already known: one statement, plain rows."""
    rows = session.connection().execute(_CATALOG_OF_ACCOUNT, {"account_id": account_id})
    return tuple((ProductFacts(*row[:-1]), int(row[-1])) for row in rows)


_GRANT = aliased(RoleGrant)
_HOLDERS_OF_ACCOUNT = (
    sql_select(
        func.aggregate_strings(
            col(_GRANT.role) + ":" + sql_cast(col(_GRANT.id), String) + ":" + col(_GRANT.user_id), " "
        )
    )
    .where(
        col(_GRANT.account_id) == _TEAMS_ACCOUNT_ID,
        col(_GRANT.role).in_(bindparam("holder_roles", expanding=True)),
    )
    .scalar_subquery()
)
"""Who holds the roles asked for, as `role:grant id:user` words: sorted by `_holders`."""


def _stock_query(*, pending: bool, made: bool, holders: bool) -> Select[Any]:
    asked = []
    if pending or made:
        asked.append(_PENDING_OF_USER.label("pending_id"))
    if made:
        asked.append(_MADE_WITH_KEY.label("made_id"))
    if holders:
        asked.append(_HOLDERS_OF_ACCOUNT.label("holders"))
    return _of_team(Account, col(RoleGrant.role), *asked, Product, _IN_USE)


_STOCK = {
    (pending, made, holders): _stock_query(pending=pending, made=made, holders=holders)
    for pending in (False, True)
    for made in (False, True)
    for holders in (False, True)
}
"""Each variant built once: building a statement and its cache key costs more than running it."""


def _holders(words: str | None) -> list[str]:
    """`_HOLDERS_OF_ACCOUNT`'s words as user ids, owner first, then in grant order."""
    grants = [word.split(":", 2) for word in (words or "").split()]
    ordered = sorted(grants, key=lambda grant: _grant_order(grant[0], int(grant[1])))
    return [user_id for _, _, user_id in ordered]


def _grant_order(role: str, grant_id: int) -> tuple[bool, int]:
    """How holders are listed: the owner first, then in the order they were granted."""
    return role != Role.OWNER.value, grant_id


@dataclass(frozen=True)
class Stock:
    """What a change is drafted against: the account as the person acts on it, their role,
    their pending request if asked for, and each product in display order with its seats
    in use (products with none are absent from `used`)."""

    account: Account
    role: Role
    pending_id: int | None
    products: list[Product]
    used: dict[int, int]
    made_id: int | None = None
    """The request the idempotency key asked about already made, if any."""
    holders: list[str] | None = None
    """Who holds the roles asked for (owner first, then in grant order), if asked."""


def stock_of(
    session: Session,
    *,
    team_id: str,
    user_id: str,
    pending: bool = False,
    made_with: str | None = None,
    holders: Iterable[Role] | None = None,
) -> Stock | None:
    """`account_and_role` and `products_and_usage` (with `pending`, the id of the person's
    pending request too; with `made_with`, that and the id of the request this idempotency
    key made; with `holders`, who holds those roles) in one statement: what the change
    form, each of its keystrokes and a submission read first."""
    query = _STOCK[(pending, made_with is not None, holders is not None)]
    params: dict[str, Any] = {"team_id": team_id, "user_id": user_id}
    if made_with is not None:
        params["key"] = made_with
    if holders is not None:
        params["holder_roles"] = [role.value for role in holders]
    rows = session.execute(query, params).all()
    if not rows:
        return None
    first = rows[0]._mapping
    account, role = rows[0][0], rows[0][1]
    products: list[Product] = []
    used: dict[int, int] = {}
    for *_, product, count in rows:
        if product is None:
            continue  # an account with no product yet
        products.append(product)
        if count:
            used[product.id or 0] = int(count)
    return Stock(
        account,
        Role(role) if role else Role.MEMBER,
        first.get("pending_id"),
        products,
        used,
        first.get("made_id"),
        _holders(first.get("holders")) if holders is not None else None,
    )


def to_free(idle_before: datetime | BindParameter[datetime]) -> ColumnElement[bool]:
    """A seat to free before buying more: its holder is deactivated in Slack, or was
    last active before `idle_before`."""
    return or_(
        col(SeatAssignment.deactivated_at).is_not(None),
        col(SeatAssignment.last_active_at) < idle_before,
    )


def seats_to_free(session: Session, *, product_id: int, idle_before: datetime) -> int:
    """Seats of the product held by people deactivated in Slack or idle since before `idle_before`."""
    query = (
        select(func.count())
        .select_from(SeatAssignment)
        .where(SeatAssignment.product_id == product_id, to_free(idle_before))
    )
    return int(session.exec(query).one())


_PRODUCTS_IN_USE_AND_TO_FREE = (
    select(
        Product,
        func.count(col(SeatAssignment.id)),
        func.count(case((to_free(bindparam("idle_before")), 1))),
    )
    .outerjoin(SeatAssignment, col(SeatAssignment.product_id) == col(Product.id))
    .where(Product.account_id == bindparam("account_id"))
    .group_by(col(Product.id))
    .order_by(col(Product.position), col(Product.id))
)


def products_in_use_and_to_free(
    session: Session, *, account_id: int, idle_before: datetime
) -> list[tuple[Product, int, int]]:
    """`products_in_use`, with the seats of each that could be freed first (`seats_to_free`):
    still one query."""
    rows = session.exec(
        _PRODUCTS_IN_USE_AND_TO_FREE, params={"account_id": account_id, "idle_before": idle_before}
    )
    return [(product, int(n), int(i)) for product, n, i in rows]


def products_and_usage(session: Session, *, account_id: int) -> tuple[list[Product], dict[int, int]]:
    """`products_in_use` as the account's products in order and the seats in use of each
    (products with none are absent)."""
    rows = products_in_use(session, account_id=account_id)
    return [product for product, _ in rows], {product.id or 0: used for product, used in rows if used}


def used_seats(session: Session, *, account_id: int) -> dict[int, int]:
    """Seats in use per product id (products with none are absent)."""
    query = (
        select(SeatAssignment.product_id, func.count())
        .where(SeatAssignment.account_id == account_id)
        .group_by(col(SeatAssignment.product_id))
    )
    return {product_id: count for product_id, count in session.exec(query)}


def record_activity(session: Session, *, account_id: int, seen: Sequence[tuple[int, str, datetime]]) -> int:
    """Set when each (product id, user id) agent was last active, where it differs; how many
    seats changed (a usage export loaded twice changes nothing the second time)."""
    changed = 0
    for product_id, user_id, at in seen:
        statement = (
            update(SeatAssignment)
            .where(
                col(SeatAssignment.account_id) == account_id,
                col(SeatAssignment.product_id) == product_id,
                col(SeatAssignment.user_id) == user_id,
                or_(col(SeatAssignment.last_active_at).is_(None), col(SeatAssignment.last_active_at) != at),
            )
            .values(last_active_at=at)
            .execution_options(synchronize_session=False)
        )
        changed += rowcount(session.execute(statement))
    return changed


def seats_in_use(session: Session, *, product_id: int) -> int:
    query = select(func.count()).select_from(SeatAssignment).where(SeatAssignment.product_id == product_id)
    return int(session.exec(query).one())


def seats_in_use_of(session: Session, *, product_ids: Sequence[int]) -> dict[int, int]:
    """Seats in use of each of these products (products with none are absent)."""
    query = (
        select(SeatAssignment.product_id, func.count())
        .where(col(SeatAssignment.product_id).in_(product_ids))
        .group_by(col(SeatAssignment.product_id))
    )
    return {product_id: count for product_id, count in session.exec(query)}


def waiting(session: Session, *, product_id: int) -> list[PendingAssignment]:
    """Who waits for a seat of the product, first come first served."""
    query = select(PendingAssignment).where(
        PendingAssignment.product_id == product_id,
        PendingAssignment.status == WaitingStatus.WAITING.value,
    )
    return list(session.exec(query.order_by(col(PendingAssignment.created_at), col(PendingAssignment.id))))


def assignments(session: Session, *, account_id: int) -> list[SeatAssignment]:
    query = select(SeatAssignment).where(SeatAssignment.account_id == account_id)
    return list(session.exec(query.order_by(col(SeatAssignment.id))))


_ROLE_GRANTS = (
    select(RoleGrant).where(RoleGrant.account_id == bindparam("account_id")).order_by(col(RoleGrant.id))
)
_HOLDERS_BY_ROLE = (
    sql_select(col(RoleGrant.role), col(RoleGrant.user_id))
    .where(col(RoleGrant.account_id) == bindparam("account_id"))
    .order_by(col(RoleGrant.id))
)
_HOLDERS_IN = select(RoleGrant).where(
    col(RoleGrant.account_id).in_(bindparam("account_ids", expanding=True)),
    col(RoleGrant.role).in_(bindparam("roles", expanding=True)),
)


def role_grants(session: Session, *, account_id: int) -> list[RoleGrant]:
    return list(session.exec(_ROLE_GRANTS, params={"account_id": account_id}))


def holders_by_role(session: Session, *, account_id: int) -> dict[Role, list[str]]:
    """Every role's holders in grant order (members: none), read as plain rows: an account
    may have hundreds of admins, and App Home shows them on every redraw."""
    holders: dict[Role, list[str]] = {role: [] for role in Role}
    for role, user_id in session.connection().execute(_HOLDERS_BY_ROLE, {"account_id": account_id}):
        holders[Role(role)].append(user_id)
    return holders


def role_of(session: Session, *, account_id: int, user_id: str) -> Role:
    query = select(RoleGrant.role).where(RoleGrant.account_id == account_id, RoleGrant.user_id == user_id)
    role = session.exec(query).first()
    return Role(role) if role else Role.MEMBER


def holders_of(session: Session, *, account_id: int, roles: Iterable[Role]) -> list[str]:
    """User ids holding any of `roles`, owner first, then in grant order."""
    return holders_in(session, account_ids=[account_id], roles=roles).get(account_id, [])


def holders_in(
    session: Session, *, account_ids: Collection[int], roles: Iterable[Role]
) -> dict[int, list[str]]:
    """`holders_of` each of these accounts, in one query (accounts with none are absent)."""
    found = session.exec(
        _HOLDERS_IN, params={"account_ids": list(account_ids), "roles": [r.value for r in roles]}
    )
    grants = sorted(found, key=lambda g: _grant_order(g.role, g.id or 0))
    holders: dict[int, list[str]] = {}
    for grant in grants:
        holders.setdefault(grant.account_id, []).append(grant.user_id)
    return holders


def add_audit(
    session: Session,
    *,
    account_id: int,
    at: datetime,
    actor_id: str | None,
    action: str,
    subject_type: str,
    subject_id: str | None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """One audit event, inserted at once as a plain row (`add_audits`), not an object for the
    session to flush: nothing reads it back in the transaction that writes it."""
    add_audits(
        session,
        [
            {
                "account_id": account_id,
                "at": at,
                "actor_id": actor_id,
                "action": action,
                "subject_type": subject_type,
                "subject_id": subject_id,
                "before": before,
                "after": after,
            }
        ],
    )


def add_request_lines(session: Session, lines: Sequence[Mapping[str, Any]]) -> None:
    """A request's lines (their columns as keys), inserted as plain rows (`insert_many`):
    nothing reads them back in the transaction that writes them."""
    insert_many(session, ChangeRequestLine, lines)


def add_audits(session: Session, events: Sequence[Mapping[str, Any]]) -> None:
    """`add_audit` for many events (their columns as keywords), in as few INSERTs as the
    driver allows, in order."""
    insert_many(session, AuditEvent, events)
