"""Settings from the browser: each change a `settings_changed` event over the site file, checked by the file's
own validator, in force at once, kept over a restart, and written back by `contactpoint config export`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from contactpoint import create_app
from contactpoint.config import SAMPLE_SITE, ConfigError, load_site, parse_site
from contactpoint.domain import commands as c
from contactpoint.domain.errors import CommandError
from contactpoint.domain.settings import fold, removal_refusals, shape_error
from contactpoint.provisioning.cli import main
from tests.conftest import post_login

DATA = tomllib.loads(SAMPLE_SITE.read_text())


# -- the pure fold ---------------------------------------------------------------------------------------
def test_fold_lays_each_change_over_the_file_key_by_key() -> None:
    out = fold(DATA, [
        ("needs", "moving.prefix", "M"),
        ("needs", "moving.max_wait_minutes", None),
        ("site", "message", {"fr": "Bonjour"}),
        ("hours", "mon", ["08:00-12:00"]),
        ("counters", "9", {"label": "Nine"}),
        ("counters", "9.label", "Neuf"),
        ("needs", "documents", None),
    ])
    moving = next(n for n in out["needs"] if n["id"] == "moving")
    assert moving["prefix"] == "M" and "max_wait_minutes" not in moving
    assert moving["names"] == next(n for n in DATA["needs"] if n["id"] == "moving")["names"]  # untouched keys stay
    assert out["site"]["message"] == {"fr": "Bonjour"} and out["site"]["name"] == DATA["site"]["name"]
    assert out["hours"]["mon"] == ["08:00-12:00"] and out["hours"]["tue"] == DATA["hours"]["tue"]
    assert out["counters"][-1] == {"label": "Neuf", "id": "9"}
    assert all(n["id"] != "documents" for n in out["needs"])
    assert any(n["id"] == "documents" for n in DATA["needs"])  # the file's data is left as it was
    assert parse_site(out).site.need("moving").prefix == "M"  # type: ignore[union-attr]


def test_a_change_of_an_unknown_key_or_an_odd_value_is_refused_before_folding() -> None:
    assert shape_error("needs", "moving.prefix", "M") is None
    assert shape_error("queue", "priority_advance_minutes", 3) == "unknown_setting"  # not editable here
    assert shape_error("needs", "moving.colour", "red") == "unknown_setting"
    assert shape_error("needs", "moving", "not a table") == "bad_setting_value"
    assert shape_error("site", "message", {"fr": 1.5}) == "bad_setting_value"
    assert shape_error("hours", "someday", []) == "unknown_setting"


def test_a_need_or_counter_in_use_today_is_not_removed(engine: Any) -> None:
    site = engine.site
    state = engine._state
    assert removal_refusals(state, site, [("needs", "moving", None)]) is None
    engine.issue(need="moving", lang="fr")
    assert removal_refusals(state, site, [("needs", "moving", None)]) == "need_in_use"
    assert removal_refusals(state, site, [("needs", "moving.prefix", "Q")]) is None  # editing it is fine
    assert removal_refusals(state, site, [("counters", "2", None)]) is None
    engine.run(c.open_counter, counter="2", agent="alice", needs=["documents"])
    assert removal_refusals(state, site, [("counters", "2", None)]) == "counter_in_use"
    assert removal_refusals(state, site, [("needs", "documents", None)]) == "need_in_use"


# -- the box: checked, logged, applied -------------------------------------------------------------------
def _changes(app: Any) -> list[dict[str, Any]]:
    return [ev.data for ev in app.extensions["contactpoint"].store.events() if ev.type == "settings_changed"]


def test_a_change_is_logged_and_in_force_at_once(app: Any, client: Any) -> None:
    cp = app.extensions["contactpoint"]
    cp.settings.change([("needs", "moving.names", {**cp.site.need("moving").names, "en": "New home"})], "maria")
    assert cp.site.need("moving").names["en"] == "New home"
    assert cp.engine.site is cp.site and cp.announcements.site is cp.site
    assert _changes(app) == [{"section": "needs", "key": "moving.names", "by": "maria",
                              "value": {**cp.site.need("moving").names}}]
    page = client.get("/kiosk/en/").get_data(as_text=True)
    assert "New home" in page
    state = client.get("/display/state").get_json()
    assert next(n for n in state["site"]["needs"] if n["id"] == "moving")["names"]["en"] == "New home"


def test_a_change_the_site_file_would_refuse_changes_nothing(app: Any) -> None:
    cp = app.extensions["contactpoint"]
    before = cp.site
    with pytest.raises(ConfigError) as e:
        cp.settings.change([("needs", "moving.prefix", "B")], "maria")  # documents' letter
    assert "prefix" in e.value.key
    with pytest.raises(ConfigError):
        cp.settings.change([("hours", "mon", ["12:00-09:00"])], "maria")
    assert cp.site is before and _changes(app) == []


def test_removing_a_need_with_tickets_today_is_refused_and_changes_nothing(app: Any, engine: Any) -> None:
    cp = app.extensions["contactpoint"]
    engine.issue(need="moving", lang="fr")
    before = cp.site
    with pytest.raises(CommandError) as e:
        cp.settings.change([("needs", "moving", None)], "maria")
    assert e.value.key == "need_in_use"
    assert cp.site is before and cp.engine.site is before and _changes(app) == []


def _restarted(app: Any, tmp_path: Path, config: str | None = None) -> Any:
    app.extensions["contactpoint"].close()
    return create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test", "SITE_CONFIG": config})


def test_changes_survive_a_restart_and_the_file_wins_where_the_browser_never_changed(app: Any,
                                                                                     tmp_path: Path) -> None:
    site_file = tmp_path / "site.toml"
    site_file.write_text(SAMPLE_SITE.read_text())
    app.extensions["contactpoint"].close()
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path), "SECRET_KEY": "test", "SITE_CONFIG": str(site_file)})
    cp = app.extensions["contactpoint"]
    cp.settings.change([("counters", "1.label", "Accueil"), ("site", "message", {"fr": "Fermé lundi"})], "maria")
    # the technician edits the file afterwards: a key the browser changed keeps the browser's value, the others
    # take the file's
    text = site_file.read_text().replace('label = "Guichet 1"', 'label = "Desk one"')
    text = text.replace('id = "demo-saint-gilles"\nname = "Point de contact Saint-Gilles"',
                        'id = "demo-saint-gilles"\nname = "Saint-Gilles"')
    site_file.write_text(text)
    app = _restarted(app, tmp_path, str(site_file))
    cp = app.extensions["contactpoint"]
    try:
        assert cp.site.counter("1").label == "Accueil"
        assert cp.site.message == {"fr": "Fermé lundi"}
        assert cp.site.name == "Saint-Gilles"
        assert cp.engine.site is cp.site
    finally:
        cp.close()
