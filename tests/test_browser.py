"""A person in a real browser: Swagger UI at /docs/, authorize with a token, run GET /incomes.

Headless Chromium from Debian (/usr/bin/chromium) driven by Playwright. Without Chromium the test
is skipped, unless CASHMAN_REQUIRE_BROWSER=1 (CI sets it, after installing Chromium), which makes
a missing browser a failure. SWAGGER_SCREENSHOT=path saves a screenshot (`make screenshot`).
"""

import os
from pathlib import Path

import pytest
from live import add_row, json_body, login, register

CHROMIUM = Path("/usr/bin/chromium")

if not CHROMIUM.exists() and os.environ.get("CASHMAN_REQUIRE_BROWSER") != "1":
    pytest.skip("Chromium is not installed (apt-get install chromium)", allow_module_level=True)

from playwright.sync_api import expect, sync_playwright  # noqa: E402


def test_a_person_authorizes_in_swagger_ui_and_lists_incomes(live_server):
    register(live_server, "browser")
    token = json_body(login(live_server, "browser"))["access_token"]
    for description, amount in [("Salary", "5000"), ("Dividends", "200.50")]:
        add_row(live_server, token, description=description, amount=amount, date="2026-11-20")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1000})
            page.goto(f"{live_server}/docs/")
            expect(page.locator(".info .title")).to_contain_text("Cashman")

            page.get_by_role("button", name="Authorize").first.click()
            dialog = page.locator(".modal-ux")
            # The bearer scheme's form (the cookie schemes are for browser apps, not typed in).
            bearer = dialog.locator("form").filter(has=page.locator("#auth-bearer-value"))
            bearer.locator("#auth-bearer-value").fill(token)
            bearer.locator(".auth-btn-wrapper button.authorize").click()
            expect(dialog.get_by_role("heading", name="Authorized")).to_be_visible()
            dialog.get_by_role("button", name="Close").first.click()

            operation = page.locator("#operations-transactions-getIncomeList")
            operation.locator(".opblock-summary").click()
            operation.get_by_role("button", name="Try it out").click()
            operation.get_by_role("button", name="Execute").click()

            response = operation.locator(".live-responses-table .response").first
            expect(response.locator(".response-col_status")).to_have_text("200")
            body = response.locator(".response-col_description pre").first
            expect(body).to_contain_text('"description": "Dividends"')
            expect(body).to_contain_text('"amount": 200.5')  # pretty-printed by the browser
            expect(body).to_contain_text('"description": "Salary"')
            expect(operation.locator(".curl-command")).to_contain_text(f"Bearer {token}")
            expect(response).to_contain_text("x-total-count: 2")

            if screenshot := os.environ.get("SWAGGER_SCREENSHOT"):
                operation.locator(".curl-command").evaluate("e => e.scrollIntoView()")
                page.screenshot(path=screenshot)
        finally:
            browser.close()
