"""The hub's ingest, on SQLite and on PostgreSQL: signed reports are stored at their latest revision; every bad
request is refused with a clear 4xx and changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactpoint import report_format as rf
from tests.hub_support import body, post, signed, stored_windows, tables, window
from tests.pg_server import db_url, pg_server  # noqa: F401 - fixtures

NOW = 1_796_000_000


class Clock:
    def __init__(self) -> None:
        self.now = float(NOW)

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def hub(db_url: str) -> Iterator[Any]:  # noqa: F811
    from contactpoint.hub.app import create_hub
    from contactpoint.hub.registry import add_site

    clock = Clock()
    app = create_hub(db_url, clock=clock, config={"TESTING": True})
    engine = app.extensions["hub"].engine
    site, secret = add_site(engine, "Anderlecht", NOW, "anderlecht")
    app.site, app.secret, app.clock = site, secret, clock  # type: ignore[attr-defined]
    yield app
    engine.dispose()


def test_a_signed_report_is_stored(hub: Any) -> None:
    client = hub.test_client()
    r = post(client, "anderlecht", hub.secret, body(windows=[window(), window(need="money")]), NOW)
    assert r.status_code == 200 and r.get_json() == {"ok": True, "changed": 2}
    rows = tables(hub.extensions["hub"].engine)["windows"]
    assert len(rows) == 2


def test_a_later_revision_replaces_an_earlier_one_and_never_the_reverse(hub: Any) -> None:
    client, engine = hub.test_client(), hub.extensions["hub"].engine
    served = lambda n: dict.fromkeys(rf.COUNT_KEYS, 0) | {"served": n}  # noqa: E731
    assert (
        post(client, "anderlecht", hub.secret, body(windows=[window(revision=2, counts=served(5))]), NOW).status_code
        == 200
    )
    r = post(client, "anderlecht", hub.secret, body(windows=[window(revision=1, counts=served(1))]), NOW)
    assert r.status_code == 200 and r.get_json()["changed"] == 0
    assert (
        post(client, "anderlecht", hub.secret, body(windows=[window(revision=2, counts=served(5))]), NOW).get_json()[
            "changed"
        ]
        == 0
    )
    from contactpoint.hub.db import windows

    with engine.connect() as conn:
        assert conn.execute(windows.select()).one()._mapping["served"] == 5
    post(client, "anderlecht", hub.secret, body(windows=[window(revision=3, counts=served(7))]), NOW)
    with engine.connect() as conn:
        row = conn.execute(windows.select()).one()._mapping
        assert (row["served"], row["revision"]) == (7, 3)


def refused(hub: Any, send: Any, status: int, error: str, words: str = "") -> dict[str, Any]:
    engine = hub.extensions["hub"].engine
    before = tables(engine)
    r = send(hub.test_client())
    assert r.status_code == status, r.get_data(as_text=True)
    answer = r.get_json()
    assert answer["error"] == error and words in answer["message"], answer
    assert tables(engine) == before
    return answer


def test_an_unknown_site_is_refused(hub: Any) -> None:
    refused(hub, lambda c: post(c, "molenbeek", hub.secret, body(site="molenbeek"), NOW), 404, "unknown_site")


def test_a_wrong_key_is_refused(hub: Any) -> None:
    from contactpoint.hub.registry import new_secret

    refused(hub, lambda c: post(c, "anderlecht", new_secret(), body(), NOW), 401, "bad_signature", "no live key")


def test_a_tampered_body_is_refused(hub: Any) -> None:
    payload = rf.encode(body())
    headers = signed(hub.secret, payload, NOW)
    tampered = payload.replace(b'"served":2', b'"served":9')
    assert tampered != payload
    refused(hub, lambda c: c.post("/ingest/v1/anderlecht", data=tampered, headers=headers), 401, "bad_signature")


def test_missing_headers_are_refused(hub: Any) -> None:
    payload = rf.encode(body())
    headers = signed(hub.secret, payload, NOW)
    del headers[rf.HEADER_SIGNATURE]
    refused(hub, lambda c: c.post("/ingest/v1/anderlecht", data=payload, headers=headers), 401, "unsigned",
            "webhook-signature")  # fmt: skip
    headers = signed(hub.secret, payload, NOW) | {rf.HEADER_TIMESTAMP: "soon"}
    refused(hub, lambda c: c.post("/ingest/v1/anderlecht", data=payload, headers=headers), 401, "bad_headers")


@pytest.mark.parametrize(("offset", "words"), [(-301, "behind"), (-3600, "60 minutes behind"), (400, "ahead of")])
def test_a_stale_or_future_timestamp_is_refused_saying_the_clock_is_off(hub: Any, offset: int, words: str) -> None:
    answer = refused(hub, lambda c: post(c, "anderlecht", hub.secret, body(), NOW + offset), 401, "clock_skew", words)
    assert "NTP" in answer["message"]


def test_a_timestamp_within_the_tolerance_is_accepted(hub: Any) -> None:
    for i, offset in enumerate((-300, 300)):
        r = post(hub.test_client(), "anderlecht", hub.secret, body(windows=[window(revision=i + 1)]), NOW + offset)
        assert r.status_code == 200, r.get_json()


def test_a_replayed_id_is_refused(hub: Any) -> None:
    client = hub.test_client()
    payload = rf.encode(body())
    headers = signed(hub.secret, payload, NOW, "msg_once")
    assert client.post("/ingest/v1/anderlecht", data=payload, headers=headers).status_code == 200
    refused(hub, lambda c: c.post("/ingest/v1/anderlecht", data=payload, headers=headers), 409, "replayed")
    newer = body(windows=[window(revision=5)])
    refused(hub, lambda c: post(c, "anderlecht", hub.secret, newer, NOW, "msg_once"), 409, "replayed")


def test_replay_ids_are_kept_the_tolerance_then_purged(hub: Any) -> None:
    from contactpoint.hub.db import seen_messages

    client, engine = hub.test_client(), hub.extensions["hub"].engine
    post(client, "anderlecht", hub.secret, body(), NOW, "msg_old")
    hub.clock.now = NOW + rf.TOLERANCE_S  # within the tolerance: the id is still there, a replay still refused
    refused(hub, lambda c: post(c, "anderlecht", hub.secret, body(), NOW, "msg_old"), 409, "replayed")
    hub.clock.now = NOW + 2 * rf.TOLERANCE_S + 1
    post(client, "anderlecht", hub.secret, body(), int(hub.clock.now))
    with engine.connect() as conn:
        ids = set(conn.execute(seen_messages.select().with_only_columns(seen_messages.c.msg_id)).scalars())
    assert "msg_old" not in ids and len(ids) == 1
    # the purged id is still refused: its timestamp is past the tolerance
    refused(hub, lambda c: post(c, "anderlecht", hub.secret, body(), NOW, "msg_old"), 401, "clock_skew")


@pytest.mark.parametrize(
    ("report", "field"),
    [
        (lambda b: b["windows"][0]["counts"].update(issued=-1), "windows[0].counts.issued"),
        (lambda b: b["windows"][0].update(ticket="A042"), "windows[0].ticket"),
        (lambda b: b["windows"][0]["wait_hist"].append(0), "windows[0].wait_hist"),
        (lambda b: b.update(site="molenbeek"), "site"),
    ],
)
def test_a_malformed_body_is_refused_with_the_path(hub: Any, report: Any, field: str) -> None:
    b = body()
    report(b)
    answer = refused(hub, lambda c: post(c, "anderlecht", hub.secret, b, NOW), 400, "malformed", field)
    assert answer["field"] == field


def test_a_body_that_is_not_json_is_refused(hub: Any) -> None:
    payload = b"{not json"
    headers = signed(hub.secret, payload, NOW)
    refused(hub, lambda c: c.post("/ingest/v1/anderlecht", data=payload, headers=headers), 400, "malformed", "JSON")


def test_a_body_too_large_is_refused(hub: Any) -> None:
    payload = b" " * (rf.MAX_BODY_BYTES + 1)
    headers = signed(hub.secret, payload, NOW)
    refused(hub, lambda c: c.post("/ingest/v1/anderlecht", data=payload, headers=headers), 413, "too_large")


def test_during_a_rotation_both_keys_verify_then_only_the_new(hub: Any) -> None:
    from contactpoint.hub.registry import retire_old_keys, rotate

    engine = hub.extensions["hub"].engine
    new = rotate(engine, "anderlecht", NOW)
    for i, key in enumerate((hub.secret, new)):
        assert (
            post(hub.test_client(), "anderlecht", key, body(windows=[window(revision=i + 1)]), NOW).status_code == 200
        )
    assert retire_old_keys(engine, "anderlecht", NOW) == 1
    refused(hub, lambda c: post(c, "anderlecht", hub.secret, body(), NOW), 401, "bad_signature")
    assert post(hub.test_client(), "anderlecht", new, body(windows=[window(revision=9)]), NOW).status_code == 200


DELIVERIES = [
    [window("2026-12-07T10:00", "moving", 1, counts=dict.fromkeys(rf.COUNT_KEYS, 1))],
    [window("2026-12-07T10:00", "moving", 3, counts=dict.fromkeys(rf.COUNT_KEYS, 3))],
    [window("2026-12-07T10:00", "moving", 2, counts=dict.fromkeys(rf.COUNT_KEYS, 2)), window("2026-12-07T10:15")],
    [window("2026-12-07T10:15", "moving", 1), window("2026-12-07T10:15", "money", 4)],
    [window("2026-12-07T10:15", "money", 2)],
]


ROLLUPS = ("hourly", "daily", "monthly", "hourly_values", "daily_values", "monthly_values")


def deliver(hub: Any, order: list[int]) -> tuple[list[tuple[Any, ...]], dict[str, Any]]:
    from contactpoint.hub.db import windows
    from contactpoint.hub.rollup import rebuild_all

    engine = hub.extensions["hub"].engine
    with engine.begin() as conn:
        conn.execute(windows.delete())
        rebuild_all(conn)  # empties the rollups
    for i in order:
        r = post(hub.test_client(), "anderlecht", hub.secret, body(windows=DELIVERIES[i]), NOW)
        assert r.status_code == 200, r.get_json()
    everything = tables(engine)
    return stored_windows(engine), {t: everything[t] for t in ROLLUPS}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(list(range(len(DELIVERIES))) * 2))
def test_any_order_of_deliveries_gives_the_same_state(hub: Any, order: list[int]) -> None:
    """Each delivery twice (a retry), in any order: the same rows, each at its highest revision, and the same
    rollups."""
    in_order = deliver(hub, list(range(len(DELIVERIES))))
    assert in_order[1]["daily"] and in_order[1]["hourly_values"]
    assert deliver(hub, order) == in_order
    highest: dict[tuple[str, str], int] = {}
    for batch in DELIVERIES:
        for w in batch:
            key = (w["start"], w["need"])
            highest[key] = max(highest.get(key, 0), w["revision"])
    from contactpoint.hub.db import windows

    with hub.extensions["hub"].engine.connect() as conn:
        rows = conn.execute(windows.select().with_only_columns(windows.c.start, windows.c.need, windows.c.revision))
        assert {(r[0], r[1]): r[2] for r in rows} == highest


def test_the_rollups_are_the_windows_summed_and_follow_a_need_moved_to_another_code(hub: Any) -> None:
    from contactpoint.hub.db import daily
    from contactpoint.hub.rollup import rebuild_all

    engine = hub.extensions["hub"].engine
    client = hub.test_client()
    for batch in DELIVERIES:
        post(client, "anderlecht", hub.secret, body(windows=batch), NOW)
    moved = window("2026-12-07T10:15", "money", 9, code="housing")  # the site mapped its need to another code
    post(client, "anderlecht", hub.secret, body(windows=[moved]), NOW)
    incremental = {t: v for t, v in tables(engine).items() if t in ROLLUPS}
    with engine.begin() as conn:
        rebuild_all(conn)
    assert {t: v for t, v in tables(engine).items() if t in ROLLUPS} == incremental
    from contactpoint.hub.db import monthly, monthly_values
    from contactpoint.hub.rollup import rebuild_months

    with engine.begin() as conn:
        conn.execute(monthly.delete())
        conn.execute(monthly_values.delete())
        rebuild_months(conn)
    assert {t: v for t, v in tables(engine).items() if t in ROLLUPS} == incremental
    with engine.connect() as conn:
        rows = conn.execute(daily.select().with_only_columns(daily.c.code, daily.c.issued)).all()
    # moving: 10:00 (revision 3: 3 issued) + 10:15 (3); money moved to housing (3); income_support is gone
    assert sorted((r[0], r[1]) for r in rows) == [("address_change", 6), ("housing", 3)]


def test_the_widest_histograms_the_format_allows_are_stored_and_rolled_up(hub: Any) -> None:
    """128 edges of up to a day (767 characters as text) fit the rollups on both engines; one edge past a day is
    refused by the format, and nothing is stored."""
    import sqlalchemy as sa
    from contactpoint.hub.db import daily, monthly

    client, engine = hub.test_client(), hub.extensions["hub"].engine
    edges = list(range(rf.MAX_EDGE_S - rf.MAX_EDGES + 1, rf.MAX_EDGE_S + 1))
    n = len(edges) + 1
    wide = body(windows=[window(wait_hist=[0, 1, 1, 1] + [0] * (n - 4), service_hist=[0, 0, 1, 1] + [0] * (n - 4))])
    wide["bucket_edges_s"] = edges
    r = post(client, "anderlecht", hub.secret, wide, NOW)
    assert r.status_code == 200, r.get_data(as_text=True)
    text = ",".join(map(str, edges))
    assert len(text) == 767
    with engine.connect() as conn:
        assert conn.execute(sa.select(daily.c.edges)).scalars().all() == [text]
        assert conn.execute(sa.select(monthly.c.edges)).scalars().all() == [text]

    before = tables(engine)
    wide["bucket_edges_s"] = [*edges[1:], rf.MAX_EDGE_S + 1]
    r = post(client, "anderlecht", hub.secret, wide, NOW)
    assert r.status_code == 400 and "at most 86400" in r.get_data(as_text=True)
    assert tables(engine) == before
