"""The page in Debian's Chromium against a real gunicorn and SeaweedFS."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from conftest import TEST_PASSWORD

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Yield Debian's Chromium, headless.

    Playwright's launch gives the browser a fresh temporary profile of its own
    (it refuses a --user-data-dir argument) and removes it on close.
    """
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """Yield a page of a fresh browser context, collecting console errors."""
    context = browser.new_context()
    page = context.new_page()
    yield page
    context.close()


def log_in(page: Page, url: str) -> None:
    """Open the page and log in as alice."""
    page.goto(url + "/")
    page.fill("#login-username", "alice")
    page.fill("#login-password", TEST_PASSWORD)
    page.click("#login-form button[type=submit]")
    expect(page.locator("#session-user")).to_have_text("alice")


def test_page_uploads_a_file_with_progress_and_preview(
    page: Page, server_url: str
) -> None:
    source = CORPUS / "fivethirtyeight" / "biopics" / "biopics.csv"
    # Script errors and CSP refusals; the 401 of the logged-out first look
    # is an expected failed load, not an error of the page.
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error"
            and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    log_in(page, server_url)

    page.set_input_files("#file-input", str(source))
    page.click("#upload-button")

    expect(page.locator("#result")).to_be_visible(timeout=30_000)
    expect(page.locator("#progress")).to_have_attribute("value", "100")
    expect(page.locator("#progress-text")).to_have_text("100%")
    expect(page.locator("#result-rows")).to_have_text("761")
    expect(page.locator("#result-encoding")).to_have_text("mac_roman")
    expect(page.locator("#preview thead th").first).to_have_text("title")
    expect(page.locator("#preview tbody tr")).to_have_count(10)
    expect(page.locator("#preview tbody tr").first.locator("td").first).to_have_text(
        "10 Rillington Place"
    )
    expect(page.locator("#recent tbody tr").first).to_contain_text("biopics.csv")
    href = page.locator("#result-download").get_attribute("href")
    assert href is not None
    assert href.endswith("/content")
    assert errors == []


def test_page_shows_the_line_of_a_csv_fault(
    page: Page, server_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"a,b,c\n1,2,3\n4,5\n")
    log_in(page, server_url)

    page.set_input_files("#file-input", str(broken))
    page.click("#upload-button")

    expect(page.locator("#upload-error")).to_contain_text("line 3")
    expect(page.locator("#result")).to_be_hidden()


def test_page_refuses_a_wrong_password(page: Page, server_url: str) -> None:
    page.goto(server_url + "/")
    page.fill("#login-username", "alice")
    page.fill("#login-password", "not the password at all")
    page.click("#login-form button[type=submit]")

    expect(page.locator("#login-error")).to_be_visible()
    expect(page.locator("#upload-section")).to_be_hidden()


def test_page_takes_a_dropped_file(page: Page, server_url: str) -> None:
    log_in(page, server_url)
    transfer = page.evaluate_handle(
        """() => {
            const transfer = new DataTransfer();
            const csv = "id,city\\n1,Oslo\\n2,Lima\\n";
            transfer.items.add(new File([csv], "dropped.csv", {type: "text/csv"}));
            return transfer;
        }"""
    )

    page.dispatch_event("#drop-zone", "drop", {"dataTransfer": transfer})
    expect(page.locator("#file-name")).to_contain_text("dropped.csv")
    page.click("#upload-button")

    expect(page.locator("#result-rows")).to_have_text("2")
    expect(page.locator("#preview tbody tr").nth(1)).to_contain_text("Lima")


def test_page_renews_an_expired_access_token_and_uploads(
    page: Page, server_url: str, tmp_path: Path
) -> None:
    source = tmp_path / "renewed.csv"
    source.write_bytes(b"id\n1\n")
    log_in(page, server_url)
    # As if the access token had expired: only the refresh cookie is left.
    page.context.clear_cookies(name="access_token_cookie")

    page.set_input_files("#file-input", str(source))
    page.click("#upload-button")

    expect(page.locator("#result-rows")).to_have_text("1")
    expect(page.locator("#upload-error")).to_be_hidden()


@pytest.mark.parametrize("path", ["/", "/api/docs"])
def test_page_requests_nothing_that_fails(
    page: Page, server_url: str, path: str
) -> None:
    # The logged-out first look at /api/v1/auth/me is a 401 by design.
    failed: list[str] = []
    page.on(
        "response",
        lambda response: (
            failed.append(f"{response.status} {response.url}")
            if response.status >= 400 and "/api/v1/auth/" not in response.url
            else None
        ),
    )

    page.goto(server_url + path, wait_until="networkidle")
    icon = page.request.get(server_url + "/favicon.ico")

    assert failed == []
    assert icon.status == 200
    assert icon.headers["content-type"].startswith("image/svg+xml")
    assert icon.body().startswith(b"<svg")


def test_page_options_show_their_whole_text_at_1280_pixels(
    browser: Browser, server_url: str
) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    log_in(page, server_url)

    # Each option's text and the encoding placeholder, against the room its
    # control leaves after padding and the select's arrow.
    cut = page.evaluate(
        """() => {
            const canvas = document.createElement("canvas").getContext("2d");
            const cut = [];
            for (const control of document.querySelectorAll(
                "fieldset select, fieldset input"
            )) {
                const style = getComputedStyle(control);
                canvas.font = `${style.fontSize} ${style.fontFamily}`;
                const room = control.clientWidth
                    - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight)
                    - (control.tagName === "SELECT" ? 24 : 0);
                const texts = control.tagName === "SELECT"
                    ? [...control.options].map((option) => option.text)
                    : [control.placeholder];
                for (const text of texts) {
                    if (canvas.measureText(text).width > room) cut.push(text);
                }
            }
            return cut;
        }"""
    )
    context.close()

    assert cut == []
