"""`kiosk decode`, run as store IT would run it."""

from __future__ import annotations

import io
import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import cv2
import numpy as np

from tests import scanner_images

KIOSK = str(Path(sys.executable).with_name("kiosk"))


def _run(*args, cwd=None):
    return subprocess.run([KIOSK, "decode", *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_one_json_line_per_file_in_the_documented_shape(tmp_path):
    rng = np.random.default_rng(8)
    cv2.imwrite(str(tmp_path / "card.png"), scanner_images.make_sample("PDF417", "GC-1000-0001", "plain", rng).frame)
    cv2.imwrite(str(tmp_path / "can.jpg"), scanner_images.make_sample("UPCA", "442420000039", "plain", rng).frame)
    cv2.imwrite(str(tmp_path / "counter.png"), scanner_images.empty_frames(seed=3, count=1)[0])
    (tmp_path / "notes.txt").write_text("hello")
    result = _run("card.png", "can.jpg", "counter.png", "notes.txt", "missing.png", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == '{"file": "card.png", "symbols": [{"symbology": "PDF417", "text": "GC-1000-0001"}], ' \
                       '"error": null}'
    assert json.loads(lines[1]) == {"file": "can.jpg", "symbols": [{"symbology": "UPCA", "text": "442420000039"}],
                                    "error": None}
    assert json.loads(lines[2]) == {"file": "counter.png", "symbols": [], "error": None}
    notes, missing = json.loads(lines[3]), json.loads(lines[4])
    assert notes["symbols"] == [] and "not an image or a video" in notes["error"]
    assert missing == {"file": "missing.png", "symbols": [], "error": "No such file."}
    assert len(lines) == 5


def test_a_video_lists_every_distinct_code_once(tmp_path):
    rng = np.random.default_rng(9)
    frames = [scanner_images.make_sample("QRCode", "M100001", "plain", rng).frame,
              scanner_images.make_sample("Code128", "SC-2000-0001", "plain", rng).frame]
    path = tmp_path / "till.mp4"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10,
                             (scanner_images.WIDTH, scanner_images.HEIGHT), False)
    for frame in [frames[0]] * 4 + [frames[1]] * 4 + [frames[0]] * 2:
        writer.write(frame)
    writer.release()
    result = _run(str(path))
    assert result.returncode == 0
    assert json.loads(result.stdout) == {"file": str(path), "symbols": [
        {"symbology": "QRCode", "text": "M100001"}, {"symbology": "Code128", "text": "SC-2000-0001"}], "error": None}


def test_no_files_is_a_usage_error():
    result = _run()
    assert result.returncode == 2 and "usage" in result.stderr


# Hostile files, made the way a stranger would: real headers of each format with the
# dimensions changed to lie, and real images cut short.

def _png(width: int, height: int, body: bytes = b"\0" * 64) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit grayscale
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(body)) + chunk(b"IEND", b"")


def _jpeg(width: int, height: int) -> bytes:
    data = bytearray(_saved("JPEG"))
    sof = data.index(b"\xff\xc0")  # baseline start of frame: length, precision, height, width
    data[sof + 5:sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def _gif(width: int, height: int) -> bytes:
    data = bytearray(_saved("GIF"))
    data[6:10] = struct.pack("<HH", width, height)  # the logical screen
    descriptor = data.index(b"\x2c", 13)  # the image descriptor: left, top, width, height
    data[descriptor + 5:descriptor + 9] = struct.pack("<HH", width, height)
    return bytes(data)


def _tiff(width: int, height: int) -> bytes:
    # Little-endian, one IFD: width, length, 8 bits, no compression, black is zero, one strip.
    tags = [(256, 4, width), (257, 4, height), (258, 3, 8), (259, 3, 1), (262, 3, 1),
            (273, 4, 8 + 2 + 12 * 8 + 4), (278, 4, height), (279, 4, width * height)]
    ifd = struct.pack("<H", len(tags)) + b"".join(struct.pack("<HHII", tag, kind, 1, value)
                                                   for tag, kind, value in tags) + b"\0\0\0\0"
    return b"II*\0" + struct.pack("<I", 8) + ifd + b"\x80" * 256  # far fewer pixels than declared


def _saved(fmt: str, size: tuple[int, int] = (64, 48)) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", size, 200).save(out, fmt)
    return out.getvalue()


def _hostile_files(folder: Path) -> dict[str, bytes]:
    files = {
        # 48 megapixels: over the 40 MP limit, under Pillow's own bomb ceiling.
        "wide48mp.png": _png(8000, 6000), "wide48mp.jpg": _jpeg(8000, 6000),
        "wide48mp.gif": _gif(8000, 6000), "wide48mp.tif": _tiff(8000, 6000),
        # Thousands of megapixels from a few bytes.
        "huge.png": _png(65535, 65535), "huge.jpg": _jpeg(65535, 65535), "huge.gif": _gif(65535, 65535),
        "huge.tif": _tiff(60000, 60000), "bomb.png": _png(30000, 30000),
        # Small in area, too long a side for the decoder.
        "strip.png": _png(100000, 1), "strip.tif": _tiff(1, 100000),
        # Honest dimensions, the body cut short.
        "cut.png": _saved("PNG", (640, 480))[:60], "cut.jpg": _saved("JPEG", (640, 480))[:200],
        "cut.gif": _saved("GIF", (640, 480))[:40], "cut.tif": _tiff(640, 480)[:40],
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    with open(folder / "2gb.png", "wb") as big:  # sparse: no disk is used
        big.truncate(2 * 1024 ** 3)
    (folder / "loop-a").symlink_to("loop-b")
    (folder / "loop-b").symlink_to("loop-a")
    return files


def test_hostile_files_each_get_their_own_error_and_the_next_file_is_read(tmp_path):
    names = [*_hostile_files(tmp_path), "2gb.png", "loop-a"]
    rng = np.random.default_rng(4)
    cv2.imwrite(str(tmp_path / "card.png"), scanner_images.make_sample("QRCode", "M100001", "plain", rng).frame)
    result = _run(*names, "card.png", cwd=tmp_path)
    assert result.returncode == 0 and "Traceback" not in result.stderr, result.stderr
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert [line["file"] for line in lines] == [*names, "card.png"]
    errors = {line["file"]: line["error"] for line in lines[:-1]}
    assert all(errors.values()) and all(not line["symbols"] for line in lines[:-1]), errors
    for fmt in ("png", "jpg", "gif", "tif"):
        assert errors[f"wide48mp.{fmt}"] == ("The image is 8000 x 6000 pixels (48 megapixels), over the limit of "
                                             "40 megapixels (setting decode.max_megapixels)."), fmt
        assert "more than 179 megapixels" in errors[f"huge.{fmt}"], fmt
    assert "65535 pixels a side" in errors["strip.png"] and "65535 pixels a side" in errors["strip.tif"]
    assert errors["2gb.png"] == "The file is 2.15 GB, over the limit of 200 MB for an image (setting decode.max_file_mb)."
    assert "loop of symbolic links" in errors["loop-a"]
    assert lines[-1] == {"file": "card.png", "symbols": [{"symbology": "QRCode", "text": "M100001"}], "error": None}


def test_each_hostile_file_is_refused_in_under_2_s_and_300_mb(tmp_path):
    names = [*_hostile_files(tmp_path), "2gb.png"]
    cv2.imwrite(str(tmp_path / "blank.png"), np.full((480, 640), 255, np.uint8))
    # One process decodes a plain image first (the baseline: libraries loaded, decoder
    # warm), then each hostile file, and reports the time and the peak memory after each.
    script = """
import json, resource, sys, time
from kiosk.scanner.files import decode_file
from kiosk.scanner.reader import FrameReader
reader = FrameReader()
decode_file("blank.png", reader)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
for name in sys.argv[1:]:
    started = time.perf_counter()
    line = decode_file(name, reader)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps([name, time.perf_counter() - started, (peak - base) / 1024, line["error"]]))
"""
    result = subprocess.run([sys.executable, "-c", script, *names], capture_output=True, text=True,
                            timeout=120, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name, seconds, extra_mb, error in map(json.loads, result.stdout.splitlines()):
        assert error, name
        assert seconds < 2 and extra_mb < 300, (name, seconds, extra_mb)


def test_limits_are_settings(tmp_path):
    (tmp_path / "settings.toml").write_text("[decode]\nmax_megapixels = 0.1\n")
    cv2.imwrite(str(tmp_path / "small.png"), np.full((400, 400), 255, np.uint8))  # 0.16 MP, 2 KB
    env = {**os.environ, "KIOSK_SETTINGS": str(tmp_path / "settings.toml")}
    result = subprocess.run([KIOSK, "decode", "small.png"], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path, env=env)
    assert "over the limit of 0.1 megapixels" in json.loads(result.stdout)["error"]
    env.update(KIOSK_DECODE__MAX_MEGAPIXELS="40", KIOSK_DECODE__MAX_FILE_MB="0.001")
    result = subprocess.run([KIOSK, "decode", "small.png"], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path, env=env)
    assert json.loads(result.stdout)["error"].endswith(" kB, over the limit of 0.001 MB for an image "
                                                       "(setting decode.max_file_mb).")


def test_gs_and_rs_separators_come_back_as_encoded(tmp_path):
    import zxingcpp

    # An ISO/IEC 15434 message: header, a format 06 envelope with GS-separated fields, RS, EOT.
    payload = "[)>\x1e06\x1dP12345 6\x1dQ2\x1dS ABC\x1e\x04"
    symbol = zxingcpp.create_barcode(payload, zxingcpp.BarcodeFormat.PDF417)
    image = np.pad(np.asarray(symbol.to_image(scale=3)), 40, constant_values=255)
    cv2.imwrite(str(tmp_path / "label.png"), image)
    result = _run("label.png", cwd=tmp_path)
    assert json.loads(result.stdout)["symbols"] == [{"symbology": "PDF417", "text": payload}]
    assert "\\u001d" in result.stdout and "\\u001e" in result.stdout  # JSON's escapes of the real GS and RS
