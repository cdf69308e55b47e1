"""The screens' colours and type sizes, named once so the cashier window and the kiosk read
as one product. The pairs below were chosen for contrast: white on the dark red and black on
the amber are both well above WCAG's 4.5:1 for text."""

from __future__ import annotations

OFFLINE_BG, OFFLINE_FG = "#b3261e", "#ffffff"  # the offline banner and status
SLOW_BG, SLOW_FG = "#f9a825", "#000000"  # a slow connection
NOTICE_BG, NOTICE_BORDER = "#fff4d6", "#e0c060"  # the notice strip
QUESTION_BG, QUESTION_BORDER = "#fffbe6", "#8a6d00"  # a yes-or-no question over the screen
DEMO_BG = "#efe6ff"  # the demo and training strip
ERROR = "#b00020"  # a refusal inside a dialog
WARNING = "#a00000"  # an inactive member
ACCENT = "#0b3d91"  # points, quantities: what the cashier's eye should find
DONE = "#0b5d1e"  # nothing left to pay
PREVIEW_BG, PREVIEW_TEXT, PREVIEW_FOUND = "#20242a", "#e8eaed", "#3ddc84"  # the camera's picture

# Type sizes in px (the cashier screen at 100 %; Qt scales them with the screen).
BODY_PX = 15
TITLE_PX = 20
TOTAL_PX = 28

# The self-service kiosk: a screen read standing, at arm's length, by someone never trained.
KIOSK_BG, KIOSK_FG = "#f4f6f8", "#14202b"  # dark on light: ADA 707.7.2 asks for one or the other
KIOSK_PRIMARY_BG, KIOSK_PRIMARY_FG = "#0b3d91", "#ffffff"  # the main actions (Join, Yes)
KIOSK_SECONDARY_BG = "#ffffff"
# Offline at the kiosk is no emergency for the shopper: a calm blue, not the till's red.
KIOSK_CALM_BG, KIOSK_CALM_FG = "#dde8f6", "#0b2a55"
KIOSK_RING = "#0b3d91"  # the staff corner's progress ring
TARGET_PX = 64  # primary touch targets (about 15 mm on a 22" 1080p panel); WCAG 2.5.5 asks 44
GAP_PX = 8  # between targets
CAP_HEIGHT_MM = 4.8  # ADA 707.7.2: the uppercase I at least this tall
CAP_HEIGHT_EM = 0.7  # a sans-serif's cap height, as a share of its pixel size (DejaVu Sans 0.73, Arial 0.72)


def kiosk_body_px(dots_per_inch: float) -> int:
    """The body text's pixel size for a cap height of CAP_HEIGHT_MM on a screen of this
    physical DPI (26 px at 96 dpi), never under 24."""
    return max(24, round(CAP_HEIGHT_MM / CAP_HEIGHT_EM / 25.4 * dots_per_inch + 0.49))
