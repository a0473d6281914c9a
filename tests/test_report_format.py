"""The report format (contactpoint/report_format.py): valid bodies round-trip; any single mutation of a valid body
is refused with the exact path of the field it broke."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contactpoint import report_format as rf

FIXED = [set(rf.BODY_KEYS), set(rf.WINDOW_KEYS), set(rf.COUNT_KEYS), set(rf.SERVICE_LEVEL_KEYS), set(rf.SCORES)]
small = st.integers(0, 500)
keys = st.sampled_from(["resolved", "referred", "follow_up", "social", "legal", "health", "kiosk", "phone", "desk"])


@st.composite
def windows(draw: st.DrawFn, buckets: int) -> dict[str, Any]:
    day = draw(st.dates(min_value=date(2024, 1, 1), max_value=date(2030, 12, 31)))
    hour, quarter = draw(st.integers(0, 23)), draw(st.sampled_from(["00", "15", "30", "45"]))
    of = draw(small)
    return {
        "start": f"{day.isoformat()}T{hour:02d}:{quarter}",
        "need": draw(st.sampled_from(["moving", "documents", "money", "housing", "online", "dont_know"])),
        "code": draw(st.sampled_from(["address_change", "identity_documents", "benefits", "housing"])),
        "names": draw(
            st.dictionaries(
                st.sampled_from(["fr", "nl", "en"]), st.text(min_size=1, max_size=20).filter(str.strip), min_size=1
            )
        ),
        "revision": draw(st.integers(1, 50)),
        "counts": {k: draw(small) for k in rf.COUNT_KEYS},
        "wait_hist": draw(st.lists(small, min_size=buckets, max_size=buckets)),
        "service_hist": draw(st.lists(small, min_size=buckets, max_size=buckets)),
        "service_level": {"threshold_s": draw(st.integers(0, 3600)), "within": draw(st.integers(0, of)), "of": of},
        "outcomes": draw(st.dictionaries(keys, small, max_size=4)),
        "referrals": draw(st.dictionaries(keys, small, max_size=4)),
        "channels": draw(st.dictionaries(keys, small, max_size=3)),
        "taps": draw(st.dictionaries(keys, st.fixed_dictionaries({s: small for s in rf.SCORES}), max_size=3)),
    }


@st.composite
def bodies(draw: st.DrawFn) -> dict[str, Any]:
    edges = sorted(draw(st.sets(st.integers(1, 20000), min_size=1, max_size=8)))
    ws = draw(st.lists(windows(len(edges) + 1), max_size=4, unique_by=lambda w: (w["start"], w["need"])))
    return {
        "format": rf.FORMAT,
        "site": draw(st.sampled_from(["anderlecht", "molenbeek-1", "site_3"])),
        "tz": draw(st.sampled_from(["Europe/Brussels", "UTC", "America/Argentina/Buenos_Aires"])),
        "sent_at": draw(st.integers(0, 2**40)),
        "bucket_edges_s": edges,
        "windows": ws,
    }


def nodes(value: Any, path: str = "$") -> Iterator[tuple[str, Any, Any, bool]]:
    """(path as validate names it, parent container, key in it, is the parent an object of fixed keys)."""
    if isinstance(value, dict):
        fixed = set(value) in FIXED
        for k, v in value.items():
            p = k if path == "$" else f"{path}.{k}"
            yield p, value, k, fixed
            yield from nodes(v, p)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            p = f"{path}[{i}]"
            yield p, value, i, False
            yield from nodes(v, p)


def refused_at(body: Any, path: str) -> None:
    with pytest.raises(rf.ReportError) as e:
        rf.validate(body)
    assert e.value.field == path, (e.value.field, e.value.why)


PROPS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPS
@given(bodies())
def test_a_valid_body_round_trips(body: dict[str, Any]) -> None:
    report = rf.validate(body)
    assert report.to_body() == body
    assert rf.validate(json.loads(rf.encode(body))) == report
    assert [rf.window_key(w) for w in report.windows] == [
        (body["site"], w["start"], w["need"]) for w in body["windows"]
    ]


@PROPS
@given(bodies(), st.data())
def test_a_missing_key_is_refused_at_its_path(body: dict[str, Any], data: st.DataObject) -> None:
    choices = [(p, parent, k) for p, parent, k, fixed in nodes(body) if fixed]
    path, parent, key = data.draw(st.sampled_from(choices))
    del parent[key]
    refused_at(body, path)


@PROPS
@given(bodies(), st.data())
def test_an_extra_field_is_refused_at_its_path(body: dict[str, Any], data: st.DataObject) -> None:
    objects = [(body, "$")] + [
        (parent, p.rsplit(".", 1)[0]) for p, parent, k, fixed in nodes(body) if fixed and "." in p
    ]
    parent, path = data.draw(st.sampled_from(objects))
    field = data.draw(st.sampled_from(["ticket", "token", "number", "agent", "note"]))
    parent[field] = "A042"
    refused_at(body, field if path == "$" else f"{path}.{field}")


@PROPS
@given(bodies(), st.data())
def test_a_negative_number_is_refused_at_its_path(body: dict[str, Any], data: st.DataObject) -> None:
    ints = [(p, parent, k) for p, parent, k, _ in nodes(body) if type(parent[k]) is int]
    path, parent, key = data.draw(st.sampled_from(ints))
    parent[key] = -1
    refused_at(body, path)


@PROPS
@given(bodies(), st.data())
def test_a_wrong_type_is_refused_at_its_path(body: dict[str, Any], data: st.DataObject) -> None:
    path, parent, key, _ = data.draw(st.sampled_from(list(nodes(body))))
    value = parent[key]
    parent[key] = {str: 7, int: data.draw(st.sampled_from(["7", True, 1.5, None])), dict: [], list: {}}[type(value)]
    refused_at(body, path)


@PROPS
@given(bodies().filter(lambda b: b["windows"]), st.data())
def test_a_histogram_of_the_wrong_length_is_refused(body: dict[str, Any], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(body["windows"]) - 1))
    which = data.draw(st.sampled_from(["wait_hist", "service_hist"]))
    hist = body["windows"][i][which]
    if data.draw(st.booleans()):
        hist.append(0)
    else:
        hist.pop()
    refused_at(body, f"windows[{i}].{which}")


@PROPS
@given(bodies().filter(lambda b: b["windows"]), st.data())
def test_a_bad_start_is_refused(body: dict[str, Any], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(body["windows"]) - 1))
    body["windows"][i]["start"] = data.draw(
        st.sampled_from(["2026-12-07T10:07", "2026-02-30T10:00", "2026-12-07 10:00", "2026-12-07T24:00", "10:00", ""])
    )
    refused_at(body, f"windows[{i}].start")


def test_the_other_limits() -> None:
    good = {
        "format": rf.FORMAT,
        "site": "s",
        "tz": "Europe/Brussels",
        "sent_at": 1,
        "bucket_edges_s": [60, 300],
        "windows": [],
    }
    assert rf.validate(good).windows == ()
    refused_at([], "$")
    refused_at({**good, "format": "contactpoint.report/2"}, "format")
    refused_at({**good, "bucket_edges_s": [60, 60]}, "bucket_edges_s[1]")
    refused_at({**good, "bucket_edges_s": []}, "bucket_edges_s")
    refused_at({**good, "windows": [{}] * (rf.MAX_WINDOWS + 1)}, "windows")
    refused_at({**good, "tz": "not a zone"}, "tz")
    refused_at({**good, "site": "Bad Site"}, "site")


def test_the_same_window_twice_in_one_report_is_refused() -> None:
    w = {
        "start": "2026-12-07T10:15",
        "need": "moving",
        "code": "address_change",
        "names": {"fr": "Déménagement"},
        "revision": 1,
        "counts": dict.fromkeys(rf.COUNT_KEYS, 0),
        "wait_hist": [0, 0, 0],
        "service_hist": [0, 0, 0],
        "service_level": {"threshold_s": 900, "within": 0, "of": 0},
        "outcomes": {},
        "referrals": {},
        "channels": {},
        "taps": {},
    }
    body = {
        "format": rf.FORMAT,
        "site": "s",
        "tz": "UTC",
        "sent_at": 1,
        "bucket_edges_s": [60, 300],
        "windows": [w, copy.deepcopy(w)],
    }
    refused_at(body, "windows[1]")
    body["windows"][1]["service_level"]["within"] = 1
    refused_at(body, "windows[1].service_level.within")


def test_signed_headers_follow_standard_webhooks() -> None:
    import base64
    import hashlib
    import hmac

    key = bytes(range(32))
    secret = "whsec_" + base64.b64encode(key).decode()
    h = rf.signed_headers(secret, b'{"a":1}', 1_796_000_000, "msg_1")
    expected = base64.b64encode(hmac.new(key, b'msg_1.1796000000.{"a":1}', hashlib.sha256).digest()).decode()
    assert h[rf.HEADER_SIGNATURE] == f"v1,{expected}" and h[rf.HEADER_TIMESTAMP] == "1796000000"
    assert h[rf.HEADER_ID] == "msg_1" and rf.signed_headers(secret, b"", 0)[rf.HEADER_ID].startswith("msg_")
