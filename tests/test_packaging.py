"""The distribution installs one package, `contactpoint`: the design card's device folders (kiosk/, display/, …)
go under it (pyproject.toml's package-dir), never as top-level packages of generic names in a user's
site-packages. Built for real with pip, as a user's install would."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOLDERS = ("contactpoint", "kiosk", "display", "counter", "phone", "manage", "hardware", "provisioning", "feedback",
           "hub", "locales")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    out = tmp_path_factory.mktemp("wheel")
    src = tmp_path_factory.mktemp("src")  # setuptools writes build/ beside the sources: a copy keeps the repo clean
    tracked = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    for rel in filter(None, tracked.decode().split("\0")):
        if (ROOT / rel).is_file():
            (src / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, src / rel)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(src)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    (path,) = out.glob("contactpoint-*.whl")
    return zipfile.ZipFile(path)


@pytest.mark.slow
def test_the_wheel_installs_only_contactpoint(wheel: zipfile.ZipFile) -> None:
    tops = {name.split("/")[0] for name in wheel.namelist()}
    assert {t for t in tops if not t.endswith(".dist-info")} == {"contactpoint"}


@pytest.mark.slow
def test_every_package_folder_and_its_assets_are_in_the_wheel(wheel: zipfile.ZipFile) -> None:
    names = set(wheel.namelist())
    for folder in FOLDERS:
        for init in (ROOT / folder).rglob("__init__.py"):
            rel = init.relative_to(ROOT).as_posix()
            installed = rel if folder == "contactpoint" else f"contactpoint/{rel}"
            assert installed in names, f"{rel} is not packaged: add its package to pyproject.toml"
    for po in (ROOT / "locales").glob("*/LC_MESSAGES/messages.po"):  # a box installed from the wheel speaks
        assert f"contactpoint/{po.relative_to(ROOT).as_posix()}" in names, po
    assets = ("kiosk/static", "display/templates", "counter/static", "hardware/audio", "feedback/static",
              "hub/migrations")
    for asset in assets:
        assert any(n.startswith(f"contactpoint/{asset}/") and not n.endswith(".py") for n in names), asset


def test_device_folders_import_the_core_never_each_other() -> None:
    devices = ("kiosk", "display", "counter", "phone", "manage", "feedback")
    for device in devices:
        for path in (ROOT / device).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            for other in devices:
                if other != device:
                    assert f"contactpoint.{other}" not in text, f"{path.relative_to(ROOT)} imports {other}"
