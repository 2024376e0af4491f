"""Issue 16: Swagger UI at /docs on a `make dev` stack, driven in real headless Chromium (Debian's package).

Authorize with the demo token, "Try it out" on POST /api/v1/ingest_events with the document's example
body, and the real handler's 201 shows in the page, and the event is in the events table. The page's
screenshot is kept in test-artifacts/ (the Swagger UI assets are served by the stack: no network needed).
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests
from playwright.sync_api import Page, Response, sync_playwright

from tests.e2e.test_sdk_ingest import stored_event

pytestmark = pytest.mark.e2e

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOT = ROOT / "test-artifacts" / "api-docs-try-it-out.png"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INGEST_PATH = "/api/v1/ingest_events"
OPERATION = "#operations-Ingest_events-createIngestEvent"  # operations-<tag>-<operationId>
TIMEOUT_MS = 20_000


def authorize(page: Page, token: str) -> None:
    page.locator(".scheme-container button.authorize").click()
    bearer = page.locator(".modal-ux .auth-container").filter(has_text="bearerAuth")
    bearer.locator("input").fill(token)
    bearer.locator("button.authorize").click()
    bearer.locator("button", has_text="Logout").wait_for()  # Swagger UI's sign that it took the token
    bearer.locator("button.btn-done").click()
    page.locator(".modal-ux").wait_for(state="detached")


def try_it_out(page: Page) -> tuple[str, Response]:
    """Run the operation with its example body: the status the page shows, and the call it made."""
    operation = page.locator(OPERATION)
    operation.locator(".opblock-summary").first.click()
    operation.locator("button.try-out__btn").click()
    with page.expect_response(lambda response: response.request.method == "POST") as answered:
        operation.locator("button.execute").click()
    shown = operation.locator(".live-responses-table .response .response-col_status").first
    shown.wait_for()
    return shown.inner_text().strip(), answered.value


def test_swagger_ui_tries_out_an_ingest_with_the_demo_token(local_api):
    assert CHROMIUM.is_file(), f"{CHROMIUM} is missing: `make test` installs Debian's chromium package"
    with local_api() as api:
        assert f"{api.url}/docs" in api.banner
        spec = requests.get(f"{api.url}/openapi.yaml", timeout=10)
        assert spec.status_code == 200 and spec.headers["Content-Type"].startswith("application/yaml")
        assert f'servers:\n  - url: "{api.url}"\n' in spec.text  # "Try it out" calls this very stack

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.set_default_timeout(TIMEOUT_MS)
                requested: list[str] = []
                page.on("request", lambda request: requested.append(request.url))
                page.goto(f"{api.url}/docs")
                page.locator(OPERATION).wait_for()
                authorize(page, api.token)
                status, call = try_it_out(page)
                answer, sent_headers = call.json(), call.request.headers
                # The viewport from the URL Swagger UI called to the live response: the 201 and its body.
                page.locator(f"{OPERATION} .request-url").evaluate("element => element.scrollIntoView()")
                SCREENSHOT.parent.mkdir(exist_ok=True)
                page.screenshot(path=str(SCREENSHOT))
            finally:
                browser.close()

        assert status == "201", answer
        assert call.url == f"{api.url}{INGEST_PATH}"
        assert sent_headers["authorization"] == f"Bearer {api.token}"
        # Everything came from the stack itself (no CDN, no validator badge), the Swagger UI files included.
        assert [url for url in requested if not url.startswith(f"{api.url}/")] == []
        assert {f"{api.url}/docs/swagger-ui-bundle.js", f"{api.url}/openapi.yaml"} <= set(requested)
        stored = stored_event(api, api.state["project_id"], answer["id"])
        assert stored["document"]["message"] == "NoMethodError in CheckoutService"  # the example body's event
        assert SCREENSHOT.stat().st_size > 0
