"""Block Kit for change requests: approval DMs, outcomes, notices, lists."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from slack_sdk.models.blocks import ActionsBlock, Block

from bot.errors import AlreadyDecided, Problem
from bot.messages.blocks import actions, button, confirm_dialog
from bot.messages.i18n import Mrkdwn, Texts, mention, people, slack_date, texts, unescape_mrkdwn
from bot.messages.reply import Reply, context, section
from bot.services.request_views import ChangeLine, LineView, RequestView
from storage.models import RequestStatus

APPROVE = "approve_request"
DECLINE = "decline_request"
WITHDRAW = "withdraw_request"


def change_lines(lines: Iterable[ChangeLine], language: str, *, sep: str = "\n") -> Mrkdwn:
    """`Support: 10 → 15 (+5)` per product: the one way every message shows a change."""
    t = texts("requests", language)
    return Mrkdwn(sep.join(t("line", line=line) for line in lines))


def one_line(name: str, before: int, after: int, language: str) -> Mrkdwn:
    return change_lines([LineView(name, before, after, None, ())], language)


def _lines(t: Texts, view: RequestView) -> str:
    return change_lines(view.lines, t.language)


def _status(t: Texts, view: RequestView, language: str) -> str:
    when = slack_date(view.decided_at, language) if view.decided_at else ""
    return t(f"status_{view.status.value}", by=view.decided_by or "", when=when)


def _body(t: Texts, view: RequestView, language: str) -> list[Block]:
    blocks: list[Block] = [
        section(
            "\n".join(
                filter(
                    None,
                    [
                        _lines(t, view),
                        t("cost_delta", amount=view.cost_delta, currency=view.currency)
                        if view.cost_delta is not None
                        else "",
                    ],
                )
            )
        )
    ]
    if view.releases:
        blocks.append(
            section(t("releases", count=len(view.releases), people=people(list(view.releases), language)))
        )
    blocks.append(
        section(t("justification", text=view.justification) if view.justification else t("no_justification"))
    )
    return blocks


def decision_buttons(t: Texts, view: RequestView) -> ActionsBlock:
    """Approve (behind a confirmation that restates the change) and Decline."""
    summary = unescape_mrkdwn(change_lines(view.lines, t.language, sep="; "))
    return actions(
        button(
            t.plain("approve"),
            action_id=APPROVE,
            value=str(view.id),
            style="primary",
            confirm=confirm_dialog(
                title=t.plain("confirm_title"),
                text=unescape_mrkdwn(t("confirm_text", lines=summary)),
                yes=t.plain("confirm_yes"),
                no=t.plain("confirm_no"),
            ),
        ),
        button(t.plain("decline"), action_id=DECLINE, value=str(view.id), style="danger"),
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
    blocks: list[Block] = [
        section(t("approval_intro", requester=view.requester_id)),
        *_body(t, view, language),
    ]
    blocks.append(context(t("sent_at", id=view.id, when=slack_date(view.created_at, language))))
    if view.status is RequestStatus.PENDING:
        blocks.append(decision_buttons(t, view))
    else:
        blocks.append(context(_status(t, view, language)))
        if view.decline_reason:
            blocks.append(section(t("decline_reason", text=view.decline_reason)))
    return Reply(text=t("approval_fallback", requester_name=requester_name), blocks=blocks)


def outcome_message(view: RequestView, language: str) -> Reply:
    t = texts("requests", language)
    key = {RequestStatus.APPLIED: "applied", RequestStatus.EXPIRED: "expired"}.get(view.status, "declined")
    blocks: list[Block] = [
        section(t(f"outcome_{key}", id=view.id, by=view.decided_by or "")),
        section(_lines(t, view)),
    ]
    if view.decline_reason:
        blocks.append(section(t("decline_reason", text=view.decline_reason)))
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
        *_body(t, view, language),
        context(t("sent_at", id=view.id, when=slack_date(view.created_at, language))),
        actions(button(t.plain("withdraw"), action_id=WITHDRAW, value=str(view.id))),
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


def requests_list(mine: Sequence[RequestView], queue: Sequence[RequestView] | None, language: str) -> Reply:
    """`/seats requests`: yours, newest first; for approvers, the pending queue with buttons."""
    t = texts("requests", language)
    blocks: list[Block] = [section(t("list_mine"))]
    if not mine:
        blocks.append(context(t("list_none")))
    for view in mine:
        status = Mrkdwn(t("direct_change") if view.direct else t(f"word_{view.status.value}"))
        lines = change_lines(view.lines, language, sep=", ")
        item = section(t("list_item", id=view.id, status=status, lines=lines))
        blocks.append(item)
        blocks.append(
            context(
                _status(t, view, language)
                if view.status is not RequestStatus.PENDING
                else t("sent_at", id=view.id, when=slack_date(view.created_at, language))
            )
        )
        if view.status is RequestStatus.PENDING:
            blocks.append(actions(button(t.plain("withdraw"), action_id=WITHDRAW, value=str(view.id))))
    if queue is not None:
        blocks.append(section(t("list_queue")))
        if not queue:
            blocks.append(context(t("list_queue_empty")))
        for view in queue:
            lines = change_lines(view.lines, language, sep=", ")
            blocks.append(section(t("list_item_by", id=view.id, requester=view.requester_id, lines=lines)))
            blocks.append(decision_buttons(t, view))
    return Reply(text=t("list_fallback"), blocks=blocks[:50])
