"""Every control of every kiosk screen is on screen and uncovered (WCAG 2.4.11 focus not obscured, and reach).

On a portrait (1080 × 1920) and a landscape (1280 × 800) kiosk, in every combination of larger text, everything
low and high contrast, in French and Arabic: each button, link, field and label has its box inside the window
(and inside the part of the page that scrolls, if any), and the element at its centre is the control itself,
not the toolbar or the header laid over it. The common path (languages, needs, booking code, ticket) fits on one
screen with no scrolling; other screens may scroll, and then each control is checked after the browser's own
focus scrolling brought it into view.
"""

from __future__ import annotations

import itertools
import json
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import shot
from tests.kiosk_support import add_test_style, start_live

pytestmark = pytest.mark.browser

VIEWPORTS = {"portrait": {"width": 1080, "height": 1920}, "landscape": {"width": 1280, "height": 800}}
PREFS = ("large", "low", "contrast")
COMBOS = [c for n in range(len(PREFS) + 1) for c in itertools.combinations(PREFS, n)]
NO_SCROLL = ("languages", "needs", "appointment", "appointment-error", "ticket", "ticket-printer-down")

CHECK = """(allowScroll) => {
  const vw = innerWidth, vh = innerHeight;
  const sel = 'a[href], button, input:not([type=hidden]):not(.k-check), label[for], select, textarea';
  const shown = (e) => e.getClientRects().length && !e.closest('dialog:not([open]), [hidden], .visually-hidden')
    && !e.classList.contains('k-skip') && getComputedStyle(e).visibility !== 'hidden';
  const bad = [];
  for (const e of [...document.querySelectorAll(sel)].filter(shown)) {
    if (allowScroll) {
      if (e.tagName === 'LABEL') e.scrollIntoView({block: 'nearest', inline: 'nearest'});
      else e.focus();  // the browser's own focus scrolling, as a keyboard or switch user gets it
    }
    const b = e.getBoundingClientRect();
    const name = (e.id ? '#' + e.id : e.tagName.toLowerCase() + '.' + [...e.classList].join('.'))
      + ' "' + (e.textContent || e.value || '').trim().slice(0, 30) + '"';
    let box = {top: 0, left: 0, bottom: vh, right: vw};
    const scroller = e.closest('.k-main');
    if (scroller) {
      const m = scroller.getBoundingClientRect();
      box = {top: Math.max(0, m.top), left: Math.max(0, m.left),
             bottom: Math.min(vh, m.bottom), right: Math.min(vw, m.right)};
    }
    if (b.top < box.top - 0.5 || b.left < box.left - 0.5 || b.bottom > box.bottom + 0.5 || b.right > box.right + 0.5) {
      bad.push(name + ' outside [' + [b.top, b.bottom, b.left, b.right].map(Math.round) + '] of ['
        + [box.top, box.bottom, box.left, box.right].map(Math.round) + ']');
      continue;
    }
    const t = document.elementFromPoint(b.left + b.width / 2, b.top + b.height / 2);
    if (!t || !(t === e || e.contains(t))) {
      const what = t ? (t.id ? '#' + t.id : t.tagName.toLowerCase() + '.' + t.className) : 'nothing';
      bad.push(name + ' covered by ' + what);
    }
  }
  const main = document.querySelector('.k-main');
  return {
    bad,
    count: document.querySelectorAll(sel).length,
    pageScrolls: document.documentElement.scrollHeight > vh + 1 || document.documentElement.scrollWidth > vw + 1,
    mainScrolls: !!main && main.scrollHeight > main.clientHeight + 1,
  };
}"""

# what ticket-live.js does when the printer fails while the ticket shows (its own tests cover the trigger)
PRINTER_DOWN = """() => { const el = document.getElementById('printer-alert');
  el.hidden = false; el.textContent = document.getElementById('printer-live').dataset.message;
  document.querySelector('.k-ticket').classList.add('k-printer-down'); }"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[Any]:
    folder = tmp_path_factory.mktemp("layout")
    slots = [(20 + 5 * i, f"SLOT{chr(65 + i)}", ("housing", "money", "online")[i % 3]) for i in range(9)]
    live = start_live(folder, capacity=1, slots=slots)
    live.tokens = {}
    for lang in ("fr", "ar"):
        req = urllib.request.Request(
            live.url + "/kiosk/api/tickets",
            data=json.dumps({"need": "documents", "lang": lang, "priority": True}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=5) as r:
            live.tokens[lang] = json.load(r)["token"]
    yield live
    live.stop()


def screens(lang: str, token: str) -> list[tuple[str, str]]:
    return [
        ("languages", "/kiosk/"),
        ("needs", f"/kiosk/{lang}/"),
        ("appointment", f"/kiosk/{lang}/appointment"),
        ("appointment-error", f"/kiosk/{lang}/appointment"),  # then a wrong code: the error banner shows too
        ("slots", f"/kiosk/{lang}/appointment/slots"),
        ("ticket", f"/kiosk/{lang}/ticket/{token}"),
        ("ticket-printer-down", f"/kiosk/{lang}/ticket/{token}"),
        ("notice-unknown-code", f"/kiosk/{lang}/notice?kind=unknown_appointment"),
        ("notice-capacity", f"/kiosk/{lang}/notice?kind=capacity_reached&need=moving"),
        ("notice-closed", f"/kiosk/{lang}/notice?kind=site_closed"),
        ("error", f"/kiosk/{lang}/ticket/no-such-ticket"),
    ]


@pytest.mark.parametrize("lang", ["fr", "ar"])
@pytest.mark.parametrize("viewport", sorted(VIEWPORTS))
def test_every_control_is_on_screen_and_uncovered(browser: Any, server: Any, viewport: str, lang: str) -> None:
    problems: list[str] = []
    for combo in COMBOS:
        ctx = browser.new_context(viewport=VIEWPORTS[viewport])
        prefs = json.dumps({p: True for p in combo})
        ctx.add_init_script(f"try {{ sessionStorage.setItem('kiosk-prefs', '{prefs}') }} catch (e) {{}}")
        page = ctx.new_page()
        for name, path in screens(lang, server.tokens[lang]):
            page.goto(server.url + path)
            if name == "appointment-error":
                page.locator("#code").fill("ZZZZ99")
                page.locator("#code-ok").click()
                page.locator("#code-error").wait_for()
            if name == "ticket-printer-down":
                page.evaluate(PRINTER_DOWN)
            assert sorted(page.evaluate("document.documentElement.className").split()) == sorted(
                f"k-{p}" for p in combo
            )
            result = page.evaluate(CHECK, name not in NO_SCROLL)
            where = f"{viewport} {lang} {'+'.join(combo) or 'plain'} {name}"
            assert result["count"] > 3, where
            problems += [f"{where}: {b}" for b in result["bad"]]
            if name in NO_SCROLL and (result["pageScrolls"] or result["mainScrolls"]):
                problems.append(f"{where}: scrolls")
            if lang == "ar" or combo in ((), ("large", "low"), PREFS):
                shot(page, f"layout-{viewport}-{lang}-{'-'.join(combo) or 'plain'}-{name}")
        ctx.close()
    assert not problems, f"{len(problems)} problems:\n" + "\n".join(problems[:60])


def test_the_check_can_fail(browser: Any, server: Any) -> None:
    """The old layout's faults are caught: a bar laid over the page's end, and a control pushed off screen."""
    ctx = browser.new_context(viewport=VIEWPORTS["landscape"])
    page = ctx.new_page()
    page.goto(server.url + "/kiosk/fr/appointment")
    # the audit's layout: the page's own height, the toolbar sticky at the bottom of the window
    add_test_style(
        page,
        """body.kiosk, .k-frame { height: auto !important; overflow: visible !important; }
        .k-frame { display: flex !important; flex-direction: column; min-height: 100vh; }
        .k-main { overflow: visible !important; }
        .k-code-form { display: grid !important; grid-template-columns: 1fr !important; }
        .k-code-form > * { grid-column: 1 !important; grid-row: auto !important; }
        .k-tools { position: sticky; bottom: 0; width: auto !important;
          grid-template-columns: repeat(4, 1fr) !important; }""",
    )
    assert "covered by footer.k-tools" in " ".join(page.evaluate(CHECK, False)["bad"])
    add_test_style(page, "html .k-frame { padding-top: 50vh; }")  # and the audit's low layout
    assert "outside" in " ".join(page.evaluate(CHECK, False)["bad"])
    ctx.close()


# the targets of the first two screens: where the last one ends and how big they are
TARGETS = """(sel) => { const r = [...document.querySelectorAll(sel)].map((e) => e.getBoundingClientRect());
  return {count: r.length, bottom: Math.max(...r.map((b) => b.bottom)), height: Math.min(...r.map((b) => b.height)),
          area: Math.min(...r.map((b) => b.width * b.height)), vh: innerHeight}; }"""


@pytest.mark.parametrize("lang", ["fr", "ar"])
def test_a_portrait_screen_shares_its_height_out_among_bigger_targets(browser: Any, server: Any, lang: str) -> None:
    """1080 × 1920: the languages and the needs used to fill the top 30 % and leave the rest empty. They now
    reach the lower part of the screen, each target bigger than on a landscape screen, the same number of them,
    and still nothing is covered or off screen (and nothing scrolls)."""
    found: dict[str, dict[str, dict[str, float]]] = {}
    for viewport in ("portrait", "landscape"):
        ctx = browser.new_context(viewport=VIEWPORTS[viewport])
        page = ctx.new_page()
        for name, path, sel in (("languages", "/kiosk/", ".k-lang"), ("needs", f"/kiosk/{lang}/", ".k-need")):
            page.goto(server.url + path)
            found.setdefault(name, {})[viewport] = page.evaluate(TARGETS, sel)
            result = page.evaluate(CHECK, False)
            assert not result["bad"] and not result["pageScrolls"] and not result["mainScrolls"], (viewport, result)
            shot(page, f"layout-fill-{viewport}-{lang}-{name}")
        ctx.close()
    for name, sizes in found.items():
        tall, wide = sizes["portrait"], sizes["landscape"]
        assert tall["count"] == wide["count"], name
        assert tall["bottom"] > 0.6 * tall["vh"], f"{name}: the last target ends at {tall['bottom']} of {tall['vh']}"
        assert tall["height"] > 1.5 * wide["height"] and tall["area"] > 1.5 * wide["area"], (name, tall, wide)
