"""Decoding image and video files: what `kiosk decode` runs for store IT.

The default pipeline without frame agreement. A still image gets every stage
(no time budget: a photo has no next frame). A video's frames get the live
camera's budget, so a recording tells IT what the camera would have read.

A file is a stranger's: before anything is decoded, an image's size on disk and
the dimensions its header declares are checked against the limits, so a
20-byte header that promises 65535 x 65535 pixels, or a 2 GB file named .png,
costs a stat and a header read, not gigabytes. Every problem is an error line
for that file; the next file is read all the same.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import warnings
from dataclasses import dataclass
from pathlib import Path

from kiosk.scanner.decoders import MAX_SIDE, Symbol
from kiosk.scanner.reader import FrameReader
from kiosk.scanner.sources import IMAGE_SUFFIXES, VIDEO_SUFFIXES, VideoFileSource, read_image
from kiosk.sizes import readable_size

log = logging.getLogger(__name__)

LIVE_BUDGET_S = 0.012


@dataclass(frozen=True)
class Limits:
    """The decode.* settings: what a file may cost before it is refused."""

    max_megapixels: float = 40.0
    max_file_mb: float = 200.0


class Refused(Exception):
    """The file is not decoded; the message is the sentence for its line."""


def decode_file(path: str, reader: FrameReader, limits: Limits = Limits(),
                video_budget_s: float = LIVE_BUDGET_S) -> dict:
    """{"file", "symbols": [{"symbology", "text"}], "error"} for one file, as given."""
    result: dict = {"file": path, "symbols": [], "error": None}
    try:
        symbols = _decode(Path(path), reader, limits, video_budget_s)
    except Refused as exc:
        result["error"] = str(exc)
        return result
    except OSError as exc:
        result["error"] = f"The file cannot be read: {exc.strerror or exc}."
        return result
    except Exception as exc:  # one file a decoder chokes on must not end the run for the others
        log.warning("decoding %s failed", path, exc_info=True)  # a decoder bug: worth a report
        result["error"] = f"The file could not be decoded ({type(exc).__name__})."
        return result
    result["symbols"] = [{"symbology": s.symbology, "text": s.text} for s in symbols]
    return result


def _decode(path: Path, reader: FrameReader, limits: Limits, video_budget_s: float) -> list[Symbol]:
    info = _stat(path)
    suffix = path.suffix.lower()
    if suffix not in VIDEO_SUFFIXES:
        # Images are decoded from memory whole; a video is streamed a frame at a time.
        if info.st_size > limits.max_file_mb * 1_000_000:
            raise Refused(f"The file is {readable_size(info.st_size)}, over the limit of "
                          f"{limits.max_file_mb:g} MB for an image (setting decode.max_file_mb).")
        with open(path, "rb"):
            pass  # a permission problem is an OSError here, not "not an image"
        size = image_size(path)
        if size is not None:
            _check_size(size, limits, "image")
            image = read_image(path)
            if image is None:
                raise Refused("The image is damaged or cut short and cannot be decoded.")
            return reader.read(image)
        if suffix in IMAGE_SUFFIXES:
            raise Refused("The file is not an image or a video that can be read.")
    return _decode_video(path, reader, limits, video_budget_s)


def _stat(path: Path) -> os.stat_result:
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise Refused("No such file.") from None
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Refused("The path is a loop of symbolic links; it leads to no file.") from None
        raise
    if not stat.S_ISREG(info.st_mode):
        raise Refused("That is not a file.")
    return info


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the image's header, or None when it is no image Pillow knows.

    Pillow reads only the header here (it decodes on first use of the pixels);
    it knows every format in IMAGE_SUFFIXES, GIF too.
    """
    from PIL import Image

    with warnings.catch_warnings():
        # Pillow's own bomb warning would print to stderr; the limit below decides instead.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        try:
            with Image.open(path) as image:
                return image.size
        except Image.DecompressionBombError:
            # Pillow's own ceiling (twice its 89-megapixel default), above any limit the settings allow.
            raise Refused(f"The image's header declares more than {2 * Image.MAX_IMAGE_PIXELS / 1e6:,.0f} "
                          "megapixels, over the limit (setting decode.max_megapixels).") from None
        except OSError as exc:
            if isinstance(exc, Image.UnidentifiedImageError):
                return None
            raise
        except (ValueError, SyntaxError, EOFError, IndexError, KeyError):
            return None  # a header Pillow's parser rejects is not an image it can read


def _check_size(size: tuple[int, int], limits: Limits, what: str) -> None:
    width, height = size
    megapixels = width * height / 1_000_000
    if width > MAX_SIDE or height > MAX_SIDE:
        raise Refused(f"The {what} is {width} x {height} pixels; the decoder takes at most {MAX_SIDE} "
                      "pixels a side.")
    if megapixels > limits.max_megapixels:
        raise Refused(f"The {what} is {width} x {height} pixels ({megapixels:,.0f} megapixels), over the "
                      f"limit of {limits.max_megapixels:g} megapixels (setting decode.max_megapixels).")


def _decode_video(path: Path, reader: FrameReader, limits: Limits, budget_s: float) -> list[Symbol]:
    source = VideoFileSource(path)
    if not source.opened:
        raise Refused("The file is not an image or a video that can be read.")
    seen: dict[tuple[str, str], Symbol] = {}
    frames = 0
    try:
        _check_size(source.frame_size, limits, "video's frame")
        while (frame := source.next_frame()) is not None:
            frames += 1
            for symbol in reader.read(frame, budget_s):
                seen.setdefault(symbol.key, symbol)
    finally:
        source.close()
    if not frames:
        raise Refused("The file is not an image or a video that can be read.")
    return list(seen.values())
