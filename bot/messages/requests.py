"""Block Kit for change requests: approval DMs, outcomes, notices, lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from slack_sdk.models.blocks import ActionsBlock, Block, ButtonElement, SectionBlock

from bot.domain.errors import AlreadyDecided, Problem
from bot.domain.request_view import ChangeLine, LineView, RequestView
from bot.messages.blocks import actions, button, confirm_dialog
from bot.messages.i18n import Mrkdwn, Texts, listing, mention, people, slack_date, texts, unescape_mrkdwn
from bot.messages.limits import MESSAGE_BLOCKS, SECTION_TEXT, chunks, shorten
from bot.messages.reply import Reply, context, section
from storage.models import AlertLevel, RequestStatus

APPROVE = "approve_request"
DECLINE = "decline_request"
WITHDRAW = "withdraw_request"
AMEND = "amend_request"
READ_REQUEST = "read_request"
"""Opens the whole request (every line, the full justification) in a modal."""

LIST_LINES = 5
"""A list item shows this many product lines; the rest are counted and one click away."""

CARD_JUSTIFICATION = 600
"""An approval card shows this much of a justification; "Read in full" opens the rest."""

QUEUE_JUSTIFICATION = 200
"""The same, in a queue entry (App Home, `/seats requests`), where several requests share the room."""


def change_lines(lines: Iterable[ChangeLine], language: str, *, sep: str = "\n") -> Mrkdwn:
    """`Support: 10 → 15 (+5)` per product: the one way every message shows a change."""
    t = texts("requests", language)
    return Mrkdwn(sep.join(t("line", line=line) for line in lines))


def one_line(name: str, before: int, after: int, language: str) -> Mrkdwn:
    return change_lines([LineView(name, before, after, None, ())], language)


def _lines(t: Texts, view: RequestView) -> str:
    return change_lines(view.lines, t.language)


def line_sections(lines: Iterable[ChangeLine], language: str, *, extra: Sequence[str] = ()) -> list[Block]:
    """Every line, in as many sections as their length needs (100 products take a few)."""
    t = texts("requests", language)
    texts_ = [t("line", line=line) for line in lines] + [e for e in extra if e]
    return [section(text) for text in chunks(texts_, SECTION_TEXT)]


def read_button(t: Texts, view: RequestView) -> ButtonElement:
    return button(t.plain("read_full"), action_id=READ_REQUEST, value=str(view.id))


def _with_reader(text: str, t: Texts, view: RequestView, *, reader: bool) -> SectionBlock:
    """A section for `text`; when it is too long it ends in "…", and (where the reader may
    open the request) a "Read in full" button beside it opens the whole of it."""
    block = section(text)
    if reader and len(text) > SECTION_TEXT:
        block.accessory = read_button(t, view)
    return block


def _status(t: Texts, view: RequestView, language: str) -> str:
    when = slack_date(view.decided_at, language) if view.decided_at else ""
    if view.status is RequestStatus.APPLIED and view.decided_by is None:
        return t("status_auto_applied", when=when)  # within a standing allowance: nobody decided
    return t(f"status_{view.status.value}", by=view.decided_by or "", when=when)


def cost_text(t: Texts, view: RequestView) -> str:
    """`+€690.00/month · total €1,452.00 → €2,142.00` (the total while the request waits), or ""
    when no product of it has a price."""
    if view.cost_delta is None:
        return ""
    before, after = (view.totals.before, view.totals.after) if view.totals else (None, None)
    return t("cost_delta", amount=view.cost_delta, currency=view.currency, before=before, after=after)


def _weighed(t: Texts, view: RequestView) -> list[str]:
    """What moves with the lines: the suites they belong to, then the cost."""
    suites = [
        t("suite_moves", suite=suite, products=listing(list(names), t.language))
        for suite, names in view.suites
    ]
    return [text for text in (*suites, cost_text(t, view)) if text]


def _releases(t: Texts, view: RequestView) -> str:
    """Per product, exactly the agents the ledger will unassign (stored with the request)."""
    return "\n".join(
        t(
            "line_releases",
            product=line.name,
            count=len(line.releases),
            people=people(list(line.releases), t.language),
        )
        for line in view.lines
        if line.releases
    )


def _limits(t: Texts, view: RequestView) -> str:
    """Products of the request that are full, or past the early-warning threshold, right now."""
    said = []
    for line in view.lines:
        if line.now is not None and line.now.level is not None:
            facts = {"product": line.name, "used": line.now.used, "seats": line.now.seats}
            if line.now.level is AlertLevel.FULL:
                said.append(t("limit_full", **facts))
            else:
                said.append(t("limit_warning", **facts, pct=line.now.pct))
    return "\n".join(said)


def _freeable(t: Texts, view: RequestView) -> str:
    """Seats an increase could take back first (from people deactivated in Slack or idle
    agents), and the net change then."""
    said = []
    for line in view.lines:
        if line.now is not None and line.now.to_free and line.delta > 0:
            net = line.delta - min(line.now.to_free, line.delta)
            block = "line_freeable" if net else "line_freeable_covers"
            said.append(t(block, product=line.name, count=line.now.to_free, net=net, key=line.key))
    return "\n".join(said)


def _why(t: Texts, view: RequestView, *, room: int, reader: bool) -> SectionBlock:
    """The justification, cut to `room` where the reader can open the rest ("Read in full")."""
    if not view.justification:
        return section(t("no_justification"))
    why = t("justification", text=view.justification)
    if not reader or len(why) <= room:
        return _with_reader(why, t, view, reader=reader)
    block = section(shorten(why, room))
    block.accessory = read_button(t, view)
    return block


def _body(t: Texts, view: RequestView, language: str, *, reader: bool = False) -> list[Block]:
    """Lines (all of them, over several sections if needed) with the seats in use, suites, cost,
    who loses a seat, how full the products are now, and why.

    `reader`: the people shown this may open the request in full (not the sales contact)."""
    lines = [t("card_line", line=line) for line in view.lines]
    blocks: list[Block] = [section(text) for text in chunks([*lines, *_weighed(t, view)], SECTION_TEXT)]
    for text in (_releases(t, view), _limits(t, view), _freeable(t, view)):
        if text:
            blocks.append(_with_reader(text, t, view, reader=reader))
    blocks.append(_why(t, view, room=CARD_JUSTIFICATION, reader=reader))
    return blocks


def decision_value(view: RequestView) -> str:
    """`<request id>:<version>`: a decision is taken on the version the approver saw."""
    return f"{view.id}:{view.version}"


def decision_buttons(t: Texts, view: RequestView) -> ActionsBlock:
    """Approve (behind a confirmation that restates the change) and Decline."""
    summary = unescape_mrkdwn(change_lines(view.lines, t.language, sep="; "))
    return actions(
        button(
            t.plain("approve"),
            action_id=APPROVE,
            value=decision_value(view),
            style="primary",
            confirm=confirm_dialog(
                title=t.plain("confirm_title"),
                text=unescape_mrkdwn(t("confirm_text", lines=summary)),
                yes=t.plain("confirm_yes"),
                no=t.plain("confirm_no"),
            ),
        ),
        button(t.plain("decline"), action_id=DECLINE, value=decision_value(view), style="danger"),
        block_id=f"decide:{view.id}",
    )


def approval_message(
    view: RequestView,
    language: str,
    *,
    requester_name: str,
    reminder: bool = False,
    escalated: bool = False,
    approvers: Sequence[str] = (),
) -> Reply:
    """The DM an approver gets (also as a reminder, or escalated to the channel);
    buttons only while the request is pending."""
    t = texts("requests", language)
    reply = _approval(t, view, language, requester_name)
    since = slack_date(view.created_at, language)
    if view.status is RequestStatus.PENDING and reminder:
        return Reply(text=reply.text, blocks=[section(t("reminder", when=since)), *reply.blocks])
    if view.status is RequestStatus.PENDING and escalated:
        header = t(
            "escalated",
            id=view.id,
            requester=view.requester_id,
            when=since,
            approvers=people(list(approvers), language),
        )
        return Reply(text=reply.text, blocks=[section(header), *reply.blocks])
    return reply


def _approval(t: Texts, view: RequestView, language: str, requester_name: str) -> Reply:
    blocks: list[Block] = [section(t("approval_intro", requester=view.requester_id))]
    if view.version > 1:
        blocks.append(context(t("amended", requester=view.requester_id)))
    blocks += _body(t, view, language, reader=True)
    blocks.append(context(t("sent_at", id=view.id, when=slack_date(view.created_at, language))))
    if view.status is RequestStatus.PENDING:
        blocks.append(decision_buttons(t, view))
    else:
        blocks.append(context(_status(t, view, language)))
        if view.decline_reason:
            blocks.append(_with_reader(t("decline_reason", text=view.decline_reason), t, view, reader=True))
    return Reply(text=t("approval_fallback", requester_name=requester_name), blocks=blocks)


def outcome_message(view: RequestView, language: str) -> Reply:
    t = texts("requests", language)
    key = {RequestStatus.APPLIED: "applied", RequestStatus.EXPIRED: "expired"}.get(view.status, "declined")
    blocks: list[Block] = [
        section(t(f"outcome_{key}", id=view.id, by=view.decided_by or "")),
        *line_sections(view.lines, language),
    ]
    if view.decline_reason:
        blocks.append(_with_reader(t("decline_reason", text=view.decline_reason), t, view, reader=True))
    return Reply(text=t(f"outcome_fallback_{key}", id=view.id), blocks=blocks)


def released_message(*, product: str, by: str, language: str, direct: bool = False) -> Reply:
    """An agent lost their seat: by a reduction of the subscription, or unassigned directly."""
    t = texts("requests", language)
    if direct:
        text = texts("seats", language)("removed", product=product, by=by)
    else:
        text = t("released", product=product, by=by)
    return Reply(text=t("released_fallback", product=product), blocks=[section(text)])


def order_message(view: RequestView, *, account: str, language: str) -> Reply:
    t = texts("requests", language)
    blocks: list[Block] = [
        section(t("order", account=account, id=view.id, by=view.decided_by or "")),
        *_body(t, view, language),
    ]
    return Reply(text=t("order_fallback", account=account), blocks=blocks)


def pending_exists(view: RequestView, language: str) -> Reply:
    """Refusal of a second request: shows the pending one and offers to withdraw it."""
    t = texts("requests", language)
    blocks: list[Block] = [
        section(t("already_pending", id=view.id)),
        *_body(t, view, language, reader=True),
        context(t("sent_at", id=view.id, when=slack_date(view.created_at, language))),
        actions(
            button(t.plain("amend"), action_id=AMEND, value=str(view.id), style="primary"),
            button(t.plain("withdraw"), action_id=WITHDRAW, value=str(view.id)),
        ),
    ]
    return Reply(text=t("already_pending", id=view.id), blocks=blocks)


def already_decided(error: AlreadyDecided, language: str) -> Reply:
    t = texts("requests", language)
    status = Mrkdwn(t(f"word_{error.status}"))
    when = slack_date(error.at, language) if error.at else ""
    if error.by and error.status in ("approved", "applied", "declined"):
        text = t("already_decided", id=error.request_id, status=status, who=mention(error.by), when=when)
    else:
        text = t("already_closed", id=error.request_id, status=status, when=when)
    return Reply(text=text, blocks=[section(text)])


def not_applicable(request_id: int, problems: Sequence[Problem], language: str) -> Reply:
    t = texts("requests", language)
    items = "\n".join("• " + t(f"problem_{p.code}", **p.facts) for p in problems)
    text = f"{t('no_longer_applicable', id=request_id)}\n{items}\n{t('decline_it')}"
    return Reply(text=t("no_longer_applicable", id=request_id), blocks=[section(text)])


def simple(block: str, language: str, **facts: object) -> Reply:
    text = texts("requests", language)(block, **facts)
    return Reply(text=text, blocks=[section(text)])


def _list_lines(t: Texts, view: RequestView) -> tuple[str, bool]:
    """The first few lines of a request on one line, "and N more" for the rest; whether cut."""
    shown = change_lines(view.lines[:LIST_LINES], t.language, sep=", ")
    more = len(view.lines) - LIST_LINES
    if more <= 0:
        return shown, False
    return f"{shown}, {t('list_more_lines', count=more)}", True


def _queue_item(t: Texts, view: RequestView) -> SectionBlock:
    """A request waiting for the reader's decision, seat-aware like its approval card, in one
    section: the first lines, cost, who loses a seat, how full the products are, a short why;
    "Details" opens all of it."""
    lines = [t("card_line", line=line) for line in view.lines[:LIST_LINES]]
    cut = len(view.lines) > LIST_LINES
    if cut:
        lines.append(t("list_more_lines", count=len(view.lines) - LIST_LINES))
    why = t("justification", text=view.justification) if view.justification else ""
    cut = cut or len(why) > QUEUE_JUSTIFICATION
    parts = [
        t("queue_item", id=view.id, requester=view.requester_id),
        *lines,
        *_weighed(t, view),
        _releases(t, view),
        _limits(t, view),
        shorten(why, QUEUE_JUSTIFICATION),
    ]
    return _list_item(t, "\n".join(p for p in parts if p), view, cut)


def _list_item(t: Texts, text: str, view: RequestView, cut: bool) -> SectionBlock:
    """A list entry; when its lines are cut (or too long), "Details" opens the whole request."""
    block = section(text)
    if cut or len(text) > SECTION_TEXT:
        block.accessory = button(t.plain("details"), action_id=READ_REQUEST, value=str(view.id))
    return block


def requests_list(
    mine: Sequence[RequestView],
    queue: Sequence[RequestView] | None,
    language: str,
    *,
    max_blocks: int = MESSAGE_BLOCKS,
) -> Reply:
    """`/seats requests`: yours, newest first; for approvers, the pending queue with buttons.

    At most `max_blocks` blocks: your oldest requests give way first (the queue, which
    needs a decision, is kept), and a note says how many are not shown."""
    t = texts("requests", language)
    queue_blocks: list[Block] = []
    if queue is not None:
        queue_blocks.append(section(t("list_queue")))
        if not queue:
            queue_blocks.append(context(t("list_queue_empty")))
        for view in queue:
            queue_blocks += [_queue_item(t, view), decision_buttons(t, view)]
    items: list[list[Block]] = []
    for view in mine:
        status = Mrkdwn(t("direct_change") if view.direct else t(f"word_{view.status.value}"))
        lines, cut = _list_lines(t, view)
        item: list[Block] = [
            _list_item(t, t("list_item", id=view.id, status=status, lines=Mrkdwn(lines)), view, cut)
        ]
        item.append(
            context(
                _status(t, view, language)
                if view.status is not RequestStatus.PENDING
                else t("sent_at", id=view.id, when=slack_date(view.created_at, language))
            )
        )
        if view.status is RequestStatus.PENDING:
            item.append(
                actions(
                    button(t.plain("amend"), action_id=AMEND, value=str(view.id)),
                    button(t.plain("withdraw"), action_id=WITHDRAW, value=str(view.id)),
                )
            )
        items.append(item)
    blocks: list[Block] = [section(t("list_mine"))]
    if not mine:
        blocks.append(context(t("list_none")))
    room = max_blocks - len(blocks) - len(queue_blocks)
    left_out = 0
    for index, item in enumerate(items):
        # Keep one block for the note if anything after this item would not fit.
        rest = sum(len(i) for i in items[index:])
        if len(item) <= room - (0 if rest <= room else 1):
            blocks += item
            room -= len(item)
        else:
            left_out = len(items) - index
            break
    if left_out:
        blocks.append(context(t("list_left_out", count=left_out)))
    blocks += queue_blocks
    return Reply(text=t("list_fallback"), blocks=blocks[:max_blocks])


def request_status(view: RequestView, language: str) -> str:
    """Where the request stands, e.g. "Waiting for approval" or "Declined by @x today"."""
    return _status(texts("requests", language), view, language)
