"""In Debian's Chromium: an agent logs a contact without a ticket from the counter page (one tap, choices only),
and a manager closes the day from /manage/day/close while a visitor's phone follows a ticket."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from tests.a11y_support import axe_violations, take_ticket
from tests.conftest import shot
from tests.kiosk_support import LANGS
from tests.test_counter_e2e import idle, log, login, open_counter

pytestmark = pytest.mark.browser


def test_an_agent_logs_a_contact_in_one_tap_and_a_few_choices(browser: Any, live: Any) -> None:
    page = browser.new_page(viewport={"width": 1280, "height": 800})
    login(page, live, "demo", live.password)
    open_counter(page, "1", ["money", "moving"])
    idle(page)
    page.click("#btn-contact")
    dialog = page.locator("#dlg-contact")
    expect(dialog).to_be_visible()
    expect(page.locator('#form-contact input[name="channel"][value="phone"]')).to_be_checked()
    expect(page.locator('#form-contact input[name="need"][value="moving"]')).to_be_checked()  # this counter's first
    expect(page.locator("#contact-orgs")).to_be_hidden()
    expect(dialog.locator("input:not([type=radio]), textarea")).to_have_count(0)  # nothing to type
    assert axe_violations(page) == []
    page.check('#form-contact input[name="channel"][value="email"]')
    page.check('#form-contact input[name="need"][value="money"]')
    page.check('#form-contact input[name="outcome"][value="referred"]')
    expect(page.locator("#contact-orgs")).to_be_visible()
    page.locator('#contact-orgs input[name="referral"]').nth(1).check()
    shot(page, "counter-contact-dialog")
    assert axe_violations(page) == []
    page.click("#btn-contact-go")
    expect(dialog).to_be_hidden()
    expect(page.locator("#info")).to_contain_text("Contact logged")
    expect(page.locator("#btn-contact")).to_be_focused()  # the focus goes back to the button
    (contact,) = log(live, "contact_logged")
    second_org = page.locator('#contact-orgs input[name="referral"]').nth(1).get_attribute("value")
    assert (contact["channel"], contact["need"], contact["outcome"]) == ("email", "money", "referred")
    assert (contact["referral"], contact["counter"], contact["agent"]) == (second_org, "1", "demo")
    page.close()


def test_a_manager_closes_the_day_and_the_visitors_phone_says_it_is_over(browser: Any, live: Any) -> None:
    ticket = take_ticket(live.url, "moving")
    phone = browser.new_page(viewport={"width": 390, "height": 800})
    phone.goto(live.url + f"/t/{ticket['token']}?lang=en")
    expect(phone.locator("main")).to_have_attribute("data-state", "issued")

    page = browser.new_page(viewport={"width": 1280, "height": 800})
    page.goto(live.url + "/manage/login?lang=en&next=/manage/day/close")
    page.fill("#name", "demo")
    page.fill("#password", live.password)
    page.click("button[type=submit]")
    expect(page.locator("#dayclose-state")).to_have_attribute("data-closed", "false")
    expect(page.locator("#dayclose-now")).to_contain_text("1 waiting")
    shot(page, "manage-day-close")
    problems = {}
    for lang in LANGS:  # the page in every language: translated, and clean for axe-core
        page.goto(live.url + f"/manage/day/close?lang={lang}")
        expect(page.locator("html")).to_have_attribute("lang", lang)
        problems[lang] = axe_violations(page)
        if lang != "en":
            assert "Close the day now" not in page.locator("#dayclose-submit").inner_text(), lang
    assert problems == {lang: [] for lang in LANGS}
    page.goto(live.url + "/manage/day/close?lang=en")
    page.click("#dayclose-submit")  # not confirmed: the browser asks for the box first, nothing is sent
    expect(page.locator("#dayclose-state")).to_have_attribute("data-closed", "false")
    assert log(live, "day_closed") == []
    page.check("#dayclose-confirm")
    page.click("#dayclose-submit")
    expect(page.locator("#dayclose-state")).to_have_attribute("data-closed", "true")
    expect(page.locator("#dayclose-flash")).to_contain_text("1 visitor(s) still waiting counted as abandoned")
    assert axe_violations(page) == []
    shot(page, "manage-day-closed")
    (closed,) = log(live, "day_closed")
    assert (closed["cause"], closed["by"], closed["abandoned"]) == ("manager", "demo", {"moving": 1})

    expect(phone.locator("main")).to_have_attribute("data-state", "gone")  # live, without a reload
    phone.reload()
    expect(phone.locator("h1")).to_contain_text("n'est plus valable")  # the ticket's language
    shot(phone, "phone-day-closed")
