"""The display's announcement queue rule (display/static/announce_queue.js), evaluated as it is shipped.

The module is pure (no DOM, no clock): each case runs it in Debian's Chromium, where the display runs, and
compares what it answers with what docs/display.md promises.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

MODULE = Path(__file__).resolve().parent.parent / "display" / "static" / "announce_queue.js"
CHIME = "/display/audio/chime.wav"


_PAGE: list[Any] = []  # the one Chromium page of this module (the `_chromium` fixture)


@pytest.fixture(scope="module", autouse=True)
def _chromium(browser: Any) -> Iterator[None]:
    """The module runs where the display runs: in Debian's Chromium (the session's), on a blank page that loads it
    as shipped."""
    page = browser.new_page()
    page.add_script_tag(content=MODULE.read_text())
    _PAGE.append(page)
    yield
    _PAGE.clear()
    page.close()


def run(expr: str, **values: Any) -> Any:
    """Evaluate `expr` with `Q` the module and each keyword a JSON value; returns the result, as JSON."""
    bindings = "".join(f"const {k} = {json.dumps(v)};\n" for k, v in values.items())
    body = f"{bindings}return ({expr});"
    js = (
        f"() => {{ const Q = window.AnnounceQueue; const out = (() => {{ {body} }})(); "
        "return JSON.parse(JSON.stringify(out === undefined ? null : out, (k, v) => "
        "v === Infinity ? 'Infinity' : v)); }"
    )
    return _PAGE[0].evaluate(js)


def call(ticket: str, at: float, counter: str = "1", recall: bool = False) -> dict[str, Any]:
    return {"ticket": ticket, "number": ticket.upper(), "counter": counter, "lang": "fr", "recall": recall, "at": at}


def called(*ids: str, counter: str = "1") -> dict[str, Any]:
    return {i: {"id": i, "state": "called", "counter": counter} for i in ids}


def numbers(items: list[dict[str, Any]] | None) -> list[str]:
    return [f"{c['ticket']}{'r' if c['recall'] else ''}" for c in items or []]


def test_announcements_stay_in_call_order_and_each_call_is_queued_once() -> None:
    out = run(
        "[c, a, b, a].reduce((q, x) => Q.enqueue(q, x, new Set()), [])",
        a=call("a", 10.0),
        b=call("b", 11.0),
        c=call("c", 12.0),
    )
    assert numbers(out) == ["a", "b", "c"]
    # a call already played is never queued again
    again = run("Q.enqueue([], a, new Set([Q.keyOf(a)]))", a=call("a", 10.0))
    assert again == []


def test_the_first_call_still_called_plays_next_and_nothing_else_with_it() -> None:
    out = run("Q.take(q, t, null)", q=[call("a", 1), call("b", 2)], t=called("a", "b"))
    assert numbers([out["next"]]) == ["a"] and numbers(out["rest"]) == ["b"] and out["dropped"] == []


@pytest.mark.parametrize(
    "state",
    [
        {"state": "no_show", "counter": "1"},  # marked absent
        {"state": "done", "counter": "1"},  # finished
        {"state": "serving", "counter": "1"},  # the visitor is already at the counter
        {"state": "transferred", "counter": None},  # sent to another need or counter
        {"state": "cancelled", "counter": "1"},
        {"state": "called", "counter": "2"},  # called again at another counter since
    ],
)
def test_a_call_whose_ticket_is_no_longer_called_there_is_dropped_before_it_plays(state: dict[str, Any]) -> None:
    tickets = {**called("b"), "a": {"id": "a", **state}}
    out = run("Q.take(q, t, null)", q=[call("a", 1), call("b", 2)], t=tickets)
    assert numbers(out["dropped"]) == ["a"] and numbers([out["next"]]) == ["b"]


def test_a_ticket_the_display_never_saw_is_not_announced() -> None:
    out = run("Q.take(q, {}, null)", q=[call("a", 1)])
    assert out["next"] is None and numbers(out["dropped"]) == ["a"]


def test_only_the_latest_recall_of_a_ticket_plays() -> None:
    q = [call("a", 1), call("b", 2), call("a", 3, recall=True), call("a", 4, recall=True)]
    out = run("Q.take(q, t, null)", q=q, t=called("a", "b"))
    assert numbers(out["dropped"]) == ["a", "ar"]  # the call and the first recall
    assert numbers([out["next"]]) == ["b"] and numbers(out["rest"]) == ["ar"]
    assert out["rest"][0]["at"] == 4
    # a recall made while the call is being announced replaces what is left of it
    cut = run("Q.goOn(playing, 1, t, q)", playing=call("a", 1), q=[call("a", 3, recall=True)], t=called("a"))
    assert cut is False


def test_the_issue_scenario_call_recall_absent_then_next() -> None:
    """Call A, recall it 2 s later, mark it absent 1.5 s later, call B: only B is still to be said."""
    out = run(
        "(() => { let q = [], t = {a: {state: 'called', counter: '1'}};"
        "  q = Q.enqueue(q, ra, new Set());"  # the recall arrives while the first call plays
        "  const stillA = Q.goOn(a, 1, t, q);"
        "  t = {...t, a: {state: 'no_show', counter: '1'}};"
        "  q = Q.enqueue(q, b, new Set()); t = {...t, b: {state: 'called', counter: '1'}};"
        "  return {stillA, take: Q.take(q, t, a)}; })()",
        a=call("a", 0),
        ra=call("a", 2, recall=True),
        b=call("b", 4),
    )
    assert out["stillA"] is False  # the call's other languages are not said: its recall is queued
    assert numbers(out["take"]["dropped"]) == ["ar"]  # the reminder of an absent visitor never plays
    assert numbers([out["take"]["next"]]) == ["b"]


def test_under_a_backlog_the_box_says_less_and_quicker() -> None:
    levels = run("[0, 1, 2, 5].map((n) => Q.level(n))")
    alone, one, two, five = levels
    assert alone == {"behind": 0, "chime": True, "languages": "Infinity", "rate": 1}
    assert one["languages"] == 1 and one["chime"] and one["rate"] > 1
    assert two["languages"] == 1 and not two["chime"] and two["rate"] > one["rate"]
    assert five == two
    urls = [CHIME, "/display/audio/ar.wav", "/display/audio/fr.wav", "/display/audio/nl.wav"]
    said = run("[0, 1, 2].map((n) => Q.sounds(urls, chime, Q.level(n)))", urls=urls, chime=CHIME)
    assert said[0] == urls  # nobody waits: chime, the visitor's language, the site's others
    assert said[1] == [CHIME, "/display/audio/ar.wav"]  # the visitor's language first, the others left out
    assert said[2] == ["/display/audio/ar.wav"]
    # the plan of a take follows the queue behind the call it picks
    plan = run("Q.take(q, t, null).plan", q=[call("a", 1), call("b", 2), call("c", 3)], t=called("a", "b", "c"))
    assert plan == two


def test_the_other_languages_are_said_only_while_the_queue_is_short() -> None:
    args = {"a": call("a", 1), "t": called("a", "b", "x")}
    assert run("Q.goOn(a, 0, t, [])", **args) is True
    assert run("Q.goOn(a, 2, t, [])", **args) is True  # the site's third language, nobody waiting
    assert run("Q.goOn(a, 0, t, [b])", b=call("b", 2), **args) is True  # the visitor's language always
    assert run("Q.goOn(a, 1, t, [b])", b=call("b", 2), **args) is False
    # a call waiting that the rule would drop does not count as a backlog
    assert run("Q.goOn(a, 1, t, [x])", x=call("x", 2, counter="3"), **args) is True


def test_the_backlog_counts_only_calls_the_rule_would_still_announce() -> None:
    q = [call("a", 3, recall=True), call("b", 4), call("x", 5, counter="3")]
    assert run("Q.backlog(q, t, playing)", q=q, t=called("a", "b", "x"), playing=call("a", 1)) == 2
    assert run("Q.backlog(q, t, null)", q=q, t=called("b")) == 1


def test_the_chime_only_breaks_a_silence() -> None:
    """An announcement that follows the previous one at once, calls waiting, goes without the chime."""
    q = [call("a", 1), call("b", 2)]
    after_silence = run("Q.take(q, t, null, false).plan", q=q, t=called("a", "b"))
    chained = run("Q.take(q, t, null, true).plan", q=q, t=called("a", "b"))
    assert after_silence["chime"] is True and chained["chime"] is False
    assert chained["languages"] == after_silence["languages"] == 1
    assert run("Q.plan(0, false).chime") is True and run("Q.plan(0, true).chime") is False
