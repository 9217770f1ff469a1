"""A non-editable install works: templates, translations, migrations and the
example account ship in the wheel and are found from wherever it is installed."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
        check=True,
    )
    (built,) = out.glob("seatbot-*.whl")
    return built


@pytest.mark.slow
def test_wheel_carries_its_data_files(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in [
        "templates/summary.j2",
        "templates/locale/fr/LC_MESSAGES/messages.po",
        "storage/migrations/env.py",
        "storage/migrations/script.py.mako",
        "storage/migrations/versions/0001_initial_schema.py",
        "bot/examples/account.yml",
    ]:
        assert needed in names
    assert not any(name.startswith("tests/") for name in names)


@pytest.mark.slow
def test_installed_wheel_runs_the_demo_from_elsewhere(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site), str(wheel)],
        check=True,
    )
    env = {**os.environ, "PYTHONPATH": str(site), "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    where = subprocess.run(
        [sys.executable, "-c", "import bot, templates, storage; print(bot.__file__, templates.__file__)"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert str(ROOT) not in where.stdout
    assert str(site) in where.stdout
    upgrade = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"], cwd=tmp_path, env=env, capture_output=True, text=True
    )
    assert upgrade.returncode == 0, upgrade.stderr
    demo = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert "10 sièges · 3 utilisés · 7 libres" in demo.stdout  # French, from the packaged catalog
    assert "Ask @Olivia Owner and @Bastien Facturation" in demo.stdout
