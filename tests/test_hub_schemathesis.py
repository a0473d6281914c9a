"""The hub's JSON API against its own OpenAPI description, with schemathesis: generated queries and bodies, a
logged-in analyst's session for the figures and none for the ingest. Every answer is one the description
documents (status, content type, schema), and none is a server error. On the embedded engine, SQLite; the
engines' equality is tested elsewhere (tests/test_hub_*.py run on both)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis.checks import positive_data_acceptance

from contactpoint import report_format as rf
from tests.hub_support import body, post, window

NOW = 1_796_000_000


@pytest.fixture(scope="module")
def hub(tmp_path_factory: pytest.TempPathFactory) -> Any:
    from contactpoint.hub.app import create_hub
    from contactpoint.hub.registry import add_site
    from contactpoint.hub.users import set_user

    db = Path(tmp_path_factory.mktemp("hub")) / "hub.sqlite3"
    app = create_hub(f"sqlite:///{db}", clock=lambda: NOW, config={"TESTING": True})
    engine = app.extensions["hub"].engine
    for sid in ("anderlecht", "gilles"):
        key = add_site(engine, sid.title(), NOW, sid)[1]
        counts = dict.fromkeys(rf.COUNT_KEYS, 0) | {"issued": 9, "called": 9, "served": 8, "no_show": 1}
        assert post(app.test_client(), sid, key, body(sid, [window(counts=counts)]), NOW).status_code == 200
    password = set_user(engine, "ana", "analyst", NOW)
    client = app.test_client()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    assert client.post("/login", data={"name": "ana", "password": password, "csrf_token": token}).status_code == 302
    cookie = client.get_cookie("session")
    assert cookie is not None
    app.cookie = cookie.value  # type: ignore[attr-defined]
    yield app
    engine.dispose()


OPERATIONS = [("GET", "/api/v1/figures"), ("POST", "/ingest/v1/{site_id}")]


@pytest.mark.parametrize(("method", "path"), OPERATIONS)
def test_every_answer_of_the_api_is_one_its_description_documents(hub: Any, method: str, path: str) -> None:
    api = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", hub)
    operation = api[path][method]
    seen: dict[int, int] = {}

    @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck), database=None)
    @given(case=operation.as_strategy(), site=st.sampled_from(["anderlecht", "gilles", "nowhere"]))
    def check(case: Any, site: str) -> None:
        if case.path_parameters is not None and "site_id" in case.path_parameters:
            case.path_parameters["site_id"] = site  # a registered site, mostly: past the 404, to the signature
        response = case.call(cookies={"session": hub.cookie})
        # every check but "a schema-valid request is accepted": `from` after `to`, or 400 days apart, is a
        # documented 400 that a JSON schema cannot say
        case.validate_response(response, excluded_checks=[positive_data_acceptance])
        seen[response.status_code] = seen.get(response.status_code, 0) + 1

    check()
    assert seen and all(code < 500 for code in seen), seen
    assert len(seen) > 1, seen  # the generated cases reached past the door: logged in, or a known site
