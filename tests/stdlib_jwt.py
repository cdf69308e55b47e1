"""Annex Cloud's request signature made from its published rules with the standard library alone.

The tests' own third reading of the rules: the client (kiosk/loyalty/auth.py) and the
sandbox (kiosk/sandbox/signing.py) are checked against it, never against each other.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def payload_hmac(secret: str, payload: bytes) -> str:
    """base64(HMAC-SHA256(key = secret, message = base64(payload)))."""
    return base64.b64encode(hmac.new(secret.encode(), base64.b64encode(payload), hashlib.sha256).digest()).decode()


def get_payload(identifier: str) -> bytes:
    """A GET signs its identifier as a JSON string: with its double quotes."""
    return ('"' + identifier.replace("\\", "\\\\").replace('"', '\\"') + '"').encode()


def sign(header_and_claims: bytes, secret: str) -> str:
    return b64url(hmac.new(secret.encode(), header_and_claims, hashlib.sha256).digest())


def token(*, secret: str, site_id: str, site_name: str, payload: bytes, exp: int,
          header: dict | None = None) -> str:
    """A JWT (RFC 7519, HS256 per RFC 7518 3.2) with the guide's four claims."""
    head = b64url(json.dumps(header or {"alg": "HS256", "typ": "JWT"}).encode())
    claims = b64url(json.dumps({"sub": site_name, "exp": exp, "site_id": site_id,
                                "hmac": payload_hmac(secret, payload)}).encode())
    return f"{head}.{claims}.{sign(f'{head}.{claims}'.encode(), secret)}"


def read(jwt: str, secret: str) -> tuple[dict, dict]:
    """(header, claims) of a token whose HS256 signature is right; AssertionError otherwise."""
    head, claims, signature = jwt.split(".")
    assert hmac.compare_digest(signature, sign(f"{head}.{claims}".encode(), secret)), "bad signature"
    return json.loads(unb64url(head)), json.loads(unb64url(claims))
