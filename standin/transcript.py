"""Block Kit rendered as the plain text a person would read in Slack.

Used by the demo to print conversations and by tests for readable failure
output.  The rendering is lossy on purpose: it shows what is visible (text,
fields in two columns, buttons like ``[ Approve ] (primary)``, inputs as
``Label: [ value ]``) and nothing that is not (ids, values, metadata).
"""

from __future__ import annotations

from typing import Any

from standin.mrkdwn import Names, readable

RULE = "─" * 40
_COLUMN = 34  # width of the left column when fields are shown side by side


def _text(obj: Any, names: Names) -> str:
    """A text object (or bare string) as read by a person."""
    if isinstance(obj, str):
        return readable(obj, names)
    if not isinstance(obj, dict):
        return ""
    text = str(obj.get("text", ""))
    return readable(text, names) if obj.get("type") == "mrkdwn" else text


def _button(el: dict[str, Any], names: Names) -> str:
    label = f"[ {_text(el.get('text'), names)} ]"
    return f"{label} ({el['style']})" if el.get("style") else label


def _option_label(option: Any, names: Names) -> str:
    return _text(option.get("text"), names) if isinstance(option, dict) else ""


def _element(el: dict[str, Any], names: Names, value: str | None = None) -> str:
    """One element inline.  ``value`` is what the person has entered, if known."""
    kind = el.get("type", "")
    if kind in ("button", "workflow_button"):
        return _button(el, names)
    if kind == "image":
        return f"[image: {el.get('alt_text', '')}]"
    if kind == "overflow":
        return "[ … ]"
    if kind in ("checkboxes", "radio_buttons"):
        chosen = el.get("initial_options") or ([el["initial_option"]] if el.get("initial_option") else [])
        marks = []
        for option in el.get("options", []):
            mark = "x" if option in chosen else " "
            bullet = f"[{mark}]" if kind == "checkboxes" else f"({mark})"
            marks.append(f"{bullet} {_option_label(option, names)}")
        return "  ".join(marks)
    shown = value if value is not None else _initial(el, names)
    if shown is None:
        placeholder = _text(el.get("placeholder"), names)
        shown = f"({placeholder})" if placeholder else ""
    suffix = " ▾" if "select" in kind else ""
    return f"[ {shown}{suffix} ]"


def _initial(el: dict[str, Any], names: Names) -> str | None:
    for key in ("initial_value", "initial_date", "initial_time"):
        if el.get(key):
            return str(el[key])
    if el.get("initial_option"):
        return _option_label(el["initial_option"], names)
    if el.get("initial_options"):
        return ", ".join(_option_label(o, names) for o in el["initial_options"])
    if el.get("initial_user"):
        return f"@{names(el['initial_user'])}"
    for key in ("initial_users",):
        if el.get(key):
            return ", ".join(f"@{names(u)}" for u in el[key])
    for key in ("initial_conversation", "initial_channel"):
        if el.get(key):
            return f"#{names(el[key])}"
    return None


def _state_value(entry: dict[str, Any], names: Names) -> str | None:
    """A state.values entry as the person sees it in the input."""
    if entry.get("value") is not None:
        return str(entry["value"])
    for key in ("selected_date", "selected_time", "selected_date_time"):
        if entry.get(key) is not None:
            return str(entry[key])
    if entry.get("selected_option"):
        return _option_label(entry["selected_option"], names)
    if entry.get("selected_options"):
        return ", ".join(_option_label(o, names) for o in entry["selected_options"])
    if entry.get("selected_user"):
        return f"@{names(entry['selected_user'])}"
    if entry.get("selected_users"):
        return ", ".join(f"@{names(u)}" for u in entry["selected_users"])
    for key in ("selected_conversation", "selected_channel"):
        if entry.get(key):
            return f"#{names(entry[key])}"
    return None


def _fields(fields: list[Any], names: Names) -> list[str]:
    """Fields two per row, like Slack's two-column layout."""
    cells = [_text(f, names) for f in fields]
    rows = []
    for i in range(0, len(cells), 2):
        left = cells[i].splitlines() or [""]
        right = cells[i + 1].splitlines() if i + 1 < len(cells) else []
        for j in range(max(len(left), len(right))):
            l_part = left[j] if j < len(left) else ""
            r_part = right[j] if j < len(right) else ""
            rows.append(f"{l_part:<{_COLUMN}}  {r_part}".rstrip())
    return rows


def _rich_text(block: dict[str, Any], names: Names) -> str:
    parts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            kind = node.get("type")
            if kind == "text" or kind == "link":
                parts.append(str(node.get("text") or node.get("url", "")))
            elif kind == "user":
                parts.append(f"@{names(str(node.get('user_id')))}")
            elif kind == "channel":
                parts.append(f"#{names(str(node.get('channel_id')))}")
            elif kind == "emoji":
                parts.append(f":{node.get('name')}:")
            for child in node.get("elements", []):
                walk(child)

    walk(block)
    return "".join(parts)


def _block(block: dict[str, Any], names: Names, values: dict[str, Any]) -> list[str]:
    kind = block.get("type")
    if kind == "header":
        return [_text(block.get("text"), names).upper()]
    if kind == "divider":
        return [RULE]
    if kind == "section":
        lines = _text(block.get("text"), names).splitlines() if block.get("text") else []
        lines += _fields(block.get("fields", []), names)
        if block.get("accessory"):
            accessory = _element(block["accessory"], names)
            if lines:
                lines[0] = f"{lines[0]}   {accessory}"
            else:
                lines = [accessory]
        return lines
    if kind == "context":
        parts = [
            _element(e, names) if e.get("type") == "image" else _text(e, names)
            for e in block.get("elements", [])
        ]
        return ["  " + "  ·  ".join(p for p in parts if p)]
    if kind == "actions":
        return ["   ".join(_element(e, names) for e in block.get("elements", []))]
    if kind == "input":
        el = block.get("element", {})
        entry = values.get(block.get("block_id", ""), {}).get(el.get("action_id", ""))
        value = _state_value(entry, names) if isinstance(entry, dict) else None
        label = _text(block.get("label"), names)
        if block.get("optional"):
            label += " (optional)"
        lines = [f"{label}: {_element(el, names, value)}"]
        if block.get("hint"):
            lines.append(f"  {_text(block['hint'], names)}")
        return lines
    if kind == "image":
        title = _text(block.get("title"), names) if block.get("title") else ""
        return [f"[image: {block.get('alt_text', '')}]" + (f" {title}" if title else "")]
    if kind == "rich_text":
        return _rich_text(block, names).splitlines()
    if kind == "markdown":
        return str(block.get("text", "")).splitlines()
    return [f"[{kind} block]"]


def _blocks(blocks: list[dict[str, Any]], names: Names, values: dict[str, Any] | None = None) -> str:
    lines: list[str] = []
    for block in blocks:
        lines += _block(block, names, values or {})
    return "\n".join(lines)


def render_message(blocks: list[dict[str, Any]] | None, text: str | None, *, names: Names) -> str:
    """A message as displayed: its blocks if any (Slack then hides ``text``), else its text."""
    if blocks:
        return _blocks(blocks, names)
    return readable(text or "", names)


def render_view(view: dict[str, Any], *, names: Names) -> str:
    """A modal (title, blocks, close/submit buttons) or Home tab as displayed."""
    values = (view.get("state") or {}).get("values") or {}
    body = _blocks(view.get("blocks", []), names, values)
    if view.get("type") == "home":
        return f"=== Home ===\n{body}"
    title = _text(view.get("title"), names)
    buttons = []
    if view.get("close") or view.get("submit"):
        buttons.append(f"[ {_text(view.get('close'), names) or 'Cancel'} ]")
    if view.get("submit"):
        buttons.append(f"[ {_text(view['submit'], names)} ] (primary)")
    footer = "   ".join(buttons) if buttons else "[ Close ]"
    return f"=== {title} ===\n{body}\n{footer}"
