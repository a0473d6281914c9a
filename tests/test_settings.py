"""Settings from the browser: each change a `settings_changed` event over the site file, checked by the file's
own validator, in force at once, kept over a restart, and written back by `contactpoint config export`."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from contactpoint.provisioning.cli import main
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactpoint import create_app
from contactpoint.config import SAMPLE_SITE, ConfigError, load_site, parse_site
from contactpoint.domain import commands as c
from contactpoint.domain.errors import CommandError
from contactpoint.domain.settings import fold, removal_refusals, shape_error
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


# -- the pages -------------------------------------------------------------------------------------------
def _manager(app: Any, client: Any, lang: str = "en") -> str:
    from contactpoint.auth import hash_password

    app.extensions["contactpoint"].store.add_agent("maria", hash_password("a long password"), "manager", 0.0)
    post_login(client, "/manage/login", {"name": "maria", "password": "a long password"})
    page = client.get(f"/manage/settings/?lang={lang}").get_data(as_text=True)
    m = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert m, page[:300]
    return m.group(1)


def _need_form(site: Any, need_id: str, **over: str) -> dict[str, str]:
    n = site.need(need_id)
    form = {f"names.{lang}": n.names[lang] for lang in site.languages}
    form |= {"pictogram": n.pictogram, "prefix": n.prefix, "service_level_minutes": str(n.service_level_minutes),
             "max_wait_minutes": str(n.max_wait_minutes or ""), "max_service_minutes": str(n.max_service_minutes or ""),
             "capacity": str(n.capacity or ""), "appointment_name": "1" if n.appointment_name else ""}
    return form | over


def test_the_settings_pages_are_a_managers_only(app: Any, client: Any, agent: Any) -> None:
    r = client.get("/manage/settings/")
    assert r.status_code == 302 and "/manage/login" in r.location
    agent.login()  # an agent, not a manager
    assert client.get("/manage/settings/").status_code in (302, 403)
    assert client.post("/manage/settings/needs/moving", data={}).status_code in (302, 400, 403)
    assert _changes(app) == []


def test_a_form_without_its_csrf_token_changes_nothing(app: Any, client: Any) -> None:
    _manager(app, client)
    r = client.post("/manage/settings/needs/moving", data=_need_form(app.extensions["contactpoint"].site, "moving",
                                                                    **{"names.en": "Gone"}))
    assert r.status_code in (400, 403)
    assert _changes(app) == []


def test_editing_a_need_logs_only_the_keys_that_changed(app: Any, client: Any) -> None:
    csrf = _manager(app, client)
    site = app.extensions["contactpoint"].site
    form = _need_form(site, "moving", **{"names.en": "Moving house", "max_wait_minutes": "25"})
    r = client.post("/manage/settings/needs/moving", data=form | {"csrf_token": csrf})
    assert r.status_code == 303 and r.location.endswith("/manage/settings/#needs")
    assert "Enregistré" in client.get("/manage/settings/").get_data(as_text=True)  # the site's language: fr
    assert [(d["key"], d["by"]) for d in _changes(app)] == [("moving.names", "maria"), ("moving.max_wait_minutes",
                                                                                        "maria")]
    site = app.extensions["contactpoint"].site
    assert site.need("moving").names["en"] == "Moving house" and site.need("moving").max_wait_minutes == 25


@pytest.mark.parametrize(("lang", "text"), [("en", "One capital letter, A to Z."),
                                            ("fr", "Une lettre majuscule, de A à Z."),
                                            ("nl", "Eén hoofdletter, A tot Z.")])
def test_a_bad_value_is_refused_next_to_its_field_in_the_managers_language(app: Any, client: Any, lang: str,
                                                                          text: str) -> None:
    csrf = _manager(app, client, lang)
    form = _need_form(app.extensions["contactpoint"].site, "moving", prefix="a1")
    r = client.post(f"/manage/settings/needs/moving?lang={lang}", data=form | {"csrf_token": csrf})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert re.search(r'id="f-prefix"[^>]*aria-invalid="true"', page)
    assert f'<p class="m-field-error" id="f-prefix-error">{text}</p>' in page
    assert _changes(app) == []


def test_a_prefix_another_need_has_is_refused_with_its_name(app: Any, client: Any) -> None:
    csrf = _manager(app, client)
    site = app.extensions["contactpoint"].site
    r = client.post("/manage/settings/needs/moving?lang=en", data=_need_form(site, "moving", prefix="B") |
                    {"csrf_token": csrf})
    assert r.status_code == 400 and site.need("documents").name("en") in r.get_data(as_text=True)
    assert _changes(app) == []


def test_adding_and_removing_a_need_a_counter_and_an_organisation(app: Any, client: Any) -> None:
    csrf = _manager(app, client)
    cp = app.extensions["contactpoint"]
    form = _need_form(cp.site, "moving", id="pension", prefix="P", pictogram="question")
    form |= {f"names.{lang}": f"Pension {lang}" for lang in cp.site.languages}
    r = client.post("/manage/settings/needs/new", data=form | {"csrf_token": csrf})
    assert r.status_code == 303, r.get_data(as_text=True)[:2000]
    assert cp.site.need("pension").prefix == "P" and cp.site.needs[-1].id == "pension"
    r = client.post("/manage/settings/counters", data={"id": "7", "label": "Sept", "csrf_token": csrf})
    assert r.status_code == 303 and cp.site.counter("7").label == "Sept"
    r = client.post("/manage/settings/organisations/new", data={"id": "cpas-sg", "name": "CPAS", "kind": "cpas",
                                                               "phone": "02 000 00 00", "csrf_token": csrf})
    assert r.status_code == 303 and cp.site.organisation("cpas-sg").phone == "02 000 00 00"
    for path in ("needs/pension", "counters/7", "organisations/cpas-sg"):
        assert client.post(f"/manage/settings/{path}/remove", data={"csrf_token": csrf}).status_code == 303
    assert cp.site.need("pension") is None and cp.site.counter("7") is None
    assert cp.site.organisation("cpas-sg") is None


def test_a_need_with_a_visitor_today_cannot_be_removed(app: Any, client: Any, engine: Any) -> None:
    csrf = _manager(app, client)
    engine.issue(need="documents", lang="fr")
    r = client.post("/manage/settings/needs/documents/remove?lang=en", data={"csrf_token": csrf},
                    follow_redirects=True)
    assert "once the day is closed" in r.get_data(as_text=True)
    assert app.extensions["contactpoint"].site.need("documents") is not None and _changes(app) == []


def test_hours_closed_days_and_the_message(app: Any, client: Any) -> None:
    csrf = _manager(app, client)
    cp = app.extensions["contactpoint"]
    hours = {d: "" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    r = client.post("/manage/settings/hours", data=hours | {"mon": "10:00-12:00, 13:00-15:00", "closed": "2026-12-25",
                                                             "csrf_token": csrf})
    assert r.status_code == 303
    assert [f"{s.start:%H:%M}" for s in cp.site.hours.week[0]] == ["10:00", "13:00"]
    assert str(min(cp.site.hours.closed)) == "2026-12-25" and not cp.site.hours.always_open
    r = client.post("/manage/settings/hours?lang=en", data=hours | {"mon": "noon", "csrf_token": csrf})
    assert r.status_code == 400 and "like 09:00-12:30" in r.get_data(as_text=True)
    r = client.post("/manage/settings/message", data={"name": cp.site.name, "message.en": "Closed on Friday",
                                                      "csrf_token": csrf})
    assert r.status_code == 303 and cp.site.message["en"] == "Closed on Friday"
    assert "Closed on Friday" in client.get("/display/?lang=en").get_data(as_text=True)


# -- agents: an audit event for each change --------------------------------------------------------------
def test_every_account_change_leaves_an_audit_event(app: Any, client: Any) -> None:
    csrf = _manager(app, client)
    cp = app.extensions["contactpoint"]
    assert client.post("/manage/agents", data={"name": "zoe", "role": "agent", "csrf_token": csrf}).status_code == 303
    client.post("/manage/agents/zoe/reset", data={"csrf_token": csrf})
    client.post("/manage/agents/zoe/role", data={"role": "manager", "csrf_token": csrf})
    client.post("/manage/agents/zoe/disable", data={"csrf_token": csrf})
    r = client.post("/manage/agents/maria/role", data={"role": "agent", "csrf_token": csrf})
    assert r.status_code == 400
    assert client.post("/manage/agents/maria/reset", data={"csrf_token": csrf}).status_code == 400
    assert client.post("/manage/agents/zoe/role", data={"role": "boss", "csrf_token": csrf}).status_code == 400
    audit = [ev.data for ev in cp.store.events() if ev.type == "agent_changed"]
    assert [(a["agent"], a["change"], a["role"], a["by"]) for a in audit] == [
        ("zoe", "added", "agent", "maria"), ("zoe", "password_reset", "agent", "maria"),
        ("zoe", "role_changed", "manager", "maria"), ("zoe", "disabled", None, "maria")]
    assert cp.store.agent("zoe")[1:] == ("manager", False) and cp.store.agent("maria")[1] == "manager"
    secret = cp.store.agent("zoe")[0]  # the hash of the password last given: never in the log
    assert not any(secret in str(ev.data) or "scrypt" in str(ev.data) for ev in cp.store.events())


# -- export ----------------------------------------------------------------------------------------------
def test_export_is_accepted_by_check_config_and_loads_to_the_same_site(app: Any, tmp_path: Path) -> None:
    cp = app.extensions["contactpoint"]
    cp.settings.change([("needs", "moving.names", {**cp.site.need("moving").names, "fr": 'Je "déménage"\n'}),
                        ("counters", "9", {"label": "Guichet neuf"}), ("hours", "closed", ["2026-12-25"]),
                        ("site", "message", {"ar": "مرحبًا", "fr": "Bienvenue"}), ("needs", "documents.capacity", 40)],
                       "maria")
    running = cp.site
    cp.close()
    out = tmp_path / "export.toml"
    runner = CliRunner()
    r = runner.invoke(main, ["config", "export", "--data", str(tmp_path), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert runner.invoke(main, ["check-config", str(out)]).exit_code == 0
    assert load_site(out).site == running
    assert tomllib.loads(out.read_text())["printer"] == DATA["printer"]  # what the browser never edits is kept
    app.extensions["contactpoint"] = cp  # the fixture closes it again: harmless


def test_every_editable_key_is_documented() -> None:
    from contactpoint.domain.settings import FIELDS

    doc = (Path(__file__).resolve().parent.parent / "docs" / "settings.md").read_text()
    config = (Path(__file__).resolve().parent.parent / "docs" / "configuration.md").read_text()
    assert "(settings.md)" in config
    for section, keys in FIELDS.items():
        for key in keys:
            form = f"`ID.{key}`" if section in ("needs", "counters", "organisations") else f"`{key}`"
            assert form in doc or (section == "hours" and key in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
                                   and "`mon` … `sun`" in doc), (section, key)
        assert re.search(rf"^\| `{section}` \|", doc, re.M), section


def test_a_logged_change_the_edited_file_no_longer_accepts_is_left_out_and_the_rest_apply() -> None:
    from contactpoint.site_settings import build

    changes = [("needs", "moving.prefix", "Z"), ("counters", "1.label", "Accueil")]
    edited = fold(DATA, [("needs", "documents.prefix", "Z")])  # the file now gives Z to another need
    cfg, kept, skipped = build(edited, changes, "site.toml")
    assert skipped == [("needs", "moving.prefix", "Z")] and kept == [("counters", "1.label", "Accueil")]
    assert cfg.site.need("moving").prefix == "A" and cfg.site.counter("1").label == "Accueil"


def test_the_public_pages_never_learn_who_changed_a_setting(app: Any) -> None:
    from contactpoint.engine import redact

    cp = app.extensions["contactpoint"]
    sent: list[Any] = []
    cp.bus.subscribe(lambda batch: sent.extend(batch))
    cp.settings.change([("site", "message", {"fr": "Bonjour"})], "maria")
    (published,) = [p for p in sent if p.type == "settings_changed"]
    assert published.payload["data"]["by"] == "maria"  # the agents' counter page sees who
    assert redact(published.payload)["data"] == {"section": "site", "key": "message", "value": {"fr": "Bonjour"}}


def test_what_only_the_site_files_validator_refuses_is_shown_next_to_the_field(app: Any, client: Any) -> None:
    csrf = _manager(app, client)
    hours = {d: "" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}  # and not open at any hour
    r = client.post("/manage/settings/hours?lang=en", data=hours | {"csrf_token": csrf})
    assert r.status_code == 400
    page = r.get_data(as_text=True)
    assert re.search(r'<p class="m-field-error" id="f-mon-error">The site file refuses this: no opening hours', page)
    assert app.extensions["contactpoint"].site.hours.always_open and _changes(app) == []


CHANGE = st.one_of(
    st.tuples(st.just("counters"), st.sampled_from(["1.label", "2.label", "8.label"]),
              st.text("ab1 ", min_size=0, max_size=4)),
    st.tuples(st.just("counters"), st.sampled_from(["8", "9"]), st.sampled_from([None, {"label": "Extra"}])),
    st.tuples(st.just("needs"), st.sampled_from(["moving.prefix", "housing.prefix"]), st.sampled_from("ABMZ")),
    st.tuples(st.just("needs"), st.just("moving.capacity"), st.sampled_from([None, 0, 5, "x"])),
    st.tuples(st.just("hours"), st.sampled_from(["mon", "sat"]),
              st.sampled_from([None, ["09:00-12:00"], ["12:00-09:00"], ["nine"]])),
    st.tuples(st.just("site"), st.just("message"), st.sampled_from([{}, {"fr": "Bonjour"}, {"fr": 3}])),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(CHANGE, min_size=1, max_size=3))
def test_whatever_the_browser_sends_the_log_rebuilds_the_site_the_box_runs(app: Any, changes: list[Any]) -> None:
    from contactpoint.site_settings import build, logged_changes

    cp = app.extensions["contactpoint"]
    before = cp.site
    try:
        cp.settings.change(changes, "maria")
    except (ConfigError, CommandError):
        assert cp.site is before  # refused: nothing changed
    rebuilt, _kept, skipped = build(cp.settings.data, logged_changes(cp.store), cp.settings.path)
    assert skipped == [] and rebuilt.site == cp.site and cp.engine.site is cp.site
