"""axe-core on the phone page /t/<token> in every language (the ticket's), and on its "no longer valid" page:
zero moderate, serious or critical violations (WCAG 2.2 AA tags)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.a11y_support import axe_violations, demo_server, take_ticket
from tests.conftest import shot
from tests.kiosk_support import LANGS

pytestmark = [pytest.mark.browser, pytest.mark.a11y]


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[Any]:
    yield from demo_server(tmp_path_factory, "a11y-phone")


@pytest.fixture(scope="module")
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    yield ctx
    ctx.close()


@pytest.mark.parametrize("lang", LANGS)
def test_the_phone_page_passes_axe(context: Any, server: Any, lang: str) -> None:
    ticket = take_ticket(server.url, "money", lang)
    page = context.new_page()
    page.goto(server.url + f"/t/{ticket['token']}")
    expect(page.locator("html")).to_have_attribute("lang", lang)
    expect(page.locator("html")).to_have_attribute("dir", "rtl" if lang == "ar" else "ltr")
    expect(page.locator("#phone")).to_have_attribute("data-conn", "online")
    expect(page.get_by_role("heading", level=1)).to_contain_text(ticket["number"])
    problems = axe_violations(page)
    if lang in ("fr", "ar"):
        shot(page, f"a11y-phone-{lang}")
    page.close()
    assert not problems, f"{lang}: {problems}"


def test_the_no_longer_valid_page_passes_axe(context: Any, server: Any) -> None:
    page = context.new_page()
    response = page.goto(server.url + "/t/" + "x" * 22)
    assert response is not None and response.status == 404
    problems = axe_violations(page)
    page.close()
    assert not problems, problems
