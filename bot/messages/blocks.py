"""Small Block Kit builders shared by messages and views."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    PlainTextObject,
)


def button(
    text: str, *, action_id: str, value: str, style: str | None = None, confirm: ConfirmObject | None = None
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=text[:75], emoji=True),
        action_id=action_id,
        value=value,
        style=style,
        confirm=confirm,
    )


def actions(*buttons: ButtonElement, block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(elements=list(buttons), block_id=block_id)


def confirm_dialog(*, title: str, text: str, yes: str, no: str) -> ConfirmObject:
    return ConfirmObject(
        title=PlainTextObject(text=title[:100]),
        text=PlainTextObject(text=text[:300]),
        confirm=PlainTextObject(text=yes[:30]),
        deny=PlainTextObject(text=no[:30]),
    )
