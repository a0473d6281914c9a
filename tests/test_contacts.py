"""Contacts logged from the counter page (`contact_logged`): a phone call, an email, a visitor served at the desk
without a ticket. The command's rules, the counter API, and what the counter page shows."""

from __future__ import annotations

from typing import Any

import pytest

from contactpoint.domain import commands as c
from contactpoint.domain.contacts import CHANNELS, visit_channel
from contactpoint.domain.errors import CommandError
from contactpoint.domain.model import SiteState
from contactpoint.domain.site import Site
from contactpoint.engine import AGENT_ONLY
from tests.conftest import AuthActions, Clock


def _open(site: Site, now: float) -> SiteState:
    from contactpoint.domain.events import apply

    state = SiteState()
    for ev in c.issue_ticket(state, site, now, need="moving", lang="fr", ticket_id="t1", token="tok1" * 5):
        apply(state, ev)
    for ev in c.open_counter(state, site, now, counter="1", agent="ana", needs=["moving"]):
        apply(state, ev)
    return state


def test_a_contact_is_one_event_with_its_channel_need_and_outcome(site: Site) -> None:
    now = Clock()()
    state = _open(site, now)
    org = site.organisations[0].id
    (ev,) = c.log_contact(
        state, site, now, contact_id="k1", counter="1", channel="phone", need="money", outcome="referred",
        referral=org, agent="ana",
    )
    assert ev.type == "contact_logged"
    assert ev.data == {
        "id": "k1", "day": "2026-11-25", "need": "money", "channel": "phone", "outcome": "referred",
        "referral": org, "counter": "1", "agent": "ana",
    }
    (ev,) = c.log_contact(
        state, site, now, contact_id="k2", counter="1", channel="desk", need="moving", outcome="resolved",
        referral=org, agent="ana",
    )
    assert ev.data["referral"] is None  # a referral only for a referred contact
    assert {"agent", "referral"} <= AGENT_ONLY  # never to the public pages


@pytest.mark.parametrize(
    ("kw", "key"),
    [
        ({"channel": "kiosk"}, "unknown_contact_channel"),
        ({"channel": "fax"}, "unknown_contact_channel"),
        ({"need": "nothing"}, "unknown_need"),
        ({"outcome": "happy"}, "unknown_outcome"),
        ({"outcome": "referred", "referral": "nowhere"}, "unknown_organisation"),
        ({"outcome": "referred"}, "referral_required"),
        ({"counter": "2"}, "counter_not_open"),
        ({"agent": "bob"}, "counter_not_yours"),
    ],
)
def test_a_bad_contact_is_refused_with_a_message_key(site: Site, kw: dict[str, Any], key: str) -> None:
    now = Clock()()
    state = _open(site, now)
    args: dict[str, Any] = {"counter": "1", "channel": "email", "need": "moving", "outcome": "resolved", "agent": "ana"}
    with pytest.raises(CommandError) as e:
        c.log_contact(state, site, now, contact_id="k", **(args | kw))
    assert e.value.key == key


def test_a_contact_after_the_date_turned_is_refused(site: Site) -> None:
    now = Clock()()
    state = _open(site, now)
    with pytest.raises(CommandError) as e:
        c.log_contact(state, site, now + 86400, contact_id="k", counter="1", channel="email", need="moving",
                      outcome="resolved", agent="ana")
    assert e.value.key == "counter_not_open"  # its counter closes with the day


def test_a_visits_channel_is_appointment_or_kiosk() -> None:
    from contactpoint.domain.model import Ticket, TicketState

    t = Ticket("t", "tok", "2026-11-25", "moving", "A001", 1, "fr", TicketState.DONE, 0.0, 0.0)
    assert visit_channel(t) == "kiosk"
    assert visit_channel(Ticket(**{**t.to_dict(), "appointment_id": "a1"})) == "appointment"
    assert CHANNELS == ("kiosk", "appointment", "phone", "email", "desk")


def test_the_counter_api_logs_a_contact_and_refuses_bad_ones(app: Any, client: Any, agent: AuthActions) -> None:
    agent.login()
    assert agent.cmd("contact", channel="phone", need="moving", outcome="resolved").status_code == 409  # not open
    assert agent.cmd("open", counter="1", needs=["moving"]).status_code == 200
    r = agent.cmd("contact", channel="phone", need="money", outcome="resolved")
    assert r.status_code == 200 and r.get_json()["events"] == ["contact_logged"]
    seq = app.extensions["contactpoint"].engine.seq()
    r = agent.client.post(
        "/counter/api/contact", json={"channel": "fax", "need": "money", "outcome": "resolved"},
        headers={"X-CSRF-Token": agent.csrf, "Accept-Language": "fr"},
    )
    assert r.status_code == 400 and "téléphone" in r.get_json()["message"]
    assert agent.cmd("contact", channel="phone", outcome="resolved").status_code == 400  # no need
    assert agent.client.post("/counter/api/contact", json={"channel": "phone"}).status_code == 403  # no CSRF
    assert app.extensions["contactpoint"].engine.seq() == seq  # nothing changed
    (ev,) = [e for e in app.extensions["contactpoint"].store.events() if e.type == "contact_logged"]
    assert (ev.data["channel"], ev.data["need"], ev.data["agent"]) == ("phone", "money", "alice")


def test_a_help_alert_is_one_event_whatever_the_taps_and_names_no_agent(site: Site) -> None:
    from contactpoint.domain.events import EVENTS, apply

    now = Clock()()
    state = _open(site, now)
    (ev,) = c.request_help(state, site, now, counter="1", agent="ana")
    apply(state, ev)
    assert c.request_help(state, site, now + 1, counter="1", agent="ana") == []  # a double tap: still one alert
    assert ev.data == {"counter": "1"} and "agent" not in EVENTS["help_requested"].fields
    for e in c.clear_help(state, site, now + 60, counter="1", agent="ana"):
        apply(state, e)
    assert len(c.request_help(state, site, now + 120, counter="1", agent="ana")) == 1  # a new alert later
