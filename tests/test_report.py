"""The upstream reporter: windows folded from the log, the outbox and its revisions, signed delivery at least once,
backoff, health, and what never leaves the box."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from contactpoint.domain import commands as c
from contactpoint.report import delivery, outbox
from contactpoint.report.service import Reporter
from contactpoint.report_format import validate
from tests.conftest import Clock
from tests.kiosk_support import site_text
from tests.report_support import Receiver, new_key

SITE_ID = "demo-saint-gilles"


def report_site(folder: Path, url: str, **extra: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.key").write_text(extra.pop("key") + "\n")
    lines = [f'hub_url = "{url}"', 'key_file = "report.key"'] + [f"{k} = {v}" for k, v in extra.items()]
    path = folder / "site.toml"
    path.write_text(site_text() + "\n[report]\n" + "\n".join(lines) + "\n")
    return path


@pytest.fixture
def key() -> str:
    return new_key()


@pytest.fixture
def hub(key: str) -> Iterator[Receiver]:
    r = Receiver(key)
    yield r
    r.close()


@pytest.fixture
def box(tmp_path: Path, clock: Clock, hub: Receiver, key: str) -> Iterator[Any]:
    from contactpoint.hardware.audio import FakeAnnouncer
    from contactpoint.hardware.printer import FakePrinter

    from contactpoint import create_app

    path = report_site(tmp_path / "etc", hub.base, key=key, unreachable_after_minutes=30)
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "data"), "SECRET_KEY": "t", "SITE_CONFIG": str(path)},
                     printer=FakePrinter(), clock=clock, announcer=FakeAnnouncer(tmp_path / "audio"))
    b = app.extensions["contactpoint"]  # not started: the tests run the reporter's rounds by hand
    b.app = app
    yield b
    b.close()


def a_morning(engine: Any, clock: Clock) -> list[Any]:
    """At 10:00 three tickets; one served (resolved, 6 min), one no-show; one still waiting."""
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving", "documents"])
    tickets = [engine.issue(need=n, lang="fr") for n in ("moving", "moving", "documents")]
    clock.advance(170)
    engine.run(c.call_ticket, counter="1", ticket=tickets[0].id, reason="in turn")
    clock.advance(360)
    engine.run(c.finish, counter="1", outcome="resolved")
    engine.run(c.call_ticket, counter="1", ticket=tickets[1].id, reason="in turn")
    clock.advance(60)
    engine.run(c.no_show, counter="1")
    return tickets


def test_a_window_holds_counts_only_and_arrives_signed(box: Any, clock: Clock, hub: Receiver) -> None:
    tickets = a_morning(box.engine, clock)
    box.reporter.tick()
    assert hub.refused == [] and len(hub.batches) == 1
    assert hub.paths == [f"/ingest/v1/{SITE_ID}"]
    batch = hub.batches[0]
    validate(batch)  # the hub's own check of the wire format
    assert batch["format"] == "contactpoint.report/1" and batch["site"] == SITE_ID and batch["tz"] == "Europe/Brussels"
    by_need = {w["need"]: w for w in batch["windows"]}
    moving = by_need["moving"]
    assert moving["start"] == "2026-11-25T10:00" and moving["revision"] == 1
    assert moving["counts"] == {"issued": 2, "called": 2, "served": 1, "no_show": 1, "abandoned": 0,
                                "transferred": 0, "priority": 0, "appointments": 0, "contacts": 0, "help_alerts": 0}
    assert sum(moving["wait_hist"]) == 2 and moving["wait_hist"][2] == 1  # 170 s: the (120, 180] s bucket
    assert sum(moving["service_hist"]) == 1 and moving["service_hist"][5] == 1  # 360 s: (300, 360]
    assert moving["outcomes"] == {"resolved": 1} and moving["service_level"]["threshold_s"] == 900
    assert by_need["documents"]["counts"]["issued"] == 1 and by_need["documents"]["counts"]["called"] == 0
    # nothing personal or exact leaves: no number, token, id, agent or timestamp of any ticket
    text = json.dumps(batch)
    for t in tickets:
        for secret in (t.number, t.token, t.id):
            assert secret not in text
    assert "alice" not in text and str(int(tickets[0].issued_at)) not in text


def test_a_late_event_sends_its_window_again_with_a_higher_revision(box: Any, clock: Clock, hub: Receiver) -> None:
    tickets = a_morning(box.engine, clock)
    box.reporter.tick()
    box.reporter.tick()  # nothing changed: nothing sent
    assert len(hub.batches) == 1
    clock.advance(3600)  # 11:09: the waiting documents visitor is called and served, an hour after the window
    box.engine.run(c.call_ticket, counter="1", ticket=tickets[2].id, reason="in turn")
    box.engine.run(c.finish, counter="1", outcome="referred", referral="cpas-saint-gilles")
    box.reporter.tick()
    assert len(hub.batches) == 2
    (late,) = hub.batches[1]["windows"]
    assert (late["start"], late["need"], late["revision"]) == ("2026-11-25T10:00", "documents", 2)
    assert late["counts"]["served"] == 1 and late["referrals"] == {"social_welfare": 1}


def test_delivery_is_at_least_once_and_backs_off(box: Any, clock: Clock, hub: Receiver) -> None:
    a_morning(box.engine, clock)
    hub.answer = 503
    box.reporter.tick()
    st = outbox.status(box.store.db)
    assert st.pending == 2 and st.last_error and "503" in st.last_error and st.failing_since == clock.now
    box.reporter.tick()  # within the backoff: no new try
    assert len(hub.ids) == 1
    hub.answer = "drop"  # stored by the hub, the answer lost on the way
    clock.advance(3600)
    box.reporter.tick()
    assert len(hub.batches) == 1 and outbox.status(box.store.db).pending == 2
    hub.answer = 409  # the retry carries the same id: the hub says it has it, which is delivered
    clock.advance(3600)
    box.reporter.tick()
    assert len(set(hub.ids)) == 1 and len(hub.ids) == 3
    st = outbox.status(box.store.db)
    assert st.pending == 0 and st.failing_since is None and st.last_success_at == clock.now


def test_health_says_since_when_the_hub_is_unreachable(box: Any, clock: Clock, hub: Receiver) -> None:
    client = box.app.test_client()
    assert client.get("/api/health").get_json()["report"] == "ok"
    a_morning(box.engine, clock)
    hub.close()
    box.reporter.tick()
    assert client.get("/api/health").get_json()["report"] == "ok"  # not yet past the 30 minutes
    clock.advance(31 * 60)
    said = client.get("/api/health").get_json()["report"]
    assert said.startswith("hub unreachable since 2026-11-25T10:09") and "2 windows waiting" in said


def test_a_wrong_key_is_refused_by_the_hub_and_said(box: Any, clock: Clock, hub: Receiver) -> None:
    hub.key = new_key()  # the hub knows another key
    a_morning(box.engine, clock)
    box.reporter.tick()
    assert hub.refused and hub.batches == []
    assert "401" in outbox.status(box.store.db).last_error


def test_the_outbox_rebuilt_from_the_log_is_the_same(box: Any, clock: Clock, hub: Receiver) -> None:
    a_morning(box.engine, clock)
    box.reporter.tick()
    before = box.store.db.execute("SELECT start, need, revision, digest FROM report_windows ORDER BY 1, 2").fetchall()
    again = Reporter(box.site, box.store, box.reporter.settings, box.engine.now)  # a restart: folded from the log
    assert again.flush() == 0  # the same windows: no new revision, nothing to send
    with box.store.transaction() as db:
        db.execute("DELETE FROM report_windows")
    fresh = Reporter(box.site, box.store, box.reporter.settings, box.engine.now)
    assert fresh.flush() == len(before)
    after = box.store.db.execute("SELECT start, need, revision, digest FROM report_windows ORDER BY 1, 2").fetchall()
    assert [(s, n, d) for s, n, _, d in after] == [(s, n, d) for s, n, _, d in before]


def test_the_outbox_is_bounded_and_says_what_it_dropped(box: Any, clock: Clock, hub: Receiver) -> None:
    a_morning(box.engine, clock)
    hub.close()  # the hub never comes back
    box.reporter.tick()
    clock.advance(61 * 86400)  # past keep_days (60)
    box.reporter.tick()
    st = outbox.status(box.store.db)
    assert st.windows == 0 and st.dropped == 2


def test_backoff_grows_and_is_capped() -> None:
    rng = random.Random(7)
    waits = [delivery.backoff_s(n, rng) for n in range(1, 12)]
    assert 15 <= waits[0] <= 30 and all(1800 <= w <= 3600 for w in waits[8:])
    assert delivery.backoff_s(0, rng) == 0.0


def test_report_status_reads_the_outbox_while_the_server_runs(box: Any, clock: Clock, hub: Receiver,
                                                              tmp_path: Path) -> None:
    from click.testing import CliRunner
    from contactpoint.provisioning.cli import main

    a_morning(box.engine, clock)
    hub.answer = 503
    box.reporter.tick()
    out = CliRunner().invoke(main, ["report", "status", "--data", str(tmp_path / "data")])
    assert out.exit_code == 0, out.output
    assert "pending windows: 2 (oldest 2026-11-25T10:00)" in out.output and "HTTP 503" in out.output
    js = CliRunner().invoke(main, ["report", "status", "--data", str(tmp_path / "data"), "--json"])
    assert json.loads(js.output)["pending"] == 2


@pytest.mark.parametrize(
    ("line", "words"),
    [
        ('hub_url = "http://hub.example/ingest/v1/demo-saint-gilles"', "must use https://"),
        ('hub_url = "https://hub.example/?site=x"', r"no \?query"),
        ('hub_url = "ftp://hub.example/x"', "must be an https:// address"),
        ('hub_url = "https://hub.example"\nevery_seconds = 1', "report.every_seconds"),
        ('hub_url = "https://hub.example"\nsecret = "x"', "report.secret: unknown key"),
    ],
)
def test_a_wrong_report_section_is_refused(tmp_path: Path, line: str, words: str) -> None:
    from contactpoint.config import ConfigError, load_site

    path = tmp_path / "site.toml"
    path.write_text(site_text() + "\n[report]\n" + line + "\n")
    with pytest.raises(ConfigError, match=words):
        load_site(path)


def test_the_managers_page_shows_the_reporter_and_raises_an_alert_past_the_threshold(
    box: Any, clock: Clock, hub: Receiver
) -> None:
    from contactpoint.auth import hash_password
    from tests.conftest import post_login

    box.store.add_agent("maria", hash_password("a long password"), "manager", clock.now)
    client = box.app.test_client()
    r = post_login(client, "/manage/login", {"name": "maria", "password": "a long password"})
    assert r.status_code in (302, 303)
    a_morning(box.engine, clock)
    hub.answer = 503
    box.reporter.tick()
    view = client.get("/manage/api/today?lang=en").get_json()
    assert view["report"] == {"pending": 2, "oldest": "2026-11-25 10:00", "last_success": None,
                              "last_error": view["report"]["last_error"], "unreachable_since": None}
    assert "HTTP 503" in view["report"]["last_error"]
    assert not [a for a in view["alerts"] if a["kind"] == "hub_unreachable"]
    page = client.get("/manage/today?lang=fr").get_data(as_text=True)
    assert "Envoi au centre régional" in page and "jamais" in page
    clock.advance(31 * 60)
    (alert,) = [a for a in client.get("/manage/api/today").get_json()["alerts"] if a["kind"] == "hub_unreachable"]
    assert alert["text"] == ("Le centre régional ne répond plus depuis 2026-11-25 10:09. "
                             "Quarts d'heure pas encore envoyés : 2.")


def test_nothing_personal_of_the_day_is_ever_sent(box: Any, clock: Clock, hub: Receiver) -> None:
    """A day with a name (an appointment of a need that keeps names), a transfer note, typed reasons, numbers and
    tokens: everything the reporter sent is searched for them, and none is there."""
    engine = box.engine
    engine.run(c.open_counter, counter="1", agent="alice", needs=["moving", "documents"])
    engine.run(c.open_counter, counter="2", agent="bruno", needs=["moving", "documents"])
    engine.run(c.book_appointment, appointment_id="ap1", code="ZX81QQ", slot_at=clock.now + 600,
               need="documents", name="Maria Lopes-Vandenbroucke")
    clock.advance(540)
    engine.run(c.check_in, appointment="ap1", lang="pt", ticket_id="t-ap1", token="tok-" + "q" * 28)
    walk_in = engine.issue(need="moving", lang="fr")
    clock.advance(120)
    engine.run(c.call_ticket, counter="1", ticket=walk_in.id, reason="Madame Dupont insiste")
    engine.run(c.transfer, counter="1", to_counter="2", note="Dossier Dupont, rue Haute 12")
    engine.run(c.call_ticket, counter="2", ticket=walk_in.id, reason="transfert")
    engine.run(c.finish, counter="2", outcome="referred", referral="housing-info")
    engine.run(c.call_ticket, counter="1", ticket="t-ap1", reason="rendez-vous")
    engine.run(c.finish, counter="1", outcome="resolved")
    engine.give_feedback(score=2, channel="tablet", device="door")
    box.reporter.tick()
    sent = json.dumps(hub.batches, ensure_ascii=False)
    assert hub.batches and '"appointments":1' in sent.replace(" ", "")  # the visits are counted...
    secrets = ["Maria", "Lopes", "Vandenbroucke", "ZX81QQ", "Dupont", "rue Haute", "insiste", "rendez-vous",
               "alice", "bruno", "door", "ap1", "t-ap1", "tok-", walk_in.token, walk_in.number, walk_in.id]
    assert [s for s in secrets if s in sent] == []  # ...and nobody in them
