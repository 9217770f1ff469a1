"""Run a use case in one unit of work and turn its result or domain error into a Reply."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from bot.deps import Deps
from bot.errors import SeatbotError
from bot.messages.errors import error_reply
from bot.messages.reply import Reply
from storage.engine import unit_of_work


def answer(deps: Deps, language: str, use_case: Callable[[Session], Reply]) -> Reply:
    """Domain errors become the message that explains them; anything else propagates
    to the app's error handler, which logs it with its traceback."""
    try:
        with unit_of_work(deps.engine) as session:
            return use_case(session)
    except SeatbotError as error:
        return error_reply(error, language)
