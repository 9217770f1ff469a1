"""A change of cost is signed and says "a month", so it never reads as the total."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.messages import i18n
from bot.messages.seats import buy_button
from bot.services.offers import BuyOffer


@pytest.mark.parametrize(
    ("language", "amount", "before", "expected"),
    [
        ("en", Decimal(690), Decimal(1452), "+€690.00/month · total €1,452.00 → €2,142.00"),
        ("en", Decimal(-115), Decimal(1452), "−€115.00/month · total €1,452.00 → €1,337.00"),
        ("en", Decimal(690), None, "+€690.00/month"),  # no total known: the change alone, signed
        ("en", Decimal(0), None, "€0.00/month"),
        (
            "fr",
            Decimal(690),
            Decimal(1452),
            "+690,00\xa0€/mois · total 1\u202f452,00\xa0€ → 2\u202f142,00\xa0€",
        ),
        ("fr", Decimal(-115), None, "−115,00\xa0€/mois"),
    ],
)
def test_cost_of_a_change(language: str, amount: Decimal, before: Decimal | None, expected: str) -> None:
    after = None if before is None else before + amount
    shown = i18n.texts("requests", language)(
        "cost_delta", amount=amount, currency="EUR", before=before, after=after
    )
    assert shown == expected


@pytest.mark.parametrize(("language", "expected"), [("en", "+€38.00/month"), ("fr", "+38,00\xa0€/mois")])
def test_the_buy_confirmation_signs_its_cost(language: str, expected: str) -> None:
    offer = BuyOffer("talk", 2, 2, "w1")
    button = buy_button(offer, product="Talk", price=Decimal(19), currency="EUR", language=language)
    assert button.to_dict()["confirm"]["text"]["text"].endswith(f"\n{expected}")
