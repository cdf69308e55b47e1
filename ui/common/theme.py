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

# The self-service kiosk: shoppers with no training, at arm's length, on a touch screen.
# 44 px is the usual touch minimum; on a 22" 1080p panel that is about 11 mm, so the kiosk's
# primary targets are 64 px (about 15 mm) with 8 px between them.
KIOSK_TARGET_PX = 64
KIOSK_GAP_PX = 8
KIOSK_KEY_PX = 64  # a key of the on-screen keyboard and keypad, high and wide
KIOSK_BODY_PX = 24  # the least; ui/selfservice/kit.py body_px() raises it for ADA 707.7.2's 4.8 mm
CAP_HEIGHT_MM = 4.8  # ADA 707.7.2: the uppercase "I" at least 3/16 in high
KIOSK_TITLE_PX = 40
KIOSK_FIGURE_PX = 56  # the points, the balance: the one number the shopper came for
KIOSK_AVAILABLE, KIOSK_UNAVAILABLE = "#0b5d1e", "#5f6368"  # a reward's state, always said in words too
# A reward QR: at least this many pixels a module and this wide in all, so a till's scanner
# reads it off the screen (or a phone's photo of it) from a hand's length.
QR_MODULE_PX = 8
QR_MIN_PX = 320
KIOSK_BG, KIOSK_FG = "#f4f6f8", "#14202b"  # dark on light: ADA 707.7.2 asks for one or the other
KIOSK_PRIMARY_BG, KIOSK_PRIMARY_FG = "#0b3d91", "#ffffff"  # the main actions (Join, Yes)
KIOSK_SECONDARY_BG = "#ffffff"
# Offline at the kiosk is no emergency for the shopper: a calm blue, not the till's red.
KIOSK_CALM_BG, KIOSK_CALM_FG = "#dde8f6", "#0b2a55"
KIOSK_RING = "#0b3d91"  # the staff corner's progress ring
