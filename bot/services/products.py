"""Naming a product the way people type it."""

from __future__ import annotations

from collections.abc import Sequence

from bot.errors import InvalidInput
from bot.services.text import fold
from storage.models import Product


def find_product(products: Sequence[Product], text: str) -> Product:
    """The product whose key or display name is `text`, ignoring case and accents."""
    wanted = fold(text)
    for product in products:
        if wanted in (fold(product.key), fold(product.name)):
            return product
    raise InvalidInput("unknown_product", text=text[:40], products=[p.key for p in products])
