"""A seat change being drafted: parse what was typed, preview its effect, find what is wrong.

Shared by the live summary in the change modal, the direct change, the
request, and the re-check at approval time, so the rules are written once.
"""

from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlmodel import Session, col, select

from bot.domain.errors import Problem
from storage.models import MAX_SEATS, Product, SeatAssignment

MAX_JUSTIFICATION = 3000


@dataclass(frozen=True)
class Holder:
    user_id: str
    assigned_at: datetime


@dataclass(frozen=True)
class LinePreview:
    key: str
    name: str
    edition: str
    before: int
    after: int
    used: int
    price_per_seat: Decimal | None
    suite: str | None
    releases: tuple[Holder, ...] = ()
    """Agents who lose their seat, most recently assigned first."""

    @property
    def delta(self) -> int:
        return self.after - self.before

    @property
    def cost_delta(self) -> Decimal | None:
        return None if self.price_per_seat is None else self.price_per_seat * self.delta


@dataclass(frozen=True)
class ChangePreview:
    currency: str
    lines: tuple[LinePreview, ...]
    """Only the products whose count changes, in display order."""
    suite_problems: tuple[Problem, ...] = ()

    @property
    def cost_delta(self) -> Decimal | None:
        costs = [line.cost_delta for line in self.lines if line.cost_delta is not None]
        return sum(costs, Decimal(0)) if costs else None

    @property
    def releases(self) -> tuple[tuple[LinePreview, Holder], ...]:
        return tuple((line, holder) for line in self.lines for holder in line.releases)

    @property
    def release_token(self) -> str:
        """Names the exact set of agents shown for confirmation; if usage moves before
        the change is submitted, the token no longer matches and we ask again."""
        ids = sorted(f"{line.key}:{holder.user_id}" for line, holder in self.releases)
        return hashlib.sha256("|".join(ids).encode()).hexdigest()[:16]


def parse_counts(raw: Mapping[str, str | None], known: set[str]) -> tuple[dict[str, int], list[Problem]]:
    """Turn typed values into seat counts; empty fields mean "unchanged"."""
    counts: dict[str, int] = {}
    problems: list[Problem] = []
    for key, value in raw.items():
        if key not in known:
            problems.append(Problem("unknown_product", None, {"product": key}))
            continue
        text = unicodedata.normalize("NFKC", value or "").strip()
        if not text:
            continue
        sign = -1 if text.startswith("-") else 1
        digits = text.lstrip("+-").strip()
        if not digits.isascii() or not digits.isdigit() or len(digits) > 9:
            problems.append(Problem("not_a_number", key, {"value": text[:20]}))
            continue
        number = sign * int(digits)
        if number < 0:
            problems.append(Problem("negative", key, {"value": number}))
        elif number > MAX_SEATS:
            problems.append(Problem("too_many", key, {"value": number, "max": MAX_SEATS}))
        else:
            counts[key] = number
    return counts, problems


def preview(
    session: Session,
    *,
    products: Sequence[Product],
    used: Mapping[int, int],
    currency: str,
    counts: Mapping[str, int],
) -> ChangePreview:
    """The change `counts` makes to `products` (as loaded, with the seats `used`)."""
    after = {p.key: counts.get(p.key, p.seats) for p in products}
    lines = []
    for product in products:
        if after[product.key] == product.seats:
            continue
        in_use = used.get(product.id or 0, 0)
        releases = _releases(session, product, in_use - after[product.key])
        lines.append(
            LinePreview(
                key=product.key,
                name=product.name,
                edition=product.edition,
                before=product.seats,
                after=after[product.key],
                used=in_use,
                price_per_seat=product.price_per_seat,
                suite=product.suite,
                releases=releases,
            )
        )
    return ChangePreview(
        currency=currency, lines=tuple(lines), suite_problems=tuple(_suite_problems(products, after))
    )


def _releases(session: Session, product: Product, count: int) -> tuple[Holder, ...]:
    """The `count` most recently assigned agents of `product` (the ref's downgrade order)."""
    if count <= 0:
        return ()
    query = (
        select(SeatAssignment)
        .where(SeatAssignment.product_id == product.id)
        .order_by(col(SeatAssignment.assigned_at).desc(), col(SeatAssignment.id).desc())
        .limit(count)
    )
    return tuple(Holder(a.user_id, a.assigned_at) for a in session.exec(query))


def _suite_problems(products: Sequence[Product], after: Mapping[str, int]) -> list[Problem]:
    suites: dict[str, list[Product]] = {}
    for product in products:
        if product.suite:
            suites.setdefault(product.suite, []).append(product)
    problems: list[Problem] = []
    for suite, members in suites.items():
        if len({after[p.key] for p in members}) > 1:
            counts = {p.name: after[p.key] for p in members}
            # Reported next to every product of the suite, so the modal shows where to look.
            problems.extend(
                Problem("suite_mismatch", p.key, {"suite": suite, "counts": counts}) for p in members
            )
    return problems


def check(
    change: ChangePreview, *, justification: str, confirmed_token: str | None, justification_required: bool
) -> list[Problem]:
    """Everything wrong with submitting `change` as it stands."""
    problems: list[Problem] = list(change.suite_problems)
    if not change.lines:
        problems.append(Problem("no_change", None))
    if change.releases and confirmed_token != change.release_token:
        problems.append(Problem("confirm_downgrade", "confirm_downgrade", {"count": len(change.releases)}))
    text = justification.strip()
    if len(text) > MAX_JUSTIFICATION:
        problems.append(Problem("justification_too_long", "justification", {"max": MAX_JUSTIFICATION}))
    elif justification_required and not text:
        problems.append(Problem("justification_required", "justification"))
    return problems
