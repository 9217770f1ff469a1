"""Naming products the way people type them, and the suites they move with."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.domain.errors import InvalidInput
from bot.services.text import fold
from storage.models import Product


def find_product(products: Sequence[Product], text: str) -> Product:
    """The product whose key or display name is `text`, ignoring case and accents."""
    wanted = fold(text)
    for product in products:
        if wanted in (fold(product.key), fold(product.name)):
            return product
    raise InvalidInput("unknown_product", text=text[:40], products=[p.key for p in products])


def with_suites(products: Sequence[Product], keys: Iterable[str]) -> list[str]:
    """`keys` and the other products of their suites (which must keep the same count),
    in display order."""
    wanted = set(keys)
    suites = {p.suite for p in products if p.key in wanted and p.suite}
    return [p.key for p in products if p.key in wanted or (p.suite and p.suite in suites)]
