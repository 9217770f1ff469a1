"""The deployment files hold what docs/deploy.md promises: a Dockerfile that passes
hadolint and whose command line runs from the wheel; a compose file with one migration
and two replicas behind a proxy; a systemd unit that migrates, serves and stops on
SIGTERM. (No container runtime here: the image itself is not built by the tests.)"""

from __future__ import annotations

import configparser
import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from standin import SlackStandIn

ROOT = Path(__file__).parents[1]
DOCKERFILE = ROOT / "Dockerfile"


def _json_instruction(name: str) -> list[str]:
    """The exec-form argument list of a Dockerfile instruction (CMD, or HEALTHCHECK's CMD)."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    line = next(line for line in text.splitlines() if line.startswith(name + " "))
    return list(json.loads(line[line.index("[") :]))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_dockerfile_passes_hadolint() -> None:
    hadolint = Path(sys.executable).parent / "hadolint"
    done = subprocess.run([str(hadolint), "--no-color", str(DOCKERFILE)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_image_runs_as_a_user_and_serves_with_a_health_check() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^USER 10001", text, re.M)
    assert _json_instruction("CMD")[:2] == ["seatbot", "serve"]
    assert "/healthz" in " ".join(_json_instruction("HEALTHCHECK"))


@pytest.mark.slow
def test_the_images_command_line_runs_from_the_wheel(wheel: Path, tmp_path: Path) -> None:
    """The image's CMD and HEALTHCHECK, run against seatbot installed from its wheel alone."""
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
    )
    port = str(_free_port())
    command = [arg.replace("0.0.0.0", "127.0.0.1").replace("3000", port) for arg in _json_instruction("CMD")]
    health = [arg.replace("3000", port) for arg in _json_instruction("HEALTHCHECK")]
    assert command[0] == "seatbot"
    assert health[0] == "python"
    with SlackStandIn(team_id="T0SEATBOT") as slack:
        env = {
            **os.environ,
            "PYTHONPATH": str(site),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'seatbot.db'}",
            "SLACK_BOT_TOKEN": slack.bot_token,
            "SLACK_SIGNING_SECRET": "deploy-test",
            "SLACK_API_URL": slack.api_url,
        }
        server = subprocess.Popen(
            [sys.executable, "-m", "bot", *command[1:]],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            healthy = False
            while time.monotonic() < deadline and server.poll() is None and not healthy:
                healthy = subprocess.run([sys.executable, *health[1:]], capture_output=True).returncode == 0
                if not healthy:
                    time.sleep(0.2)  # the server is still starting; bounded by the deadline
            assert healthy, "the HEALTHCHECK command never succeeded"
        finally:
            server.send_signal(signal.SIGTERM)
            output = server.communicate(timeout=30)[0].decode()
    assert str(ROOT) not in output


def test_compose_migrates_once_then_runs_two_replicas_behind_the_proxy() -> None:
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text(encoding="utf-8"))
    services = compose["services"]
    assert set(services) == {"db", "migrate", "seatbot", "proxy"}
    assert services["migrate"]["command"] == ["seatbot", "db", "upgrade"]
    assert services["seatbot"]["deploy"]["replicas"] == 2
    assert services["seatbot"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    assert services["proxy"]["depends_on"]["seatbot"]["condition"] == "service_healthy"
    for name in ("migrate", "seatbot"):
        assert services[name]["environment"]["DATABASE_URL"].startswith("postgresql://")
    nginx = (ROOT / "deploy/nginx.conf").read_text(encoding="utf-8")
    assert "server seatbot:3000" in nginx


def test_the_unit_migrates_serves_and_stops_on_sigterm() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.read(ROOT / "deploy/seatbot.service", encoding="utf-8")
    service = unit["Service"]
    assert service["ExecStartPre"].endswith("seatbot db upgrade")
    assert " serve " in service["ExecStart"]
    assert service["KillSignal"] == "SIGTERM"
    assert service["User"] == "seatbot"
    assert service["EnvironmentFile"] == "/etc/seatbot/env"
