"""Decoding image and video files: what `kiosk decode` runs for store IT.

The default pipeline without frame agreement. A still image gets every stage
(no time budget: a photo has no next frame). A video's frames get the live
camera's budget, so a recording tells IT what the camera would have read.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.scanner.decoders import Symbol
from kiosk.scanner.reader import FrameReader
from kiosk.scanner.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES, VideoFileSource, read_image

LIVE_BUDGET_S = 0.012


def decode_file(path: str, reader: FrameReader, video_budget_s: float = LIVE_BUDGET_S) -> dict:
    """{"file", "symbols": [{"symbology", "text"}], "error"} for one file, as given."""
    result: dict = {"file": path, "symbols": [], "error": None}
    target = Path(path)
    if not target.is_file():
        result["error"] = "No such file." if not target.exists() else "That is not a file."
        return result
    try:
        symbols = _decode(target, reader, video_budget_s)
    except OSError as exc:
        result["error"] = f"The file cannot be read: {exc.strerror or exc}."
        return result
    if symbols is None:
        result["error"] = "The file is not an image or a video that can be read."
        return result
    result["symbols"] = [{"symbology": s.symbology, "text": s.text} for s in symbols]
    return result


def _decode(path: Path, reader: FrameReader, video_budget_s: float) -> list[Symbol] | None:
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        with open(path, "rb"):
            pass  # a permission problem is an OSError here, not "not an image"
        image = read_image(path)
        if image is not None:
            return reader.read(image)
        if suffix in IMAGE_SUFFIXES:
            return None
    return _decode_video(path, reader, video_budget_s)


def _decode_video(path: Path, reader: FrameReader, budget_s: float) -> list[Symbol] | None:
    source = VideoFileSource(path)
    if not source.opened:
        return None
    seen: dict[tuple[str, str], Symbol] = {}
    frames = 0
    try:
        while (frame := source.next_frame()) is not None:
            frames += 1
            for symbol in reader.read(frame, budget_s):
                seen.setdefault(symbol.key, symbol)
    finally:
        source.close()
    return list(seen.values()) if frames else None
