"""The hub in Chromium, served by a real `contactpoint hub serve` on PostgreSQL: an analyst logs in and sees two
sites side by side; the login and the dashboard pages are axe-clean and keep the CSP."""

from __future__ import annotations

import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from contactpoint.provisioning.cli import main

from contactpoint import report_format as rf
from tests.a11y_support import axe_violations
from tests.conftest import shot
from tests.hub_support import body, signed, window
from tests.live_server import ROOT, free_port
from tests.pg_server import PgServer, pg_server  # noqa: F401 - fixture

pytestmark = [pytest.mark.browser, pytest.mark.a11y]


def cli(*args: str) -> str:
    result = CliRunner().invoke(main, ["hub", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def served_hub(pg_server: PgServer, tmp_path: Path) -> Iterator[dict[str, Any]]:  # noqa: F811
    db = pg_server.new_database()
    keys = {sid: re.findall(r"^whsec_\S+$", cli("site", "add", name, "--id", sid, "--db", db), re.M)[0]
            for sid, name in (("anderlecht", "Anderlecht"), ("gilles", "Saint-Gilles"))}  # fmt: skip
    password = cli("user", "add", "ana", "--role", "analyst", "--db", db).rsplit(": ", 1)[1].strip()
    admin = cli("user", "add", "root", "--role", "admin", "--db", db).rsplit(": ", 1)[1].strip()
    port = free_port()
    log = open(tmp_path / "hub.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(
        [sys.executable, "-m", "contactpoint.provisioning.cli", "hub", "serve", "--db", db, "--port", str(port)],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(url + "/health", timeout=1).close()
                break
            except OSError:
                assert proc.poll() is None, (tmp_path / "hub.log").read_text()
                time.sleep(0.05)
        full = dict.fromkeys(rf.COUNT_KEYS, 0)
        for sid, issued in (("anderlecht", 14), ("gilles", 9)):
            counts = full | {"issued": issued, "called": issued, "served": issued}
            report = body(sid, [window("2026-12-07T10:00", "moving", counts=counts),
                                window("2026-12-07T10:15", "money", counts=counts)])  # fmt: skip
            payload = rf.encode(report)
            req = urllib.request.Request(
                f"{url}/ingest/v1/{sid}", payload, signed(keys[sid], payload, int(time.time()))
            )
            with urllib.request.urlopen(req, timeout=10) as r:
                assert r.status == 200
        yield {"url": url, "password": password, "admin": admin}
    finally:
        proc.terminate()
        proc.wait(10)
        log.close()


def charts_drawn(page: Any) -> None:
    """Both charts are drawn: a canvas each, of a size a person can read, with a caption."""
    page.wait_for_selector("#charts[data-charts=ready]")
    for chart in ("#chart-waits", "#chart-levels"):
        assert page.locator(f"{chart}[data-drawn=true]").count() == 1, chart
        box = page.locator(f"{chart} canvas").bounding_box()
        assert box and box["width"] >= 280 and box["height"] >= 150, (chart, box)
    assert page.locator("figure.chart figcaption").count() == 2


def test_an_analyst_logs_in_and_sees_both_sites(browser: Any, served_hub: dict[str, Any]) -> None:
    page = browser.new_page(locale="fr-BE", viewport={"width": 1400, "height": 900})
    page.goto(served_hub["url"] + "/")
    assert page.url.startswith(served_hub["url"] + "/login")
    assert axe_violations(page) == []
    shot(page, "hub-login")
    page.get_by_label("Nom").fill("ana")
    page.get_by_label("Mot de passe").fill("not the password")
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_role("alert").inner_text() == "Nom ou mot de passe incorrect."
    page.get_by_label("Nom").fill("ana")
    page.get_by_label("Mot de passe").fill(served_hub["password"])
    page.get_by_role("button", name="Se connecter").click()
    page.wait_for_url(re.compile(r"/(\?.*)?$"))
    table = page.get_by_role("table")
    for text in ("Anderlecht", "Saint-Gilles", "Tous les sites", "Changement d'adresse, déménagement",
                 "Revenus et aide sociale"):  # fmt: skip
        assert table.get_by_text(text).first.is_visible(), text
    total = page.get_by_role("row").filter(has_text="Tous les sites").first
    assert "23" in total.inner_text()
    charts_drawn(page)
    assert axe_violations(page) == []
    shot(page, "hub-dashboard")
    page.get_by_label("Par", exact=True).select_option("hour")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"by=hour"))
    assert page.get_by_role("cell", name="10:00").count() >= 3
    assert page.locator("#charts-hint").is_visible() and page.locator("canvas").count() == 0  # needs mixed
    page.get_by_label("Besoin", exact=True).select_option("address_change")
    page.get_by_role("button", name="Afficher").click()
    page.wait_for_url(re.compile(r"code=address_change"))
    charts_drawn(page)
    assert axe_violations(page) == []
    shot(page, "hub-dashboard-by-hour")
    page.get_by_role("link", name="Saint-Gilles").first.click()
    page.wait_for_url(re.compile(r"/sites/gilles"))
    assert page.get_by_role("heading", level=1).inner_text() == "Saint-Gilles"
    assert page.get_by_role("rowheader", name="Je déménage").is_visible()
    assert axe_violations(page) == []
    shot(page, "hub-site")
    page.close()


def test_an_admin_adds_a_site_and_rotates_its_key_on_the_page(browser: Any, served_hub: dict[str, Any]) -> None:
    page = browser.new_page(locale="en-GB", viewport={"width": 1280, "height": 900})
    page.goto(served_hub["url"] + "/lang/en")
    page.goto(served_hub["url"] + "/login")
    page.get_by_label("Name").fill("root")
    page.get_by_label("Password").fill(served_hub["admin"])
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="Sites and keys").click()
    page.get_by_label("Name", exact=True).fill("Forest Centre")
    page.get_by_role("button", name="Add the site").click()
    key = page.locator("#secret").inner_text()
    assert key.startswith("whsec_")
    page.get_by_role("button", name="Make a new key (forest-centre)").click()
    assert page.locator("#secret").inner_text() not in ("", key)
    row = page.get_by_role("row").filter(has_text="forest-centre")
    assert row.get_by_role("cell").nth(2).inner_text() == "2"  # two valid keys during the switch
    assert axe_violations(page) == []
    shot(page, "hub-admin-sites")
    page.get_by_role("button", name="Retire the old keys (forest-centre)").click()
    assert "1 old key(s) retired" in page.get_by_role("status").inner_text()
    assert row.get_by_role("cell").nth(2).inner_text() == "1"
    page.close()
