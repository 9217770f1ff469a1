"""A non-editable install works: templates, translations, migrations, the example
account and the Slack stand-in (for `seatbot demo`) ship in the wheel and are found
from wherever it is installed; the wheel installs seatbot's own packages and nothing
else; the sdist holds what a build needs."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
PACKAGES = {"bot", "handlers", "storage", "templates", "standin"}


@pytest.fixture(scope="module")
def sdist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("sdist")
    subprocess.run(
        [sys.executable, "-m", "build", "--sdist", "-q", "--outdir", str(out), str(ROOT)], check=True
    )
    (built,) = out.glob("seatbot-*.tar.gz")
    return built


@pytest.mark.slow
def test_wheel_installs_seatbot_packages_and_nothing_else(wheel: Path) -> None:
    """Nothing installed beside seatbot can clash with a stray top-level module or package of
    ours: the wheel holds exactly seatbot's packages and its dist-info."""
    names = zipfile.ZipFile(wheel).namelist()
    top_level = {name.split("/", 1)[0] for name in names}
    dist_info = {entry for entry in top_level if entry.endswith(".dist-info")}
    assert len(dist_info) == 1
    assert next(iter(dist_info)).startswith("seatbot-")
    assert top_level - dist_info == PACKAGES
    for package in PACKAGES:
        assert f"{package}/__init__.py" in names


@pytest.mark.slow
def test_sdist_holds_what_a_build_needs(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    for needed in [
        "pyproject.toml",
        "README.md",
        "manifest.yml",
        "examples/account.yml",
        "standin/README.md",
        "docs/architecture.md",
        "docs/deploy.md",
        "Dockerfile",
        "docker-compose.yml",
        "deploy/seatbot.service",
        *(f"{package}/__init__.py" for package in PACKAGES),
    ]:
        assert needed in names, needed


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
    probe = (
        "import bot, templates, storage, standin; print(bot.__file__, templates.__file__, standin.__file__)"
    )
    where = subprocess.run(
        [sys.executable, "-c", probe],
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
    assert "seatbot is set up, and you are the account's owner" in demo.stdout  # set up in Slack


def test_every_runtime_dependency_stops_before_its_next_major_release() -> None:
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    unbounded = [d for d in project["dependencies"] if "<" not in d]
    assert unbounded == []
