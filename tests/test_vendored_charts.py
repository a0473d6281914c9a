"""The vendored chart library, in the manager's pages (the box) and in the hub's dashboard (each its own copy: the
hub never serves the box's device folders): the files on disk are the ones the vendor note names (hashes), and
each serves them itself (no CDN)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "manage" / "static" / "vendor"
HUB_VENDOR = ROOT / "hub" / "static" / "vendor"
both = pytest.mark.parametrize("vendor", [VENDOR, HUB_VENDOR], ids=["manage", "hub"])


def noted_hashes(vendor: Path) -> dict[str, str]:
    note = (vendor / "README.md").read_text()
    return dict(re.findall(r"sha256 of `([^`]+)`: `([0-9a-f]{64})`", note))


@both
def test_every_vendored_file_matches_the_hash_in_its_note(vendor: Path) -> None:
    noted = noted_hashes(vendor)
    on_disk = {p.name for p in vendor.iterdir() if p.name != "README.md"}
    assert on_disk == set(noted), "every vendored file has a hash in README.md, and every hash a file"
    for name, digest in noted.items():
        assert hashlib.sha256((vendor / name).read_bytes()).hexdigest() == digest, name


@both
def test_the_note_names_the_package_its_version_licence_and_source(vendor: Path) -> None:
    note = (vendor / "README.md").read_text()
    banner = (vendor / "uPlot.iife.min.js").read_text()[:200]
    version = re.search(r"\(v(\d+\.\d+\.\d+)\)", banner)
    assert version, banner
    assert f"| {version.group(1)} | MIT |" in note and "registry.npmjs.org/uplot/-/uplot-" + version.group(1) in note
    assert "MIT License" in (vendor / "uPlot.LICENSE").read_text()


def test_the_box_serves_the_chart_library_itself(client: Any) -> None:
    for name in ("uPlot.iife.min.js", "uPlot.min.css"):
        with client.get(f"/manage/static/vendor/{name}") as r:
            assert r.status_code == 200 and r.data == (VENDOR / name).read_bytes(), name


def test_the_hub_serves_the_chart_library_and_its_script_itself(tmp_path: Path) -> None:
    from contactpoint.hub.app import create_hub

    app = create_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}", clock=lambda: 0, config={"TESTING": True})
    client = app.test_client()
    for name in ("uPlot.iife.min.js", "uPlot.min.css"):
        with client.get(f"/static/vendor/{name}") as r:
            assert r.status_code == 200 and r.data == (HUB_VENDOR / name).read_bytes(), name
    with client.get("/static/dashboard.js") as r:
        assert r.status_code == 200 and b"uPlot" in r.data
