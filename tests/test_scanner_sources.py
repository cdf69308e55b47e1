"""Frame sources and the worker: a generated video through the camera interface end to end,
an unplugged camera, the newest frame winning, files and folders."""

from __future__ import annotations

import threading
import time

import cv2
import numpy as np
import pytest

from kiosk.events import EventHub
from kiosk.scanner import sources
from kiosk.scanner.payload import CodeRef, MemberRef
from kiosk.scanner.events import Scanned, ScannerStatus
from kiosk.scanner.pipeline import ScanPipeline
from kiosk.scanner.sources import CameraSource, ImageFolderSource, VideoFileSource
from tests import scanner_images


def _wait(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    """Two seconds at 15 fps: an empty counter, then a member's QR card held up."""
    path = tmp_path_factory.mktemp("video") / "counter.avi"
    rng = np.random.default_rng(11)
    empty = scanner_images.empty_frames(seed=5, count=1)[0]
    card = scanner_images.make_sample("QRCode", "M100002", "perspective", rng).frame
    # MJPG in an AVI: the headless OpenCV wheel writes and reads it without extra codecs.
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 15,
                             (scanner_images.WIDTH, scanner_images.HEIGHT), False)
    assert writer.isOpened()
    for i in range(30):
        writer.write(empty if i < 10 else card)
    writer.release()
    return path


def test_a_video_played_as_a_camera_gives_one_scan_on_the_event_hub(video):
    hub = EventHub()
    scans, states = [], []
    hub.subscribe(Scanned, scans.append)
    hub.subscribe(ScannerStatus, states.append)
    camera = CameraSource(str(video), fps=30, reconnect_s=0.05,
                          on_state=lambda state, detail: hub.publish(ScannerStatus("camera", state, detail)))
    pipeline = ScanPipeline(camera.start(), hub.publish, max_fps=30, idle_fps=30)
    worker_threads = []
    hub.subscribe(Scanned, lambda _: worker_threads.append(threading.current_thread().name))
    pipeline.start()
    try:
        assert _wait(lambda: scans), "the card in the video was never scanned"
        time.sleep(1.0)  # the video loops: the card shows again, within the debounce time
    finally:
        pipeline.stop()
    assert scans == [Scanned(MemberRef("id", "M100002"), "QRCode", "camera")]
    assert worker_threads == ["kiosk-scanner"]  # never the caller's (the GUI's) thread
    assert [s.state for s in states][:1] == [sources.CONNECTED]
    assert states[-1].state == sources.STOPPED


class FakeCamera:
    """cv2.VideoCapture's surface; `plugged` is shared, like a USB socket."""

    plugged = True

    def __init__(self, frames):
        self._frames = frames
        self._opened = FakeCamera.plugged
        self.count = 0

    def isOpened(self):
        return self._opened

    def read(self):
        if not FakeCamera.plugged:
            return False, None
        time.sleep(0.002)
        self.count += 1
        return True, np.full((4, 4), self.count % 256, np.uint8)

    def release(self):
        self._opened = False


def test_an_unplugged_camera_is_a_state_and_comes_back_by_itself():
    FakeCamera.plugged = False
    states = []
    camera = CameraSource(0, reconnect_s=0.02, on_state=lambda s, d: states.append((s, d)),
                          open_capture=lambda device: FakeCamera(None)).start()
    try:
        assert _wait(lambda: states and states[-1][0] == sources.RECONNECTING)
        assert states[0][0] == sources.UNAVAILABLE and "unplugged" in states[0][1]
        assert camera.next_frame(0.05) is None
        FakeCamera.plugged = True
        assert _wait(lambda: camera.state == sources.CONNECTED)
        assert camera.next_frame(1.0) is not None
        FakeCamera.plugged = False
        assert _wait(lambda: camera.state in (sources.UNAVAILABLE, sources.RECONNECTING))
        assert "stopped sending" in [d for s, d in states if s == sources.UNAVAILABLE][-1]
        FakeCamera.plugged = True
        assert _wait(lambda: camera.state == sources.CONNECTED)
    finally:
        camera.close()
        FakeCamera.plugged = True


def test_the_newest_frame_wins_and_old_ones_are_dropped():
    camera = CameraSource(0, open_capture=lambda device: FakeCamera(None)).start()
    try:
        first = camera.next_frame(2.0)
        time.sleep(0.2)  # a slow decoder: about a hundred frames arrive meanwhile
        second = camera.next_frame(2.0)
        assert int(second[0, 0]) != (int(first[0, 0]) + 1) % 256
        assert camera.dropped > 10
    finally:
        camera.close()


def test_a_stream_url_is_never_shown_with_its_password():
    camera = CameraSource("rtsp://admin:secret@10.0.0.5/stream", open_capture=lambda d: None)
    assert "secret" not in camera.name and camera.name == "stream rtsp"


def test_a_video_file_source_gives_every_frame_in_order(video):
    source = VideoFileSource(video)
    count = 0
    while source.next_frame() is not None:
        count += 1
    assert count == 30 and source.finished


def test_an_image_folder_in_name_order_through_the_pipeline(tmp_path):
    rng = np.random.default_rng(2)
    for name, text in (("a.png", "WELCOME10"), ("b.png", "WELCOME10"), ("c.jpg", "GC-1000-0002")):
        kind = "QRCode" if text == "WELCOME10" else "Code128"
        cv2.imwrite(str(tmp_path / name), scanner_images.make_sample(kind, text, "plain", rng).frame)
    (tmp_path / "notes.txt").write_text("not a picture")
    (tmp_path / "broken.png").write_bytes(b"\x89PNG not really")
    scans = []
    pipeline = ScanPipeline(ImageFolderSource(tmp_path), scans.append, budget_s=1.0, max_fps=100)
    pipeline.start().join(30)
    assert pipeline.frames == 3
    # a.png's QR code is taken at once, b.png's is the same code within the quiet time.
    # c.jpg's Code 128 is one frame, and a linear code needs two that agree.
    assert scans == [Scanned(CodeRef("WELCOME10"), "QRCode", "camera")]


def test_a_failing_subscriber_does_not_stop_the_scanner(video, caplog):
    def broken(scan):
        raise RuntimeError("subscriber bug")

    with_card = []
    pipeline = ScanPipeline(VideoFileSource(video), broken, budget_s=1.0,
                            on_frame=lambda frame, symbols: symbols and with_card.append(symbols[0].text))
    pipeline.start().join(30)
    assert pipeline.frames + pipeline.skipped == 30
    assert with_card == ["M100002"] * 20  # the scanner went on after each failure: every card frame read
    assert "scan callback failed" in caplog.text and "M100002" not in caplog.text


def test_the_scanner_from_the_settings_publishes_on_the_hub(video):
    from kiosk import config
    from kiosk.scanner import service

    settings = config.Settings(scanner={"camera": str(video), "debounce_s": 30, "max_fps": 30, "idle_fps": 30,
                                        "accept": ["code"]})
    hub = EventHub()
    scans, states = [], []
    hub.subscribe(Scanned, scans.append)
    hub.subscribe(ScannerStatus, states.append)
    pipeline = service.camera_pipeline(settings.scanner, hub)
    try:
        assert _wait(lambda: scans)
    finally:
        pipeline.stop()
    # The member card is read, and this store's settings take codes only.
    assert scans[0].ref.reason == "not_accepted" and scans[0].symbology == "QRCode"
    assert states[0] == ScannerStatus("video counter.avi", sources.CONNECTED, "")
    assert service.camera_pipeline(config.Settings(scanner={"camera": ""}).scanner, hub) is None
    detector = service.wedge_detector(settings.scanner)
    assert (detector.max_gap_s, detector.min_length) == (0.05, 4)


def test_a_serial_port_that_is_not_there_is_a_status_not_a_crash():
    from kiosk import config
    from kiosk.scanner import service

    hub = EventHub()
    states = []
    hub.subscribe(ScannerStatus, states.append)
    settings = config.Settings(scanner={"serial_port": "/nonexistent/ttyKIOSK"})
    assert service.serial_scanner(settings.scanner, hub) is None
    assert states and states[0].source == "serial" and states[0].state == "unavailable"
    assert "ttyKIOSK" in states[0].detail or "pyserial" in states[0].detail


class ListSource:
    """Frames as fast as they are asked for (a file-like source with no pace of its own)."""

    name = "list"

    def __init__(self, frames):
        self._frames = list(frames)

    @property
    def finished(self):
        return not self._frames

    def next_frame(self, timeout=0.0):
        return self._frames.pop(0) if self._frames else None

    def close(self):
        self._frames = []


@pytest.mark.parametrize("colour", [False, True], ids=["grey", "bgr"])
def test_a_still_scene_is_not_decoded_again_until_something_moves(colour):
    rng = np.random.default_rng(4)
    empty = scanner_images.empty_frames(seed=9, count=1)[0]
    card = scanner_images.make_sample("QRCode", "M100004", "plain", rng).frame
    noisy = [np.clip(empty.astype(np.int16) + rng.integers(-4, 5, empty.shape), 0, 255).astype(np.uint8)
             for _ in range(12)]  # sensor noise and a little flicker: still "nothing moved"
    frames = [empty, *noisy, card]
    if colour:  # as a camera gives them
        frames = [cv2.cvtColor(f, cv2.COLOR_GRAY2BGR) for f in frames]
    scans = []
    # A clock that stands still: the idle interval never runs out, so only movement
    # (or a code seen) can make a frame worth decoding, however slow this machine is.
    pipeline = ScanPipeline(ListSource(frames), scans.append, budget_s=1.0, max_fps=60, clock=lambda: 100.0)
    pipeline.start().join(30)
    assert (pipeline.frames, pipeline.skipped) == (2, 12)  # the first frame, then the card as it came
    assert scans == [Scanned(MemberRef("id", "M100004"), "QRCode", "camera")]


def test_the_camera_gives_the_parser_the_text_as_encoded(tmp_path):
    import zxingcpp

    # A card from a template that ends its field with the GS separator. zxing-cpp's display
    # form would hand over "M100001<GS>", which no payload of ours matches; the real text has
    # a control character, which the parser strips as it does for every scanner.
    symbol = zxingcpp.create_barcode("M100001\x1d", zxingcpp.BarcodeFormat.QRCode)
    cv2.imwrite(str(tmp_path / "card.png"), np.pad(np.asarray(symbol.to_image(scale=8)), 60, constant_values=255))
    scans = []
    pipeline = ScanPipeline(ImageFolderSource(tmp_path), scans.append, budget_s=1.0, max_fps=100)
    pipeline.start().join(30)
    assert scans == [Scanned(MemberRef("id", "M100001"), "QRCode", "camera")]


class ClockedSource(ListSource):
    """A camera at 30 fps on a clock of its own: each frame taken moves the clock 1/30 s on."""

    def __init__(self, frames):
        super().__init__(frames)
        self.now = 100.0

    def next_frame(self, timeout=0.0):
        if self._frames:
            self.now += 1 / 30
        return super().next_frame(timeout)


@pytest.mark.parametrize("rest_s", [0.0, 0.3])
def test_after_a_scan_the_camera_rests_and_a_new_card_is_read_when_it_ends(rest_s):
    rng = np.random.default_rng(6)
    first = scanner_images.make_sample("QRCode", "M100004", "plain", rng).frame
    second = scanner_images.make_sample("QRCode", "M100005", "plain", rng).frame
    # The first card for 200 ms, then the next one is held up.
    source = ClockedSource([first] * 6 + [second] * 10)
    scans = []
    pipeline = ScanPipeline(source, scans.append, budget_s=1.0, max_fps=1000, rest_s=rest_s,
                            clock=lambda: source.now)
    pipeline.start().join(30)
    assert scans == [Scanned(MemberRef("id", "M100004"), "QRCode", "camera"),
                     Scanned(MemberRef("id", "M100005"), "QRCode", "camera")]
    if rest_s:  # the first frame, then the first one after the rest: 300 ms is 9 frames on
        assert (pipeline.frames, pipeline.skipped) == (2, 14)
    else:  # every frame, the first card kept quiet by the debounce
        assert (pipeline.frames, pipeline.skipped) == (16, 0)
