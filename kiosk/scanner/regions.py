"""Where in a frame a code probably is, and an upright crop of it.

Decoders scan lines across the whole frame: a linear code turned 45 degrees,
or one small in a big photo, slips between those lines. This finds patches
with many closely spaced, parallel edges (the bars of Code 128, EAN/UPC and
PDF417) and dense edges in every direction (QR), from the structure tensor of
a downscaled frame, and cuts each out turned so its bars stand vertical. It
costs about 2 ms on a 720p frame, so it can run on every frame that the fast
whole-frame pass could not read.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# The analysis runs on a copy whose long side is this many pixels: bars of a
# webcam's 720p frame are still 1-3 px wide there, and it keeps the cost flat
# for a 12-megapixel photo.
WORK_SIDE = 700
CELL = 4  # work pixels per cell of the tensor map; a few bars wide
MIN_STD = 8.0  # gray levels; flatter patches hold no readable code
DENSITY = 3.0
COHERENCE = 0.6
MAX_CROP_PIXELS = 320_000
MIN_CELLS = 12  # a code covering fewer cells is too small to read


@dataclass(frozen=True)
class Region:
    centre: tuple[float, float]  # full-frame pixels
    angle: float  # radians; direction across the bars (the gradient)
    length: float  # extent across the bars, full-frame pixels
    height: float  # extent along the bars
    linear: bool  # parallel edges: a linear code or PDF417
    score: float


def find_regions(gray: np.ndarray, limit: int = 4) -> list[Region]:
    import cv2

    # Whole-number factors throughout: OpenCV's area resize has a fast path for them.
    factor = max(1, math.ceil(max(gray.shape) / WORK_SIDE))
    small = gray if factor == 1 else cv2.resize(gray, None, fx=1 / factor, fy=1 / factor,
                                                interpolation=cv2.INTER_AREA)
    small = small.astype(np.float32)
    gx = cv2.Sobel(small, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(small, cv2.CV_32F, 0, 1, ksize=3)
    # The tensor is pooled into CELL x CELL cells, then smoothed over 3x3 cells:
    # the same window as a box filter on the work image at a tenth of the cost.
    rows, cols = small.shape[0] // CELL, small.shape[1] // CELL
    if rows < 3 or cols < 3:
        return []

    def pool(image: np.ndarray) -> np.ndarray:
        image = image[:rows * CELL, :cols * CELL]
        return cv2.blur(cv2.resize(image, (cols, rows), interpolation=cv2.INTER_AREA), (3, 3))

    jxx, jyy, jxy = pool(cv2.multiply(gx, gx)), pool(cv2.multiply(gy, gy)), pool(cv2.multiply(gx, gy))
    mean = pool(small)
    var = pool(cv2.multiply(small, small)) - cv2.multiply(mean, mean)
    energy = cv2.add(jxx, jyy)
    # Edges per unit of contrast: a bar pattern scores several times a single
    # box edge, whatever the light. Sensor noise scores as high, but its edges
    # point every way; bars keep one direction (coherence near 1), and so do
    # the rows of a PDF417. QR codes are left to the whole-frame passes, which
    # find them at any angle.
    diff = cv2.subtract(jxx, jyy)
    spread = cv2.sqrt(cv2.add(cv2.multiply(diff, diff), cv2.multiply(jxy, jxy, scale=4.0)))
    busy = (energy > DENSITY * var) & (var > MIN_STD ** 2) & (spread > COHERENCE * energy)
    mask = cv2.morphologyEx(busy.view(np.uint8), cv2.MORPH_CLOSE, np.ones((3, 3), np.uint8))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8, ltype=cv2.CV_32S)
    big = [i for i in range(1, count) if stats[i, cv2.CC_STAT_AREA] >= MIN_CELLS]
    to_frame = CELL * factor
    regions = [r for r in (_region(i, labels, stats, jxx, jyy, jxy, to_frame) for i in big) if r is not None]
    regions.sort(key=lambda r: r.score, reverse=True)
    return regions[:limit]


def _region(label: int, labels, stats, jxx, jyy, jxy, scale: float) -> Region | None:
    import cv2

    left, top = stats[label, cv2.CC_STAT_LEFT], stats[label, cv2.CC_STAT_TOP]
    width, height = stats[label, cv2.CC_STAT_WIDTH], stats[label, cv2.CC_STAT_HEIGHT]
    ys, xs = np.nonzero(labels[top:top + height, left:left + width] == label)
    xs, ys = xs + left, ys + top
    # The tensor summed over the patch: parallel bars keep one direction, a QR
    # code or text has edges every way and the sum cancels out.
    a, b, c = (float(j[ys, xs].mean()) for j in (jxx, jyy, jxy))
    coherence = math.sqrt((a - b) ** 2 + 4 * c * c) / (a + b + 1e-6)
    linear = coherence > 0.5
    angle = 0.5 * math.atan2(2 * c, a - b) if linear else 0.0
    u = (math.cos(angle), math.sin(angle))
    along = xs * u[0] + ys * u[1]
    across = -xs * u[1] + ys * u[0]
    length, extent = float(along.max() - along.min()) + 1, float(across.max() - across.min()) + 1
    if min(length, extent) < 2:
        return None  # a line or a strip of text, not a code
    mid_along, mid_across = (along.max() + along.min()) / 2, (across.max() + across.min()) / 2
    cx = mid_along * u[0] - mid_across * u[1]
    cy = mid_along * u[1] + mid_across * u[0]
    solidity = len(xs) / (length * extent)
    # Cell (i, j) covers frame pixels from i*scale to (i+1)*scale: centres are at +0.5.
    return Region(((cx + 0.5) * scale, (cy + 0.5) * scale), angle, length * scale, extent * scale, linear,
                  len(xs) * solidity * (0.5 + coherence))


def crop(gray: np.ndarray, region: Region, margin: float = 0.25, out_length: tuple[int, int] = (480, 1000),
         max_pixels: int | None = MAX_CROP_PIXELS) -> tuple[np.ndarray, np.ndarray]:
    """The region, turned so its bars stand vertical, with room for the quiet zone.

    Returns the crop and the 2x3 matrix that maps crop pixels back to the frame.
    """
    import cv2

    length = region.length * (1 + 2 * margin)
    height = region.height * (1 + 2 * margin) if region.linear else length
    if not region.linear:
        length = height = max(region.length, region.height) * (1 + 2 * margin)
    zoom = min(max(out_length[0] / length, 0.5), 2.0, out_length[1] / length)
    if max_pixels:
        # Warping costs by the output pixel: a live frame caps it, a still photo need not.
        zoom = min(zoom, math.sqrt(max_pixels / (length * height)))
    width_px, height_px = max(1, int(length * zoom)), max(1, int(height * zoom))
    cos, sin = math.cos(region.angle), math.sin(region.angle)
    cx, cy = region.centre
    # crop pixel (x, y) -> frame: centre + (x - W/2)/zoom * u + (y - H/2)/zoom * v
    back = np.array([
        [cos / zoom, -sin / zoom, cx - (width_px / 2 * cos - height_px / 2 * sin) / zoom],
        [sin / zoom, cos / zoom, cy - (width_px / 2 * sin + height_px / 2 * cos) / zoom],
    ], np.float64)
    patch = cv2.warpAffine(gray, back, (width_px, height_px), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
    return patch, back
