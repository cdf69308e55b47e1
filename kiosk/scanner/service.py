"""The scanner put together from the settings, publishing on the event hub.

The UI calls these once at start-up and subscribes to `Scanned` and
`ScannerStatus`; nothing here touches Qt.
"""

from __future__ import annotations

from kiosk.config import ScannerSettings
from kiosk.events import EventHub
from kiosk.scanner.acceptor import Acceptor
from kiosk.scanner.payload import PayloadFormats
from kiosk.scanner.events import ScannerStatus
from kiosk.scanner.pipeline import ScanPipeline
from kiosk.scanner.reader import FrameReader
from kiosk.scanner.serial_source import SerialScanner, SerialUnavailable, open_serial
from kiosk.scanner.sources import CameraSource
from kiosk.scanner.wedge import WedgeDetector


def camera_pipeline(scanner: ScannerSettings, hub: EventHub, on_frame=None) -> ScanPipeline | None:
    """A started camera pipeline, or None when no camera is configured. `on_frame(frame,
    symbols)` is called on the camera thread for each decoded frame (a preview)."""
    if not scanner.camera.strip():
        return None
    reader = FrameReader(scanner.symbologies, scanner.decoder)
    if reader.notice:
        hub.publish(ScannerStatus("decoder", "degraded", reader.notice))
    camera = CameraSource(scanner.camera)
    camera.on_state(lambda state, detail: hub.publish(ScannerStatus(camera.name, state, detail)))
    pipeline = ScanPipeline(camera, hub.publish, reader=reader,
                            acceptor=Acceptor(scanner.agree_frames, scanner.debounce_s, agree_2d=scanner.agree_frames_2d),
                            formats=PayloadFormats.from_settings(scanner),
                            budget_s=scanner.frame_budget_ms / 1000, max_fps=scanner.max_fps,
                            idle_fps=scanner.idle_fps, rest_s=scanner.rest_after_scan_ms / 1000, on_frame=on_frame)
    camera.start()
    return pipeline.start()


def wedge_detector(scanner: ScannerSettings) -> WedgeDetector:
    return WedgeDetector(scanner.wedge_max_gap_ms / 1000, scanner.wedge_min_length, scanner.max_length,
                         suffix=scanner.wedge_suffix, prefix=scanner.wedge_prefix)


def serial_scanner(scanner: ScannerSettings, hub: EventHub) -> SerialScanner | None:
    """A started serial scanner, None when none is configured; a problem is a status event, not a crash."""
    if not scanner.serial_port:
        return None
    try:
        port = open_serial(scanner.serial_port, scanner.serial_baudrate)
    except SerialUnavailable as exc:
        hub.publish(ScannerStatus("serial", "unavailable", str(exc)))
        return None
    return SerialScanner(port, hub.publish, PayloadFormats.from_settings(scanner), scanner.max_length).start()
