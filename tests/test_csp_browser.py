"""The Content-Security-Policy in Chromium: the pages live under it (websocket included), and the browser
fixture's guard catches a page that breaks it."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.conftest import caught_up
from tests.csp_guard import CSP_VIOLATIONS

pytestmark = pytest.mark.browser


def _reported(page: Any, n: int = 1) -> list[str]:
    """The violations the guard received in Python (its binding answers while Playwright waits on the page)."""
    page.wait_for_function("n => window.__cspViolations.length >= n", arg=n, timeout=5_000)
    end = time.monotonic() + 5
    while len(CSP_VIOLATIONS) < n and time.monotonic() < end:
        page.wait_for_timeout(20)
    return list(CSP_VIOLATIONS)


def test_the_guard_catches_an_inline_script_and_a_style_attribute(browser: Any, live: Any) -> None:
    page = browser.new_page()
    page.goto(live.url + "/display/")
    caught_up(page, live.url)  # the websocket (the display's only transport) connected under connect-src 'self'
    assert page.evaluate("window.__cspViolations") == [] and CSP_VIOLATIONS == []
    page.evaluate(
        """() => { const s = document.createElement('script'); s.textContent = 'window.ranInline = 1';
                   document.head.appendChild(s); }"""
    )
    found = _reported(page)
    assert page.evaluate("window.ranInline") is None  # blocked, not only reported
    assert "script-src" in found[0] and '"blocked":"inline"' in found[0]
    page.evaluate("() => document.body.setAttribute('style', 'background: red')")
    found = _reported(page, 2)
    assert "style-src" in found[1]
    page.close()
    CSP_VIOLATIONS.clear()  # seen and proven: this test's own violations must not fail it
