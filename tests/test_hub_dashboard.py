"""The analysts' dashboard, CSV and JSON API on both engines: login with CSRF, sites side by side per need code,
cells under 5 visits "< 5" everywhere, bad parameters refused with a 400."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from typing import Any

import pytest

from contactpoint import report_format as rf
from tests.hub_support import body, post, window
from tests.pg_server import db_url, pg_server  # noqa: F401 - fixtures

NOW = 1_796_000_000


def counts(issued: int) -> dict[str, int]:
    return dict.fromkeys(rf.COUNT_KEYS, 0) | {"issued": issued, "called": issued, "served": issued, "no_show": 0}


@pytest.fixture
def hub(db_url: str) -> Iterator[Any]:  # noqa: F811
    from contactpoint.hub.app import create_hub
    from contactpoint.hub.registry import add_site
    from contactpoint.hub.users import set_user

    app = create_hub(db_url, clock=lambda: NOW, config={"TESTING": True})
    engine = app.extensions["hub"].engine
    keys = {}
    for sid, name in (("anderlecht", "Anderlecht"), ("gilles", "Saint-Gilles"), ("forest", "Forest")):
        keys[sid] = add_site(engine, name, NOW, sid)[1]
    big = [
        window("2026-12-07T10:00", "moving", counts=counts(12)),
        window("2026-12-07T14:15", "money", counts=counts(7)),
    ]
    post(app.test_client(), "anderlecht", keys["anderlecht"], body("anderlecht", big), NOW)
    post(
        app.test_client(),
        "gilles",
        keys["gilles"],
        body("gilles", [window("2026-12-07T10:30", "moving", counts=counts(9))]),
        NOW,
    )
    post(
        app.test_client(),
        "forest",
        keys["forest"],
        body("forest", [window("2026-12-07T11:00", "moving", counts=counts(2))]),
        NOW,
    )
    app.password = set_user(engine, "ana", "analyst", NOW)  # type: ignore[attr-defined]
    yield app
    engine.dispose()


def logged_in(hub: Any) -> Any:
    client = hub.test_client()
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    r = client.post("/login", data={"name": "ana", "password": hub.password, "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    return client


def test_the_dashboard_needs_a_login_with_its_csrf_token(hub: Any) -> None:
    client = hub.test_client()
    assert client.get("/").status_code == 302 and client.get("/api/v1/figures").status_code == 401
    client.get("/login")
    assert client.post("/login", data={"name": "ana", "password": hub.password}).status_code == 403
    token = re.search(r'value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"name": "ana", "password": "wrong", "csrf_token": token}).status_code == 401
    assert logged_in(hub).get("/").status_code == 200


def test_failed_logins_slow_down_that_name_from_that_address(hub: Any) -> None:
    client = hub.test_client()
    for _ in range(5):  # the box's throttle: the first 5 failures are free
        token = re.search(r'value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
        assert client.post("/login", data={"name": "ana", "password": "guess", "csrf_token": token}).status_code == 401
    token = re.search(r'value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    r = client.post("/login", data={"name": "ana", "password": hub.password, "csrf_token": token},
                    headers={"Accept-Language": "en"})  # fmt: skip
    assert r.status_code == 429 and "Too many failed logins" in r.get_data(as_text=True)


def test_sites_side_by_side_with_small_cells_suppressed(hub: Any) -> None:
    client = logged_in(hub)
    page = client.get("/?from=2026-12-07&to=2026-12-07", headers={"Accept-Language": "en"}).get_data(as_text=True)
    for name in ("Anderlecht", "Saint-Gilles", "Forest", "All sites", "Change of address, moving"):
        assert name in page, name
    assert "&lt; 5" in page  # Forest's 2 visits (and Saint-Gilles' 9, else 23 - 12 would give Forest's back)
    api = client.get("/api/v1/figures?from=2026-12-07&to=2026-12-07").get_json()
    moving = {r["site"]: r for r in api["rows"] if r["code"] == "address_change"}
    assert moving["anderlecht"]["visits"] == 12 and moving["all"]["visits"] == 23
    assert moving["forest"]["visits"] == "< 5" and moving["forest"]["wait_p50"] == "< 5"
    assert moving["gilles"]["visits"] == "< 5"  # complementary suppression
    assert moving["anderlecht"]["wait_p50"] == {"low_s": 60, "high_s": 120}
    rows = list(
        csv.DictReader(io.StringIO(client.get("/export.csv?from=2026-12-07&to=2026-12-07").get_data(as_text=True)))
    )
    by_site = {(r["code"], r["site"]): r for r in rows}
    assert by_site[("address_change", "forest")]["visits"] == "< 5"
    assert by_site[("address_change", "anderlecht")]["visits"] == "12"
    weeks = client.get("/api/v1/figures?from=2026-12-01&to=2026-12-07&by=week").get_json()["rows"]
    assert {r["slot"] for r in weeks} == {"2026-W50"}
    by_hour = client.get("/api/v1/figures?from=2026-12-07&to=2026-12-07&by=hour").get_json()["rows"]
    assert {(r["code"], r["slot"]) for r in by_hour} == {("address_change", 10), ("address_change", 11),
                                                        ("income_support", 14)}  # fmt: skip


def test_per_month_whole_months_and_partial_ones_give_the_same_figures(hub: Any) -> None:
    """December whole reads the monthly rollup; 2 to 30 December reads the daily one: the same figures."""
    from contactpoint.hub.db import monthly

    with hub.extensions["hub"].engine.connect() as conn:
        assert {r.month for r in conn.execute(monthly.select())} == {"2026-12"}
    client = logged_in(hub)
    whole = client.get("/api/v1/figures?from=2026-12-01&to=2026-12-31&by=month").get_json()["rows"]
    part = client.get("/api/v1/figures?from=2026-12-02&to=2026-12-30&by=month").get_json()["rows"]
    assert whole == part and {r["slot"] for r in whole} == {"2026-12"}
    moving = {r["site"]: r["visits"] for r in whole if r["code"] == "address_change"}
    assert moving == {"anderlecht": 12, "gilles": "< 5", "forest": "< 5", "all": 23}


def test_a_site_has_its_own_view_with_its_own_names(hub: Any) -> None:
    client = logged_in(hub)
    dashboard = client.get("/?from=2026-12-07&to=2026-12-07").get_data(as_text=True)
    assert 'href="/sites/anderlecht?from=2026-12-07&amp;to=2026-12-07"' in dashboard
    page = client.get("/sites/anderlecht?from=2026-12-07&to=2026-12-07", headers={"Accept-Language": "fr"})
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Je déménage" in text and "Changement d&#39;adresse, déménagement" in text
    assert ">money<" in text and "Saint-Gilles" not in text  # its own need id when it gave no name; no other site
    assert client.get("/sites/nowhere").status_code == 404


def test_the_dashboard_speaks_french_and_dutch(hub: Any) -> None:
    client = logged_in(hub)
    fr = client.get("/?from=2026-12-07", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "Tous les sites" in fr and 'lang="fr"' in fr
    client.get("/lang/nl")
    assert "Alle sites" in client.get("/?from=2026-12-07").get_data(as_text=True)


@pytest.mark.parametrize(("query", "field"), [("by=year", "by"), ("from=yesterday", "from"), ("code=nope", "code"),
                                              ("from=2026-12-08&to=2026-12-01", "from"),
                                              ("to=0001-01-01", "to"), ("from=9999-12-31", "from")])  # fmt: skip
def test_bad_parameters_are_refused(hub: Any, query: str, field: str) -> None:
    client = logged_in(hub)
    r = client.get(f"/api/v1/figures?{query}")
    assert r.status_code == 400 and r.get_json()["field"] == field
    assert client.get(f"/?{query}").status_code == 400


def test_the_api_is_described_in_openapi(hub: Any) -> None:
    spec = hub.test_client().get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.") and "/api/v1/figures" in spec["paths"]
