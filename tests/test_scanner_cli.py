"""`kiosk decode`, run as store IT would run it."""

from __future__ import annotations

import json
import subprocess
import sys
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
