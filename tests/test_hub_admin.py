"""The hub's admin page: the site registry and its keys from the browser, as the CLI does it. Only admins; a
new key is shown once and works at ingest; a rotated pair both work until the old one is retired; bad input is
refused with a clear 4xx in the user's language and changes nothing. On SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.hub_support import body, post, tables
from tests.pg_server import db_url, pg_server  # noqa: F401 - fixtures

NOW = 1_796_000_000


@pytest.fixture
def hub(db_url: str) -> Iterator[Any]:  # noqa: F811
    from contactpoint.hub.app import create_hub
    from contactpoint.hub.users import set_user

    app = create_hub(db_url, clock=lambda: NOW, config={"TESTING": True})
    engine = app.extensions["hub"].engine
    app.passwords = {n: set_user(engine, n, n, NOW) for n in ("admin", "analyst")}  # type: ignore[attr-defined]
    yield app
    engine.dispose()


def login(hub: Any, name: str, lang: str = "en") -> tuple[Any, str]:
    client = hub.test_client()
    client.get(f"/lang/{lang}")
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    r = client.post("/login", data={"name": name, "password": hub.passwords[name], "csrf_token": token})
    assert r.status_code == 302, r.get_data(as_text=True)
    page = client.get("/").get_data(as_text=True)
    return client, re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def shown_key(html: str) -> str:
    m = re.search(r'<output class="secret" id="secret">(whsec_[^<]+)</output>', html)
    assert m, html[:2000]
    return m.group(1)


def test_only_an_admin_sees_the_sites_page(hub: Any) -> None:
    engine = hub.extensions["hub"].engine
    client, token = login(hub, "analyst")
    assert "Sites and keys" not in client.get("/").get_data(as_text=True)
    before = tables(engine)
    r = client.get("/admin/sites")
    assert r.status_code == 403 and "Only an admin" in r.get_data(as_text=True)
    assert client.post("/admin/sites", data={"name": "Forest", "csrf_token": token}).status_code == 403
    assert tables(engine) == before
    assert hub.test_client().get("/admin/sites").status_code == 302  # not logged in: to the login page
    admin, _ = login(hub, "admin")
    assert "Sites and keys" in admin.get("/").get_data(as_text=True)
    assert admin.get("/admin/sites").status_code == 200


def test_a_site_added_on_the_page_reports_with_the_key_shown_once(hub: Any) -> None:
    client, token = login(hub, "admin")
    r = client.post("/admin/sites", data={"name": "Forest Centre", "id": "", "csrf_token": token})
    assert r.status_code == 201
    key = shown_key(r.get_data(as_text=True))
    assert "forest-centre" in r.get_data(as_text=True)
    assert key not in client.get("/admin/sites").get_data(as_text=True)  # shown this once only
    ingest = hub.test_client()
    assert post(ingest, "forest-centre", key, body("forest-centre"), NOW).status_code == 200
    page = client.get("/admin/sites").get_data(as_text=True)
    assert re.search(r"<td>forest-centre</td><td>Forest Centre</td><td>1</td><td>1</td>", page), page


def test_a_rotated_key_and_the_old_one_both_work_until_the_old_one_is_retired(hub: Any) -> None:
    client, token = login(hub, "admin")
    old = shown_key(client.post("/admin/sites", data={"name": "Forest", "csrf_token": token}).get_data(as_text=True))
    r = client.post("/admin/sites/forest/rotate", data={"csrf_token": token})
    assert r.status_code == 201
    new = shown_key(r.get_data(as_text=True))
    assert new != old
    ingest = hub.test_client()
    assert post(ingest, "forest", old, body("forest"), NOW).status_code == 200
    assert post(ingest, "forest", new, body("forest"), NOW + 1).status_code == 200
    r = client.post("/admin/sites/forest/retire", data={"csrf_token": token})
    assert r.status_code == 200 and "1 old key(s) retired" in r.get_data(as_text=True)
    assert post(ingest, "forest", old, body("forest"), NOW + 2).status_code == 401
    assert post(ingest, "forest", new, body("forest"), NOW + 3).status_code == 200


@pytest.mark.parametrize(
    ("form", "status", "message"),
    [
        ({"name": ""}, 400, "Le nom du site doit compter de 1 à 200 caractères."),
        ({"name": "Forest", "id": "Forest Centre!"}, 400, "L'identifiant du site"),
        ({"name": "Forest", "id": "anderlecht"}, 409, "Un site d'identifiant anderlecht existe déjà"),
        ({"name": "Forest", "csrf_token": "forged"}, 403, "Le formulaire a expiré"),
    ],
)
def test_bad_input_is_refused_in_the_users_language_and_changes_nothing(
    hub: Any, form: dict[str, str], status: int, message: str
) -> None:
    from contactpoint.hub.registry import add_site

    engine = hub.extensions["hub"].engine
    add_site(engine, "Anderlecht", NOW, "anderlecht")
    client, token = login(hub, "admin", lang="fr")
    before = tables(engine)
    r = client.post("/admin/sites", data={"csrf_token": token} | form)
    assert r.status_code == status and message in html.unescape(r.get_data(as_text=True)), r.get_data(as_text=True)
    assert tables(engine) == before


def test_keys_of_a_site_that_does_not_exist_or_has_one_key_are_refused(hub: Any) -> None:
    client, token = login(hub, "admin")
    engine = hub.extensions["hub"].engine
    client.post("/admin/sites", data={"name": "Forest", "csrf_token": token})
    before = tables(engine)
    assert client.post("/admin/sites/nowhere/rotate", data={"csrf_token": token}).status_code == 404
    r = client.post("/admin/sites/forest/retire", data={"csrf_token": token})
    assert r.status_code == 409 and "has one key only" in r.get_data(as_text=True)
    assert tables(engine) == before
