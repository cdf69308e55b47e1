"""What the app checks at start-up, each as a sentence a person can act on.

A missing native library found in the middle of a shift crashes a session; found
at start-up it is a message. Nothing here loads the heavy libraries themselves
(OpenCV is imported by the camera worker), it only looks that they are there.
"""

from __future__ import annotations

import ctypes.util
import importlib.util
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

from kiosk import config
from kiosk.loyalty import errors
from kiosk.outbox.store import Database, StorageError

OK, WARN, FAIL = "ok", "warning", "failed"
# Tokens live token_lifetime_s (300 s by default); past half of that, requests start failing.
SKEW_WARN_S = 60.0


@dataclass(frozen=True)
class Check:
    name: str
    state: str  # ok | warning | failed
    message: str


def native(settings: config.Settings) -> list[Check]:
    found = []
    wants_camera = bool(settings.scanner.camera.strip())
    if importlib.util.find_spec("zxingcpp") is None:
        found.append(Check("zxing-cpp", WARN, "The zxing-cpp decoder is missing: the camera reads fewer codes. "
                                              "Reinstall Kiosk."))
    if ctypes.util.find_library("zbar") is None:
        found.append(Check("zbar", WARN, "The zbar library is missing (Debian package libzbar0): the camera "
                                         "has no second decoder. Ask IT to install it."))
    if wants_camera and importlib.util.find_spec("cv2") is None:
        found.append(Check("camera", FAIL, "OpenCV is missing, so the camera can't be used; the hand scanner "
                                           "still works. Reinstall Kiosk."))
    if not found:
        found.append(Check("scanner", OK, "Decoders are installed."))
    return found


def database(db: Database) -> Check:
    try:
        result = db.read("PRAGMA quick_check")[0][0]
    except StorageError as exc:
        return Check("database", FAIL, str(exc))
    if result != "ok":
        return Check("database", FAIL, f"The terminal's database {db.path} is damaged ({result}). Nothing has "
                                       "been deleted: call IT before selling.")
    return Check("database", OK, "The terminal's database is healthy.")


async def backend(client, settings: config.Settings) -> list[Check]:
    """Reachability and clock skew, from one signed read."""
    try:
        await client.probe(settings.loyalty.guest_user_id)
    except errors.NotAuthorized:
        return [Check("backend", FAIL, "The loyalty service refused this terminal's credentials. Sales are kept "
                                       "and sent once IT fixes the API secret.")]
    except errors.BackendUnavailable:
        return [Check("backend", WARN, "The loyalty service can't be reached. You can sell; rewards and gift "
                                       "cards wait until it is back.")]
    checks = [Check("backend", OK, "The loyalty service answers.")]
    skew = clock_skew(getattr(client, "last_server_date", None))
    if skew is not None and abs(skew) > SKEW_WARN_S:
        direction = "behind" if skew > 0 else "ahead of"
        checks.append(Check("clock", WARN, f"This terminal's clock is {abs(skew):.0f} s {direction} the loyalty "
                                           "service's: its requests may be refused. Ask IT to fix the time."))
    return checks


def clock_skew(seen: tuple[float, str | None] | None) -> float | None:
    """Seconds the server's clock is ahead of ours, from (our time then, its Date header)."""
    if not seen or not seen[1]:
        return None
    try:
        theirs = parsedate_to_datetime(seen[1]).timestamp()
    except (TypeError, ValueError):
        return None
    # Date has whole seconds: up to a second of skew is only rounding.
    return theirs - seen[0] if abs(theirs - seen[0]) > 1 else 0.0

