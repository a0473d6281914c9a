"""Every page the box serves carries the strict Content-Security-Policy and its companions."""

from __future__ import annotations

import re
from typing import Any

from contactpoint.app import CONTENT_SECURITY_POLICY
from tests.conftest import AuthActions

PASSWORD = "correct horse battery"
# a value per URL variable that reaches a real page where one exists (a kiosk language), else a 404 page
SAMPLE = {"lang": "fr", "need": "documents", "counter": "1"}


def _url(rule: Any) -> str:
    return re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", lambda m: SAMPLE.get(m.group(1), "x"), rule.rule)


def test_every_html_page_carries_the_strict_policy(app: Any, client: Any, agent: AuthActions) -> None:
    agent.create("maria", PASSWORD, role="manager")
    agent.login("maria", PASSWORD)  # the manager's pages render, not only their login page
    html = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.endpoint.endswith("static"):
            continue
        url = _url(rule)
        r = client.get(url)
        if r.mimetype == "text/html":
            html.append(url)
            assert r.headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, url
            assert r.headers.get("X-Content-Type-Options") == "nosniff", url
            assert r.headers.get("Referrer-Policy") == "no-referrer", url
    assert len(html) >= 15, html  # the walk reached the pages (kiosk, display, counter, manage, phone, errors)


def test_the_policy_allows_nothing_inline_and_nothing_from_elsewhere() -> None:
    directives = dict(d.strip().split(" ", 1) for d in CONTENT_SECURITY_POLICY.split(";"))
    for name in ("default-src", "script-src", "style-src", "connect-src", "img-src", "media-src"):
        assert directives[name] == "'self'", name
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert directives["base-uri"] == "'none'" and directives["form-action"] == "'self'"
    assert "unsafe" not in CONTENT_SECURITY_POLICY


def test_health_says_the_policy_is_served(client: Any) -> None:
    r = client.get("/api/health")
    assert r.get_json()["csp"] is True
    assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
