"""The README's promises hold: CI runs its test command, and the manifest matches the app."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[1]


def _commands_under(heading: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split(f"## {heading}", 1)[1]
    return re.findall(r"```sh\n(.+?)\n```", section, flags=re.S)[0].splitlines()


def test_ci_runs_the_readme_test_command() -> None:
    (command,) = _commands_under("Run the tests")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert command in ci


def test_readme_demo_command_runs_seatbot_demo() -> None:
    (command,) = _commands_under("Try it on this machine")
    assert command.endswith("seatbot demo")


def test_manifest_declares_what_the_app_handles() -> None:
    manifest = yaml.safe_load((ROOT / "manifest.yml").read_text(encoding="utf-8"))
    assert [c["command"] for c in manifest["features"]["slash_commands"]] == ["/seats"]
    assert manifest["features"]["slash_commands"][0]["should_escape"] is True
    assert manifest["features"]["app_home"]["home_tab_enabled"] is True
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == [
        "app_home_opened",
        "app_uninstalled",
        "tokens_revoked",
        "user_change",
    ]
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == {
        "commands",
        "chat:write",
        "im:write",
        "users:read",
        "channels:read",
        "groups:read",
        "im:history",
        "channels:history",
        "groups:history",
        "channels:join",
    }
    assert "socket_mode_enabled" in manifest["settings"]
