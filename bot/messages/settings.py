"""Around the settings form: the offer to set seatbot up, App Home's Settings section,
what a saved form shows, the ownership transfer's two steps and its DMs."""

from __future__ import annotations

import json
from typing import Any

from slack_sdk.models.blocks import Block, InputBlock, PlainTextObject, UserSelectElement
from slack_sdk.models.views import View

from bot.messages.allowance_form import OPEN_ALLOWANCES
from bot.messages.blocks import actions, button
from bot.messages.i18n import people, texts
from bot.messages.limits import LABEL_TEXT, VIEW_TITLE, shorten
from bot.messages.reply import Reply, context, divider, fields_section, header, section
from bot.services.account_settings import AccountSettings

OPEN_SETUP = "open_setup"
OPEN_SETTINGS = "open_settings"
OPEN_TRANSFER = "open_transfer"
TRANSFER_CALLBACK = "transfer_owner"
TRANSFER_CONFIRM_CALLBACK = "transfer_confirm"
NEW_OWNER_BLOCK = "new_owner"
NEW_OWNER_ACTION = "user"


def _plain(text: str, limit: int = LABEL_TEXT) -> PlainTextObject:
    return PlainTextObject(text=shorten(text, limit), emoji=True)


def setup_offer(language: str) -> Reply:
    t = texts("settings", language)
    text = t("offer")
    button_ = button(t.plain("offer_button"), action_id=OPEN_SETUP, value="setup", style="primary")
    return Reply(text=text, blocks=[section(text), actions(button_, block_id="setup")])


def who_can_set_up(installer: str | None, language: str) -> Reply:
    text = texts("settings", language)("who_can", installer=installer)
    return Reply(text=text, blocks=[section(text)])


def settings_section(settings: AccountSettings, language: str) -> list[Block]:
    """App Home's Settings: read-only for billing admins and admins, with the owner's buttons."""
    t = texts("settings", language)
    account, policy, roles = settings.account, settings.policy, settings.roles
    editable = settings.editable
    blocks: list[Block] = [
        divider(),
        header(t.plain("home_header")),
        fields_section(
            [
                t("home_plan", plan=account.plan.value, currency=account.currency),
                t("home_requests", allowed=account.change_requests),
                t("home_channel", channel_id=account.alerts_channel),
                t("home_sales", contact=account.sales_contact),
                t("home_owner", owner=roles.owner),
                t("home_people", role="billing_admins", people=_people(roles.billing_admins, language)),
                t("home_people", role="admins", people=_people(roles.admins, language)),
                t(
                    "home_reminders",
                    after=policy.nudge_after,
                    every=policy.nudge_every,
                    most=policy.max_nudges,
                    expire=policy.expire_after,
                ),
                t("home_hours", hours=policy.working_hours),
                t("home_threshold", pct=policy.alert_threshold),
            ],
            block_id="settings",
        ),
    ]
    if editable:
        allowances_label = texts("allowances", language).plain("form_button")
        blocks.append(
            actions(
                button(t.plain("edit_button"), action_id=OPEN_SETTINGS, value="edit"),
                button(t.plain("transfer_button"), action_id=OPEN_TRANSFER, value="transfer"),
                button(allowances_label, action_id=OPEN_ALLOWANCES, value="edit"),
                block_id="settings_actions",
            )
        )
    else:
        blocks.append(context(t("home_read_only", owner=roles.owner)))
    return blocks


def _people(user_ids: list[str], language: str) -> str:
    return people(user_ids, language) if user_ids else ""


def setup_done_view(summary: Reply, notes: list[str], language: str) -> dict[str, Any]:
    """After the set-up: what happened, then the subscription as /seats shows it."""
    t = texts("settings", language)
    blocks: list[Block] = [section(t("done_setup")), *(context(n) for n in notes), divider(), *summary.blocks]
    return _closing_view(t.plain("done_setup_title"), blocks[:100], language)


def settings_done_view(*, changed: bool, notes: list[str], language: str) -> dict[str, Any]:
    t = texts("settings", language)
    blocks: list[Block] = [
        section(t("done_settings" if changed else "done_unchanged")),
        *(context(n) for n in notes),
    ]
    return _closing_view(t.plain("done_settings_title"), blocks, language)


def channel_note(reach: str, channel_id: str, language: str) -> str | None:
    """What the person should know of the alerts channel ("joined", "invite seatbot")."""
    t = texts("settings", language)
    if reach == "joined":
        return t("channel_joined", channel_id=channel_id)
    if reach == "invite_needed":
        return t("channel_invite", channel_id=channel_id)
    return None


def transfer_modal(language: str) -> dict[str, Any]:
    """Step one: choose the new owner."""
    t = texts("settings", language)
    view = View(
        type="modal",
        callback_id=TRANSFER_CALLBACK,
        title=_plain(t.plain("transfer_title"), VIEW_TITLE),
        submit=_plain(t.plain("transfer_next"), VIEW_TITLE),
        close=_plain(t.plain("close"), VIEW_TITLE),
        blocks=[
            section(t("transfer_intro")),
            InputBlock(
                block_id=NEW_OWNER_BLOCK,
                label=_plain(t.plain("transfer_label")),
                element=UserSelectElement(action_id=NEW_OWNER_ACTION),
            ),
        ],
    )
    return view.to_dict()


def transfer_confirm_view(new_owner: str, language: str) -> dict[str, Any]:
    """Step two: the new owner named, and what the old owner becomes."""
    t = texts("settings", language)
    view = View(
        type="modal",
        callback_id=TRANSFER_CONFIRM_CALLBACK,
        title=_plain(t.plain("transfer_title"), VIEW_TITLE),
        submit=_plain(t.plain("transfer_submit"), VIEW_TITLE),
        close=_plain(t.plain("close"), VIEW_TITLE),
        private_metadata=json.dumps({"new_owner": new_owner}),
        blocks=[section(t("transfer_confirm", new_owner=new_owner))],
    )
    return view.to_dict()


def transfer_done_view(new_owner: str, language: str) -> dict[str, Any]:
    t = texts("settings", language)
    return _closing_view(
        t.plain("transfer_title"), [section(t("transfer_done", new_owner=new_owner))], language
    )


def owner_changed_message(
    *, old_owner: str, new_owner: str, account: str, to_new: bool, language: str
) -> Reply:
    t = texts("settings", language)
    text = t(
        "owner_dm_new" if to_new else "owner_dm_old",
        old_owner=old_owner,
        new_owner=new_owner,
        account=account,
    )
    return Reply(text=text, blocks=[section(text)])


def refusal_view(content: Reply, language: str, *, setup: bool) -> dict[str, Any]:
    """Replaces a form whose submission could not go through, saying why (nothing changed)."""
    t = texts("settings", language)
    return _closing_view(
        t.plain("title_setup" if setup else "title_settings"), list(content.blocks), language
    )


def _closing_view(title: str, blocks: list[Block], language: str) -> dict[str, Any]:
    t = texts("settings", language)
    view = View(
        type="modal",
        title=_plain(title, VIEW_TITLE),
        close=_plain(t.plain("done_close"), VIEW_TITLE),
        blocks=blocks,
    )
    return view.to_dict()
