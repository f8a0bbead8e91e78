"""The web console in a real headless Chromium against the stack: upload a group photo and see
every face boxed as unknown, enrol one of them from the page, and see the name appear.
On failure a screenshot is saved and its path given in the error."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from facerec_devstack.stack import Stack

CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")
pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def _chromium_installed(require_tool: Callable[[str | None, str], str]) -> None:
    require_tool(CHROMIUM, "chromium (Debian: apt-get install chromium)")
    require_tool(DRIVER, "chromedriver (Debian: apt-get install chromium-driver)")


WAIT_S = 60
# Headless, as root in CI (no sandbox), small /dev/shm in containers, no GPU.
FLAGS = ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1400,1000")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(str(DRIVER)), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _canvas_labels(driver: Any) -> list[str]:
    raw = driver.find_element("id", "canvas").get_attribute("data-labels")
    return list(json.loads(raw)) if raw else []


def test_identify_a_group_photo_then_enrol_a_face_from_the_page(
    browser: Any, stack: Stack, api: httpx.Client, data_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    from selenium.webdriver.support.ui import Select, WebDriverWait

    collection = f"console-{uuid.uuid4().hex[:8]}"
    assert api.post("/api/v1/collections", json={"name": collection}).status_code == 201
    group = data_dir / "group" / "2008_002506.jpg"  # 3 faces, all large enough to enrol
    wait = WebDriverWait(browser, WAIT_S)
    try:
        browser.get(f"{stack.gateway_url}/console/")
        wait.until(lambda d: collection in [o.text for o in d.find_elements("css selector", "#collection option")])
        Select(browser.find_element("id", "collection")).select_by_visible_text(collection)
        browser.find_element("id", "photo").send_keys(str(group))
        wait.until(lambda d: d.find_element("id", "canvas").get_attribute("data-boxes"))
        labels = _canvas_labels(browser)
        assert len(labels) == 3
        assert set(labels) == {"unknown"}
        assert len(browser.find_elements("css selector", "#faces li.face")) == len(labels)

        first = browser.find_elements("css selector", "#faces li.face")[0]
        first.find_element("css selector", ".enrol-name").send_keys("Console Person")
        first.find_element("css selector", ".enrol").click()
        wait.until(lambda d: "Console Person" in _canvas_labels(d))
        assert _canvas_labels(browser).count("Console Person") == 1
        wait.until(lambda d: "Console Person" in d.find_element("id", "people-list").text)

        # A second face typed with an existing name goes to that person, not to a new one.
        second = browser.find_elements("css selector", "#faces li.face")[1]
        second.find_element("css selector", ".enrol-name").send_keys("Console Person")
        second.find_element("css selector", ".enrol").click()
        wait.until(lambda d: _canvas_labels(d).count("Console Person") == 2)
        people = api.get(f"/api/v1/collections/{collection}/people").json()["people"]
        assert [(p["name"], p["face_count"]) for p in people] == [("Console Person", 2)]
        if target := os.environ.get("FACEREC_CONSOLE_SCREENSHOT"):
            browser.save_screenshot(target)
    except Exception as exc:
        shot = tmp_path_factory.mktemp("console") / "failure.png"
        browser.save_screenshot(str(shot))
        raise AssertionError(f"{exc!r}; screenshot: {shot}; status: {_status(browser)}") from exc
    finally:
        api.delete(f"/api/v1/collections/{collection}")


def _status(browser: Any) -> str:
    try:
        return str(browser.find_element("id", "status").text)
    except Exception:
        return "?"


def test_console_is_off_in_production_unless_enabled() -> None:
    from facerec_gateway.app import create_app
    from facerec_gateway.settings import GatewaySettings

    def mounted(**settings: Any) -> bool:
        app = create_app(GatewaySettings(**settings))
        return any(getattr(route, "path", "") == "/console" for route in app.routes)

    keys = {"auth_mode": "keys", "admin_key": "frk_" + "k" * 40}
    assert mounted()
    assert not mounted(production=True, **keys)
    assert mounted(production=True, console=True, **keys)
