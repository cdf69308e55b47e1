"""Where frames come from: a camera (or stream), a video file, a folder of images.

All three answer `next_frame(timeout)` with a frame (BGR or gray numpy array)
or None, and say `finished` once a file source has run out; a camera never does.

The camera is read in its own thread and only the newest frame is kept: when
decoding falls behind, old frames are dropped, never queued, so what is
decoded is what is in front of the lens now. An unplugged or busy camera is a
state ("unavailable", then "reconnecting" every few seconds), reported through
`on_state`, and reading resumes by itself when the camera is back.
OpenCV is imported here, inside the thread and the functions, never when the
app starts (it costs a quarter of a second).
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path
from typing import Callable, Iterator, Protocol

import numpy as np

from kiosk.i18n import _

log = logging.getLogger(__name__)

CONNECTING, CONNECTED, UNAVAILABLE, RECONNECTING, STOPPED = (
    "connecting", "connected", "unavailable", "reconnecting", "stopped")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".mov", ".webm", ".m4v", ".mjpg", ".mjpeg")


# Where Linux keeps camera devices (camera N is videoN); a setting of the module, for tests.
DEVICE_DIR = Path("/dev")


def unavailable_reason(device: str | int) -> str:
    """Why a camera or stream would not open, as plainly as the system lets us tell, in the
    screen's language (the cashier reads it beside the preview; the log gets it too).

    OpenCV only says "not opened"; on Linux the device node tells a missing camera from
    one that is there but taken (V4L2 refuses a second program streaming from it)."""
    if isinstance(device, int):
        node = DEVICE_DIR / f"video{device}"
        if not sys.platform.startswith("linux"):
            return _("The camera is unplugged or used by another program; trying again.")
        if not node.exists():
            return _("No camera found: camera {0} is unplugged or missing. Plug it in, or use the "
                     "hand scanner; the picture comes back by itself.").format(device)
        if not os.access(node, os.R_OK | os.W_OK):
            return _("Kiosk may not use camera {0} (no permission on {1}); ask IT.").format(device, node)
        return _("The camera is in use by another program (a video call, another Kiosk). Close that "
                 "program and the picture comes back by itself.")
    if "://" in device:
        return _("The camera stream can't be reached; trying again.")
    if not Path(device).exists():
        return _("The video {0} was not found; check scanner.camera.").format(Path(device).name)
    return _("The video {0} can't be read; check scanner.camera.").format(Path(device).name)


class FrameSource(Protocol):
    name: str

    @property
    def finished(self) -> bool: ...

    def next_frame(self, timeout: float) -> np.ndarray | None: ...

    def close(self) -> None: ...


def parse_device(device: str | int) -> str | int:
    """"0" is the first camera; anything else is a path or stream URL for OpenCV."""
    if isinstance(device, int):
        return device
    return int(device) if device.strip().isdigit() else device


class CameraSource:
    """A camera or stream, read in a thread; the newest frame wins.

    `fps` paces the reader (for a video file played as if it were a camera);
    a real camera paces itself. `open_capture` makes the capture object and is
    there for tests; by default it is cv2.VideoCapture.
    """

    finished = False

    def __init__(self, device: str | int, *, on_state: Callable[[str, str], None] | None = None,
                 reconnect_s: float = 2.0, fps: float | None = None,
                 size: tuple[int, int] | None = (1280, 720), open_capture: Callable | None = None):
        self.device = parse_device(device)
        # Shown in states and logs: a stream URL may carry a password, so only its scheme.
        if isinstance(self.device, int):
            self.name = f"camera {self.device}"
        elif "://" in self.device:
            self.name = f"stream {self.device.split('://', 1)[0]}"
        else:
            self.name = f"video {Path(self.device).name}"
        self.state = CONNECTING
        self._detail = ""
        self._on_state = on_state
        self._reconnect_s, self._fps, self._size = reconnect_s, fps, size
        self._open = open_capture
        self._lock = threading.Condition()
        self._frame: np.ndarray | None = None
        self._seq = self._taken = 0
        self.dropped = 0  # frames replaced before anyone took them
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kiosk-camera", daemon=True)

    def start(self) -> CameraSource:
        self._thread.start()
        return self

    def on_state(self, callback: Callable[[str, str], None]) -> None:
        """Set the state callback (before start), when it needs the source's own name."""
        self._on_state = callback

    def next_frame(self, timeout: float) -> np.ndarray | None:
        with self._lock:
            if self._seq == self._taken:
                self._lock.wait(timeout)
            if self._seq == self._taken:
                return None
            self._taken = self._seq
            return self._frame

    def close(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._set_state(STOPPED, "")

    def _set_state(self, state: str, detail: str) -> None:
        if (state, detail) == (self.state, self._detail):
            return
        self.state, self._detail = state, detail
        log.info("%s: %s %s", self.name, state, detail)
        if self._on_state is not None:
            try:
                self._on_state(state, detail)
            except Exception:
                log.exception("camera state callback failed")

    def _capture(self):
        if self._open is not None:
            return self._open(self.device)
        import cv2

        capture = cv2.VideoCapture(self.device)
        if self._size and isinstance(self.device, int):
            capture.set(cv2.CAP_PROP_FRAME_WIDTH, self._size[0])
            capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self._size[1])
        return capture

    def _run(self) -> None:
        first = True
        while not self._stop.is_set():
            capture = self._capture()
            if capture is None or not capture.isOpened():
                if capture is not None:
                    capture.release()
                self._set_state(UNAVAILABLE if first else RECONNECTING, unavailable_reason(self.device))
                first = False
                self._stop.wait(self._reconnect_s)
                continue
            first = False
            self._set_state(CONNECTED, "")
            self._read_until_lost(capture)
            capture.release()
            if not self._stop.is_set():
                self._set_state(UNAVAILABLE, _("The camera stopped sending pictures; trying again."))
                self._stop.wait(self._reconnect_s)

    def _read_until_lost(self, capture) -> None:
        failures = 0
        period = 1.0 / self._fps if self._fps else 0.0
        next_at = time.monotonic()
        while not self._stop.is_set():
            ok, frame = capture.read()
            if not ok or frame is None:
                failures += 1
                # One bad grab is a hiccup; a run of them is an unplugged camera or the end of a file.
                if failures >= 5:
                    return
                self._stop.wait(0.02)
                continue
            failures = 0
            with self._lock:
                if self._seq != self._taken:
                    self.dropped += 1
                self._frame = frame
                self._seq += 1
                self._lock.notify_all()
            if period:
                next_at += period
                self._stop.wait(max(0.0, next_at - time.monotonic()))


class VideoFileSource:
    """Every frame of a video file in order, in the caller's thread; for demos, tests and `kiosk decode`."""

    def __init__(self, path: str | Path):
        import cv2

        self.name = f"video {Path(path).name}"
        self._capture = cv2.VideoCapture(str(path))
        self.opened = self._capture.isOpened()
        self._done = not self.opened

    @property
    def finished(self) -> bool:
        return self._done

    @property
    def frame_size(self) -> tuple[int, int]:
        """(width, height) the container declares, before a frame is decoded."""
        import cv2

        return (int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT)))

    def next_frame(self, timeout: float = 0.0) -> np.ndarray | None:
        if self._done:
            return None
        ok, frame = self._capture.read()
        if not ok:
            self._done = True
            return None
        return frame

    def close(self) -> None:
        self._capture.release()
        self._done = True


class ImageFolderSource:
    """The images of a folder in name order, once (or round and round with `loop`)."""

    def __init__(self, folder: str | Path, loop: bool = False):
        self.name = f"folder {Path(folder).name}"
        self._paths = sorted(p for p in Path(folder).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        self._loop = loop
        self._iter = self._walk()
        self._done = not self._paths

    def _walk(self) -> Iterator[Path]:
        while True:
            yield from self._paths
            if not self._loop:
                return

    @property
    def finished(self) -> bool:
        return self._done

    def next_frame(self, timeout: float = 0.0) -> np.ndarray | None:
        for path in self._iter:
            frame = read_image(path)
            if frame is not None:
                return frame
            log.warning("skipping unreadable image %s", path.name)
        self._done = True
        return None

    def close(self) -> None:
        self._done = True


def read_image(path: str | Path) -> np.ndarray | None:
    """A grayscale image, or None when the file is not an image OpenCV can read."""
    import cv2

    # imdecode from bytes, not imread: imread takes no non-ASCII paths on some builds
    # and prints warnings instead of failing.
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    return cv2.imdecode(data, cv2.IMREAD_GRAYSCALE)
