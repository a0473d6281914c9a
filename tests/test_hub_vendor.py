"""The hub's vendored chart library: the files on disk are the ones the vendor note names (hashes), and the hub
serves them itself (no CDN, nothing from the box's device folders)."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parent.parent / "hub" / "static" / "vendor"


def noted_hashes() -> dict[str, str]:
    note = (VENDOR / "README.md").read_text()
    return dict(re.findall(r"sha256 of `([^`]+)`: `([0-9a-f]{64})`", note))


def test_every_vendored_file_matches_the_hash_in_its_note() -> None:
    noted = noted_hashes()
    on_disk = {p.name for p in VENDOR.iterdir() if p.name != "README.md"}
    assert on_disk == set(noted), "every vendored file has a hash in README.md, and every hash a file"
    for name, digest in noted.items():
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name


def test_the_note_names_the_package_its_version_licence_and_source() -> None:
    note = (VENDOR / "README.md").read_text()
    banner = (VENDOR / "uPlot.iife.min.js").read_text()[:200]
    version = re.search(r"\(v(\d+\.\d+\.\d+)\)", banner)
    assert version, banner
    assert f"| {version.group(1)} | MIT |" in note and "registry.npmjs.org/uplot/-/uplot-" + version.group(1) in note
    assert "MIT License" in (VENDOR / "uPlot.LICENSE").read_text()


def test_the_hub_serves_the_chart_library_and_its_script_itself(tmp_path: Path) -> None:
    from contactpoint.hub.app import create_hub

    app = create_hub(f"sqlite:///{tmp_path / 'hub.sqlite'}", clock=lambda: 0, config={"TESTING": True})
    client = app.test_client()
    for name in ("uPlot.iife.min.js", "uPlot.min.css"):
        with client.get(f"/static/vendor/{name}") as r:
            assert r.status_code == 200 and r.data == (VENDOR / name).read_bytes(), name
    with client.get("/static/dashboard.js") as r:
        assert r.status_code == 200 and b"uPlot" in r.data
