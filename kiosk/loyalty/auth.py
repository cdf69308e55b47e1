"""Request signing as Annex Cloud publishes it: a Bearer JWT (HS256) per request.

Claims: ``sub`` (site name), ``exp`` (unix seconds), ``site_id`` and ``hmac``,
where ``hmac = base64(HMAC-SHA256(secret, base64(payload)))``. The payload is
the exact body bytes for POST/PATCH and, for GET, the identifier in the path as
a JSON string literal (with its quotes). Callers sign the bytes they send and
never re-serialise. The sandbox checks tokens with its own code
(kiosk/sandbox/signing.py), so a mistake here can't verify itself.

PyJWT does the JWT encoding: a hand-rolled JWT is a
classic source of alg-confusion and padding bugs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import warnings

import jwt
from jwt.warnings import InsecureKeyLengthWarning

ALGORITHM = "HS256"
# PyJWT warns when an HMAC key is shorter than SHA-256's 32 bytes, and says how long
# it is. The secret is issued by the loyalty service, not chosen here, and its length
# is a hint to an attacker: that warning is never shown.
warnings.filterwarnings("ignore", category=InsecureKeyLengthWarning)


def get_payload(identifier: str) -> bytes:
    """What a GET signs: its identifier as a JSON string literal."""
    return json.dumps(identifier, ensure_ascii=False).encode("utf-8")


def payload_hmac(secret: str, payload: bytes) -> str:
    digest = hmac.new(secret.encode("utf-8"), base64.b64encode(payload), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def make_token(*, secret: str, site_id: str, site_name: str, payload: bytes, now: float,
               lifetime: int = 300) -> str:
    claims = {
        "sub": site_name,
        "exp": int(now) + lifetime,
        "site_id": str(site_id),
        "hmac": payload_hmac(secret, payload),
    }
    return jwt.encode(claims, secret, algorithm=ALGORITHM)
