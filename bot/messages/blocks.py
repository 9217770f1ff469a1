"""Small Block Kit builders shared by messages and views."""

from __future__ import annotations

from slack_sdk.models.blocks import (
    ActionsBlock,
    ButtonElement,
    ConfirmObject,
    PlainTextObject,
)

from bot.messages.limits import BUTTON_TEXT, CONFIRM_BUTTON, CONFIRM_TEXT, CONFIRM_TITLE, shorten


def button(
    text: str, *, action_id: str, value: str, style: str | None = None, confirm: ConfirmObject | None = None
) -> ButtonElement:
    return ButtonElement(
        text=PlainTextObject(text=shorten(text, BUTTON_TEXT), emoji=True),
        action_id=action_id,
        value=value,
        style=style,
        confirm=confirm,
    )


def actions(*buttons: ButtonElement, block_id: str | None = None) -> ActionsBlock:
    return ActionsBlock(elements=list(buttons), block_id=block_id)


def confirm_dialog(*, title: str, text: str, yes: str, no: str) -> ConfirmObject:
    return ConfirmObject(
        title=PlainTextObject(text=shorten(title, CONFIRM_TITLE)),
        text=PlainTextObject(text=shorten(text, CONFIRM_TEXT)),
        confirm=PlainTextObject(text=shorten(yes, CONFIRM_BUTTON)),
        deny=PlainTextObject(text=shorten(no, CONFIRM_BUTTON)),
    )
