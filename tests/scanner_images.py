"""Seeded camera-like frames with one code in view, for scanner tests and the benchmark.

The same seed rebuilds the same frames (numpy's PCG64 and OpenCV's warps are
deterministic), so a read-rate change in the benchmark is the code's doing.
Codes are drawn by the same generators as the printable demo cards, and put
on a cluttered 1280x720 scene at sizes a checkout webcam sees, then one
distortion is applied on top of light sensor noise.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib.resources import files

import cv2
import numpy as np
import zxingcpp

from kiosk.sandbox import cards

WIDTH, HEIGHT = 1280, 720
SYMBOLOGIES = ("QRCode", "Code128", "EAN13", "UPCA", "PDF417")
DISTORTIONS = ("plain", "rotation", "perspective", "blur", "noise", "low_contrast", "glare")
# Width of the code on screen, in pixels of a 720p frame, per symbology:
# a card held 20-40 cm from a wide-angle webcam.
_WIDTH_PX = {"QRCode": (150, 300), "Code128": (330, 520), "EAN13": (260, 420), "UPCA": (260, 420),
             "PDF417": (360, 560)}


@dataclass(frozen=True)
class Sample:
    symbology: str
    text: str
    distortion: str
    frame: np.ndarray  # 720x1280 uint8 grayscale


def _demo(name: str) -> list[dict]:
    return json.loads(files("kiosk_resources").joinpath("demo", name).read_text("utf-8"))


def payloads() -> dict[str, list[str]]:
    """What each symbology carries at a real till, from the demo data."""
    members = [m["id"] for m in _demo("members.json")]
    codes = _demo("codes.json")
    coupons = [c["incentiveCode"] for c in codes if c["kind"] == "coupon"]
    cards_ = [c["incentiveCode"] for c in codes if c["kind"] != "coupon"]
    products = [p["barcode"] for p in _demo("products.json")]
    return {
        "QRCode": members + coupons + [f"https://loyalty.example.com/m/{m}" for m in members[:3]],
        "Code128": members + cards_ + ["R:T01-01JD8X3Q7Z5K2M9N4P6R8S0T1V"],
        "EAN13": [p for p in products if len(p) == 13],
        "UPCA": [p for p in products if len(p) == 12],
        "PDF417": cards_,
    }


def _pil_gray(image) -> np.ndarray:
    return np.asarray(image.convert("L"), dtype=np.uint8)


def render(symbology: str, text: str) -> np.ndarray:
    """The printed code, black on white, with its quiet zone."""
    if symbology == "QRCode":
        return _pil_gray(cards.render_qr(text))
    if symbology == "Code128":
        return _pil_gray(cards.render_code128(text))
    if symbology == "PDF417":
        return _pil_gray(cards.render_pdf417(text))
    # zxing-cpp computes the check digit from the first 12 (11) digits, as a printer does.
    digits = text[:12] if symbology == "EAN13" else text[:11]
    fmt = zxingcpp.BarcodeFormat.EAN13 if symbology == "EAN13" else zxingcpp.BarcodeFormat.UPCA
    symbol = zxingcpp.create_barcode(digits, fmt)
    return _pil_gray(cards.draw(symbol, 12, cards.MODULE_PX, hrt=True))


def background(rng: np.random.Generator) -> np.ndarray:
    """A counter-top scene: lighting gradient, boxes, lines and print-like text."""
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    ramp = (np.cos(angle) * x / WIDTH + np.sin(angle) * y / HEIGHT)
    scene = rng.uniform(70, 150) + rng.uniform(-50, 50) * ramp
    # OpenCV 5 draws text on 8-bit images only.
    scene = np.clip(scene, 0, 255).astype(np.uint8)
    for _ in range(int(rng.integers(6, 14))):
        x0, y0 = int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT))
        x1, y1 = x0 + int(rng.integers(40, 400)), y0 + int(rng.integers(40, 300))
        cv2.rectangle(scene, (x0, y0), (x1, y1), int(rng.integers(20, 230)), -1)
    for _ in range(int(rng.integers(4, 10))):
        p0 = (int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT)))
        p1 = (int(rng.integers(0, WIDTH)), int(rng.integers(0, HEIGHT)))
        cv2.line(scene, p0, p1, int(rng.integers(0, 255)), int(rng.integers(1, 6)))
    for _ in range(int(rng.integers(2, 6))):
        words = "".join(chr(int(c)) for c in rng.integers(65, 91, size=int(rng.integers(4, 14))))
        origin = (int(rng.integers(0, WIDTH - 200)), int(rng.integers(20, HEIGHT)))
        cv2.putText(scene, words, origin, cv2.FONT_HERSHEY_SIMPLEX, float(rng.uniform(0.5, 1.6)),
                    int(rng.integers(0, 255)), int(rng.integers(1, 3)))
    return cv2.GaussianBlur(scene.astype(np.float32), (0, 0), 1.2)


def _place(code: np.ndarray, scene: np.ndarray, rng: np.random.Generator, symbology: str,
           angle: float, tilt: float) -> np.ndarray:
    """Warp the code onto the scene: scale, rotation and a perspective tilt."""
    target_w = rng.uniform(*_WIDTH_PX[symbology])
    scale = target_w / code.shape[1]
    h, w = code.shape[0] * scale, code.shape[1] * scale
    corners = np.array([[-w / 2, -h / 2], [w / 2, -h / 2], [w / 2, h / 2], [-w / 2, h / 2]], np.float32)
    if tilt:
        # Shrink one side: the card is turned away from the camera about an axis.
        side = int(rng.integers(0, 4))
        a, b = side, (side + 1) % 4
        centre = corners.mean(axis=0)
        for i in (a, b):
            corners[i] = centre + (corners[i] - centre) * (1 - tilt)
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]], np.float32)
    corners = corners @ rot.T
    span = corners.max(axis=0) - corners.min(axis=0)
    margin_x, margin_y = max(0.0, (WIDTH - span[0]) / 2 - 10), max(0.0, (HEIGHT - span[1]) / 2 - 10)
    centre = np.array([WIDTH / 2 + rng.uniform(-margin_x, margin_x), HEIGHT / 2 + rng.uniform(-margin_y, margin_y)])
    corners = (corners + centre).astype(np.float32)
    src = np.array([[0, 0], [code.shape[1], 0], [code.shape[1], code.shape[0]], [0, code.shape[0]]], np.float32)
    matrix = cv2.getPerspectiveTransform(src, corners)
    ink = 1.0 - code.astype(np.float32) / 255.0
    warped_ink = cv2.warpPerspective(ink, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_AREA)
    paper = cv2.warpPerspective(np.ones_like(ink), matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
    white, black = rng.uniform(200, 245), rng.uniform(10, 45)
    card = white - (white - black) * warped_ink
    return scene * (1 - paper) + card * paper


def _distort(frame: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    if kind == "blur":
        frame = cv2.GaussianBlur(frame, (0, 0), rng.uniform(1.2, 2.2))
    elif kind == "noise":
        frame = frame + rng.normal(0, rng.uniform(12, 24), frame.shape).astype(np.float32)
    elif kind == "low_contrast":
        mid = rng.uniform(90, 160)
        frame = mid + (frame - frame.mean()) * rng.uniform(0.18, 0.3)
    elif kind == "glare":
        y, x = np.mgrid[0:HEIGHT, 0:WIDTH].astype(np.float32)
        cx, cy = rng.uniform(0.3, 0.7) * WIDTH, rng.uniform(0.3, 0.7) * HEIGHT
        radius = rng.uniform(60, 160)
        blob = np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * radius ** 2))
        frame = frame + blob * rng.uniform(120, 200)
    return frame


def _finish(frame: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    frame = frame + rng.normal(0, 2.5, frame.shape).astype(np.float32)  # sensor noise on every frame
    return np.clip(frame, 0, 255).astype(np.uint8)


def make_sample(symbology: str, text: str, distortion: str, rng: np.random.Generator) -> Sample:
    angle = np.deg2rad(rng.uniform(-8, 8))
    tilt = 0.0
    if distortion == "rotation":
        angle = np.deg2rad(rng.uniform(15, 345))
    elif distortion == "perspective":
        tilt = rng.uniform(0.15, 0.35)
    frame = _place(render(symbology, text), background(rng), rng, symbology, angle, tilt)
    return Sample(symbology, text, distortion, _finish(_distort(frame, distortion, rng), rng))


def make_set(seed: int = 20251122, per_cell: int = 2, symbologies=SYMBOLOGIES,
             distortions=DISTORTIONS) -> list[Sample]:
    """per_cell frames for every (symbology, distortion), payloads taken in turn."""
    rng = np.random.default_rng(seed)
    texts = payloads()
    samples = []
    for symbology in symbologies:
        for d_index, distortion in enumerate(distortions):
            for i in range(per_cell):
                options = texts[symbology]
                text = options[(d_index * per_cell + i) % len(options)]
                samples.append(make_sample(symbology, text, distortion, rng))
    return samples


def empty_frames(seed: int = 7, count: int = 20) -> list[np.ndarray]:
    """Scenes with no code in view (clutter, text, lines): what the camera sees between customers."""
    rng = np.random.default_rng(seed)
    return [_finish(background(rng), rng) for _ in range(count)]
