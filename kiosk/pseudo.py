"""The pseudo-language en_XA: every sentence accented and about 35 % longer.

Nobody reads it; it shows, on screenshots and in the geometry checks, which text
the screens would cut off or push out of the window once a real translation is
longer than the English, and which words skip the catalogue (they stay plain).
Placeholders ({name}, %1) and keyboard accelerators (&) are left as they are.
"""

from __future__ import annotations

import gettext
import math
import re

_ACCENTED = str.maketrans("aceinousyACEINOUSYdDgGlLrRtTzZ", "áçéîñöûšýÅÇÉÎÑÖÛŠÝđĐğĞłŁřŘţŢžŽ")
_KEEP = re.compile(r"(%n|%\d+|\{[^{}]*\}|&&|&.|<[^>]+>)")
GROWTH = 0.35


def pseudo(text: str) -> str:
    if not text.strip():
        return text
    parts = _KEEP.split(text)
    out = [part if _KEEP.fullmatch(part) else part.translate(_ACCENTED) for part in parts]
    padding = "·" * max(1, math.ceil(len(text) * GROWTH) - 2)  # the brackets count too
    return "[" + "".join(out) + padding + "]"


class PseudoTranslations(gettext.NullTranslations):
    def gettext(self, message: str) -> str:
        return pseudo(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return pseudo(singular if n == 1 else plural)

    def pgettext(self, context: str, message: str) -> str:
        return pseudo(message)
