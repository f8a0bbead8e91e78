"""The web console in a real headless Chromium against the stack: upload a group photo and see
every face boxed as unknown, enrol one of them from the page, and see the name appear; the
cameras page with each camera's state and last frame; the live events feed, its filters, and
enrolling an unknown person from an event's crop. Camera state and events are written as a
stream-service replica writes them, through the registry's CameraRegistryService.
On failure a screenshot is saved and its path given in the error."""

from __future__ import annotations

import io
import json
import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import httpx
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from PIL import Image

from facerec.registry.v1 import cameras_pb2, cameras_pb2_grpc
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
    for flag in FLAGS:
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


V1 = "/api/v1"
HOLDER = "console-test-replica"  # the stream-service replica these tests stand in for
SECRET = "console-camera-password"


@pytest.fixture(scope="module")
def registry(stack: Stack) -> Iterator[cameras_pb2_grpc.CameraRegistryServiceStub]:
    with grpc.insecure_channel(stack.address("registry")) as channel:
        yield cameras_pb2_grpc.CameraRegistryServiceStub(channel)


@contextmanager
def _screenshot_on_failure(browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    try:
        yield
    except Exception as exc:
        shot = tmp_path_factory.mktemp("console") / "failure.png"
        browser.save_screenshot(str(shot))
        raise AssertionError(f"{exc!r}; screenshot: {shot}; status: {_status(browser)}") from exc


def _wait(browser: Any, seconds: float = WAIT_S) -> Any:
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, seconds, ignored_exceptions=(NoSuchElementException, StaleElementReferenceException))


def _jpeg(path: Path, side: int) -> bytes:
    """A real photo as a JPEG of at most `side` px: a camera frame, or an LFW portrait as a face crop."""
    image = Image.open(path).convert("RGB")
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=95)
    return out.getvalue()


def _card(driver: Any, kind: str, key: str, value: str) -> Any:
    """The camera's or event's <li> (NoSuchElementException while absent: waits retry it)."""
    return driver.find_element("css selector", f'#{kind}-list li.{kind}[data-{key}="{value}"]')


def _text(card: Any, selector: str) -> str:
    return str(card.find_element("css selector", selector).text)


def _loaded(driver: Any, image: Any) -> bool:
    """A blob: URL (fetched with the key, not <img src> to the API) decoded to a real image."""
    width = driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth", image)
    return bool(width) and str(image.get_attribute("src")).startswith("blob:") and image.is_displayed()


def _lease(registry: Any, reports: dict[str, cameras_pb2.CameraState]) -> set[str]:
    """One heartbeat of the stand-in replica: takes the cameras and reports their state."""
    request = cameras_pb2.LeaseCamerasRequest(
        holder=HOLDER,
        lease_seconds=60,
        reports=[cameras_pb2.CameraReport(name=name, state=state) for name, state in reports.items()],
    )
    return {camera.name for camera in registry.LeaseCameras(request).cameras}


def test_cameras_page_shows_state_frame_and_reason_and_refreshes(
    browser: Any, stack: Stack, api: httpx.Client, registry: Any, data_dir: Path, tmp_path_factory: Any
) -> None:
    tag = uuid.uuid4().hex[:8]
    collection, live, failing, added = f"console-cams-{tag}", f"door-{tag}", f"yard-{tag}", f"gate-{tag}"
    reason = "RTSP connect to 10.0.0.7:554 refused; retrying in 8 s"
    frame = _jpeg(data_dir / "group" / "2008_002506.jpg", 640)
    live_state = cameras_pb2.CameraState(
        state="live", analysed_fps=4.8, lag_seconds=0.12, frames_read=250, frames_analysed=240, last_frame_jpeg=frame
    )
    assert api.post(f"{V1}/collections", json={"name": collection}).status_code == 201
    wait = _wait(browser)
    try:
        for name in (live, failing):
            source = f"rtsp://viewer:{SECRET}@10.0.0.7:554/{name}"
            body = {"name": name, "source_url": source, "collection": collection, "fps": 5}
            assert api.post(f"{V1}/cameras", json=body).status_code == 201
        held = _lease(registry, {live: live_state, failing: cameras_pb2.CameraState(state="failing", reason=reason)})
        assert {live, failing} <= held, held
        with _screenshot_on_failure(browser, tmp_path_factory):
            browser.get(f"{stack.gateway_url}/console/#cameras")
            wait.until(lambda d: _text(_card(d, "camera", "name", live), ".state") == "live")
            card = _card(browser, "camera", "name", live)
            assert _text(card, ".analysed-fps") == "4.8"
            assert _text(card, ".lag") == "0.12"
            assert _text(card, ".source") == f"rtsp://***@10.0.0.7:554/{live}"
            assert _text(card, ".camera-collection") == collection
            assert _text(card, ".replica") == HOLDER
            assert _text(card, ".reason") == ""
            wait.until(lambda d: _loaded(d, card.find_element("css selector", "img.frame")))
            assert not card.find_element("css selector", ".no-frame").is_displayed()

            bad = _card(browser, "camera", "name", failing)
            assert _text(bad, ".state") == "failing"
            assert _text(bad, ".reason") == reason
            assert bad.find_element("css selector", ".no-frame").is_displayed()  # 404 before a first frame
            assert not bad.find_element("css selector", "img.frame").is_displayed()
            assert SECRET not in browser.page_source

            # Polled, not loaded once: the failing camera recovers and its first frame shows.
            recovered = cameras_pb2.CameraState(state="live", analysed_fps=2.5, lag_seconds=0.3, last_frame_jpeg=frame)
            assert {live, failing} <= _lease(registry, {live: live_state, failing: recovered})
            wait.until(lambda d: _text(_card(d, "camera", "name", failing), ".state") == "live")
            wait.until(lambda d: _loaded(d, _card(d, "camera", "name", failing).find_element("css selector", "img")))
            assert _text(_card(browser, "camera", "name", failing), ".reason") == ""

            # Added from the form, removed with its button.
            browser.find_element("id", "camera-name").send_keys(added)
            browser.find_element("id", "camera-source").send_keys(f"rtsp://viewer:{SECRET}@10.0.0.9/{added}")
            browser.find_element("id", "camera-collection").clear()
            browser.find_element("id", "camera-collection").send_keys(collection)
            browser.find_element("css selector", "#add-camera button").click()
            wait.until(lambda d: _text(_card(d, "camera", "name", added), ".state") == "unassigned")
            stored = api.get(f"{V1}/cameras/{added}").json()
            assert (stored["collection"], stored["source"]) == (collection, f"rtsp://***@10.0.0.9/{added}")
            _card(browser, "camera", "name", added).find_element("css selector", ".remove-camera").click()
            browser.switch_to.alert.accept()
            wait.until(lambda d: not d.find_elements("css selector", f'li.camera[data-name="{added}"]'))
            assert api.get(f"{V1}/cameras/{added}").status_code == 404
            assert _card(browser, "camera", "name", live).is_displayed()
    finally:
        registry.ReleaseCameras(cameras_pb2.ReleaseCamerasRequest(holder=HOLDER))
        for name in (live, failing, added):
            api.delete(f"{V1}/cameras/{name}")
        api.delete(f"{V1}/collections/{collection}")


def _record(registry: Any, camera: str, collection: str, crop: bytes, seen: datetime, **person: Any) -> str:
    """An event as a stream-service replica records it: person_id and person_name, or unknown."""
    first, last = Timestamp(), Timestamp()
    first.FromDatetime(seen)
    last.FromDatetime(seen + timedelta(seconds=4))
    event = cameras_pb2.CameraEvent(
        event_id=str(uuid.uuid4()),
        camera=camera,
        collection=collection,
        score=person.pop("score"),
        threshold=0.42,
        first_seen=first,
        last_seen=last,
        crop_jpeg=crop,
        track_count=1,
        **person,
    )
    registry.RecordEvent(cameras_pb2.RecordEventRequest(event=event))
    return event.event_id


def _refusal(api: httpx.Client, collection: str, crop: bytes) -> str:
    """What the API answers enrolling this crop, as the console shows it ("CODE: message")."""
    person = api.post(f"{V1}/collections/{collection}/people", json={"name": "probe"}).json()["person_id"]
    files, form = {"file": ("face.jpg", crop, "image/jpeg")}, {"select": "largest"}
    reply = api.post(f"{V1}/collections/{collection}/people/{person}/faces", files=files, data=form)
    api.delete(f"{V1}/collections/{collection}/people/{person}")
    assert reply.status_code == 422, reply.text
    error = reply.json()["error"]
    assert error["code"] == "FACE_TOO_SMALL"
    return f"{error['code']}: {error['message']}"


def _event_ids(driver: Any) -> list[str]:
    return [li.get_attribute("data-event-id") for li in driver.find_elements("css selector", "#event-list li.event")]


def test_events_feed_shows_new_events_filters_and_enrols_an_unknown(
    browser: Any, stack: Stack, api: httpx.Client, registry: Any, data_dir: Path, tmp_path_factory: Any
) -> None:
    from selenium.webdriver.support.ui import Select

    tag = uuid.uuid4().hex[:8]
    collection, door, hall = f"console-events-{tag}", f"door-{tag}", f"hall-{tag}"
    known_name = "Al Sharpton <b>&amp;</b>"  # user text: shown as typed, never as markup
    faces = data_dir / "faces"
    tiny = _jpeg(faces / "Hugh_Grant" / "Hugh_Grant_0001.jpg", 62)  # a face too small to enrol
    assert api.post(f"{V1}/collections", json={"name": collection}).status_code == 201
    wait = _wait(browser)
    try:
        person = api.post(f"{V1}/collections/{collection}/people", json={"name": known_name}).json()["person_id"]
        photo = faces / "Al_Sharpton" / "Al_Sharpton_0001.jpg"
        files = {"file": (photo.name, photo.read_bytes(), "image/jpeg")}
        assert api.post(f"{V1}/collections/{collection}/people/{person}/faces", files=files).status_code == 201
        refused = _refusal(api, collection, tiny)
        now = datetime.now(UTC)
        known = _record(
            registry,
            hall,
            collection,
            _jpeg(faces / "Al_Sharpton" / "Al_Sharpton_0005.jpg", 200),
            now - timedelta(seconds=30),
            score=0.71,
            person_id=person,
            person_name=known_name,
        )
        stranger_crop = _jpeg(faces / "Colin_Farrell" / "Colin_Farrell_0002.jpg", 200)
        stranger = _record(registry, door, collection, stranger_crop, now - timedelta(seconds=20), score=0.21)
        small = _record(registry, door, collection, tiny, now - timedelta(seconds=10), score=0.18)
        with _screenshot_on_failure(browser, tmp_path_factory):
            browser.get(f"{stack.gateway_url}/console/#events")
            for event in (known, stranger, small):
                wait.until(
                    lambda d, e=event: _loaded(d, _card(d, "event", "event-id", e).find_element("css selector", "img"))
                )
            # Newest first (other tests' events may be newer: only these three are compared).
            assert [i for i in _event_ids(browser) if i in {small, stranger, known}] == [small, stranger, known]
            card = _card(browser, "event", "event-id", known)
            assert _text(card, ".who") == known_name
            assert "known" in card.find_element("css selector", ".who").get_attribute("class").split()
            assert _text(card, ".score").startswith("0.710")
            assert (_text(card, ".event-camera"), _text(card, ".tracks")) == (hall, "1")
            assert not card.find_element("css selector", ".enrol-as").is_displayed()
            unknown = _card(browser, "event", "event-id", stranger)
            assert (_text(unknown, ".who"), _text(unknown, ".event-camera")) == ("unknown", door)
            assert unknown.find_element("css selector", ".enrol-as").is_displayed()

            # Recorded while the page is open: on top within a few seconds, the page not reloaded.
            browser.execute_script("window.consoleMarker = 'still here'")
            late = _record(registry, hall, collection, stranger_crop, datetime.now(UTC), score=0.19)
            _wait(browser, 8).until(lambda d: _event_ids(d)[:1] == [late])
            assert browser.execute_script("return window.consoleMarker") == "still here"

            # Filters: unknown only, then one camera.
            browser.find_element("id", "event-unknown").click()
            wait.until(lambda d: known not in _event_ids(d))
            assert {stranger, small, late} <= set(_event_ids(browser))
            Select(browser.find_element("id", "event-camera")).select_by_value(hall)
            wait.until(lambda d: stranger not in _event_ids(d) and small not in _event_ids(d))
            assert late in _event_ids(browser)
            Select(browser.find_element("id", "event-camera")).select_by_value("")
            browser.find_element("id", "event-unknown").click()
            wait.until(lambda d: {known, stranger, small, late} <= set(_event_ids(d)))

            # Enrolling the tiny crop is refused: the API's own message is shown on the event.
            _enrol_from_event(browser, small, "Console Tiny")
            wait.until(lambda d: "error" in _result(d, small).get_attribute("class").split())
            assert _result(browser, small).text == refused
            # The good crop becomes a person of the event's collection with one face.
            _enrol_from_event(browser, stranger, "Console Stranger")
            wait.until(lambda d: "enrolled" in _result(d, stranger).get_attribute("class").split())
            people = api.get(f"{V1}/collections/{collection}/people").json()["people"]
            assert sorted((p["name"], p["face_count"]) for p in people) == [(known_name, 1), ("Console Stranger", 1)]
    finally:
        api.delete(f"{V1}/collections/{collection}")


def _enrol_from_event(browser: Any, event_id: str, name: str) -> None:
    card = _card(browser, "event", "event-id", event_id)
    card.find_element("css selector", ".enrol-as").click()
    card.find_element("css selector", ".enrol-name").send_keys(name)
    card.find_element("css selector", ".enrol-confirm").click()


def _result(driver: Any, event_id: str) -> Any:
    return _card(driver, "event", "event-id", event_id).find_element("css selector", ".enrol-result")
