"""The Content-Security-Policy guard of the browser tests: a page that breaks the box's policy fails its test.

Every page and context the `browser` fixture (tests/conftest.py) makes runs CSP_WATCH first: each
`securitypolicyviolation` (an inline script or style, a style attribute set from a string, a fetch to another
origin...) is kept in `window.__cspViolations` and reported at once to Python, in CSP_VIOLATIONS, which the
autouse fixture `_no_csp_violation` checks at the end of every test. Its own module, so that the fixture and a
test importing it share one list.
"""

from __future__ import annotations

from typing import Any

CSP_WATCH = """
(() => {
  window.__cspViolations = [];
  document.addEventListener('securitypolicyviolation', (e) => {
    const v = {directive: e.violatedDirective, blocked: e.blockedURI, source: e.sourceFile, line: e.lineNumber,
               sample: e.sample, page: document.location.href};
    window.__cspViolations.push(v);
    if (window.__cspViolation) window.__cspViolation(JSON.stringify(v));
  });
})();
"""
CSP_VIOLATIONS: list[str] = []


def _watch_csp(target: Any) -> Any:
    target.expose_binding("__cspViolation", lambda _source, v: CSP_VIOLATIONS.append(v))
    target.add_init_script(CSP_WATCH)
    return target


class CspGuardedBrowser:
    """Playwright's Browser, whose every new page and context watches for CSP violations."""

    def __init__(self, browser: Any) -> None:
        self._browser = browser

    def new_context(self, *args: Any, **kwargs: Any) -> Any:
        return _watch_csp(self._browser.new_context(*args, **kwargs))

    def new_page(self, *args: Any, **kwargs: Any) -> Any:
        return _watch_csp(self._browser.new_page(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._browser, name)


