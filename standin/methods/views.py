"""views.open, views.push, views.update, views.publish.

Each person has a modal stack (at most 3 views, Slack's push limit) and at
most one Home tab view, whose id stays the same across publishes like in Slack.
A view exists for ``views.update`` only while it is on a stack or is a Home tab.
"""

from __future__ import annotations

from typing import Any

from standin.blockkit import normalize_blocks, validate_view
from standin.copies import detached
from standin.errors import ApiError
from standin.methods.base import CallContext, Method
from standin.workspace import MAX_VIEW_STACK, ViewRecord, Workspace


def _parse_view(ctx: CallContext, *, kind: str | None) -> dict[str, Any]:
    """The ``view`` argument validated; errors come back as invalid_arguments like Slack's."""
    view = ctx.params.decoded("view", error="invalid_arguments")
    if view is None:
        raise ApiError("invalid_arguments", messages=["missing required field: view"])
    if not isinstance(view, dict):
        raise ApiError("invalid_arguments", messages=["view must be an object"])
    errors = validate_view(view)
    if errors:
        raise ApiError("invalid_arguments", messages=errors)
    if kind is not None and view.get("type") != kind:
        raise ApiError("invalid_arguments", messages=[f"view type must be {kind} for this method"])
    return view


def _stored(ws: Workspace, view: dict[str, Any], view_id: str) -> dict[str, Any]:
    stored = detached(view)
    stored["blocks"] = normalize_blocks(view["blocks"], view_id)
    return stored


def _new_record(
    ws: Workspace, user_id: str, view: dict[str, Any], *, root: str | None, previous: str | None
) -> ViewRecord:
    view_id = ws.new_id("V")
    record = ViewRecord(
        id=view_id,
        user_id=user_id,
        source=_stored(ws, view, view_id),
        hash=ws.new_hash(),
        root_view_id=root or view_id,
        previous_view_id=previous,
    )
    ws.views[view_id] = record
    return record


def views_open(ctx: CallContext) -> dict[str, Any]:
    ws = ctx.ws
    view = _parse_view(ctx, kind="modal")
    trigger = ws.exchange_trigger(
        ctx.params.string("trigger_id") or ctx.params.string("interactivity_pointer")
    )
    ws.check_external_id(view, owner=None)
    user_id = trigger.user_id or ""
    record = _new_record(ws, user_id, view, root=None, previous=None)
    # A new modal replaces whatever stack the person had open.
    ws.stacks[user_id] = [record.id]
    return {"ok": True, "view": ws.view_payload(record)}


def views_push(ctx: CallContext) -> dict[str, Any]:
    ws = ctx.ws
    view = _parse_view(ctx, kind="modal")
    trigger = ws.exchange_trigger(
        ctx.params.string("trigger_id") or ctx.params.string("interactivity_pointer")
    )
    user_id = trigger.user_id or ""
    stack = ws.stacks.get(user_id, [])
    if not stack:
        raise ApiError("not_found", messages=["no modal is open to push onto"])
    if len(stack) >= MAX_VIEW_STACK:
        raise ApiError("push_limit_reached")
    ws.check_external_id(view, owner=None)
    record = _new_record(ws, user_id, view, root=ws.views[stack[0]].id, previous=stack[-1])
    stack.append(record.id)
    return {"ok": True, "view": ws.view_payload(record)}


def views_update(ctx: CallContext) -> dict[str, Any]:
    ws, p = ctx.ws, ctx.params
    view_id, external_id = p.string("view_id"), p.string("external_id")
    if not view_id and not external_id:
        raise ApiError("invalid_arguments", messages=["view_id or external_id is required"])
    view = _parse_view(ctx, kind=None)
    record = ws.find_view(view_id, external_id)
    if record is not None:
        ws.wait_submission_answered(record.id)
    if record is None or not ws.is_live(record):
        raise ApiError("not_found")
    if view["type"] != record.source["type"]:
        raise ApiError("invalid_arguments", messages=["a view cannot change its type"])
    given_hash = p.string("hash")
    if given_hash is not None and given_hash != record.hash:
        raise ApiError("hash_conflict")
    ws.check_external_id(view, owner=record.id)
    apply_update(ws, record, view)
    return {"ok": True, "view": ws.view_payload(record)}


def apply_update(ws: Workspace, record: ViewRecord, view: dict[str, Any]) -> None:
    """Replace a stored view's content; the id stays, the hash changes.

    Input values survive for inputs whose block_id and action_id are unchanged,
    which is how Slack keeps what a person typed across updates.
    """
    new_source = _stored(ws, view, f"{record.id}+{record.hash}")
    keep: dict[str, Any] = {}
    for block in new_source["blocks"]:
        old = record.state_values.get(block.get("block_id", ""), {})
        action_id = block.get("element", {}).get("action_id")
        if block.get("type") == "input" and action_id in old:
            keep[block["block_id"]] = {action_id: old[action_id]}
    record.source = new_source
    record.state_values = keep
    record.hash = ws.new_hash()


def views_publish(ctx: CallContext) -> dict[str, Any]:
    ws, p = ctx.ws, ctx.params
    user_id = p.require("user_id")
    if user_id not in ws.users or ws.users[user_id].deleted:
        raise ApiError("invalid_arguments", messages=[f"user_id {user_id} is not an active member"])
    view = _parse_view(ctx, kind="home")
    home_id = ws.homes.get(user_id)
    record = ws.views.get(home_id) if home_id else None
    given_hash = p.string("hash")
    if given_hash is not None and (record is None or given_hash != record.hash):
        raise ApiError("hash_conflict")
    ws.check_external_id(view, owner=home_id)
    if record is None:
        record = _new_record(ws, user_id, view, root=None, previous=None)
        ws.homes[user_id] = record.id
    else:
        apply_update(ws, record, view)
    return {"ok": True, "view": ws.view_payload(record)}


_VIEW = frozenset({"view"})
METHODS: dict[str, Method] = {
    "views.open": Method(views_open, _VIEW | {"trigger_id", "interactivity_pointer"}),
    "views.push": Method(views_push, _VIEW | {"trigger_id", "interactivity_pointer"}),
    "views.update": Method(views_update, _VIEW | {"view_id", "external_id", "hash"}),
    "views.publish": Method(views_publish, _VIEW | {"user_id", "hash", "interactivity_pointer"}),
}
