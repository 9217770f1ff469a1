"""What the stand-in keeps is its own: a copy shares nothing with what it was made from."""

from __future__ import annotations

from standin.copies import detached


def test_a_copy_shares_nothing_and_keeps_every_type() -> None:
    view = {"blocks": [{"type": "section", "text": {"text": "é ✓"}}], "pair": (1, 2.5), "none": None}
    copied = detached(view)
    assert copied == view
    copied["blocks"][0]["text"]["text"] = "changed"
    copied["blocks"].append({})
    assert view["blocks"] == [{"type": "section", "text": {"text": "é ✓"}}]
    assert isinstance(copied["pair"], tuple)


def test_what_pickle_cannot_copy_is_deep_copied() -> None:
    def hook() -> None:  # a local function: pickle refuses it, deepcopy keeps it as it is
        return None

    value = {"items": [1, 2], "hooks": [hook]}
    copied = detached(value)
    assert copied == value
    assert copied["items"] is not value["items"]
    assert copied["hooks"][0] is hook
