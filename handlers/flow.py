"""The shape every listener shares: ack from what is at hand, then the work.

A listener parses its payload (`bot.slack.inbound`), acks at once, and hands
one `Turn` to the bounded work queue. The turn runs the use case in one unit
of work and answers the person. What runs after the commit (deliveries, App
Home refreshes, the answer itself) can fail without the person ever being
told that their change did not happen: it did.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from slack_bolt import Ack, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.domain.errors import AccountNotSetUp, InvalidInput, SeatbotError
from bot.messages.change_modal import working_view
from bot.messages.errors import busy_reply, error_reply, internal_error_reply
from bot.messages.reply import Reply
from bot.runtime import metrics
from bot.runtime.deps import Deps, deps_of
from bot.runtime.work_queue import Slot
from bot.slack import inbound, response_urls
from bot.slack.inbound import Origin
from handlers.setup_offer import not_set_up_reply

logger = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class Turn:
    """One Slack request's work, after its ack."""

    deps: Deps
    client: WebClient
    origin: Origin
    response_url: str | None
    language: str = "en"
    committed: bool = False
    _told: list[Reply] = field(default_factory=list)

    @property
    def user_id(self) -> str:
        return self.origin.user_id

    @property
    def team_id(self) -> str:
        return self.origin.team_id

    def read(self, use_case: Callable[..., T], /, **arguments: Any) -> T:
        """`use_case(session, team_id=, user_id=, **arguments)` as this person, read-only."""
        return self.deps.read(use_case, team_id=self.team_id, user_id=self.user_id, **arguments)

    def write(self, use_case: Callable[..., T], /, **arguments: Any) -> T:
        """`use_case(session, team_id=, user_id=, now=, **arguments)` as this person, in one
        transaction; from here on, the change stands."""
        result = self.deps.write(
            use_case, team_id=self.team_id, user_id=self.user_id, now=self.deps.clock(), **arguments
        )
        self.committed = True
        return result

    def tell(self, reply: Reply) -> None:
        """Ephemeral where the person typed or clicked; by DM where there is no
        response_url (App Home, modals). Someone Slack will not let us write to (unknown,
        deactivated) is logged, not an error."""
        if self.response_url:
            response_urls.post_ephemeral(self.response_url, reply)
            return
        try:
            self.client.chat_postMessage(channel=self.user_id, **reply.payload())
        except SlackApiError as exc:
            logger.warning(
                "could not answer team=%s user=%s error=%s",
                self.team_id,
                self.user_id,
                exc.response.get("error"),
            )

    def after_commit(self, what: str, step: Callable[[], object]) -> None:
        """Best effort: logged if it fails, never reported as a failure of the change."""
        try:
            step()
        except SlackApiError as exc:  # e.g. someone Slack does not know, a view closed meanwhile
            logger.warning(
                "after commit failed step=%s team=%s user=%s error=%s",
                what,
                self.team_id,
                self.user_id,
                exc.response.get("error"),
            )
        except Exception:
            logger.exception("after commit failed step=%s team=%s user=%s", what, self.team_id, self.user_id)

    def delivered_and_refreshed(self, user_ids: Iterable[str]) -> None:
        """What every committed change ends with: wake the sender, redraw the people's App Home."""
        self.deps.deliver()
        self.deps.homes.refresh(team_id=self.team_id, user_ids=user_ids)


def later(
    deps: Deps,
    client: WebClient,
    *,
    ack: Ack,
    origin: Origin,
    response_url: str | None,
    name: str,
    work: Callable[[Turn], None],
    acked: Callable[[], object] | None = None,
    busy: Callable[[Reply], object] | None = None,
    slot: Slot | None = None,
) -> None:
    """Ack now (with `acked`, or a plain ack) and run `work` on the queue, in `slot`
    when one was already taken with `admit`.

    When the queue is full nothing is started: the person is told to try
    again (`busy`, or as the ack of a command) rather than acked late.
    """
    slot = slot or admit(
        deps, client, ack=ack, origin=origin, response_url=response_url, name=name, busy=busy
    )
    if slot is None:
        return
    (acked or ack)()
    turn = Turn(deps, client, origin, response_url)
    slot.run(lambda: run(turn, work, name=name), name=name)


def admit(
    deps: Deps,
    client: WebClient,
    *,
    ack: Ack,
    origin: Origin,
    response_url: str | None,
    name: str,
    busy: Callable[[Reply], object] | None = None,
) -> Slot | None:
    """A place on the work queue, or None once the person has been told seatbot is busy.

    Taken before any work on the ack path too (a form's checks), so that an
    overloaded seatbot refuses at once instead of doing work it cannot finish."""
    slot = deps.work.reserve()
    if slot is not None:
        return slot
    reply = busy_reply(deps.people(origin.team_id).known_language(origin.user_id, locale=origin.locale))
    logger.warning("busy, refused job=%s team=%s user=%s", name, origin.team_id, origin.user_id)
    metrics.BUSY.labels(job=name).inc()
    if busy is not None:
        busy(reply)
    else:
        ack()
        deps.courtesy(lambda: Turn(deps, client, origin, response_url).tell(reply))
    return None


def on_action(
    name: str, work: Callable[[inbound.Action, Turn], None], *, in_modal: bool = False, quiet: bool = False
) -> Callable[..., None]:
    """A Bolt listener for a click: parsed once, acked, then `work` on the queue.

    `in_modal`: the click only makes sense inside a modal (anything else is acked and
    dropped); `quiet`: nothing worth telling the person when seatbot is too busy.
    """

    def listener(ack: Ack, body: dict[str, Any], client: WebClient, context: BoltContext) -> None:
        action = inbound.action(body)
        if action is None or (in_modal and action.view is None):
            ack()
            return
        later(
            deps_of(context),
            client,
            ack=ack,
            origin=action.origin,
            response_url=None if in_modal else action.response_url,
            name=name,
            work=lambda turn: work(action, turn),
            busy=(lambda _: ack()) if quiet else None,
        )

    return listener


def run(turn: Turn, work: Callable[[Turn], None], *, name: str) -> None:
    """Run a turn: domain errors become their words; anything else is logged with its
    traceback, and the person is told what is true (nothing changed, or it did)."""
    turn.language = turn.deps.people(turn.team_id).language(turn.user_id)
    try:
        work(turn)
    except AccountNotSetUp:
        # Not an error to those who can fix it: they are offered the set-up.
        offer = not_set_up_reply(
            turn.deps, team_id=turn.team_id, user_id=turn.user_id, language=turn.language
        )
        turn.after_commit("set-up offer", lambda: turn.tell(offer))
    except SeatbotError as error:
        refusal = error_reply(error, turn.language)
        turn.after_commit("refusal", lambda: turn.tell(refusal))
    except Exception:
        logger.exception("listener failed job=%s team=%s user=%s", name, turn.team_id, turn.user_id)
        reply = internal_error_reply(turn.language, changed=turn.committed)
        turn.after_commit("failure notice", lambda: turn.tell(reply))


UNAVAILABLE_VIEW = frozenset({"not_found", "view_not_found", "expired_trigger_id", "invalid_trigger_id"})
"""The person closed the modal, or took too long: nothing to open or redraw."""


def open_form(turn: Turn, trigger_id: str | None, view: dict[str, Any]) -> None:
    """Open a modal from a click or a command; a trigger Slack no longer takes is the
    person's "form unavailable", not a failure."""
    if trigger_id is None:
        raise InvalidInput("form_unavailable")
    try:
        turn.client.views_open(trigger_id=trigger_id, view=view)
    except SlackApiError as exc:
        if exc.response.get("error") in UNAVAILABLE_VIEW:
            raise InvalidInput("form_unavailable") from exc
        raise


def redraw_form(turn: Turn, view_id: str, view: dict[str, Any]) -> None:
    """Replace a submitted form's "working" view with its answer (a closed form: nothing to do)."""
    try:
        turn.client.views_update(view_id=view_id, view=view)
    except SlackApiError as exc:
        if exc.response.get("error") not in UNAVAILABLE_VIEW:
            raise
        logger.info("form gone before its answer view=%s", view_id)


def soon(deps: Deps, work: Callable[[], None], *, name: str) -> None:
    """Small work an event asks for, after its ack: on the queue, or at once when the queue is
    full (an uninstall or a deactivation is not dropped because seatbot is busy)."""
    slot = deps.work.reserve()
    if slot is None:
        work()
    else:
        slot.run(work, name=name)


def answered_early(slot: Slot, ack: Ack, check: Callable[[], dict[str, Any] | None]) -> bool:
    """A form's read-only check, on the ack path with its place in line held. When it
    settles the submission (mistakes next to their fields, a refusal, a replay's result),
    that is the ack, the place is given back, and True; None from `check`: it goes ahead."""
    try:
        early = check()
    except BaseException:
        slot.release()
        raise
    if early is None:
        return False
    slot.release()
    ack(**early)
    return True


def later_in_form(
    deps: Deps,
    client: WebClient,
    *,
    ack: Ack,
    origin: Origin,
    name: str,
    work: Callable[[Turn], None],
    slot: Slot,
    language: str,
) -> None:
    """A form submission's work on the queue, acked with the "working" view it will replace."""
    later(
        deps,
        client,
        ack=ack,
        origin=origin,
        response_url=None,  # a modal has none: its answer replaces the working view
        name=name,
        work=work,
        acked=lambda: ack(response_action="update", view=working_view(language)),
        slot=slot,
    )
