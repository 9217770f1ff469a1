"""The account's settings form: onboarding ("Set up seatbot") and App Home's "Edit settings".

One form for both, built from the account file's sections; its state is read back
by `bot.slack.settings_state` into the same file and checked by its schema, whose
problems `form_errors` places next to their fields.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from slack_sdk.models.blocks import (
    Block,
    CheckboxesElement,
    ConversationFilter,
    ConversationSelectElement,
    InputBlock,
    NumberInputElement,
    Option,
    PlainTextInputElement,
    PlainTextObject,
    StaticSelectElement,
    UserMultiSelectElement,
    UserSelectElement,
)
from slack_sdk.models.views import View

from bot.domain.account_file import AccountFile, PolicySection, ProductSection
from bot.domain.errors import Problem
from bot.messages.blocks import actions, button
from bot.messages.i18n import Texts, texts
from bot.messages.limits import LABEL_TEXT, MODAL_ERROR, OPTION_TEXT, VIEW_TITLE, shorten
from bot.messages.reply import context, divider, section
from storage.models import MAX_SEATS, Plan

SETUP_CALLBACK = "account_setup"
SETTINGS_CALLBACK = "account_settings"
VALUE = "value"
"""Every input's action id: the block id says which field it is."""
ADD_PRODUCT = "settings_add_product"
PRODUCT_BLOCK = "product:"
MAX_FORM_PRODUCTS = 10
"""Products the form shows (7 blocks each): with the other fields, 90 of a view's 100 blocks.
An account with more keeps its products out of the form (the account file changes them)."""

ACCOUNT_FIELDS = ("name", "plan", "currency", "change_requests", "alerts_channel", "sales_contact")
ROLE_FIELDS = ("billing_admins", "admins")
POLICY_FIELDS = (
    "nudge_after",
    "nudge_every",
    "max_nudges",
    "expire_after",
    "working_hours",
    "alert_threshold",
)
PRODUCT_FIELDS = {"key": "key", "name": "name", "edition": "edition", "seats": "seats"}
PRODUCT_FIELDS |= {"price_per_seat": "price", "suite": "suite"}
"""A product's field in the file → its block's suffix in the form."""
CHANGE_REQUESTS_ON = "on"


@dataclass(frozen=True)
class FormLayout:
    """What a form shows besides its values: carried in private_metadata, so that "Add
    another product" and the submission know which product each row is. Untrusted when
    read back: a forged layout can only move a product's edits, never lose a product."""

    keys: list[str | None] = field(default_factory=lambda: [None])
    """One per product row: the existing product's key, or None for a new row."""
    products_shown: bool = True

    def metadata(self) -> str:
        return json.dumps({"k": self.keys, "p": self.products_shown})

    @classmethod
    def of(cls, metadata: str) -> FormLayout:
        try:
            data = json.loads(metadata) if metadata else {}
        except ValueError:
            data = {}
        data = data if isinstance(data, dict) else {}
        keys = data.get("k")
        keys = keys if isinstance(keys, list) else [None]
        clean = [k[:40] if isinstance(k, str) else None for k in keys[:MAX_FORM_PRODUCTS]]
        return cls(keys=clean, products_shown=data.get("p") is not False)

    def with_another_row(self) -> FormLayout:
        if not self.products_shown or len(self.keys) >= MAX_FORM_PRODUCTS:
            return self
        return FormLayout([*self.keys, None], self.products_shown)


def layout_for(current: AccountFile | None) -> FormLayout:
    """The first layout: one empty row to set up; the account's products to edit them."""
    if current is None:
        return FormLayout()
    if len(current.products) > MAX_FORM_PRODUCTS:
        return FormLayout(keys=[], products_shown=False)
    return FormLayout(keys=[p.key for p in current.products])


def _plain(text: str, limit: int = LABEL_TEXT) -> PlainTextObject:
    return PlainTextObject(text=shorten(text, limit), emoji=True)


def product_block(row: int, name: str) -> str:
    return f"{PRODUCT_BLOCK}{row}:{name}"


def settings_form(
    language: str, *, current: AccountFile | None, layout: FormLayout | None = None
) -> dict[str, Any]:
    """The form: to set up (`current` None) or to edit the account `current`."""
    t = texts("settings", language)
    setup = current is None
    layout = layout or layout_for(current)
    policy = current.policy if current else PolicySection()
    account = current.account if current else None
    blocks: list[Block] = [
        section(t("intro_setup" if setup else "intro_settings")),
        section(t("head_account")),
    ]
    blocks.append(
        _text(t, "name", account.name if account else None, max_length=200, placeholder="placeholder_name")
    )
    blocks.append(_plan(t, account.plan if account else Plan.SELF_SERVICE))
    blocks.append(
        _text(t, "currency", account.currency if account else "EUR", max_length=3, hint="hint_currency")
    )
    blocks.append(_change_requests(t, account.change_requests if account else True))
    blocks += [divider(), section(t("head_products"))]
    if layout.products_shown:
        existing = {p.key: p for p in current.products} if current else {}
        for row, key in enumerate(layout.keys):
            blocks += _product(t, row, existing.get(key) if key else None, fixed_key=key)
        if len(layout.keys) < MAX_FORM_PRODUCTS:
            blocks.append(actions(button(t.plain("add_product"), action_id=ADD_PRODUCT, value="add")))
    else:
        blocks.append(context(t("products_elsewhere", count=len(current.products) if current else 0)))
    blocks += [divider(), section(t("head_people"))]
    channel = ConversationSelectElement(
        action_id=VALUE,
        initial_conversation=account.alerts_channel if account else None,
        filter=ConversationFilter(include=["public", "private"], exclude_bot_users=True),
    )
    blocks.append(_input(t, "alerts_channel", channel, optional=True, hint="hint_alerts_channel"))
    contact = account.sales_contact if account else None
    person = UserSelectElement(
        action_id=VALUE, initial_user=contact if contact and contact[0] in "UW" else None
    )
    blocks.append(_input(t, "sales_contact", person, optional=True, hint="hint_sales_contact"))
    for role in ROLE_FIELDS:
        picked = list(getattr(current.roles, role)) if current else []
        element = UserMultiSelectElement(action_id=VALUE, initial_users=picked or None)
        blocks.append(_input(t, role, element, optional=True, hint=f"hint_{role}"))
    blocks += [divider(), section(t("head_reminders"))]
    for name in ("nudge_after", "nudge_every"):
        blocks.append(_text(t, name, getattr(policy, name), max_length=10, hint="hint_duration"))
    blocks.append(_number(t, "max_nudges", policy.max_nudges, hint="hint_max_nudges"))
    blocks.append(_text(t, "expire_after", policy.expire_after, max_length=10, hint="hint_duration"))
    blocks.append(_text(t, "working_hours", policy.working_hours, max_length=11, hint="hint_working_hours"))
    blocks.append(
        _number(t, "alert_threshold", policy.alert_threshold, optional=True, hint="hint_alert_threshold")
    )
    view = View(
        type="modal",
        callback_id=SETUP_CALLBACK if setup else SETTINGS_CALLBACK,
        title=_plain(t.plain("title_setup" if setup else "title_settings"), VIEW_TITLE),
        submit=_plain(t.plain("submit_setup" if setup else "submit_settings"), VIEW_TITLE),
        close=_plain(t.plain("close"), VIEW_TITLE),
        blocks=blocks,
        private_metadata=layout.metadata(),
    )
    return view.to_dict()


def _input(
    t: Texts,
    name: str,
    element: Any,
    *,
    optional: bool = False,
    hint: str | None = None,
    block_id: str | None = None,
) -> InputBlock:
    return InputBlock(
        block_id=block_id or name,
        label=_plain(t.plain(f"label_{name}")),
        hint=_plain(t.plain(hint)) if hint else None,
        element=element,
        optional=optional,
    )


def _text(
    t: Texts,
    name: str,
    value: str | None,
    *,
    max_length: int,
    optional: bool = False,
    hint: str | None = None,
    placeholder: str | None = None,
    block_id: str | None = None,
) -> InputBlock:
    element = PlainTextInputElement(
        action_id=VALUE,
        initial_value=value or None,
        max_length=max_length,
        placeholder=_plain(t.plain(placeholder), 150) if placeholder else None,
    )
    return _input(t, name, element, optional=optional, hint=hint, block_id=block_id)


def _number(
    t: Texts,
    name: str,
    value: int | None,
    *,
    optional: bool = False,
    hint: str | None = None,
    block_id: str | None = None,
) -> InputBlock:
    # No min or max here: the schema says what is wrong, next to the field, in words.
    element = NumberInputElement(
        action_id=VALUE, is_decimal_allowed=False, initial_value=None if value is None else str(value)
    )
    return _input(t, name, element, optional=optional, hint=hint, block_id=block_id)


def _plan(t: Texts, plan: Plan) -> InputBlock:
    options = {
        p: Option(value=p.value, text=_plain(_plan_name(t, p), OPTION_TEXT))
        for p in (Plan.SELF_SERVICE, Plan.SALES_ASSISTED)
    }
    element = StaticSelectElement(
        action_id=VALUE, options=list(options.values()), initial_option=options[plan]
    )
    return _input(t, "plan", element)


def _plan_name(t: Texts, plan: Plan) -> str:
    return t.plain("plan_name", plan=plan.value)


def _change_requests(t: Texts, on: bool) -> InputBlock:
    option = Option(value=CHANGE_REQUESTS_ON, text=_plain(t.plain("option_change_requests"), OPTION_TEXT))
    element = CheckboxesElement(action_id=VALUE, options=[option], initial_options=[option] if on else None)
    return _input(t, "change_requests", element, optional=True)


def _product(t: Texts, row: int, product: ProductSection | None, *, fixed_key: str | None) -> list[Block]:
    """One product's row; an existing product's key is shown, not asked (it names the product)."""
    title = (
        t("product_existing", name=product.name if product else fixed_key, key=fixed_key)
        if fixed_key
        else t("product_new", n=row + 1)
    )
    blocks: list[Block] = [section(title)]
    if not fixed_key:
        blocks.append(
            _text(t, "key", None, max_length=40, hint="hint_key", block_id=product_block(row, "key"))
        )
    blocks.append(
        _text(
            t,
            "product_name",
            product.name if product else None,
            max_length=80,
            block_id=product_block(row, "name"),
        )
    )
    blocks.append(
        _text(
            t,
            "edition",
            product.edition if product else None,
            max_length=80,
            placeholder="placeholder_edition",
            block_id=product_block(row, "edition"),
        )
    )
    blocks.append(
        _number(t, "seats", product.seats if product else None, block_id=product_block(row, "seats"))
    )
    price = product.price_per_seat if product else None
    blocks.append(
        _text(
            t,
            "price",
            None if price is None else format(price.normalize(), "f"),
            max_length=12,
            optional=True,
            block_id=product_block(row, "price"),
        )
    )
    blocks.append(
        _text(
            t,
            "suite",
            product.suite if product else None,
            max_length=40,
            optional=True,
            hint="hint_suite",
            block_id=product_block(row, "suite"),
        )
    )
    return blocks


def form_errors(
    problems: Sequence[Problem],
    view_blocks: Sequence[Mapping[str, Any]],
    product_keys: Sequence[object],
    language: str,
) -> dict[str, str]:
    """`response_action: errors`, each problem next to the input it is about (the first
    input when no field of the form holds it). `product_keys`: the key of each product
    row, to find the row a rule about a product (by key) points at."""
    t = texts("settings", language)
    inputs = [str(b.get("block_id")) for b in view_blocks if b.get("type") == "input"]
    errors: dict[str, str] = {}
    for problem in problems:
        target = _block_of(problem, inputs, product_keys)
        facts = {"max": MAX_SEATS, **problem.facts}
        words = (
            t.plain(f"error_{problem.code}", **facts)
            if t.has(f"error_{problem.code}")
            else t.plain("error_field")
        )
        errors.setdefault(target, shorten(words, MODAL_ERROR))
    return errors


def _block_of(problem: Problem, inputs: Sequence[str], product_keys: Sequence[object]) -> str:
    fallback = inputs[0] if inputs else "name"
    path = (problem.field or "").split(".")
    wanted: list[str] = []
    if path[0] == "account" and len(path) > 1:
        wanted = ["sales_contact" if problem.code == "sales_contact_needed" else path[1]]
    elif path[0] in ("roles", "policy") and len(path) > 1:
        wanted = [path[1]]
    elif path[0] == "products":
        row = int(path[1]) if len(path) > 1 and path[1].isdigit() else 0
        suffix = PRODUCT_FIELDS.get(path[2], "name") if len(path) > 2 else "key"
        wanted = [product_block(row, suffix), product_block(row, "key"), product_block(row, "name")]
    elif path[0] == "agents" and problem.code == "fewer_seats_than_agents":
        keys = list(product_keys)
        if problem.facts.get("key") in keys:
            wanted = [product_block(keys.index(problem.facts["key"]), "seats")]
    return next((block for block in wanted if block in inputs), fallback)
