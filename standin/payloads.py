"""Request bodies exactly as Slack sends them to an app.

Shapes follow Slack's documentation of slash command requests, ``block_actions``,
``view_submission``, ``view_closed`` and ``event_callback`` payloads.  Builders
are pure: the driver gathers state from the stand-in (under its lock) and
passes it in.
"""

from __future__ import annotations

from typing import Any

from standin.models import SlackUser

VERIFICATION_TOKEN = "standin-verification-token"  # the deprecated per-app token Slack still sends


def team(team_id: str, team_name: str) -> dict[str, Any]:
    return {"id": team_id, "domain": team_name.lower()}


def user(person: SlackUser, team_id: str) -> dict[str, Any]:
    return {"id": person.id, "username": person.name, "name": person.name, "team_id": team_id}


def slash_command(
    *,
    team_id: str,
    team_name: str,
    api_app_id: str,
    person: SlackUser,
    channel_id: str,
    channel_name: str,
    command: str,
    text: str,
    response_url: str,
    trigger_id: str,
) -> dict[str, str]:
    """The form fields of a slash command request, in Slack's order."""
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": team_name.lower(),
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": person.id,
        "user_name": person.name,
        "command": command,
        "text": text,
        "api_app_id": api_app_id,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id,
    }


def block_actions(
    *,
    team_id: str,
    team_name: str,
    api_app_id: str,
    person: SlackUser,
    trigger_id: str,
    container: dict[str, Any],
    action: dict[str, Any],
    state_values: dict[str, Any] | None = None,
    channel: dict[str, Any] | None = None,
    message: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    response_url: str | None = None,
) -> dict[str, Any]:
    """A ``block_actions`` payload from a message (channel, message, response_url) or a view."""
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": user(person, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "container": container,
        "trigger_id": trigger_id,
        "team": team(team_id, team_name),
        "enterprise": None,
        "is_enterprise_install": False,
    }
    if channel is not None:
        payload["channel"] = channel
    if message is not None:
        payload["message"] = message
    if view is not None:
        payload["view"] = view
    if state_values is not None:
        # Message payloads carry the message's input state; view payloads keep it in view.state.
        payload["state"] = {"values": state_values}
    if response_url is not None:
        payload["response_url"] = response_url
    payload["actions"] = [action]
    return payload


def view_submission(
    *,
    team_id: str,
    team_name: str,
    api_app_id: str,
    person: SlackUser,
    trigger_id: str,
    view: dict[str, Any],
    response_urls: list[dict[str, str]],
) -> dict[str, Any]:
    return {
        "type": "view_submission",
        "team": team(team_id, team_name),
        "user": user(person, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id,
        "view": view,
        "response_urls": response_urls,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def view_closed(
    *,
    team_id: str,
    team_name: str,
    api_app_id: str,
    person: SlackUser,
    view: dict[str, Any],
    is_cleared: bool,
) -> dict[str, Any]:
    return {
        "type": "view_closed",
        "team": team(team_id, team_name),
        "user": user(person, team_id),
        "api_app_id": api_app_id,
        "token": VERIFICATION_TOKEN,
        "view": view,
        "is_cleared": is_cleared,
        "is_enterprise_install": False,
        "enterprise": None,
    }


def event_callback(
    *,
    team_id: str,
    api_app_id: str,
    bot_user_id: str,
    event: dict[str, Any],
    event_id: str,
    event_time: int,
) -> dict[str, Any]:
    return {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "context_team_id": team_id,
        "context_enterprise_id": None,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": event_time,
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": bot_user_id,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{event_id}",
    }
