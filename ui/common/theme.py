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
